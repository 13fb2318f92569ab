r"""Where Lloyd starts: greedy k-means++ (Arthur & Vassilvitskii 2007), as scikit-learn does it.

Also :func:`random_init` (Forgy: distinct random samples).

The public functions validate their arguments; :func:`kmeans_plusplus_validated` and
:func:`random_init_validated` are the same on arguments their caller has validated (the
estimator validates ``X`` and the weights once per ``fit``, not once per start).

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
    check_int,
    check_sample_weight,
    check_seed,
    check_X,
    to_output,
)

__all__ = ["kmeans_plusplus", "random_init", "kmeans_plusplus_validated", "random_init_validated"]


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
    if n_local_trials is not None:
        n_local_trials = check_int(n_local_trials, "n_local_trials", low=1)
    Xd = Xt.detach()
    w = check_sample_weight(sample_weight, n, Xd)
    return to_output(kmeans_plusplus_validated(Xd, k, w, g, n_local_trials), np_out)


def kmeans_plusplus_validated(
    X: torch.Tensor,
    n_clusters: int,
    sample_weight: torch.Tensor,
    generator: torch.Generator,
    n_local_trials: int | None = None,
) -> torch.Tensor:
    """:func:`kmeans_plusplus` on validated arguments (nothing is checked): ``X`` a finite
    float tensor, ``1 <= n_clusters <= n_samples``, ``sample_weight`` as
    :func:`~argmin_kmeans._validation.check_sample_weight` returns it, draws from
    ``generator``. Returns the centres, a copy of rows of ``X``, shape (n_clusters, n_features).
    """
    trials = 2 + int(math.log(n_clusters)) if n_local_trials is None else n_local_trials
    with torch.no_grad():
        Xd = X.detach()
        idx = _plusplus(Xd, n_clusters, sample_weight, trials, generator)
        return Xd[idx.to(Xd.device)].clone()


def random_init(
    X: ArrayLike, n_clusters: int, *, seed: int = 0, sample_weight: ArrayLike | None = None
) -> ArrayLike:
    """``n_clusters`` distinct samples of ``X`` picked at random (Forgy), reproducibly.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
        Finite (a NaN sample would become a NaN centre).
    n_clusters : int
        In ``[1, n_samples]``.
    seed : int
        Seed of the local ``torch.Generator`` that draws the indices (the global seed is never
        touched).
    sample_weight : tensor or ndarray, shape (n_samples,), optional
        Draw each next sample with probability proportional to its weight, without replacement
        (scikit-learn's ``init="random"`` with weights); needs ``n_clusters`` samples of positive
        weight. Default: a uniform random permutation.

    Returns
    -------
    centers : shape (n_clusters, n_features), a copy, same type/dtype/device as ``X``.
    """
    Xt, np_out = check_X(X)
    k = check_int(n_clusters, "n_clusters", low=1, high=Xt.shape[0])
    g = torch.Generator().manual_seed(check_seed(seed))
    w = None if sample_weight is None else check_sample_weight(sample_weight, Xt.shape[0], Xt)
    return to_output(random_init_validated(Xt.detach(), k, g, w), np_out)


def random_init_validated(
    X: torch.Tensor,
    n_clusters: int,
    generator: torch.Generator,
    sample_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """:func:`random_init` on validated arguments (nothing is checked but the number of samples
    of positive weight, which depends on the weights' values)."""
    if sample_weight is None:
        idx = torch.randperm(X.shape[0], generator=generator)[:n_clusters]
    else:
        positive = int((sample_weight > 0).sum())
        if positive < n_clusters:
            raise ValueError(
                f"init='random' with sample_weight needs n_clusters={n_clusters} samples of "
                f"positive weight, got {positive}"
            )
        idx = torch.multinomial(
            sample_weight.detach().cpu().double(), n_clusters, replacement=False,
            generator=generator,
        )
    return X.detach()[idx.to(X.device)].clone()
