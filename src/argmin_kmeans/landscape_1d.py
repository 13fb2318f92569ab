r"""Lesson 03: two centres on 1-D data — the whole loss in one picture, the :math:`(c_1, c_2)` plane.

Sample :math:`x` flips between the centres where :math:`|x - c_1| = |x - c_2|`, i.e. on the line
:math:`c_1 + c_2 = 2x`; the line :math:`c_1 = c_2` separates "c1 is the lower centre" from "c2
is". So the plane is cut into regions by ``n + 1`` lines, and in each region the loss is one
quadratic (see :mod:`argmin_kmeans.landscape`): :func:`loss_grid_1d`, :func:`region_codes_1d`,
:func:`pattern_1d`, :func:`boundary_lines_1d`, :func:`regions_1d` (every region and its
minimiser), :func:`lloyd_fixed_points_1d` and :func:`lloyd_1d` (Lloyd's algorithm from every
start of a grid at once: the basins).

Sorting the samples makes each cluster a run, so everything is computed from prefix sums of the
sorted data, ``O(grid * log n)`` time and ``O(grid)`` memory; the means are the core's M-step
(:func:`~argmin_kmeans.core.means_update`) on those statistics. The pictures are drawn by
:mod:`argmin_kmeans.plotting.landscape`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._validation import ArrayLike, as_tensor, check_finite, check_int
from .core import Stats, means_update

__all__ = [
    "sorted_1d",
    "loss_grid_1d",
    "region_codes_1d",
    "pattern_1d",
    "pattern_string",
    "boundary_lines_1d",
    "Region1D",
    "regions_1d",
    "lloyd_fixed_points_1d",
    "lloyd_1d",
]


def sorted_1d(x: object) -> np.ndarray:
    """Validate 1-D data, shape (n,) or (n, 1), at least 2 finite samples; return it sorted
    (float64 NumPy)."""
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
    check_finite(t, "x")
    return np.sort(t.detach().cpu().double().numpy())


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


def _split_means(
    mu: float, S: np.ndarray, j: np.ndarray, keep_lo: object, keep_hi: object
) -> tuple[np.ndarray, np.ndarray]:
    """The M-step of every split ``j`` at once: the means of the ``j`` smallest sorted samples
    and of the others, by :func:`argmin_kmeans.core.means_update` on their statistics (from the
    prefix sums ``S`` of the samples centred on ``mu``); an empty side keeps ``keep_lo`` /
    ``keep_hi``. The ``G`` splits are ``2 G`` independent centres of one M-step."""
    n = S.size - 1
    jf = np.asarray(j, dtype=np.int64).ravel()
    g = jf.size
    keep = np.concatenate([np.broadcast_to(np.asarray(keep_lo, dtype=np.float64), np.shape(j)).ravel(),
                           np.broadcast_to(np.asarray(keep_hi, dtype=np.float64), np.shape(j)).ravel()])
    s = Stats(
        labels=torch.empty(0, dtype=torch.int64),
        counts=torch.from_numpy(np.concatenate([jf, n - jf])),
        sums=torch.from_numpy(np.concatenate([S[jf], S[n] - S[jf]]))[:, None],
        shift=torch.tensor([mu], dtype=torch.float64),
        inertia=None,
    )
    m = means_update(torch.from_numpy(keep)[:, None], s)[:, 0].numpy()
    return m[:g].reshape(np.shape(j)), m[g:].reshape(np.shape(j))


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
    xs = sorted_1d(x)
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
    xs = sorted_1d(x)
    a, b = _grid_1d(c1, c2)
    j, c1_low = _split_1d(xs, a, b)
    return np.where(c1_low, j, xs.size + 1 + j).astype(np.int64)


def pattern_1d(n_samples: int, code: int) -> np.ndarray:
    """The labels (0 = c1, 1 = c2) of the *sorted* samples in region ``code``, shape (n,)."""
    n_samples = check_int(n_samples, "n_samples", low=1)
    code = check_int(code, "code", low=0, high=2 * n_samples + 1)
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
    return 2.0 * np.unique(sorted_1d(x))


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

    @property
    def n_lower(self) -> int:
        """How many of the smallest samples the lower centre owns."""
        n = len(self.pattern)
        return self.code if self.code <= n else self.code - n - 1


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
    xs = sorted_1d(x)
    n = xs.size
    mu, S, Q = _prefix(xs)
    lows, highs = _split_means(mu, S, np.arange(n + 1), np.nan, np.nan)  # NaN: an empty side
    out = []
    for code in range(2 * n + 2):
        j = code if code <= n else code - n - 1
        nl, nh = j, n - j
        m_lo, m_hi = float(lows[j]), float(highs[j])
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
    xs = sorted_1d(x)
    a, b = _grid_1d(c1, c2)
    iters = check_int(max_iter, "max_iter", low=0)
    mu, S, _ = _prefix(xs)
    code = region_codes_1d(xs, a, b)
    for _ in range(iters):
        j, c1_low = _split_1d(xs, a, b)
        lo, hi = np.where(c1_low, a, b), np.where(c1_low, b, a)
        lo, hi = _split_means(mu, S, j, lo, hi)  # an empty centre keeps its place
        a, b = np.where(c1_low, lo, hi), np.where(c1_low, hi, lo)
        new_code = region_codes_1d(xs, a, b)
        done = np.array_equal(new_code, code)
        code = new_code
        if done:
            break
    return a, b, code
