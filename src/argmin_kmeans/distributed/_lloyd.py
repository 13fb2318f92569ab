r"""Data-parallel Lloyd: every rank sums its own rows; one ``all_reduce`` per iteration.

Lloyd's M-step needs, per cluster, the count :math:`n_k` and the sum :math:`S_k` of its
samples, and the loss is a sum over samples. All three are sums over rows, so a rank holding
rows :math:`R_r` computes :math:`n_k^{(r)}, S_k^{(r)}, L^{(r)}` on its rows and

.. math:: n_k = \sum_r n_k^{(r)}, \qquad S_k = \sum_r S_k^{(r)}, \qquad L = \sum_r L^{(r)}

is one ``all_reduce`` of a buffer of :math:`k(d + 1) + 2` numbers — independent of the number of
samples. Every rank then computes the same new centres :math:`S_k / n_k` (an empty cluster
keeps its centre), and the next iteration starts. This is what Spark MLlib, Dask-ML and faiss
do too (per-partition sums, then one aggregation per iteration).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from .. import kernel
from .._validation import (
    ArrayLike,
    as_tensor,
    check_choice,
    check_int,
    check_pair,
    check_real,
    to_output,
)
from ..core import Stats, means_update
from ..engine import History, run
from ._comm import Comm, comm_for

__all__ = ["lloyd_distributed"]

_ERRORS: dict[str, type[Exception]] = {"TypeError": TypeError, "ValueError": ValueError}


def check_shard(X_local: object, init: object) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Validate one rank's rows and the centres: like ``check_pair``, but ``X_local`` may have
    0 rows and fewer rows than ``init`` has centres. Returns ``(X, centers, numpy_out)``."""
    Xt = as_tensor(X_local, "X_local")
    if Xt.ndim != 2:
        raise ValueError(
            f"X_local must be 2-D (n_local_samples, n_features), got shape {tuple(Xt.shape)}"
        )
    np_out = isinstance(X_local, np.ndarray) and isinstance(init, np.ndarray)
    if Xt.shape[0] > 0:
        Xt, C, _ = check_pair(Xt, init, allow_more_clusters=True)
    else:  # an empty shard: check init against a stand-in row of the same shape/dtype/device
        stand_in = torch.zeros((1, Xt.shape[1]), dtype=Xt.dtype, device=Xt.device)
        _, C, _ = check_pair(stand_in, init, allow_more_clusters=True)
    return Xt.detach(), C.detach(), np_out


def agree(comm: Comm, meta: dict[str, Any], error: Exception | None) -> list[dict[str, Any]]:
    """Share every rank's ``meta`` (and local error); raise the same error on every rank if a
    rank failed its local checks or the ranks disagree on ``n_features``, dtype, ``n_clusters``
    or a parameter. One ``all_gather_object``; returns every rank's ``meta``."""
    mine = dict(meta, error=None if error is None else (type(error).__name__, str(error)))
    metas = comm.all_gather_object(mine)
    for r, m in enumerate(metas):
        if m["error"] is not None:
            kind, msg = m["error"]
            raise _ERRORS.get(kind, RuntimeError)(f"rank {r}: {msg}")
    for key in [k for k in meta if k != "n"]:
        values = [m[key] for m in metas]
        if any(v != values[0] for v in values):
            per_rank = ", ".join(f"rank {r}: {v}" for r, v in enumerate(values))
            exc = TypeError if key == "dtype" else ValueError
            raise exc(f"the ranks disagree on {key} ({per_rank}); every rank needs the same")
    return metas


def _check_same_init(comm: Comm, C: torch.Tensor) -> None:
    """Raise on every rank unless every rank passed the same centres (one ``all_reduce``)."""
    if comm.local:
        return
    flat = C.reshape(-1).to(torch.float64)
    both = comm.all_reduce_max_(torch.cat([flat, -flat]))  # max and -min over the ranks
    if not torch.equal(both[: flat.numel()], -both[flat.numel():]):
        raise ValueError("the ranks were given different init centres; pass the same on every rank")


def _global_estep(comm: Comm, k: int, d: int) -> object:
    """The engine's E-step for data split over ranks: this rank's pass, then **one**
    ``all_reduce`` of the float64 buffer ``[S (k*d) | n (k) | L | changed]``.

    Sums are taken relative to the current centres (:math:`\\sum_{i\\in C_k} (x_i - c_k)`,
    which every rank has), so they add across ranks whatever reference point each rank's pass
    used, and the M-step :math:`c_k + S'_k/n_k` does not cancel far from the origin.
    """
    buf: torch.Tensor | None = None

    def estep_fn(X: torch.Tensor, C: torch.Tensor, prev: torch.Tensor | None) -> tuple[Stats, int]:
        nonlocal buf
        if buf is None:
            buf = torch.zeros(k * d + k + 2, dtype=torch.float64, device=X.device)
        buf.zero_()  # an empty shard contributes zeros
        labels = torch.empty(0, dtype=torch.int64, device=X.device)
        if X.shape[0] > 0:
            r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True)
            assert r.counts is not None and r.sums is not None and r.inertia is not None
            if not r.finite or not bool(torch.isfinite(r.inertia)):
                raise ValueError("a squared distance or the loss overflows: rescale X and init")
            labels = r.labels
            n = r.counts.to(torch.float64)[:, None]
            # relative to C, in float64 (float32 n (m - c) of a large cluster loses digits)
            buf[: k * d] = (r.sums.double() + n * (r.shift.double() - C.double())).reshape(-1)
            buf[k * d : k * d + k] = r.counts
            buf[k * d + k] = r.inertia
            if prev is not None:
                buf[-1] = float((labels != prev).sum())
        comm.all_reduce_(buf)
        stats = Stats(
            labels=labels,
            counts=buf[k * d : k * d + k].round().to(torch.int64),  # integers < 2**53: exact
            sums=buf[: k * d].view(k, d).to(X.dtype, copy=True),  # buf is reused
            shift=C,
            inertia=buf[k * d + k].to(X.dtype, copy=True),
        )
        return stats, int(buf[-1])

    return estep_fn


def lloyd_distributed(
    X_local: ArrayLike,
    init: ArrayLike,
    *,
    max_iter: int = 100,
    tol: float = 0.0,
    group: Any = None,
    gather_labels: bool = True,
) -> History:
    r"""Lloyd's algorithm on data split by rows over the ranks of a process group.

    Call it on every rank with that rank's rows and the same ``init``; every rank returns the
    same record. Without an initialised process group it runs as one process.

    Parameters
    ----------
    X_local : tensor or ndarray, shape (n_local_samples, n_features)
        This rank's rows (may be empty: more ranks than rows works). The full data set is the
        concatenation of the ranks' rows in rank order.
    init : tensor or ndarray, shape (n_clusters, n_features)
        Initial centres, identical on every rank (checked).
    max_iter : int
        Most updates (0 allowed: the record holds the init only).
    tol : float
        Accepted for parity with :func:`argmin_kmeans.fit`, which does not use it for Lloyd
        either: the run stops at the first update that changes no label (a fixed point).
    group : ProcessGroup, optional
        Default: the default group (``torch.distributed.init_process_group``).
    gather_labels : bool
        True: ``labels`` holds all ``n_samples`` labels in rank order on every rank. False:
        only this rank's (saves ``8 * n_samples`` bytes per rank on large data).

    Returns
    -------
    History
        As from ``fit(X, init, method="lloyd", max_iter=max_iter)`` on the concatenated data:
        ``centers`` (n_iter + 1, k, d), ``loss`` (n_iter + 1,), ``n_changed`` (n_iter,),
        ``labels``, ``n_iter``, ``converged``; identical on every rank. NumPy if both inputs are
        NumPy, else tensors on ``X_local``'s device. dtype: ``X_local``'s.

    Notes
    -----
    Per iteration: one chunked pass over the local rows (labels, :math:`n_k^{(r)}`,
    :math:`S_k^{(r)}`, :math:`L^{(r)}` and the number of labels that changed), then **one**
    ``all_reduce`` of the float64 buffer ``[S (k*d) | n (k) | L | changed]``. Counts are integers
    below :math:`2^{53}`, exact in float64, so the stopping decision (``changed == 0``) is the same
    on every rank. Before the first iteration the ranks compare shapes, dtypes, parameters
    (one ``all_gather_object``) and init (one ``all_reduce``): a rank whose input is bad raises,
    and so does every other rank, with that rank's message.
    """
    comm = comm_for(group)
    error: Exception | None = None
    meta: dict[str, Any] = {"n": 0, "n_features": None, "dtype": None, "n_clusters": None,
                            "max_iter": max_iter, "tol": tol}
    try:
        meta["max_iter"] = check_int(max_iter, "max_iter", low=0)
        meta["tol"] = check_real(tol, "tol", low=0.0)
        check_choice(gather_labels, "gather_labels", [True, False])
        X, C0, np_out = check_shard(X_local, init)
        meta.update(n=X.shape[0], n_features=X.shape[1], dtype=str(X.dtype), n_clusters=C0.shape[0])
    except (TypeError, ValueError) as e:
        error = e
    metas = agree(comm, meta, error)
    n_total = sum(m["n"] for m in metas)
    k, d = C0.shape
    if k > n_total:
        raise ValueError(f"n_clusters={k} is more than n_samples={n_total} (all ranks together)")
    _check_same_init(comm, C0)
    max_iter = meta["max_iter"]
    def update(C: torch.Tensor, s: Stats | None, t: int) -> torch.Tensor:
        assert s is not None  # every step is a checkpoint
        return means_update(C, s)  # the serial rule, on the summed statistics

    hist = run(
        X, C0, update, method="lloyd", max_iter=max_iter,
        tol=0.0, fixed_point=True, batch_size=n_total, numpy_out=False,
        estep_fn=_global_estep(comm, k, d),  # type: ignore[arg-type]
    )
    labels = hist.labels
    if gather_labels:
        labels = comm.all_gather_rows(labels, [m["n"] for m in metas])  # type: ignore[arg-type]
    return dataclasses.replace(
        hist,
        centers=to_output(hist.centers, np_out),  # type: ignore[arg-type]
        loss=to_output(hist.loss, np_out),  # type: ignore[arg-type]
        n_changed=to_output(hist.n_changed, np_out),  # type: ignore[arg-type]
        labels=to_output(labels, np_out),  # type: ignore[arg-type]
        n_samples=n_total,
        times=None,
    )
