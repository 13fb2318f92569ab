r"""The k-means loss is piecewise quadratic: its regions, quadratics, minimisers and basins.

Every assignment pattern :math:`P` (a label :math:`P_i` for each sample) has a quadratic

.. math:: Q_P(c) = \sum_i \lVert x_i - c_{P_i} \rVert^2
          = W_P + \sum_k n_k \lVert c_k - \bar x_k \rVert^2 ,

where :math:`\bar x_k = S_k / n_k` are the cluster means of :math:`P` and :math:`W_P` its
within-cluster sum of squares. The k-means loss is the pointwise minimum of these quadratics,
:math:`L(c) = \min_P Q_P(c)`, and it equals :math:`Q_P` on the *region* of centre space where
:math:`P` is the nearest-centre assignment. So :math:`L` is continuous (a minimum of continuous
functions), smooth inside each region, and its gradient jumps where a sample's nearest centre
changes. The minimiser of :math:`Q_P` is the cluster means; when it lies inside its own region
it is a fixed point of Lloyd's algorithm and a local minimum of :math:`L`.

What is here
------------
* **1-D data, two centres** (the picture in the :math:`(c_1, c_2)` plane): :func:`loss_grid_1d`,
  :func:`region_codes_1d`, :func:`pattern_1d`, :func:`regions_1d`, :func:`lloyd_fixed_points_1d`,
  :func:`lloyd_1d`, :func:`boundary_lines_1d`. Sample :math:`x` flips between the centres where
  :math:`|x - c_1| = |x - c_2|`, i.e. on the line :math:`c_1 + c_2 = 2x`; the line
  :math:`c_1 = c_2` separates "c1 is the lower centre" from "c2 is". Everything is computed from
  prefix sums of the sorted data, ``O(grid * log n)`` time and ``O(grid)`` memory.
* **Any data** (slices and quadratics): :func:`region_quadratic`, :func:`inside_own_region`,
  :func:`slice_loss`, :func:`one_sided_derivatives`.
* **2-D data**: :func:`voronoi_grid`, :func:`snapshot` (labels, loss, argmin-constant gradient,
  Newton/Lloyd targets), :func:`loss_over_centroid` and :func:`boundary_radii` (moving one
  centre, the regions are cut out by one circle per sample).
* Drawing: ``plot_*(ax, ...)`` functions that draw on a given Axes and return it, and
  :data:`FIGURES`, the README figures at fixed seeds (``make figures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ._validation import ArrayLike, as_tensor, check_pair
from .core import estep, gradient, kmeans_loss, lloyd_step, means_update

__all__ = [
    "example_data_1d",
    "example_data_2d",
    "loss_grid_1d",
    "region_codes_1d",
    "pattern_1d",
    "pattern_string",
    "boundary_lines_1d",
    "Region1D",
    "regions_1d",
    "lloyd_fixed_points_1d",
    "lloyd_1d",
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
    "plot_parabola_1d",
    "plot_loss_regions_1d",
    "plot_region_minimisers_1d",
    "plot_slice_1d",
    "plot_basins_1d",
    "plot_voronoi",
    "plot_centroid_landscape",
    "FIGURES",
]

# --------------------------------------------------------------------------- example data


def example_data_1d() -> np.ndarray:
    """Ten 1-D samples in three groups (left, middle, right), shape (10,), float64.

    Small enough to label every region of the :math:`(c_1, c_2)` plane, and grouped so that
    two centres have more than one Lloyd fixed point.
    """
    return np.array([-4.6, -4.0, -3.3, -2.9, -0.4, 0.2, 0.7, 3.9, 4.5, 5.3])


def example_data_2d(seed: int = 0, n_per_blob: int = 20) -> np.ndarray:
    """Three Gaussian blobs in the plane, shape (3 * n_per_blob, 2), float64, fixed seed."""
    rng = np.random.default_rng(seed)
    means = np.array([[-3.0, -1.5], [2.5, -2.0], [0.0, 3.0]])
    X = means[:, None, :] + 0.9 * rng.normal(size=(3, n_per_blob, 2))
    return X.reshape(-1, 2)


# --------------------------------------------------------------------------- 1-D, two centres


def _sorted_1d(x: object) -> np.ndarray:
    """Validate 1-D data, shape (n,) or (n, 1), at least 2 finite samples; return it sorted."""
    t = as_tensor(x, "x")
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1:
        raise ValueError(
            "x must be 1-D data of shape (n_samples,) or (n_samples, 1), "
            f"got shape {tuple(t.shape)}"
        )
    if t.shape[0] < 2:
        raise ValueError(f"two centres need at least 2 samples, got n_samples={t.shape[0]}")
    a = t.detach().cpu().double().numpy()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"x contains non-finite values: {a[~np.isfinite(a)][:3].tolist()}")
    return np.sort(a)


def _grid_1d(c1: object, c2: object) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(c1, dtype=np.float64)
    b = np.asarray(c2, dtype=np.float64)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"c1 and c2 must broadcast together, got shapes {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("c1 and c2 must be finite")
    return a, b


def _split_1d(xs: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number of sorted samples owned by the lower centre, and whether c1 is the lower one.

    Ties go to c1 (the lowest index, as in :func:`argmin_kmeans.assign`): with ``c1 <= c2`` c1
    owns ``x <= m``; with ``c1 > c2`` c1 owns ``x >= m``, where ``m = (c1 + c2) / 2``.
    """
    m = 0.5 * (c1 + c2)
    c1_low = c1 <= c2
    n_low = np.where(
        c1_low, np.searchsorted(xs, m, side="right"), np.searchsorted(xs, m, side="left")
    )
    return n_low, c1_low


def _prefix(xs: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean and prefix sums (length n + 1) of the centred samples and of their squares."""
    mu = float(xs.mean())
    z = xs - mu  # centring keeps the expanded quadratic free of cancellation
    return mu, np.concatenate([[0.0], np.cumsum(z)]), np.concatenate([[0.0], np.cumsum(z * z)])


def loss_grid_1d(x: ArrayLike, c1: object, c2: object) -> np.ndarray:
    r"""The k-means loss of 1-D data with two centres, at every ``(c1, c2)`` pair.

    Parameters
    ----------
    x : array or tensor, shape (n_samples,) or (n_samples, 1)
    c1, c2 : array_like, broadcastable to one shape ``G`` (e.g. from ``np.meshgrid``)

    Returns
    -------
    loss : ndarray of float64, shape ``G``
        Equal to ``kmeans_loss(x[:, None], [[c1], [c2]])`` at every point (tested).

    Notes
    -----
    Sorting the samples makes each cluster a run: the lower centre owns the first ``j`` sorted
    samples. With prefix sums :math:`S_j = \sum_{i<j} z_i`, :math:`Q_j = \sum_{i<j} z_i^2` of the
    centred samples :math:`z = x - \bar x`, the loss is
    :math:`(Q_j - 2 a S_j + j a^2) + (Q_n - Q_j - 2 b (S_n - S_j) + (n-j) b^2)` with
    :math:`a, b` the centred lower and upper centres. No ``(grid, n)`` array is built.
    """
    xs = _sorted_1d(x)
    a, b = _grid_1d(c1, c2)
    n = xs.size
    mu, S, Q = _prefix(xs)
    j, _ = _split_1d(xs, a, b)
    lo = np.minimum(a, b) - mu
    hi = np.maximum(a, b) - mu
    left = Q[j] - 2.0 * lo * S[j] + j * lo * lo
    right = (Q[n] - Q[j]) - 2.0 * hi * (S[n] - S[j]) + (n - j) * hi * hi
    return np.maximum(left, 0.0) + np.maximum(right, 0.0)


def region_codes_1d(x: ArrayLike, c1: object, c2: object) -> np.ndarray:
    """An integer naming the region (assignment pattern and order) of every ``(c1, c2)`` pair.

    Returns
    -------
    codes : ndarray of int64, shape ``G``
        ``j`` when ``c1 <= c2`` and c1 owns the ``j`` smallest samples; ``n + 1 + j`` when
        ``c1 > c2`` and c2 owns the ``j`` smallest. So codes run over ``0 .. 2n + 1``.
        Codes ``0`` and ``2n + 1`` (c2 owns everything) have the same pattern but are two
        separate regions, as are ``n`` and ``n + 1`` (c1 owns everything).
    """
    xs = _sorted_1d(x)
    a, b = _grid_1d(c1, c2)
    j, c1_low = _split_1d(xs, a, b)
    return np.where(c1_low, j, xs.size + 1 + j).astype(np.int64)


def pattern_1d(n_samples: int, code: int) -> np.ndarray:
    """The labels (0 = c1, 1 = c2) of the *sorted* samples in region ``code``, shape (n,)."""
    if not 0 <= code <= 2 * n_samples + 1:
        raise ValueError(f"code must be in [0, {2 * n_samples + 1}] for n={n_samples}, got {code}")
    idx = np.arange(n_samples)
    if code <= n_samples:
        return np.where(idx < code, 0, 1).astype(np.int64)
    j = code - n_samples - 1
    return np.where(idx < j, 1, 0).astype(np.int64)


def pattern_string(n_samples: int, code: int) -> str:
    """Region ``code`` as a string of owners of the sorted samples, e.g. ``"1112222"``."""
    return "".join("12"[k] for k in pattern_1d(n_samples, code))


def boundary_lines_1d(x: ArrayLike) -> np.ndarray:
    r"""The flip lines in the :math:`(c_1, c_2)` plane: ``c1 + c2 = s`` for each returned ``s``.

    Returns
    -------
    s : ndarray, shape (n_unique,)
        ``2 x`` for every distinct sample. The remaining boundary is the diagonal ``c1 = c2``.
    """
    return 2.0 * np.unique(_sorted_1d(x))


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class Region1D:
    """One region of the :math:`(c_1, c_2)` plane and its quadratic.

    Attributes
    ----------
    code : int
        See :func:`region_codes_1d`.
    pattern : str
        Owners of the sorted samples, ``"1"`` = c1, ``"2"`` = c2.
    counts : tuple of int
        :math:`(n_1, n_2)`.
    minimiser : ndarray, shape (2,)
        The cluster means :math:`(\bar x_1, \bar x_2)`; NaN for an empty centre (its quadratic
        does not depend on it).
    min_loss : float
        :math:`W_P`, the quadratic's minimum value.
    inside : bool
        Whether the minimiser lies in this region (for an empty centre: whether *some* position
        of it does). Then the minimiser is a Lloyd fixed point.
    margin : float
        Smallest distance from a sample to the midpoint of the two means (how far inside the
        minimiser is; 0 or less when outside). NaN when a centre is empty.
    """

    code: int
    pattern: str
    counts: tuple[int, int]
    minimiser: np.ndarray
    min_loss: float
    inside: bool
    margin: float

    @property
    def degenerate(self) -> bool:
        """True when a centre owns no sample (the minimiser is a half-line, not a point)."""
        return min(self.counts) == 0


def regions_1d(x: ArrayLike) -> list[Region1D]:
    r"""Every region of the :math:`(c_1, c_2)` plane for 1-D data, with its quadratic's minimiser.

    Returns
    -------
    list of Region1D, ordered by code (``2 * n_samples + 2`` of them).

    Notes
    -----
    In region ``j`` (c1 lower, owning the ``j`` smallest samples) the minimiser
    :math:`(\bar x_{<j}, \bar x_{\ge j})` is inside iff the midpoint of the two means lies in
    :math:`[x_{(j)}, x_{(j+1)})` (ties go to c1). The mirrored region ``n + 1 + j`` has the
    minimiser with the coordinates swapped and the same answer. For an empty c1 (codes 0 and
    ``2n + 1``) the quadratic is :math:`\sum_i (x_i - c_2)^2`, minimised on the whole line
    :math:`c_2 = \bar x`, part of which always lies in the region (c1 far enough out).
    """
    xs = _sorted_1d(x)
    n = xs.size
    mu, S, Q = _prefix(xs)
    out = []
    for code in range(2 * n + 2):
        j = code if code <= n else code - n - 1
        nl, nh = j, n - j
        m_lo = mu + S[j] / nl if nl else np.nan
        m_hi = mu + (S[n] - S[j]) / nh if nh else np.nan
        w = (Q[j] - S[j] ** 2 / nl if nl else 0.0) + (
            (Q[n] - Q[j]) - (S[n] - S[j]) ** 2 / nh if nh else 0.0
        )
        if code <= n:  # c1 is the lower centre
            mini, counts = np.array([m_lo, m_hi]), (nl, nh)
        else:
            mini, counts = np.array([m_hi, m_lo]), (nh, nl)
        if nl and nh:
            mid = 0.5 * (m_lo + m_hi)
            below = xs[j - 1]
            above = xs[j]
            inside = bool(region_codes_1d(xs, mini[0], mini[1]) == code)
            margin = float(min(mid - below, above - mid))
        else:
            inside, margin = True, float("nan")
        out.append(
            Region1D(
                code=code,
                pattern=pattern_string(n, code),
                counts=(int(counts[0]), int(counts[1])),
                minimiser=mini,
                min_loss=float(max(w, 0.0)),
                inside=inside,
                margin=margin,
            )
        )
    return out


def lloyd_fixed_points_1d(x: ArrayLike) -> list[Region1D]:
    """The non-degenerate regions whose minimiser lies inside them: Lloyd's fixed points.

    Returns
    -------
    list of Region1D with ``inside`` and both clusters non-empty, sorted by ``min_loss``.
    Each fixed point appears twice, once with ``c1 < c2`` and once mirrored.
    """
    regs = [r for r in regions_1d(x) if r.inside and not r.degenerate]
    return sorted(regs, key=lambda r: (r.min_loss, r.code))


def lloyd_1d(
    x: ArrayLike, c1: object, c2: object, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lloyd's algorithm from every ``(c1, c2)`` start at once (1-D data, two centres).

    Parameters
    ----------
    x : shape (n_samples,) or (n_samples, 1)
    c1, c2 : array_like, broadcastable to one shape ``G``
    max_iter : int

    Returns
    -------
    c1, c2 : ndarray, shape ``G``
        Final centres (an empty centre stays where it is, as in ``fit(..., "lloyd")``).
    codes : ndarray of int64, shape ``G``
        The final region code: which fixed point the start ended in (its *basin*).

    Notes
    -----
    Same updates as :func:`argmin_kmeans.fit` with ``method="lloyd"`` (tested), vectorised
    over starts with the prefix sums of :func:`loss_grid_1d`.
    """
    xs = _sorted_1d(x)
    a, b = _grid_1d(c1, c2)
    a, b = a.copy(), b.copy()
    n = xs.size
    mu, S, _ = _prefix(xs)
    code = region_codes_1d(xs, a, b)
    for _ in range(max_iter):
        j, c1_low = _split_1d(xs, a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            m_lo = np.where(j > 0, mu + S[j] / j, np.nan)
            m_hi = np.where(j < n, mu + (S[n] - S[j]) / (n - j), np.nan)
        new_a = np.where(c1_low, m_lo, m_hi)
        new_b = np.where(c1_low, m_hi, m_lo)
        a = np.where(np.isnan(new_a), a, new_a)
        b = np.where(np.isnan(new_b), b, new_b)
        new_code = region_codes_1d(xs, a, b)
        done = np.array_equal(new_code, code)
        code = new_code
        if done:
            break
    return a, b, code


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
    """

    counts: np.ndarray
    means: np.ndarray
    within: float

    def __call__(self, centers: ArrayLike) -> float:
        """:math:`Q_P` at ``centers`` of shape (n_clusters, n_features)."""
        c = np.asarray(centers, dtype=np.float64)
        if c.shape != self.means.shape:
            raise ValueError(f"centers must have shape {self.means.shape}, got {c.shape}")
        ok = self.counts > 0
        d = c[ok] - self.means[ok]
        return float(self.within + (self.counts[ok] * (d * d).sum(axis=1)).sum())

    def gradient(self, centers: ArrayLike) -> np.ndarray:
        r""":math:`\nabla Q_P = 2 n_k (c_k - \bar x_k)`, shape (n_clusters, n_features)."""
        c = np.asarray(centers, dtype=np.float64)
        g = 2.0 * self.counts[:, None] * (c - np.nan_to_num(self.means))
        return np.where((self.counts > 0)[:, None], g, 0.0)


def region_quadratic(X: ArrayLike, labels: ArrayLike, n_clusters: int) -> Quadratic:
    """The quadratic of the assignment pattern ``labels``, in float64.

    Parameters
    ----------
    X : shape (n_samples, n_features)
    labels : int, shape (n_samples,), values in ``[0, n_clusters)``
    n_clusters : int
    """
    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    if Xn.ndim == 1:
        Xn = Xn[:, None]
    lab = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    if lab.shape != (Xn.shape[0],) or not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(
            f"labels must be integers of shape ({Xn.shape[0]},), got {lab.dtype} {lab.shape}"
        )
    if lab.size and (lab.min() < 0 or lab.max() >= n_clusters):
        raise ValueError(
            f"labels must lie in [0, {n_clusters}), got range [{lab.min()}, {lab.max()}]"
        )
    counts = np.bincount(lab, minlength=n_clusters).astype(np.float64)
    sums = np.zeros((n_clusters, Xn.shape[1]))
    np.add.at(sums, lab, Xn)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    d = Xn - np.nan_to_num(means)[lab]
    return Quadratic(counts=counts, means=means, within=float((d * d).sum()))


def inside_own_region(X: ArrayLike, centers: ArrayLike) -> bool:
    """Whether ``centers`` are the minimiser of their own region's quadratic (a Lloyd fixed point).

    True iff one Lloyd step (empty centres kept) maps ``centers`` to themselves, to 1e-12
    relative to the data's scale.
    """
    Xt, Ct, _ = check_pair(X, centers)
    Xd, Cd = Xt.detach().double(), Ct.detach().double()
    new = lloyd_step(Xd, Cd)
    scale = float(Xd.abs().max()) + float(Cd.abs().max()) + 1e-300
    return bool((new - Cd).abs().max() <= 1e-12 * scale)


def _slice_inputs(X: object, centers: object, direction: object) -> tuple[torch.Tensor, ...]:
    Xt, Ct, _ = check_pair(X, centers)
    V = as_tensor(direction, "direction")
    if tuple(V.shape) != tuple(Ct.shape):
        raise ValueError(
            f"direction must have the shape of centers {tuple(Ct.shape)}, got {tuple(V.shape)}"
        )
    if not bool(torch.isfinite(V).all()):
        raise ValueError("direction must be finite")
    dev = Xt.device
    return Xt.detach().double(), Ct.detach().double(), V.detach().to(dev).double()


def slice_loss(X: ArrayLike, centers: ArrayLike, direction: ArrayLike, ts: object) -> np.ndarray:
    r"""The loss along the line :math:`c(t) = c + t\,v`, shape ``(len(ts),)``, float64."""
    Xd, Cd, Vd = _slice_inputs(X, centers, direction)
    t = np.asarray(ts, dtype=np.float64).ravel()
    return np.array([float(kmeans_loss(Xd, Cd + float(s) * Vd)) for s in t])


def one_sided_derivatives(
    X: ArrayLike, centers: ArrayLike, direction: ArrayLike, *, tie_rtol: float = 1e-9
) -> tuple[float, float]:
    r"""The left and right derivatives of :math:`t \mapsto L(c + t v)` at :math:`t = 0`.

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
    Along the line, :math:`d_{ik}(t) = \lVert x_i - c_k - t v_k\rVert^2
    = d_{ik} - 2t (x_i - c_k)\cdot v_k + t^2 \lVert v_k\rVert^2`. For small :math:`t > 0`
    sample :math:`i` belongs to the centre minimising :math:`(d_{ik}, d'_{ik}, d''_{ik})`
    lexicographically; for :math:`t < 0` to the one minimising :math:`(d_{ik}, -d'_{ik},
    d''_{ik})`. Each side's derivative is the argmin-constant gradient of its pattern, exactly,
    with no finite step.
    """
    Xd, Cd, Vd = _slice_inputs(X, centers, direction)
    diff = Xd[:, None, :] - Cd[None, :, :]  # (n, k, d); small problems only
    d0 = (diff * diff).sum(-1)
    d1 = -2.0 * (diff * Vd[None]).sum(-1)
    d2 = (Vd * Vd).sum(-1).expand_as(d0)
    scale = float(Xd.abs().max() + Cd.abs().max()) ** 2 + 1e-300
    tied = d0 <= d0.min(dim=1, keepdim=True).values + tie_rtol * scale

    def side(sign: float) -> float:
        big = torch.tensor(float("inf"), dtype=torch.float64)
        # lexicographic argmin over (d0 within tolerance, sign * d1, d2); ties -> lowest index
        key1 = torch.where(tied, sign * d1, big)
        best1 = key1.min(dim=1, keepdim=True).values
        ok = tied & (key1 <= best1 + 1e-12 * (best1.abs() + 1.0))
        key2 = torch.where(ok, d2, big)
        lab = key2.argmin(dim=1)
        return float(d1.gather(1, lab[:, None]).sum())

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
    C = np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers)
    C = C.astype(np.float64)
    if C.ndim != 2 or C.shape[1] != 2:
        raise ValueError(f"centers must have shape (n_clusters, 2), got {C.shape}")
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys)
    P = np.stack([gx.ravel(), gy.ravel()], axis=1)
    labels = estep(torch.from_numpy(P), torch.from_numpy(C), with_inertia=False).labels
    return xs, ys, labels.numpy().reshape(resolution, resolution)


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
    if not 0 <= which < k:
        raise ValueError(f"which must be in [0, {k}), got which={which}")
    if k == 1:
        return torch.full((X.shape[0],), float("inf"), dtype=X.dtype)
    keep = [j for j in range(k) if j != which]
    O = C[keep]
    lab = estep(X, O, with_inertia=False).labels
    d = X - O[lab]
    return (d * d).sum(1)


def boundary_radii(X: ArrayLike, centers: ArrayLike, which: int = 0) -> np.ndarray:
    r"""Radii of the flip circles when centre ``which`` moves and the others stay.

    Sample :math:`x_i` belongs to the moving centre :math:`p` iff :math:`\lVert x_i - p\rVert`
    is less than :math:`r_i`, its distance to the nearest *other* centre. So the regions of
    the loss over :math:`p` are cut out by the circles of radius :math:`r_i` around the samples.

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
        :math:`\sum_i \min(r_i^2, \lVert x_i - p\rVert^2)` at each grid point :math:`p`.
    """
    Xt, Ct, _ = check_pair(X, centers)
    if Xt.shape[1] != 2:
        raise ValueError(
            f"loss_over_centroid draws the plane: X must have 2 features, got {Xt.shape[1]}"
        )
    Xd, Cd = Xt.detach().cpu().double(), Ct.detach().cpu().double()
    r2 = _others_sq(Xd, Cd, which)
    gx, gy = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    P = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    x_sq = (Xd * Xd).sum(1)
    out = torch.empty(P.shape[0], dtype=torch.float64)
    for s in range(0, P.shape[0], chunk):
        p = P[s : s + chunk]
        # (m, n) squared distances by the expanded formula; clamp the cancellation
        d = torch.addmm(x_sq[None, :] + (p * p).sum(1)[:, None], p, Xd.t(), alpha=-2.0)
        out[s : s + chunk] = torch.minimum(d.clamp(min=0), r2[None, :]).sum(1)
    return out.numpy().reshape(gx.shape)


# --------------------------------------------------------------------------- drawing

_TAB = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def plot_parabola_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None):
    """One centre on 1-D data: the loss :math:`\\sum_i (x_i - c)^2` is one parabola."""
    xs = _sorted_1d(x) if np.size(x) >= 2 else np.asarray(x, dtype=np.float64).ravel()
    lo, hi = lim or (xs.min() - 2.0, xs.max() + 2.0)
    c = np.linspace(lo, hi, 400)
    loss = ((xs[None, :] - c[:, None]) ** 2).sum(1)
    mean = xs.mean()
    ax.plot(c, loss, color="tab:blue", lw=2, label=r"$L(c)=\sum_i (x_i-c)^2$")
    ax.axvline(mean, color="k", ls="--", lw=1, label=f"mean = {mean:.2f}")
    ax.plot(mean, ((xs - mean) ** 2).sum(), "k*", ms=14, label="minimum")
    y0 = ax.get_ylim()[0]
    ax.plot(xs, np.full_like(xs, y0), "|", color="tab:red", ms=14, mew=2, label="samples")
    ax.set_ylim(top=y0 + 1.45 * (loss.max() - y0))  # room for the legend
    ax.set(title="One centre: a single quadratic", xlabel="centre c", ylabel="loss")
    ax.legend(loc="upper center", ncol=2, framealpha=1.0)
    return ax


def _label_region(ax, codes: np.ndarray, C1: np.ndarray, C2: np.ndarray, code: int, text: str,
                  **kw) -> None:
    mask = codes == code
    if mask.sum() < 40:  # too thin to label legibly
        return
    ax.text(C1[mask].mean(), C2[mask].mean(), text, ha="center", va="center", **kw)


def plot_loss_regions_1d(
    ax,
    x: ArrayLike,
    lim: tuple[float, float] | None = None,
    resolution: int = 400,
    labels: bool = True,
    fixed_points: bool = True,
):
    r"""Filled contours of the loss over :math:`(c_1, c_2)`, the flip lines, region labels.

    Each region is labelled by the owners of the sorted samples ("1" = c1, "2" = c2); Lloyd
    fixed points (minimisers inside their own region) are stars.
    """
    xs = _sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, resolution)
    C1, C2 = np.meshgrid(g, g)
    L = loss_grid_1d(xs, C1, C2)
    # quadratic spacing: a quadratic bowl gets evenly spaced rings
    levels = L.min() + (L.max() - L.min()) * np.linspace(0, 1, 30) ** 2
    cs = ax.contourf(C1, C2, L, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label="loss", format="%.0f")
    for s in boundary_lines_1d(xs):
        ax.plot([lo, hi], [s - lo, s - hi], color="w", lw=0.8, alpha=0.9)
    ax.plot([lo, hi], [lo, hi], color="w", lw=1.8, label="$c_1=c_2$ (which centre is lower)")
    ax.plot([], [], color="w", lw=0.8, label="$c_1+c_2=2x_i$ (sample $i$ flips)")
    ax.plot(xs, xs, "|", color="tab:red", ms=9, mew=1.5, label="samples $(x_i, x_i)$")
    if labels:
        codes = region_codes_1d(xs, C1, C2)
        for r in regions_1d(xs):
            _label_region(ax, codes, C1, C2, r.code, r.pattern, fontsize=6.5, rotation=-45,
                          color="k", family="monospace",
                          bbox=dict(boxstyle="round,pad=0.15", fc="w", ec="none", alpha=0.75))
    if fixed_points:
        fps = lloyd_fixed_points_1d(xs)
        best = fps[0].min_loss
        for r in fps:
            glob = np.isclose(r.min_loss, best)
            ax.plot(*r.minimiser, marker="*", ms=17 if glob else 14, mec="k",
                    color="gold" if glob else "tab:red", ls="none", zorder=4)
        ax.plot([], [], "*", color="gold", mec="k", ms=14, label="global minimum")
        if any(not np.isclose(r.min_loss, best) for r in fps):
            ax.plot([], [], "*", color="tab:red", mec="k", ms=12, label="other local minimum")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="$c_1$", ylabel="$c_2$",
           title="Two centres, 1-D data: the loss is piecewise quadratic")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.95, facecolor="0.75")
    return ax


def plot_region_minimisers_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None):
    """Every non-degenerate region's minimiser, filled when inside its own region, hollow
    when outside (an arrow shows where the region itself is)."""
    xs = _sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, 300)
    C1, C2 = np.meshgrid(g, g)
    codes = region_codes_1d(xs, C1, C2)
    ax.imshow(codes % 2, origin="lower", extent=(lo, hi, lo, hi), cmap="Greys", vmin=0, vmax=9,
              interpolation="nearest")
    for s in boundary_lines_1d(xs):
        ax.plot([lo, hi], [s - lo, s - hi], color="0.5", lw=0.6)
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1.2)
    for r in regions_1d(xs):
        if r.degenerate:
            continue
        mask = codes == r.code
        if mask.any():
            cx, cy = C1[mask].mean(), C2[mask].mean()
            ax.plot(cx, cy, ".", color="0.3", ms=4)
            col = "tab:green" if r.inside else "tab:red"
            ax.annotate("", xy=r.minimiser, xytext=(cx, cy),
                        arrowprops=dict(arrowstyle="->", color=col, lw=0.9, alpha=0.8))
        ax.plot(*r.minimiser, "o", ms=7, mec="k",
                color="tab:green" if r.inside else "w", zorder=3)
    ax.plot([], [], "o", color="tab:green", mec="k",
            label="minimiser inside its region (fixed point)")
    ax.plot([], [], "o", color="w", mec="k", label="minimiser outside its region")
    ax.plot([], [], ".-", color="0.3", label="arrow: from a region to its quadratic's minimiser")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="$c_1$", ylabel="$c_2$",
           title="Each region's quadratic is minimised at its cluster means")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def plot_slice_1d(ax, x: ArrayLike, start: tuple[float, float], direction: tuple[float, float],
                  ts: object, at: float | None = None):
    r"""The loss along :math:`c(t) = c_0 + t v` in the :math:`(c_1, c_2)` plane, with the
    flip crossings marked and, at ``t = at``, the two one-sided tangents."""
    xs = _sorted_1d(x)
    X = xs[:, None]
    c0 = np.array(start, dtype=np.float64)[:, None]
    v = np.array(direction, dtype=np.float64)[:, None]
    t = np.asarray(ts, dtype=np.float64)
    Ls = loss_grid_1d(xs, c0[0, 0] + t * v[0, 0], c0[1, 0] + t * v[1, 0])
    ax.plot(t, Ls, color="tab:blue", lw=2, label="loss along the slice")
    codes = region_codes_1d(xs, c0[0, 0] + t * v[0, 0], c0[1, 0] + t * v[1, 0])
    flips = np.nonzero(np.diff(codes))[0]
    for i, f in enumerate(flips):
        ax.axvline(0.5 * (t[f] + t[f + 1]), color="0.6", lw=0.7, ls=":",
                   label="region boundary" if i == 0 else None)
    if at is not None:
        c_at = c0 + at * v
        left, right = one_sided_derivatives(X, c_at, v)
        L0 = float(loss_grid_1d(xs, c_at[0, 0], c_at[1, 0]))
        w = 0.25 * (t.max() - t.min())
        tl = np.linspace(at - w, at, 20)
        tr = np.linspace(at, at + w, 20)
        ax.plot(tl, L0 + left * (tl - at), color="tab:red", lw=2, ls="--",
                label=f"left derivative = {left:.3f}")
        ax.plot(tr, L0 + right * (tr - at), color="tab:green", lw=2, ls="--",
                label=f"right derivative = {right:.3f}")
        ax.plot(at, L0, "ko", ms=6)
    ax.set(xlabel="t  (position along the slice)", ylabel="loss",
           title="A slice: continuous loss, jumping slope")
    ax.legend(fontsize=8)
    return ax


def plot_basins_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None,
                   resolution: int = 240):
    """Colour every start ``(c1, c2)`` by the fixed point Lloyd's algorithm ends in."""
    import matplotlib.colors as mcolors

    xs = _sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, resolution)
    C1, C2 = np.meshgrid(g, g)
    _, _, codes = lloyd_1d(xs, C1, C2)
    regs = {r.code: r for r in regions_1d(xs)}
    found = sorted(set(np.unique(codes).tolist()), key=lambda c: (regs[c].min_loss, c))
    # one colour per fixed point up to the c1 <-> c2 mirror; degenerate endings in grey
    pair: dict[int, tuple] = {}  # a fixed point and its mirror share a key
    keys: list[tuple] = []
    for c in found:
        key = (_lower_count(xs.size, c), round(regs[c].min_loss, 9))
        pair[c] = key
        if key not in keys:
            keys.append(key)
    colors = ["gold", "tab:red", "tab:purple", "tab:cyan", "tab:pink", "tab:olive"]
    img = np.zeros(codes.shape + (3,))
    for c in found:
        r = regs[c]
        col = "0.55" if r.degenerate else colors[keys.index(pair[c]) % len(colors)]
        img[codes == c] = mcolors.to_rgb(col)
    ax.imshow(img, origin="lower", extent=(lo, hi, lo, hi), interpolation="nearest", alpha=0.85)
    seen = set()
    for c in found:
        r = regs[c]
        if r.degenerate:
            if "deg" not in seen:
                ax.fill_between([], [], color="0.55",
                                label=f"an empty centre (loss {r.min_loss:.2f})")
                seen.add("deg")
            continue
        col = colors[keys.index(pair[c]) % len(colors)]
        ax.plot(*r.minimiser, "*", ms=15, color=col, mec="k")
        if pair[c] not in seen:
            frac = sum(float((codes == d).mean()) for d in found if pair[d] == pair[c])
            j = _lower_count(xs.size, c)
            ax.plot([], [], "s", color=col, ms=9, mec="k",
                    label=f"split {j}|{xs.size - j}: loss {r.min_loss:.2f}, "
                    f"{100 * frac:.0f}% of starts")
            seen.add(pair[c])
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.6)
    ax.plot(xs, xs, "k|", ms=8, label="samples (on the diagonal)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="start $c_1$", ylabel="start $c_2$",
           title="Basins: where Lloyd's algorithm ends from each start")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def _lower_count(n: int, code: int) -> int:
    """How many of the smallest samples the lower centre owns in region ``code``."""
    return code if code <= n else code - n - 1


def _lims(
    X: np.ndarray, C: np.ndarray, pad: float = 1.0
) -> tuple[tuple[float, float], tuple[float, float]]:
    P = np.vstack([X, C])
    return ((P[:, 0].min() - pad, P[:, 0].max() + pad), (P[:, 1].min() - pad, P[:, 1].max() + pad))


def plot_voronoi(ax, X: ArrayLike, centers: ArrayLike, xlim=None, ylim=None,
                 resolution: int = 250, arrows: bool = True, lr: float | None = None):
    r"""Voronoi cells of ``centers``, the samples coloured by owner, the argmin-constant
    negative gradient (drawn as a gradient-descent step of size ``lr``, default
    :math:`1/(2n)`) and each centre's Newton/Lloyd target (the mean of its cell)."""
    from matplotlib.colors import ListedColormap

    snap = snapshot(X, centers)
    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    C = snap.centers
    k = C.shape[0]
    dx, dy = _lims(Xn, C)
    xlim, ylim = xlim or dx, ylim or dy
    xs, ys, lab = voronoi_grid(C, xlim, ylim, resolution)
    cols = [_TAB[j % len(_TAB)] for j in range(k)]
    ax.imshow(lab, origin="lower", extent=(*xlim, *ylim), cmap=ListedColormap(cols),
              vmin=-0.5, vmax=k - 0.5, alpha=0.18, interpolation="nearest", aspect="auto")
    ax.contour(xs, ys, lab, levels=np.arange(k) + 0.5, colors="0.35", linewidths=0.8)
    for j in range(k):
        m = snap.labels == j
        ax.scatter(Xn[m, 0], Xn[m, 1], s=16, color=cols[j], edgecolor="k", linewidth=0.3)
    ax.scatter(C[:, 0], C[:, 1], s=170, marker="X", c=cols, edgecolor="k", linewidth=1.2,
               zorder=4, label="centres")
    if arrows:
        eta = lr if lr is not None else 1.0 / (2.0 * Xn.shape[0])
        step = -eta * snap.gradient
        ax.quiver(C[:, 0], C[:, 1], step[:, 0], step[:, 1], angles="xy", scale_units="xy",
                  scale=1, color="k", width=0.006, zorder=5,
                  label=rf"$-\eta\,\nabla L$ ($\eta=1/(2n)$)" if lr is None
                  else rf"$-\eta\,\nabla L$ ($\eta={lr:g}$)")
        for j in range(k):
            ax.plot(*zip(C[j], snap.targets[j]), ls=":", color="k", lw=1)
        ax.scatter(snap.targets[:, 0], snap.targets[:, 1], s=120, marker="*", c=cols,
                   edgecolor="k", zorder=5, label="Newton/Lloyd target (cell mean)")
    ax.set(xlim=xlim, ylim=ylim, aspect="equal", xlabel="$x_1$", ylabel="$x_2$",
           title=f"Voronoi cells, loss = {snap.loss:.4f}")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def plot_centroid_landscape(ax, X: ArrayLike, centers: ArrayLike, which: int = 0,
                            xlim=None, ylim=None, resolution: int = 200,
                            grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
    r"""The loss as centre ``which`` moves (others fixed): filled contours, the flip circles
    (radius = each sample's distance to its nearest other centre), a marker where the centre
    stands and the minimiser of the quadratic of the region it stands in.

    ``grid = (xs, ys, loss)`` reuses a precomputed :func:`loss_over_centroid` (the widget does).
    """
    from matplotlib.patches import Circle

    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    C = np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers,
                   dtype=np.float64)
    dx, dy = _lims(Xn, C)
    xlim, ylim = xlim or dx, ylim or dy
    if grid is None:
        xs = np.linspace(*xlim, resolution)
        ys = np.linspace(*ylim, resolution)
        L = loss_over_centroid(Xn, C, which, xs, ys)
    else:
        xs, ys, L = grid
    levels = np.unique(np.quantile(L, np.linspace(0, 1, 22) ** 1.5))
    cs = ax.contourf(xs, ys, L, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label=f"loss as centre {which} moves", format="%.0f")
    radii = boundary_radii(Xn, C, which)
    for (px, py), r in zip(Xn, radii):
        ax.add_patch(Circle((px, py), r, fill=False, color="w", lw=0.45, alpha=0.4))
    ax.plot([], [], color="w", lw=0.8, label="flip circles (one per sample)")
    ax.scatter(Xn[:, 0], Xn[:, 1], s=8, color="w", edgecolor="k", linewidth=0.3, label="samples")
    others = [j for j in range(C.shape[0]) if j != which]
    ax.scatter(C[others, 0], C[others, 1], s=110, marker="X", color="0.8", edgecolor="k",
               label="other centres (fixed)")
    snap = snapshot(Xn, C)
    ax.scatter(*C[which], s=200, marker="X", color=_TAB[which % len(_TAB)], edgecolor="k",
               zorder=5, label=f"centre {which}: loss {snap.loss:.4f}")
    if snap.counts[which] > 0:
        ax.scatter(*snap.targets[which], s=160, marker="*", color=_TAB[which % len(_TAB)],
                   edgecolor="k", zorder=5, label="minimiser of this region's quadratic")
    ax.set(xlim=xlim, ylim=ylim, aspect="equal", xlabel=f"centre {which}, first coordinate",
           ylabel=f"centre {which}, second coordinate",
           title=f"Loss over the position of centre {which}")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.95, facecolor="0.75")
    return ax


# --------------------------------------------------------------------------- README figures


def _fig_loss_regions_1d():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 6.4), layout="constrained")
    plot_loss_regions_1d(fig.add_subplot(), example_data_1d())
    return fig


def _fig_region_minimisers_1d():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    plot_region_minimisers_1d(fig.add_subplot(), example_data_1d())
    return fig


def _fig_loss_slice_1d():
    from matplotlib.figure import Figure

    x = example_data_1d()
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    # the slice c(t) = (-3, 1) + t (1, 1) crosses c1 + c2 = 2 * x at t = x + 1
    at = float(x[4]) + 1.0
    plot_slice_1d(fig.add_subplot(), x, (-3.0, 1.0), (1.0, 1.0), np.linspace(-0.6, 2.4, 601), at=at)
    return fig


def _fig_lloyd_basins_1d():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.6, 6.4), layout="constrained")
    plot_basins_1d(fig.add_subplot(), example_data_1d())
    return fig


def _fig_voronoi_2d():
    from matplotlib.figure import Figure

    X = example_data_2d()
    fig = Figure(figsize=(6.4, 6.0), layout="constrained")
    plot_voronoi(fig.add_subplot(), X, np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]]))
    return fig


def _fig_centroid_landscape_2d():
    from matplotlib.figure import Figure

    X = example_data_2d()
    fig = Figure(figsize=(7.2, 6.0), layout="constrained")
    plot_centroid_landscape(fig.add_subplot(), X, np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]]))
    return fig


#: README figures (``make figures`` writes ``figures/<stem>.png``), fixed data, no randomness
#: beyond the seeded :func:`example_data_2d`.
FIGURES: dict[str, Callable[[], object]] = {
    "loss_regions_1d": _fig_loss_regions_1d,
    "region_minimisers_1d": _fig_region_minimisers_1d,
    "loss_slice_1d": _fig_loss_slice_1d,
    "lloyd_basins_1d": _fig_lloyd_basins_1d,
    "voronoi_2d": _fig_voronoi_2d,
    "centroid_landscape_2d": _fig_centroid_landscape_2d,
}
