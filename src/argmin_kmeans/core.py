r"""The k-means loss, its argmin-constant gradient, and the three update rules.

Notation (scikit-learn's): ``X`` is ``(n_samples, n_features)``, ``centers`` is
``(n_clusters, n_features)``, ``labels`` is ``(n_samples,)`` int64. For a labelling, write
:math:`C_k = \{i : \mathrm{labels}_i = k\}`, :math:`n_k = |C_k|` and
:math:`S_k = \sum_{i \in C_k} x_i`.

The loss (scikit-learn's *inertia*) is

.. math:: L(c) = \sum_i \min_k \lVert x_i - c_k \rVert^2 .

Hold the labels fixed and it is a quadratic in the centres,
:math:`\sum_k \sum_{i\in C_k} \lVert x_i - c_k\rVert^2`, with gradient
:math:`\partial L/\partial c_k = 2(n_k c_k - S_k)` and Hessian :math:`2 n_k I` for each centre
(block diagonal). That gradient is exact wherever no point is equidistant from two centres,
because there the labels do not change under a small move of the centres: the argmin is never
differentiated, it is a constant. A Newton step :math:`c_k - (2 n_k)^{-1} 2(n_k c_k - S_k)
= S_k / n_k` lands on the cluster mean, which is Lloyd's M-step (Bottou & Bengio, 1995).

How this module is laid out
---------------------------
1. :func:`assign` and :func:`kmeans_loss` come first, each with its readable definition.
2. :class:`Stats` and :func:`estep`: one E-step (labels, counts, sums, inertia) on validated
   tensors, by the kernel (:mod:`argmin_kmeans.kernel`), never the
   ``(n_clusters, n_samples, n_features)`` difference tensor.
3. Each update rule written once, on statistics: :func:`gradient`, :func:`gd_update`,
   :func:`newton_update`, :func:`means_update` (and :func:`relocate_empty`). The stochastic
   methods, :func:`~argmin_kmeans.engine.fit` and the lessons call these.
4. The public one-step functions: validate, one E-step, one rule (:func:`gd_step`,
   :func:`lloyd_step`, :func:`newton_step`, :func:`loss_gradient`, :func:`cluster_stats`,
   :func:`sq_distances`).

Numerics
--------
The statistics are kept relative to a reference point :math:`m` (the centres' mean): the sums
are :math:`S'_k = \sum_{i\in C_k}(x_i - m)`, and the rules use
:math:`n_k c_k - S_k = n_k (c_k - m) - S'_k`, which does not cancel when the data sit far from
the origin (see :mod:`argmin_kmeans.kernel`).

Empty clusters
--------------
A centre that owns no point has :math:`n_k = 0`: its gradient is zero and its Hessian block is
singular. The policy everywhere in this package (``empty="keep"``) is to **leave such a centre
where it is**. ``lloyd_step(..., empty="relocate")`` instead reproduces scikit-learn's
relocation (see :func:`lloyd_step`).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import torch

from . import kernel
from ._validation import ArrayLike, check_choice, check_finite, check_lr, check_pair, to_output

__all__ = [
    "sq_distances",
    "assign",
    "kmeans_loss",
    "cluster_stats",
    "loss_gradient",
    "gd_step",
    "lloyd_step",
    "newton_step",
    "Stats",
    "estep",
    "estep_weighted",
    "stats_for_labels",
    "gradient",
    "gd_update",
    "newton_update",
    "means_update",
    "relocate_empty",
]

Empty = Literal["keep", "relocate"]
LR = float | torch.Tensor


# --------------------------------------------------------------------------- the definitions


def assign(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""E-step: the index of the nearest centre for every sample.

    The definition is ``torch.cdist(X, centers).argmin(dim=1)``; this computes the same thing
    in bounded memory, translation-invariantly (see Notes).

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)

    Returns
    -------
    labels : int64, shape (n_samples,)
        :math:`\arg\min_k \lVert x_i - c_k \rVert^2`.

    Notes
    -----
    Computed without gradient: an index has no derivative (lesson 01). Distances are compared
    after subtracting a reference point (the centres' mean, rounded to a power-of-two grid)
    from samples and centres, so data far from the origin get the labels of centred data
    (:mod:`argmin_kmeans.kernel`). Ties: exact ties of the direct distances go to the lowest
    index whenever the shifted arithmetic is exact (data on a grid, such as integers or pixel
    values, at any offset) and always on small problems, which compare direct differences;
    near-ties within the rounding of the inputs may go either way.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    return to_output(estep(Xt, Ct, with_inertia=False, check=True).labels, np_out)


def kmeans_loss(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""The k-means loss (inertia) :math:`\sum_i \min_k \lVert x_i - c_k\rVert^2`.

    The definition, and what autograd differentiates::

        labels = assign(X, centers)                  # integers: a constant for autograd
        loss = ((X - centers[labels]) ** 2).sum()    # gradient 2(n_k c_k - S_k)

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        If ``centers`` requires grad, the result is differentiable with autograd.

    Returns
    -------
    loss : 0-d tensor (or NumPy 0-d array for NumPy inputs)

    Notes
    -----
    With gradients on, the definition above runs as written, so autograd's gradient is the
    argmin-constant gradient of :func:`loss_gradient`; it stores an ``(n_samples,
    n_features)`` difference for the backward pass (never ``(n_clusters, n_samples,
    n_features)``). Without gradients the sum of the same direct differences runs in
    bounded-memory chunks (the fast path).
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    if Ct.requires_grad and torch.is_grad_enabled():
        labels = estep(Xt, Ct, with_inertia=False, check=True).labels
        diff = Xt - Ct[labels]  # gather with constant indices: gradient flows to c_{label_i}
        loss = (diff * diff).sum()
        if not bool(torch.isfinite(loss.detach())):
            raise _overflow("the inertia", Xt)
        return loss
    inertia = estep(Xt, Ct, check=True).inertia
    assert inertia is not None
    return to_output(inertia, np_out)


# --------------------------------------------------------------------------- the E-step


class Stats(NamedTuple):
    r"""One E-step's statistics of ``X`` under ``centers`` (validated tensors, no autograd).

    Attributes
    ----------
    labels : int64, shape (n_samples,)
    counts : int64, shape (n_clusters,) — :math:`n_k` (float64 weight sums :math:`W_k` for a
        weighted E-step)
    sums : shape (n_clusters, n_features) — :math:`S'_k = \sum_{i\in C_k}(x_i - m_k)`
    shift : shape (n_features,) or (n_clusters, n_features) — the reference point
        :math:`m_k` of each cluster's sum: one point for all (the general path), or each
        cluster's own centre (the small path)
    inertia : 0-d, or None when not asked for
    """

    labels: torch.Tensor
    counts: torch.Tensor
    sums: torch.Tensor
    shift: torch.Tensor
    inertia: torch.Tensor | None

    def shift_of(self, k: int) -> torch.Tensor:
        """The reference point of cluster ``k``'s sum, shape (n_features,)."""
        return self.shift[k] if self.shift.ndim == 2 else self.shift

    def raw_sums(self) -> torch.Tensor:
        """:math:`S_k = S'_k + n_k m` (rounded once; for display and for callers that need it)."""
        return self.sums + self.counts.to(self.sums.dtype)[:, None] * self.shift


def _overflow(what: str, X: torch.Tensor) -> ValueError:
    return ValueError(
        f"{what} overflows {X.dtype} although X and the centres are finite: the data are too "
        f"large for this precision; rescale, e.g. divide X and the centres by X.abs().max() "
        f"(labels do not change with the scale), or use float64"
    )


def estep(
    X: torch.Tensor,
    C: torch.Tensor,
    *,
    with_inertia: bool = True,
    check: bool = False,
    chunk_elements: int = kernel.CHUNK_ELEMENTS,
    backend: kernel.Backend | None = None,
    threads: int | None = None,
) -> Stats:
    """Labels, counts, shifted sums (and the inertia) in one chunked pass.

    ``X`` ``(n, d)`` and ``C`` ``(k, d)``: validated, same dtype/device, ``C`` finite.
    ``check=True`` finishes the NaN/inf validation of the inputs inside the pass (for public
    entry points that called ``check_pair(..., finite=False)``): a non-finite score means a
    NaN/inf in ``centers`` or ``X``, named by :func:`~argmin_kmeans._validation.check_finite`,
    or else an overflow, reported as such. An inertia out of the dtype's range is an error too.
    ``chunk_elements``, ``threads`` and ``backend`` (default: ``kernel.default_backend()``,
    "auto") go to :func:`argmin_kmeans.kernel.fused_pass`.
    """
    r = kernel.fused_pass(  # detached inputs: nothing is recorded for autograd
        X.detach(), C.detach(), with_sums=True, with_inertia=with_inertia,
        chunk_elements=chunk_elements, threads=threads, backend=backend,
    )
    if not r.finite:
        if check:  # raise, naming the first NaN/inf
            check_finite(C, "centers")
            check_finite(X, "X")
        raise _overflow("a squared distance", X)
    if r.inertia is not None and not r.inertia_checked and not bool(torch.isfinite(r.inertia)):
        raise _overflow("the inertia", X)
    assert r.counts is not None and r.sums is not None
    return Stats(r.labels, r.counts, r.sums, r.shift, r.inertia)


def estep_weighted(X: torch.Tensor, C: torch.Tensor, w: torch.Tensor) -> Stats:
    r"""The weighted E-step: labels as :func:`estep`, counts :math:`W_k = \sum_{i\in C_k} w_i`
    (float64), sums :math:`\sum_{i\in C_k} w_i (x_i - c_k)` (relative to each centre: shift =
    ``C``) and the inertia :math:`\sum_i w_i \lVert x_i - c_{l_i}\rVert^2`. ``w`` ``(n,)``
    float64, finite, >= 0 (validated). Every update rule takes these statistics unchanged: the
    weighted loss has gradient :math:`2(W_k c_k - S_k)` and Hessian :math:`2 W_k I`. Sums and
    inertia are accumulated in float64 and rounded once to ``X``'s dtype; out of its range, a
    ``ValueError`` names ``sample_weight`` when the weights are what is large."""
    X, C = X.detach(), C.detach()
    labels = estep(X, C, with_inertia=False).labels
    diff = (X - C[labels]).double()
    wx = w[:, None]
    k = C.shape[0]
    sums64 = torch.zeros(C.shape, dtype=torch.float64, device=X.device)
    sums = sums64.index_add_(0, labels, diff * wx).to(X.dtype)
    counts = torch.zeros(k, dtype=torch.float64, device=X.device).index_add_(0, labels, w)
    inertia = ((diff * diff) * wx).sum().to(X.dtype)
    ok = torch.stack([inertia.double(), sums.double().sum(), counts.sum()])
    if not bool(torch.isfinite(ok).all()):
        top = float(w.max())
        if top > 1.0:
            raise ValueError(
                f"the weighted sums or the inertia overflow {X.dtype}: sample_weight is as large "
                f"as {top:.3g}; divide sample_weight by its maximum (the centres and labels do "
                f"not change when every weight is scaled by the same factor; the inertia does)"
            )
        raise _overflow("the inertia", X)
    return Stats(labels, counts, sums, C, inertia)


def stats_for_labels(X: torch.Tensor, C: torch.Tensor, labels: torch.Tensor) -> Stats:
    """The statistics of a *given* labelling (no E-step), shifted by the centres' mean."""
    m = C.detach().mean(dim=0)
    k = C.shape[0]
    sums = torch.zeros_like(C, dtype=X.dtype).index_add_(0, labels, X - m)
    return Stats(labels, torch.bincount(labels, minlength=k), sums, m, None)


# --------------------------------------------------------------------------- the update rules


def gradient(C: torch.Tensor, s: Stats) -> torch.Tensor:
    r"""The argmin-constant gradient :math:`2(n_k c_k - S_k) = 2(n_k (c_k - m) - S'_k)`, (k, d)."""
    n = s.counts.to(C.dtype)[:, None]
    return 2.0 * (n * (C - s.shift) - s.sums)


def gd_update(C: torch.Tensor, s: Stats, lr: LR) -> torch.Tensor:
    r"""Gradient descent :math:`c_k - \eta_k\, 2(n_k c_k - S_k)`; ``lr`` a float or ``(k,)``."""
    eta = lr[:, None] if isinstance(lr, torch.Tensor) else lr
    return C - eta * gradient(C, s)


def newton_update(C: torch.Tensor, s: Stats) -> torch.Tensor:
    r"""Newton :math:`c - H^{-1} g` with :math:`H = \mathrm{diag}(2 n_k I)`; an empty cluster's
    block is singular and its gradient 0: it keeps its centre."""
    h = 2.0 * s.counts.to(C.dtype)[:, None]  # Hessian block 2 n_k I
    return torch.where(h > 0, C - gradient(C, s) / h.clamp(min=1.0), C)


def means_update(C: torch.Tensor, s: Stats) -> torch.Tensor:
    r"""Lloyd's M-step :math:`S_k / n_k = m + S'_k / n_k`; an empty cluster keeps its centre."""
    n = s.counts[:, None]
    if n.is_floating_point():  # weights: W_k in float64
        n = n.to(s.sums.dtype)
    return torch.where(n > 0, s.sums / n + s.shift, C)  # 0/0 for an empty cluster is discarded


def relocate_empty(
    X: torch.Tensor, C_old: torch.Tensor, s: Stats, sample_weight: torch.Tensor | None = None
) -> Stats:
    """scikit-learn's empty-cluster policy (``_relocate_empty_clusters_dense`` and
    ``_average_centers`` of scikit-learn 1.9), on the statistics of ``C_old``.

    The empty clusters (count, or total weight, 0), in increasing index order, take the samples
    farthest from their own old centre, in the order ``np.argpartition(d, -n_empty)[::-1]``
    gives (scikit-learn's call; not sorted among the chosen): sample ``i`` of weight ``w_i``
    leaves its cluster (count and sum lose ``w_i``, ``w_i x_i``) and becomes the empty
    cluster's only member. Nothing moves when every sample sits on its centre (fewer distinct
    points than clusters). A cluster still empty after that (or emptied by the move) gets the
    statistics of the heaviest cluster, so its centre becomes that cluster's mean (where
    scikit-learn's comment says it goes; its loop copies the row before averaging it when the
    empty cluster's index is lower, which lands on the weighted *sum* instead). ``sample_weight``
    ``(n_samples,)``: the weights of a weighted E-step (default: 1 each).
    """
    empty = (s.counts == 0).nonzero().flatten()
    if empty.numel() == 0:
        return s
    counts, sums, shift = s.counts.clone(), s.sums.clone(), s.shift.clone()
    diff = X - C_old[s.labels]
    dist = (diff * diff).sum(dim=1).cpu().numpy()
    if dist.max() > 0:
        n_empty = int(empty.numel())
        far = np.argpartition(dist, -n_empty)[: -n_empty - 1 : -1]
        for new_k, i in zip(empty.tolist(), far.tolist()):
            w = 1 if sample_weight is None else float(sample_weight[i])
            old_k = int(s.labels[i])
            sums[old_k] -= w * (X[i] - s.shift_of(old_k))
            counts[old_k] -= w
            sums[new_k] = w * (X[i] - s.shift_of(new_k))
            counts[new_k] = w
    big = int(torch.argmax(counts))  # the first of the heaviest, as np.argmax
    for j in (counts == 0).nonzero().flatten().tolist():
        counts[j], sums[j] = counts[big], sums[big]
        if shift.ndim == 2:
            shift[j] = shift[big]
    return s._replace(counts=counts, sums=sums, shift=shift)


# --------------------------------------------------------------------------- one step at a time


def sq_distances(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""All squared distances :math:`\lVert x_i - c_k\rVert^2` as an ``(n_samples, n_clusters)`` array.

    Computed as :math:`\lVert x'\rVert^2 - 2x'\cdot c' + \lVert c'\rVert^2` on values shifted by
    the centres' mean (:math:`x' = x - m`, :math:`c' = c - m`; translation-invariant) and
    clamped at 0. The output has ``n_samples * n_clusters`` entries; the algorithms never need
    it whole (they work chunk by chunk), it is here for lessons and plots.
    """
    Xt, Ct, np_out = check_pair(X, centers)
    with torch.no_grad():
        C = Ct.detach()
        m = C.mean(dim=0)
        Xs, Cs = Xt - m, C - m
        D = torch.addmm((Cs * Cs).sum(dim=1), Xs, Cs.t(), beta=1.0, alpha=-2.0)
        D.add_((Xs * Xs).sum(dim=1, keepdim=True)).clamp_(min=0.0)
        if not bool(torch.isfinite(D).all()):
            raise _overflow("a squared distance", Xt)
    return to_output(D, np_out)


def cluster_stats(X: ArrayLike, centers: ArrayLike) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    r"""Labels, counts :math:`n_k` and sums :math:`S_k` for the current centres.

    Returns
    -------
    labels : int64, shape (n_samples,)
    counts : int64, shape (n_clusters,)
    sums : shape (n_clusters, n_features), X's dtype
        Accumulated relative to the centres' mean and shifted back once (one rounding).
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    s = estep(Xt, Ct, with_inertia=False, check=True)
    return (
        to_output(s.labels, np_out),
        to_output(s.counts, np_out),
        to_output(s.raw_sums(), np_out),
    )


def loss_gradient(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""The closed-form argmin-constant gradient :math:`2(n_k c_k - S_k)`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)

    Returns
    -------
    grad : shape (n_clusters, n_features)
        Equal to ``torch.autograd.grad(kmeans_loss(X, centers), centers)`` (tested). Rows of
        empty clusters are exactly zero.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    C = Ct.detach()
    return to_output(gradient(C, estep(Xt, C, with_inertia=False, check=True)), np_out)


def gd_step(X: ArrayLike, centers: ArrayLike, lr: float | ArrayLike) -> ArrayLike:
    r"""One gradient-descent step :math:`c_k \leftarrow c_k - \eta_k\, 2(n_k c_k - S_k)`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    lr : float or array of shape (n_clusters,)
        One global step size :math:`\eta`, or one per centre :math:`\eta_k`; positive, finite
        (a Python, NumPy or 0-d tensor number).

    Returns
    -------
    new_centers : shape (n_clusters, n_features)

    Notes
    -----
    Centre *k* moves to :math:`(1 - 2\eta_k n_k)\, c_k + 2\eta_k n_k\, \bar x_k`: a fraction
    :math:`2\eta_k n_k` of the way to its cluster mean. With :math:`\eta_k = 1/(2n_k)` that is
    the Newton/Lloyd step; for :math:`\eta_k > 1/n_k` it overshoots by more than it started.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    eta = check_lr(lr, Ct.shape[0], Ct)
    C = Ct.detach()
    out = gd_update(C, estep(Xt.detach(), C, with_inertia=False, check=True), eta)
    return to_output(out, np_out)


def lloyd_step(X: ArrayLike, centers: ArrayLike, *, empty: Empty = "keep") -> ArrayLike:
    r"""One Lloyd (EM) iteration: assign every sample (E), move each centre to its mean (M).

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    empty : {"keep", "relocate"}
        ``"keep"`` (default) leaves a centre with no samples where it is. ``"relocate"`` follows
        scikit-learn: the samples farthest from their current centre become the new centres of
        the empty clusters and leave their old cluster's mean (:func:`relocate_empty`).

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        :math:`c_k \leftarrow S_k / n_k`.
    """
    check_choice(empty, "empty", ("keep", "relocate"))
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    C, Xd = Ct.detach(), Xt.detach()
    s = estep(Xd, C, with_inertia=False, check=True)
    if empty == "relocate":
        s = relocate_empty(Xd, C, s)
    return to_output(means_update(C, s), np_out)


def newton_step(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""One Newton step on the piecewise-quadratic loss, assignments held fixed.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        :math:`c - H^{-1} g` with :math:`g_k = 2(n_k c_k - S_k)`, :math:`H = \mathrm{diag}(2n_k I)`.

    Notes
    -----
    Algebraically :math:`c_k - (n_k c_k - S_k)/n_k = S_k/n_k`: the Lloyd update. It is computed
    here the Newton way (through the gradient), so it agrees with :func:`lloyd_step` to
    rounding, not bit for bit. Empty clusters keep their centre.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite=False)
    C = Ct.detach()
    return to_output(newton_update(C, estep(Xt.detach(), C, with_inertia=False, check=True)), np_out)
