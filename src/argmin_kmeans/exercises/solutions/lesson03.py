"""Worked solutions for lesson 03 (teachers: one per check, under the check's name).

Each function returns the answer its check in :mod:`argmin_kmeans.exercises.lesson03` expects,
computed by hand with NumPy (not with :mod:`argmin_kmeans.landscape`, so the two are
independent).
"""

from __future__ import annotations

import numpy as np

from ..lesson03 import EX_BASIN_WINDOW, EX_BASIN_X, EX_C2D, EX_C_SLICE, EX_X, EX_X2D

__all__ = [
    "region_minimiser",
    "one_sided_derivatives",
    "fixed_points",
    "flip_radii",
    "basin_threshold",
]


def region_minimiser() -> tuple[np.ndarray, bool]:
    """Exercise 1. In the region "c1 owns x[0], x[1]" the loss is
    ``sum_{i<2}(x_i - c1)^2 + sum_{i>=2}(x_i - c2)^2``; its gradient vanishes at the two means.
    The minimiser is inside the region iff every sample is still nearest its own centre there,
    i.e. iff the midpoint of the means lies in ``[x[1], x[2])``."""
    x = EX_X
    c1, c2 = x[:2].mean(), x[2:].mean()  # -2.6, 1.7
    mid = 0.5 * (c1 + c2)  # -0.45: not in [-2.2, -1.6), so x[2..3] would move to c1
    return np.array([c1, c2]), bool(x[1] <= mid < x[2])


def one_sided_derivatives() -> tuple[float, float]:
    """Exercise 2. Along ``c(t) = c + t (1, 1)`` the derivative is
    ``sum_i -2 (x_i - c_owner(i))``. At ``t = 0`` the midpoint is 0.4 = x[3], so x[3] is tied.
    For ``t < 0`` the midpoint is below 0.4 and x[3] belongs to c2; for ``t > 0`` to c1."""
    x, (c1, c2) = EX_X, EX_C_SLICE
    tied = 3
    low, high = x[:tied], x[tied + 1 :]
    base = -2 * (low - c1).sum() - 2 * (high - c2).sum()
    left = base - 2 * (x[tied] - c2)
    right = base - 2 * (x[tied] - c1)
    return float(left), float(right)  # 2.4, -3.6: the slope drops by 4 * 1.5 = 6


def fixed_points() -> np.ndarray:
    """Exercise 3. In 1-D each cluster of a fixed point is a run of sorted samples, so try every
    split; keep those whose means' midpoint falls between the last sample of the left run and
    the first of the right run."""
    x = EX_X
    out = []
    for j in range(1, x.size):
        m1, m2 = x[:j].mean(), x[j:].mean()
        if x[j - 1] <= 0.5 * (m1 + m2) < x[j]:
            out.append((m1, m2))
    return np.array(out)


def flip_radii() -> np.ndarray:
    """Exercise 4. Sample i is owned by the moving centre p iff ``|x_i - p| < r_i`` with
    ``r_i`` the distance to the nearest of the fixed centres 1 and 2."""
    d = np.sqrt(((EX_X2D[:, None, :] - EX_C2D[None, 1:, :]) ** 2).sum(-1))
    return d.min(axis=1)


def _lloyd_split(x: np.ndarray, c1: float, c2: float) -> tuple[float, float]:
    """Lloyd on sorted 1-D ``x`` from ``c1 < c2`` until the assignment stops changing; an empty
    centre stays where it is (the package's ``empty="keep"``)."""
    owned = None
    while True:
        new = x <= 0.5 * (c1 + c2)  # c1 is the lower centre; ties go to c1
        if owned is not None and np.array_equal(new, owned):
            return c1, c2
        owned = new
        c1 = x[owned].mean() if owned.any() else c1
        c2 = x[~owned].mean() if (~owned).any() else c2


def basin_threshold() -> float:
    """Exercise 5. With ``c1 < c2`` the first assignment gives c1 the samples ``<= m``, the
    midpoint; so every start whose midpoint lies in ``[x[j-1], x[j])`` makes the same first step,
    to the minimiser of split ``j``. Following each split (the table of section 4):

    * ``j = 0`` (``m < -4.6``: c1 owns nothing and stays, below -4.6 in the window; c2 goes to
      the mean -0.06): the next midpoint is in ``[-3.03, -2.33)``, split 3 or 4, which end at
      the 4|6 fixed point;
    * ``j = 1, 2, 3`` jump to split 4 (their minimisers' midpoints -2.08, -1.65, -1.18 lie in
      ``[-2.9, -0.4)``); ``j = 4, 5, 6`` are fixed points (losses 32.3333, 31.86, 31.36);
    * ``j = 7`` is the global minimum; ``j = 8, 9`` jump to it (midpoints 1.8, 2.32);
    * ``j = 10`` (``m >= 5.3``: c2 owns nothing and stays, at most 7 in the window; c1 goes to
      -0.06): the next midpoint is at most 3.47, split 7, the global minimum.

    So the basin of the global minimum is ``m >= 0.7``, the 7th smallest sample. The warm-up
    start (-5, 4) has midpoint -0.5, gives c1 the 4 smallest samples and stops there at once:
    the worst of the four local minima, (-3.7, 2.3667).

    In the window the lower half is the same with c1 and c2 swapped; starts outside the window
    can also reach the flat empty-cluster fixed points (lesson section 4's caveat)."""
    x = np.sort(EX_BASIN_X)
    lo, hi = EX_BASIN_WINDOW
    losses = {}
    for j in range(x.size + 1):  # one start per first split, in the window, as extreme as allowed
        if j == 0:
            c1, c2 = lo, x[0] - (x[0] - lo) / 2  # midpoint below x[0], c1 as low as allowed
        elif j == x.size:
            c1, c2 = x[-1] - 0.1, hi  # midpoint above x[-1], c2 as high as allowed
        else:
            m = x[j - 1]  # the smallest midpoint of this first split
            c1, c2 = m - 0.05, m + 0.05
        e1, e2 = _lloyd_split(x, c1, c2)
        owned = x <= 0.5 * (e1 + e2)
        losses[j] = ((x[owned] - e1) ** 2).sum() + ((x[~owned] - e2) ** 2).sum()
    best = min(losses.values())
    reach = [j for j in losses if np.isclose(losses[j], best)]
    assert reach == list(range(min(reach), x.size + 1))  # a half-line of midpoints
    return float(x[min(reach) - 1])
