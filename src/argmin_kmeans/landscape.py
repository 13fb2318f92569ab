r"""Lesson 03: the k-means loss is piecewise quadratic — its regions, quadratics, minimisers, basins.

Every assignment pattern :math:`P` (a label :math:`P_i` for each sample) has a quadratic

.. math:: Q_P(c) = \sum_i \lVert x_i - c_{P_i} \rVert^2
          = W_P + \sum_k n_k \lVert c_k - \bar x_k \rVert^2 ,

where :math:`\bar x_k = S_k / n_k` are the cluster means of :math:`P` and :math:`W_P` its
within-cluster sum of squares. The k-means loss is the pointwise minimum of these quadratics,
:math:`L(c) = \min_P Q_P(c)`, and it equals :math:`Q_P` on the *region* of centre space where
:math:`P` is the nearest-centre assignment. So :math:`L` is continuous (a minimum of continuous
functions), smooth inside each region, and its gradient jumps where a sample's nearest centre
changes. The minimiser of :math:`Q_P` is the cluster means; when it lies inside its own region
it is a fixed point of Lloyd's algorithm, and a local minimum of :math:`L` when moreover no
sample is tied there (a tied sample puts it on a kink, which is never a minimum). For 1-D data
and two centres the whole picture is :mod:`argmin_kmeans.landscape_1d`.

What is here
------------
* **Any data** (slices and quadratics): :func:`region_quadratic`, :func:`inside_own_region`,
  :func:`slice_loss`, :func:`one_sided_derivatives`.
* **2-D data**: :func:`voronoi_grid`, :func:`snapshot` (labels, loss, argmin-constant gradient,
  Newton/Lloyd targets), :func:`loss_over_centroid` and :func:`boundary_radii` (moving one
  centre, the regions are cut out by one circle per sample).

Geometry only: the means, gradients and Lloyd steps are the core's rules
(:func:`~argmin_kmeans.core.means_update`, :func:`~argmin_kmeans.core.gradient`,
:func:`~argmin_kmeans.core.stats_for_labels`), in float64; the pictures are drawn by
:mod:`argmin_kmeans.plotting.landscape`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._validation import (
    ArrayLike,
    as_tensor,
    check_finite,
    check_int,
    check_pair,
    check_real,
    check_X,
)
from .core import (
    Stats,
    estep,
    gradient,
    kmeans_loss,
    means_update,
    stats_for_labels,
)

__all__ = [
    "Quadratic",
    "region_quadratic",
    "inside_own_region",
    "slice_loss",
    "one_sided_derivatives",
    "voronoi_grid",
    "Snapshot",
    "snapshot",
    "loss_over_centroid",
    "boundary_radii",
]

# --------------------------------------------------------------------------- any data


@dataclass(frozen=True, eq=False)
class Quadratic:
    r"""The quadratic :math:`Q_P(c) = W_P + \sum_k n_k \lVert c_k - \bar x_k\rVert^2` of a pattern.

    Attributes
    ----------
    counts : ndarray, shape (n_clusters,)
    means : ndarray, shape (n_clusters, n_features)
        The minimiser; NaN rows for empty clusters.
    within : float
        :math:`W_P`, the minimum value.
    stats : Stats
        The pattern's statistics (float64), from :func:`argmin_kmeans.core.stats_for_labels`.
    """

    counts: np.ndarray
    means: np.ndarray
    within: float
    stats: Stats

    def _centers(self, centers: ArrayLike) -> np.ndarray:
        c = np.asarray(centers, dtype=np.float64)
        if c.shape != self.means.shape:
            raise ValueError(f"centers must have shape {self.means.shape}, got {c.shape}")
        return c

    def __call__(self, centers: ArrayLike) -> float:
        """:math:`Q_P` at ``centers`` of shape (n_clusters, n_features)."""
        c = self._centers(centers)
        ok = self.counts > 0
        d = c[ok] - self.means[ok]
        return float(self.within + (self.counts[ok] * (d * d).sum(axis=1)).sum())

    def gradient(self, centers: ArrayLike) -> np.ndarray:
        r""":math:`\nabla Q_P = 2(n_k c_k - S_k)` (:func:`argmin_kmeans.core.gradient`), shape
        (n_clusters, n_features); zero rows for empty clusters."""
        return gradient(torch.from_numpy(self._centers(centers)), self.stats).numpy()


def region_quadratic(X: ArrayLike, labels: ArrayLike, n_clusters: int) -> Quadratic:
    """The quadratic of the assignment pattern ``labels``, in float64.

    Parameters
    ----------
    X : shape (n_samples, n_features), or (n_samples,) for 1-D data
    labels : int, shape (n_samples,), values in ``[0, n_clusters)``
    n_clusters : int
    """
    Xa = as_tensor(X, "X")
    Xt, _ = check_X(Xa[:, None] if Xa.ndim == 1 else Xa)
    Xd = Xt.detach().cpu().double()
    k = check_int(n_clusters, "n_clusters", low=1)
    lab = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    if lab.shape != (Xd.shape[0],) or not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(
            f"labels must be integers of shape ({Xd.shape[0]},), got {lab.dtype} {lab.shape}"
        )
    if lab.size and (lab.min() < 0 or lab.max() >= k):
        raise ValueError(f"labels must lie in [0, {k}), got range [{lab.min()}, {lab.max()}]")
    lt = torch.from_numpy(lab.astype(np.int64))
    ref = Xd.mean(dim=0, keepdim=True).expand(k, -1)  # statistics relative to the data mean
    s = stats_for_labels(Xd, ref, lt)
    means = means_update(torch.full_like(ref, float("nan")), s)  # NaN: an empty cluster
    d = Xd - torch.nan_to_num(means)[lt]
    return Quadratic(counts=s.counts.double().numpy(), means=means.numpy(),
                     within=float((d * d).sum()), stats=s)


def inside_own_region(X: ArrayLike, centers: ArrayLike) -> bool:
    """Whether ``centers`` are the minimiser of their own region's quadratic (a Lloyd fixed point).

    True iff one Lloyd step (empty centres kept) maps ``centers`` to themselves, to 1e-12
    relative to the data's scale.
    """
    Xt, Ct, _ = check_pair(X, centers)
    Xd, Cd = Xt.detach().double(), Ct.detach().double()
    new = means_update(Cd, estep(Xd, Cd, with_inertia=False))  # one Lloyd step, empty kept
    scale = float(Xd.abs().max()) + float(Cd.abs().max()) + 1e-300
    return bool((new - Cd).abs().max() <= 1e-12 * scale)


def _slice_inputs(X: object, centers: object, direction: object) -> tuple[torch.Tensor, ...]:
    Xt, Ct, _ = check_pair(X, centers)
    V = as_tensor(direction, "direction")
    if tuple(V.shape) != tuple(Ct.shape):
        raise ValueError(
            f"direction must have the shape of centers {tuple(Ct.shape)}, got {tuple(V.shape)}"
        )
    check_finite(V, "direction")
    dev = Xt.device
    return Xt.detach().double(), Ct.detach().double(), V.detach().to(dev).double()


def slice_loss(X: ArrayLike, centers: ArrayLike, direction: ArrayLike, ts: object) -> np.ndarray:
    r"""The loss along the line :math:`c(u) = c + u\,v`, shape ``(len(ts),)``, float64.

    ``ts`` holds the positions :math:`u` along the line (the course keeps :math:`t` for
    iterations).
    """
    Xd, Cd, Vd = _slice_inputs(X, centers, direction)
    t = np.asarray(ts, dtype=np.float64).ravel()
    return np.array([float(kmeans_loss(Xd, Cd + float(s) * Vd)) for s in t])


def one_sided_derivatives(
    X: ArrayLike, centers: ArrayLike, direction: ArrayLike, *, tie_rtol: float = 1e-9
) -> tuple[float, float]:
    r"""The left and right derivatives of :math:`u \mapsto L(c + u v)` at :math:`u = 0`.

    Parameters
    ----------
    X : shape (n_samples, n_features)
    centers : shape (n_clusters, n_features)
    direction : shape (n_clusters, n_features)
    tie_rtol : float
        Two squared distances closer than ``tie_rtol`` times the problem's squared scale count
        as a tie (the point sits on a boundary).

    Returns
    -------
    left, right : float
        Equal when no sample is tied; otherwise the gradients of the two quadratics on either
        side, dotted with :math:`v`.

    Notes
    -----
    Along the line, :math:`d_{ik}(u) = \lVert x_i - c_k - u v_k\rVert^2
    = d_{ik} - 2u (x_i - c_k)\cdot v_k + u^2 \lVert v_k\rVert^2`. For small :math:`u > 0`
    sample :math:`i` belongs to the centre minimising :math:`(d_{ik}, d'_{ik}, d''_{ik})`
    lexicographically; for :math:`u < 0` to the one minimising :math:`(d_{ik}, -d'_{ik},
    d''_{ik})`. Each side's derivative is the argmin-constant gradient of its pattern, exactly,
    with no finite step.

    When one sample :math:`x` is tied between centres :math:`a` (its owner for :math:`u < 0`)
    and :math:`b` (for :math:`u > 0`), the two sides differ only in that sample's term, so

    .. math:: \text{left} - \text{right}
              = 2\,\lvert (x - c_a)\cdot v_a - (x - c_b)\cdot v_b \rvert \ \ge 0 ,

    the rate at which the gap between its two squared distances changes along :math:`v`. The
    jump depends on the direction: it is largest across the boundary and zero along it.
    """
    rtol = check_real(tie_rtol, "tie_rtol", low=0.0)
    Xd, Cd, Vd = _slice_inputs(X, centers, direction)
    diff = Xd[:, None, :] - Cd[None, :, :]  # (n_samples, n_clusters, n_features); small only
    d0 = (diff * diff).sum(-1)
    d1 = -2.0 * (diff * Vd[None]).sum(-1)
    d2 = (Vd * Vd).sum(-1).expand_as(d0)
    m = Cd.mean(dim=0)  # the problem's scale, measured from the centres' mean (no offset)
    scale = float((Xd - m).abs().max() + (Cd - m).abs().max()) ** 2 + 1e-300
    tied = d0 <= d0.min(dim=1, keepdim=True).values + rtol * scale

    def side(sign: float) -> float:
        big = torch.tensor(float("inf"), dtype=torch.float64)
        # lexicographic argmin over (d0 within tolerance, sign * d1, d2); ties -> lowest index
        key1 = torch.where(tied, sign * d1, big)
        best1 = key1.min(dim=1, keepdim=True).values
        ok = tied & (key1 <= best1 + 1e-12 * (best1.abs() + 1.0))
        key2 = torch.where(ok, d2, big)
        lab = key2.argmin(dim=1)
        # the argmin-constant gradient of this side's pattern, dotted with the direction
        return float((gradient(Cd, stats_for_labels(Xd, Cd, lab)) * Vd).sum())

    return side(-1.0), side(1.0)


# --------------------------------------------------------------------------- 2-D data


def voronoi_grid(
    centers: ArrayLike,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    resolution: int = 300,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest-centre labels over a grid of the plane (the Voronoi partition of data space).

    Returns
    -------
    xs : shape (resolution,)
    ys : shape (resolution,)
    labels : int64, shape (resolution, resolution); ``labels[i, j]`` is the owner of
        ``(xs[j], ys[i])``.
    """
    Ct, _ = check_X(centers, "centers")
    if Ct.shape[1] != 2:
        raise ValueError(f"centers must have shape (n_clusters, 2), got {tuple(Ct.shape)}")
    r = check_int(resolution, "resolution", low=2)
    (x0, x1), (y0, y1) = _limits(xlim, "xlim"), _limits(ylim, "ylim")
    xs = np.linspace(x0, x1, r)
    ys = np.linspace(y0, y1, r)
    gx, gy = np.meshgrid(xs, ys)
    P = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    labels = estep(P, Ct.detach().cpu().double(), with_inertia=False).labels
    return xs, ys, labels.numpy().reshape(r, r)


def _limits(lim: object, name: str) -> tuple[float, float]:
    """A ``(low, high)`` pair of finite numbers."""
    if not isinstance(lim, (tuple, list, np.ndarray)) or len(lim) != 2:
        raise ValueError(f"{name} must be a (low, high) pair, got {name}={lim!r}")
    return check_real(lim[0], f"{name}[0]"), check_real(lim[1], f"{name}[1]")


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything the Voronoi view shows for one set of centres (float64 NumPy).

    Attributes
    ----------
    centers : shape (n_clusters, n_features)
    labels : int64, shape (n_samples,)
    counts : shape (n_clusters,)
    loss : float
    gradient : shape (n_clusters, n_features)
        The argmin-constant gradient :math:`2(n_k c_k - S_k)`.
    targets : shape (n_clusters, n_features)
        Newton = Lloyd target :math:`S_k / n_k` (an empty centre's target is itself).
    """

    centers: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    loss: float
    gradient: np.ndarray
    targets: np.ndarray


def snapshot(X: ArrayLike, centers: ArrayLike) -> Snapshot:
    """Labels, loss, gradient and Newton/Lloyd targets of ``centers``, in float64."""
    Xt, Ct, _ = check_pair(X, centers)
    Xd, Cd = Xt.detach().cpu().double(), Ct.detach().cpu().double()
    s = estep(Xd, Cd)
    return Snapshot(
        centers=Cd.numpy(),
        labels=s.labels.numpy(),
        counts=s.counts.double().numpy(),
        loss=float(s.inertia),  # type: ignore[arg-type]
        gradient=gradient(Cd, s).numpy(),
        targets=means_update(Cd, s).numpy(),
    )


def _others_sq(X: torch.Tensor, C: torch.Tensor, which: int) -> torch.Tensor:
    """Squared distance of each sample to its nearest centre other than ``which``, (n,)."""
    k = C.shape[0]
    which = check_int(which, "which", low=0, high=k - 1)
    if k == 1:
        return torch.full((X.shape[0],), float("inf"), dtype=X.dtype)
    keep = [j for j in range(k) if j != which]
    O = C[keep]
    lab = estep(X, O, with_inertia=False).labels
    d = X - O[lab]
    return (d * d).sum(1)


def boundary_radii(X: ArrayLike, centers: ArrayLike, which: int = 0) -> np.ndarray:
    r"""Radii of the flip circles when centre ``which`` moves and the others stay.

    Sample :math:`x_i` belongs to the moving centre, at position :math:`y`, iff
    :math:`\lVert x_i - y\rVert` is less than :math:`R_i`, its distance to the nearest *other*
    centre. So the regions of the loss over :math:`y` are cut out by the circles of radius
    :math:`R_i` around the samples.

    Returns
    -------
    radii : ndarray, shape (n_samples,); ``inf`` when there is no other centre.
    """
    Xt, Ct, _ = check_pair(X, centers)
    r2 = _others_sq(Xt.detach().cpu().double(), Ct.detach().cpu().double(), which)
    return r2.sqrt().numpy()


def loss_over_centroid(
    X: ArrayLike, centers: ArrayLike, which: int, xs: object, ys: object, chunk: int = 4096
) -> np.ndarray:
    r"""The loss as centre ``which`` moves over the grid ``xs`` × ``ys`` (others fixed).

    Parameters
    ----------
    X : shape (n_samples, 2)
    centers : shape (n_clusters, 2)
    which : int
    xs, ys : 1-D array_like of grid coordinates
    chunk : int
        Grid points per block; memory is ``chunk * n_samples`` numbers.

    Returns
    -------
    loss : ndarray of float64, shape (len(ys), len(xs))
        :math:`\sum_i \min(R_i^2, \lVert x_i - y\rVert^2)` at each grid point :math:`y`, with
        :math:`R_i` the radii of :func:`boundary_radii`.
    """
    Xt, Ct, _ = check_pair(X, centers)
    if Xt.shape[1] != 2:
        raise ValueError(
            f"loss_over_centroid draws the plane: X must have 2 features, got {Xt.shape[1]}"
        )
    step = check_int(chunk, "chunk", low=1)
    Xd, Cd = Xt.detach().cpu().double(), Ct.detach().cpu().double()
    r2 = _others_sq(Xd, Cd, which)
    gx, gy = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    P = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    check_finite(P, "the grid (xs, ys)")
    m = Cd.mean(dim=0)  # shift samples and grid by the centres' mean: no cancellation far out
    Xs, P = Xd - m, P - m
    x_sq = (Xs * Xs).sum(1)
    out = torch.empty(P.shape[0], dtype=torch.float64)
    for s in range(0, P.shape[0], step):
        p = P[s : s + step]
        # (m, n) squared distances by the expanded formula on shifted values; clamp rounding
        d = torch.addmm(x_sq[None, :] + (p * p).sum(1)[:, None], p, Xs.t(), alpha=-2.0)
        out[s : s + step] = torch.minimum(d.clamp(min=0), r2[None, :]).sum(1)
    return out.numpy().reshape(gx.shape)
