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

Empty clusters
--------------
A centre that owns no point has :math:`n_k = 0`: its gradient is zero and its Hessian block is
singular. The policy everywhere in this package (``empty="keep"``) is to **leave such a centre
where it is**. ``lloyd_step(..., empty="relocate")`` instead reproduces scikit-learn's
relocation (see :func:`lloyd_step`).

Memory
------
Distances are never formed from the ``(n_clusters, n_samples, n_features)`` difference tensor.
They come from :math:`\lVert x\rVert^2 - 2 x\cdot c + \lVert c\rVert^2` (one matmul) over
chunks of rows, so the extra memory is a few ``chunk_rows * max(n_clusters, n_features)``
blocks per thread (2 MiB each in float32 by default) whatever ``n_samples`` is. Tiny negative values from cancellation are clamped to 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from . import _kernel
from ._validation import ArrayLike, check_finite, check_lr, check_pair, to_output

__all__ = [
    "sq_distances",
    "assign",
    "kmeans_loss",
    "cluster_stats",
    "loss_gradient",
    "gd_step",
    "lloyd_step",
    "newton_step",
    "CHUNK_ELEMENTS",
]

#: About this many numbers per ``(rows, max(n_clusters, n_features))`` chunk block
#: (2**19 float32 numbers are 2 MiB: a chunk stays in cache).
CHUNK_ELEMENTS = _kernel.CHUNK_ELEMENTS

Empty = Literal["keep", "relocate"]


def _chunk_rows(n: int, k: int, d: int) -> int:
    # rows per chunk: a (rows, max(k, d)) block of about CHUNK_ELEMENTS numbers
    return _kernel.chunk_rows(n, k, d, CHUNK_ELEMENTS)


def _pass(
    X: torch.Tensor,
    C: torch.Tensor,
    *,
    with_stats: bool = False,
    with_inertia: bool = False,
    check_X: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """One chunked pass over ``X``: labels, and optionally counts/sums and the inertia.

    ``check_X=True`` finishes the validation of ``X`` (NaN/inf) chunk by chunk inside the pass,
    for public entry points that called ``check_pair(..., finite_X=False)``.

    Validated tensors, no autograd. The distances, the argmin and the chunk's M-step sums are
    computed chunk by chunk while the chunk is in cache (:mod:`argmin_kmeans._kernel`). The
    inertia is summed from the *direct* differences ``x_i - c_{label_i}``, so its value does not
    suffer the cancellation of the expanded formula.

    Returns
    -------
    labels : int64 (n,); counts : (k,) X's dtype; sums : (k, d); inertia : 0-d
    """
    with torch.no_grad():
        saved = _kernel.CHUNK_ELEMENTS
        _kernel.CHUNK_ELEMENTS = CHUNK_ELEMENTS  # tests shrink the chunks through core
        try:
            labels, counts, sums, inertia, finite = _kernel.fused_pass(
                X, C, with_sums=with_stats, with_inertia=with_inertia, check_finite=check_X
            )
        finally:
            _kernel.CHUNK_ELEMENTS = saved
        if not finite:
            check_finite(X, "X")  # raises, naming the first NaN/inf (or: only an overflow)
        if counts is not None:
            counts = counts.to(X.dtype)
    return labels, counts, sums, inertia


def _assign(
    X: torch.Tensor, C: torch.Tensor, *, with_inertia: bool = False, check_X: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Labels (and optionally the inertia) for validated tensors; no autograd."""
    labels, _, _, inertia = _pass(X, C, with_inertia=with_inertia, check_X=check_X)
    return labels, inertia


def sq_distances(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""All squared distances :math:`\lVert x_i - c_k\rVert^2` as an ``(n_samples, n_clusters)`` array.

    Computed as :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2` (one matmul) and clamped
    at 0: cancellation can make a true distance of 0 come out as a tiny negative number. The
    output itself has ``n_samples * n_clusters`` entries; the algorithms never need it whole
    (they work chunk by chunk), it is here for lessons and plots.
    """
    Xt, Ct, np_out = check_pair(X, centers)
    with torch.no_grad():
        C = Ct.detach()
        x_sq = (Xt * Xt).sum(dim=1, keepdim=True)  # (n, 1)
        D = torch.addmm((C * C).sum(dim=1), Xt, C.t(), beta=1.0, alpha=-2.0).add_(x_sq)
        D.clamp_(min=0.0)
    return to_output(D, np_out)


def assign(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""E-step: the index of the nearest centre for every sample.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)

    Returns
    -------
    labels : int64, shape (n_samples,)
        :math:`\arg\min_k \lVert x_i - c_k \rVert^2`; ties go to the lowest index, as with
        ``torch.argmin`` and scikit-learn.

    Notes
    -----
    Computed without gradient: an index has no derivative (lesson 01).
    """
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    labels, _ = _assign(Xt, Ct.detach(), check_X=True)
    return to_output(labels, np_out)


def kmeans_loss(X: ArrayLike, centers: ArrayLike) -> ArrayLike:
    r"""The k-means loss (inertia) :math:`\sum_i \min_k \lVert x_i - c_k\rVert^2`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        If ``centers`` requires grad, the result is differentiable with autograd.

    Returns
    -------
    loss : 0-d tensor (or NumPy scalar array for NumPy inputs)

    Notes
    -----
    With gradients on, this is literally ``((X - centers[labels]) ** 2).sum()`` with ``labels``
    from :func:`assign` — an integer tensor that autograd treats as a constant. So autograd's
    gradient is the argmin-constant gradient :math:`2(n_k c_k - S_k)` of
    :func:`loss_gradient`. That path stores an ``(n_samples, n_features)`` difference for the
    backward pass (the size of ``X``; never ``(n_clusters, n_samples, n_features)``). Without
    gradients the sum runs in bounded-memory chunks.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    if Ct.requires_grad and torch.is_grad_enabled():
        labels, _ = _assign(Xt, Ct.detach(), check_X=True)
        diff = Xt - Ct[labels]  # gather with constant indices: gradient flows to c_{label_i}
        return (diff * diff).sum()
    _, inertia = _assign(Xt, Ct, with_inertia=True, check_X=True)
    assert inertia is not None
    return to_output(inertia, np_out)


def _stats(
    X: torch.Tensor, labels: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-cluster counts ``(k,)`` and sums ``(k, d)`` in X's dtype."""
    sums = torch.zeros((k, X.shape[1]), dtype=X.dtype, device=X.device)
    sums.index_add_(0, labels, X)
    counts = torch.bincount(labels, minlength=k).to(X.dtype)
    return counts, sums


def cluster_stats(X: ArrayLike, centers: ArrayLike) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    r"""Labels, counts :math:`n_k` and sums :math:`S_k` for the current centres.

    Returns
    -------
    labels : int64, shape (n_samples,)
    counts : shape (n_clusters,), X's dtype
    sums : shape (n_clusters, n_features), X's dtype
    """
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    labels, counts, sums, _ = _pass(Xt, Ct.detach(), with_stats=True, check_X=True)
    return tuple(to_output(t, np_out) for t in (labels, counts, sums))  # type: ignore[return-value]


def _gradient(
    X: torch.Tensor, C: torch.Tensor, check_X: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    _, counts, sums, _ = _pass(X, C, with_stats=True, check_X=check_X)
    return 2.0 * (counts[:, None] * C - sums), counts


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
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    with torch.no_grad():
        g, _ = _gradient(Xt, Ct.detach(), check_X=True)
    return to_output(g, np_out)


def gd_step(X: ArrayLike, centers: ArrayLike, lr: float | ArrayLike) -> ArrayLike:
    r"""One gradient-descent step :math:`c_k \leftarrow c_k - \eta_k\, 2(n_k c_k - S_k)`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    lr : float or array of shape (n_clusters,)
        One global step size :math:`\eta`, or one per centre :math:`\eta_k`; positive, finite.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)

    Notes
    -----
    Centre *k* moves to :math:`(1 - 2\eta_k n_k)\, c_k + 2\eta_k n_k\, \bar x_k`: a fraction
    :math:`2\eta_k n_k` of the way to its cluster mean. With :math:`\eta_k = 1/(2n_k)` that is
    the Newton/Lloyd step; for :math:`\eta_k > 1/n_k` it overshoots by more than it started.
    """
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    eta = check_lr(lr, Ct.shape[0], Ct)
    with torch.no_grad():
        C = Ct.detach()
        g, _ = _gradient(Xt, C, check_X=True)
        step = g * (eta[:, None] if isinstance(eta, torch.Tensor) else eta)
        out = C - step
    return to_output(out, np_out)


def _relocate_empty(
    X: torch.Tensor,
    C_old: torch.Tensor,
    labels: torch.Tensor,
    counts: torch.Tensor,
    sums: torch.Tensor,
) -> None:
    """scikit-learn's policy, in place on ``counts``/``sums``: each empty cluster takes the
    sample farthest from its (old) centre, in decreasing order of distance; that sample leaves
    its cluster's sum and count."""
    empty = (counts == 0).nonzero().flatten()
    if empty.numel() == 0:
        return
    diff = X - C_old[labels]
    dist = (diff * diff).sum(dim=1)
    far = torch.topk(dist, int(empty.numel()), sorted=True).indices
    for new_k, i in zip(empty.tolist(), far.tolist()):
        old_k = int(labels[i])
        sums[old_k] -= X[i]
        counts[old_k] -= 1
        sums[new_k] = X[i]
        counts[new_k] = 1


def _lloyd(
    X: torch.Tensor, C: torch.Tensor, labels: torch.Tensor, empty: Empty = "keep"
) -> torch.Tensor:
    counts, sums = _stats(X, labels, C.shape[0])
    return _means(X, C, labels, counts, sums, empty)


def _means(
    X: torch.Tensor,
    C: torch.Tensor,
    labels: torch.Tensor,
    counts: torch.Tensor,
    sums: torch.Tensor,
    empty: Empty = "keep",
) -> torch.Tensor:
    if empty == "relocate":
        _relocate_empty(X, C, labels, counts, sums)
    nonempty = counts > 0
    # S_k / n_k where n_k > 0; an empty centre stays put
    return torch.where(nonempty[:, None], sums / counts.clamp(min=1)[:, None], C)


def lloyd_step(X: ArrayLike, centers: ArrayLike, *, empty: Empty = "keep") -> ArrayLike:
    r"""One Lloyd (EM) iteration: assign every sample (E), move each centre to its mean (M).

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    empty : {"keep", "relocate"}
        ``"keep"`` (default) leaves a centre with no samples where it is. ``"relocate"`` follows
        scikit-learn: the samples farthest from their current centre become the new centres of
        the empty clusters (farthest first) and leave their old cluster's mean.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        :math:`c_k \leftarrow S_k / n_k`.
    """
    if empty not in ("keep", "relocate"):
        raise ValueError(f"empty must be 'keep' or 'relocate', got {empty!r}")
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    with torch.no_grad():
        C = Ct.detach()
        labels, counts, sums, _ = _pass(Xt, C, with_stats=True, check_X=True)
        out = _means(Xt, C, labels, counts, sums, empty)  # type: ignore[arg-type]
    return to_output(out, np_out)


def _newton(X: torch.Tensor, C: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    counts, sums = _stats(X, labels, C.shape[0])
    return _newton_from_stats(C, counts, sums)


def _newton_from_stats(C: torch.Tensor, counts: torch.Tensor, sums: torch.Tensor) -> torch.Tensor:
    g = 2.0 * (counts[:, None] * C - sums)
    h = 2.0 * counts  # Hessian block 2 n_k I
    # H^{-1} g on non-empty blocks; an empty block is singular and its gradient is 0
    return torch.where((counts > 0)[:, None], C - g / h.clamp(min=1)[:, None], C)


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
    Xt, Ct, np_out = check_pair(X, centers, finite_X=False)
    with torch.no_grad():
        C = Ct.detach()
        _, counts, sums, _ = _pass(Xt, C, with_stats=True, check_X=True)
        out = _newton_from_stats(C, counts, sums)  # type: ignore[arg-type]
    return to_output(out, np_out)

