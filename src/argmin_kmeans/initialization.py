r"""Where Lloyd starts: greedy k-means++ (Arthur & Vassilvitskii 2007), as scikit-learn does it.

k-means++ picks the first centre at random (with probability proportional to the sample
weight), then each next centre with probability proportional to :math:`w_i D(x_i)^2`, the
weighted squared distance to the nearest centre chosen so far. The *greedy* variant
(scikit-learn's default) draws ``n_local_trials`` :math:`= 2 + \lfloor \ln k\rfloor` candidates
per step and keeps the one that lowers the potential :math:`\sum_i w_i D(x_i)^2` most.

Cost: ``n_clusters`` passes over ``X``, each computing ``n_local_trials`` distances per sample.
That is why k-means‖ (:func:`argmin_kmeans.distributed.kmeans_parallel_init`) exists: a few
passes for any ``k``.

Numerics: the distances are computed from **centred** coordinates (``X`` minus its mean), so data
far from the origin gives the same centres as the same data near it; a tiny negative value from
cancellation in :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2` is clamped to 0. The
running potential and the cumulative sums used for sampling are float64 whatever the dtype of
``X``. All randomness comes from a local ``torch.Generator`` seeded with ``seed``; the global
torch seed is neither used nor changed.
"""

from __future__ import annotations

import math

import torch

from ._validation import (
    ArrayLike,
    as_tensor,
    check_finite,
    check_int,
    check_seed,
    check_X,
    to_output,
)

__all__ = ["kmeans_plusplus"]


def _check_weights(sample_weight: object, n: int, like: torch.Tensor) -> torch.Tensor:
    """``sample_weight`` as a float64 ``(n,)`` tensor on ``like``'s device: finite, >= 0, sum > 0."""
    if sample_weight is None:
        return torch.ones(n, dtype=torch.float64, device=like.device)
    w = as_tensor(sample_weight, "sample_weight")
    if w.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape (n_samples,) = ({n},), got shape {tuple(w.shape)}"
        )
    check_finite(w, "sample_weight")
    w = w.detach().to(device=like.device, dtype=torch.float64)
    if bool((w < 0).any()):
        i = int((w < 0).nonzero()[0, 0])
        raise ValueError(f"sample_weight must be >= 0, got sample_weight[{i}]={w[i].item()!r}")
    if not float(w.sum()) > 0:
        raise ValueError("sample_weight must have a positive sum (every weight is 0)")
    return w


def _sq_dist_centred(Xs: torch.Tensor, x_sq: torch.Tensor, Cs: torch.Tensor) -> torch.Tensor:
    """``(m, n)`` squared distances from centred candidates ``Cs`` (m, d) to centred ``Xs`` (n, d)."""
    c_sq = (Cs * Cs).sum(dim=1, keepdim=True)  # (m, 1)
    D = torch.addmm(c_sq, Cs, Xs.t(), beta=1.0, alpha=-2.0).add_(x_sq[None, :])
    return D.clamp_(min=0.0)


def _plusplus(
    X: torch.Tensor, k: int, w: torch.Tensor, trials: int, g: torch.Generator
) -> torch.Tensor:
    """Indices ``(k,)`` of the greedy k-means++ centres of validated ``X`` with weights ``w``."""
    n = X.shape[0]
    Xs = X - X.mean(dim=0)  # centred: translation-invariant distances
    x_sq = (Xs * Xs).sum(dim=1)  # (n,)
    cum_w = torch.cumsum(w, 0)
    # first centre: P(i) = w_i / sum(w), by inverse transform of one uniform draw
    u0 = torch.rand(1, generator=g, dtype=torch.float64).to(w.device) * cum_w[-1]
    first = int(torch.searchsorted(cum_w, u0).clamp_(max=n - 1))
    idx = [first]
    closest = _sq_dist_centred(Xs, x_sq, Xs[first : first + 1])[0].to(torch.float64)  # (n,)
    pot = torch.dot(closest, w)
    for _ in range(1, k):
        # `trials` candidates with P(i) proportional to w_i D(x_i)^2
        u = torch.rand(trials, generator=g, dtype=torch.float64).to(w.device) * pot
        cand = torch.searchsorted(torch.cumsum(w * closest, 0), u).clamp_(max=n - 1)  # (t,)
        d_cand = _sq_dist_centred(Xs, x_sq, Xs[cand]).to(torch.float64)  # (t, n)
        torch.minimum(d_cand, closest[None, :], out=d_cand)
        pots = d_cand @ w  # (t,): the potential if each candidate were added
        best = int(torch.argmin(pots))  # first minimum on ties, like np.argmin
        idx.append(int(cand[best]))
        closest, pot = d_cand[best], pots[best]
    return torch.tensor(idx, dtype=torch.int64)


def kmeans_plusplus(
    X: ArrayLike,
    n_clusters: int,
    *,
    seed: int = 0,
    sample_weight: ArrayLike | None = None,
    n_local_trials: int | None = None,
) -> ArrayLike:
    r"""Greedy k-means++ centres: ``n_clusters`` rows of ``X``, spread out at random.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    n_clusters : int
        In ``[1, n_samples]``.
    seed : int
        Seed of the local ``torch.Generator`` (the global torch seed is not touched).
    sample_weight : tensor or ndarray, shape (n_samples,), optional
        Non-negative weights :math:`w_i` (default: all 1). A sample of weight 0 is never chosen
        while any sample of positive weight is farther than 0 from every centre.
    n_local_trials : int, optional
        Candidates per step; default :math:`2 + \lfloor \ln k \rfloor` (scikit-learn's).
        ``1`` is the original, non-greedy k-means++.

    Returns
    -------
    centers : shape (n_clusters, n_features)
        Copies of rows of ``X``; same type (NumPy in, NumPy out), dtype and device as ``X``.

    Notes
    -----
    Step :math:`j \ge 2` draws ``n_local_trials`` candidates, each independently with

    .. math:: P(i) = \frac{w_i D(x_i)^2}{\sum_l w_l D(x_l)^2},
        \qquad D(x) = \min_{c \in \text{chosen}} \lVert x - c\rVert,

    and keeps the candidate whose addition gives the smallest potential
    :math:`\sum_i w_i \min(D(x_i)^2, \lVert x_i - x_{\text{cand}}\rVert^2)`. The expected
    inertia of plain k-means++ (one trial) is within :math:`8(\ln k + 2)` of the optimum
    (Arthur & Vassilvitskii 2007). Memory: ``n_local_trials * n_samples`` distances per step.
    """
    Xt, np_out = check_X(X, "X")
    n = Xt.shape[0]
    k = check_int(n_clusters, "n_clusters", low=1, high=n)
    g = torch.Generator().manual_seed(check_seed(seed))
    if n_local_trials is None:
        trials = 2 + int(math.log(k))
    else:
        trials = check_int(n_local_trials, "n_local_trials", low=1)
    with torch.no_grad():
        Xd = Xt.detach()
        w = _check_weights(sample_weight, n, Xd)
        idx = _plusplus(Xd, k, w, trials, g)
        C = Xd[idx.to(Xd.device)].clone()
    return to_output(C, np_out)
