r"""k-means‖ (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii 2012): k-means++ in a few passes.

k-means++ needs ``k`` passes over the data, one per centre: on a cluster that is ``k`` rounds of
communication. k-means‖ (Spark MLlib's default init) oversamples instead:

1. one centre, a row chosen uniformly at random;
2. ``rounds`` times: with :math:`\phi = \sum_x D(x)^2` (one ``all_reduce``), keep every row
   independently with probability :math:`\min(1, \ell D(x)^2/\phi)`, :math:`\ell` =
   ``oversampling * n_clusters``, and add the kept rows to the candidates (about :math:`\ell`
   per round);
3. weight each candidate by the number of rows nearest to it (one pass, one ``all_reduce``) and
   reduce the weighted candidates to ``n_clusters`` centres with k-means++ — on every rank, the
   same, since the candidates and weights are the same everywhere.

``rounds + 1`` passes over the data in all, whatever ``n_clusters`` is.

The random draws do not depend on how the rows are split: the row of global index ``i`` is kept
in round ``r`` when a counter-based uniform :math:`u(\text{seed}, r, i)` (SplitMix64) falls
below its probability. So 1, 2 or 4 processes pick the same candidates (up to floating-point
ties in :math:`\phi`, which the tests show do not occur on their data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import kernel
from .._validation import (
    ArrayLike,
    as_tensor,
    check_finite,
    check_int,
    check_real,
    check_seed,
    to_output,
)
from ..initialization import kmeans_plusplus
from ._comm import Comm, comm_for
from ._lloyd import agree

__all__ = ["counter_uniforms", "kmeans_parallel_init"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (products wrap modulo 2**64, as intended)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def counter_uniforms(seed: int, stream: int, start: int, stop: int) -> np.ndarray:
    """Uniforms in [0, 1) for the global indices ``start..stop-1`` of stream ``stream``.

    Entry ``i`` depends only on ``(seed, stream, i)``: any split of the index range gives the
    same numbers. It is the ``i``-th output of SplitMix64 (Steele, Lea & Flood 2014) started
    from a key mixed from ``seed`` and ``stream``.
    """
    s = check_seed(seed)
    key = _mix64(np.array([s], dtype=np.uint64) + _GOLDEN)
    stream_1 = np.array([check_int(stream, "stream", low=0) + 1], dtype=np.uint64)
    key = _mix64(key + stream_1 * _GOLDEN)
    idx = np.arange(check_int(start, "start", low=0), check_int(stop, "stop", low=0),
                    dtype=np.uint64)
    z = _mix64(key + (idx + np.uint64(1)) * _GOLDEN)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _nearest(
    X: torch.Tensor, C: torch.Tensor, ref: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Squared distance (float64) and index of the nearest row of ``C`` for every row of ``X``.

    Both are shifted by ``ref`` first (translation invariance), then
    :math:`\\lVert x\\rVert^2 - 2x\\cdot c + \\lVert c\\rVert^2` per chunk of rows, clamped at 0.
    """
    n = X.shape[0]
    dmin = torch.empty(n, dtype=torch.float64, device=X.device)
    arg = torch.empty(n, dtype=torch.int64, device=X.device)
    Cs = C - ref
    c_sq = (Cs * Cs).sum(dim=1)
    step = kernel.chunk_rows(n, C.shape[0], X.shape[1])
    for s in range(0, n, step):
        Xs = X[s : s + step] - ref
        D = torch.addmm(c_sq, Xs, Cs.t(), beta=1.0, alpha=-2.0)
        D.add_((Xs * Xs).sum(dim=1, keepdim=True)).clamp_(min=0.0)
        v, i = D.min(dim=1)
        dmin[s : s + step], arg[s : s + step] = v, i
    return dmin, arg


def _fetch_rows(comm: Comm, X: torch.Tensor, lo: int, idx: list[int]) -> torch.Tensor:
    """Rows of global indices ``idx``, on every rank (their owners fill, one ``all_reduce``)."""
    buf = torch.zeros((len(idx), X.shape[1]), dtype=torch.float64, device=X.device)
    for j, i in enumerate(idx):
        if lo <= i < lo + X.shape[0]:
            buf[j] = X[i - lo]
    return comm.all_reduce_(buf).to(X.dtype)


def kmeans_parallel_init(
    X_local: ArrayLike,
    n_clusters: int,
    *,
    rounds: int = 5,
    oversampling: float = 2.0,
    seed: int = 0,
    group: Any = None,
) -> ArrayLike:
    r"""k-means‖ initial centres for data split by rows over the ranks of a process group.

    Parameters
    ----------
    X_local : tensor or ndarray, shape (n_local_samples, n_features)
        This rank's rows (may be empty); the data set is the ranks' rows in rank order.
    n_clusters : int
        In ``[1, n_samples]`` (all ranks together).
    rounds : int
        Sampling rounds (Bahmani et al. use about :math:`\log \phi_0`; 5 is their
        experiments' choice, Spark's default is 2).
    oversampling : float
        :math:`\ell / k`: expected candidates per round per centre (Bahmani et al.: 0.5 to 10).
    seed : int
        Seed of every random choice; the same on every rank (checked).
    group : ProcessGroup, optional
        Default: the default group; without ``torch.distributed`` initialised, one process.

    Returns
    -------
    centers : shape (n_clusters, n_features)
        Rows of the data, identical on every rank; NumPy if ``X_local`` is NumPy, else a tensor
        on its device, in its dtype.

    Notes
    -----
    When the rounds yield fewer than ``n_clusters`` distinct candidates (tiny or duplicated
    data), rows drawn uniformly at random make up the difference before the k-means++ step.
    The candidates' k-means++ uses ``seed`` and weights = the number of rows nearest to each.
    """
    comm = comm_for(group)
    error: Exception | None = None
    meta: dict[str, Any] = {"n": 0, "n_features": None, "dtype": None, "n_clusters": n_clusters,
                            "rounds": rounds, "oversampling": oversampling, "seed": seed}
    try:
        meta["n_clusters"] = k = check_int(n_clusters, "n_clusters", low=1)
        meta["rounds"] = check_int(rounds, "rounds", low=1)
        meta["oversampling"] = check_real(oversampling, "oversampling", low=0.0, low_open=True)
        meta["seed"] = check_seed(seed)
        X = as_tensor(X_local, "X_local").detach()
        if X.ndim != 2:
            raise ValueError(
                f"X_local must be 2-D (n_local_samples, n_features), got shape {tuple(X.shape)}"
            )
        check_finite(X, "X_local")
        meta.update(n=X.shape[0], n_features=X.shape[1], dtype=str(X.dtype))
    except (TypeError, ValueError) as e:
        error = e
    metas = agree(comm, meta, error)
    sizes = [m["n"] for m in metas]
    n_total, lo = sum(sizes), sum(sizes[: comm.rank])
    if k > n_total:
        raise ValueError(f"n_clusters={k} is more than n_samples={n_total} (all ranks together)")
    g = torch.Generator().manual_seed(meta["seed"])
    ell = meta["oversampling"] * k
    with torch.no_grad():
        first = int(torch.randint(n_total, (1,), generator=g))
        C = _fetch_rows(comm, X, lo, [first])  # (1, d)
        ref = C[0].clone()  # every distance is computed relative to this row
        dmin = torch.full((X.shape[0],), float("inf"), dtype=torch.float64, device=X.device)
        new = C
        for r in range(meta["rounds"]):
            torch.minimum(dmin, _nearest(X, new, ref)[0], out=dmin)  # D(x)^2 to every candidate
            phi = comm.all_reduce_(dmin.sum().reshape(1))
            if float(phi) == 0.0:  # every row sits on a candidate
                break
            u = torch.from_numpy(counter_uniforms(meta["seed"], r, lo, lo + X.shape[0]))
            keep = u.to(X.device) * phi < ell * dmin  # P(keep) = min(1, ell D^2 / phi)
            parts = comm.all_gather_object(X[keep].cpu().numpy())
            new = torch.from_numpy(np.concatenate(parts)).to(device=X.device, dtype=X.dtype)
            C = torch.cat([C, new])
        if C.shape[0] < k:  # too few distinct candidates: top up with uniform random rows
            extra = torch.randint(n_total, (k - C.shape[0],), generator=g).tolist()
            C = torch.cat([C, _fetch_rows(comm, X, lo, extra)])
        weights = torch.zeros(C.shape[0], dtype=torch.float64, device=X.device)
        if X.shape[0] > 0:
            weights += torch.bincount(_nearest(X, C, ref)[1], minlength=C.shape[0])
        comm.all_reduce_(weights)
        centers = kmeans_plusplus(C, k, seed=meta["seed"], sample_weight=weights)
    return to_output(centers, isinstance(X_local, np.ndarray))  # type: ignore[arg-type]
