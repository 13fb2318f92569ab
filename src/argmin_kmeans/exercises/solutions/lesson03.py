"""Worked solutions for lesson 03 (the piecewise-quadratic loss). Students: try first.

Each function returns the answer its check in :mod:`argmin_kmeans.exercises.lesson03` expects,
computed by hand with NumPy (not with :mod:`argmin_kmeans.landscape`, so the two are
independent).
"""

from __future__ import annotations

import numpy as np

from ..lesson03 import EX_C2D, EX_C_SLICE, EX_X, EX_X2D

__all__ = [
    "solution_region_minimiser",
    "solution_one_sided_derivatives",
    "solution_fixed_points",
    "solution_flip_radii",
]


def solution_region_minimiser() -> tuple[np.ndarray, bool]:
    """Exercise 1. In the region "c1 owns x[0], x[1]" the loss is
    ``sum_{i<2}(x_i - c1)^2 + sum_{i>=2}(x_i - c2)^2``; its gradient vanishes at the two means.
    The minimiser is inside the region iff every sample is still nearest its own centre there,
    i.e. iff the midpoint of the means lies in ``[x[1], x[2])``."""
    x = EX_X
    c1, c2 = x[:2].mean(), x[2:].mean()  # -2.6, 1.7
    mid = 0.5 * (c1 + c2)  # -0.45: not in [-2.2, -1.6), so x[2..3] would move to c1
    return np.array([c1, c2]), bool(x[1] <= mid < x[2])


def solution_one_sided_derivatives() -> tuple[float, float]:
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


def solution_fixed_points() -> np.ndarray:
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


def solution_flip_radii() -> np.ndarray:
    """Exercise 4. Sample i is owned by the moving centre p iff ``|x_i - p| < r_i`` with
    ``r_i`` the distance to the nearest of the fixed centres 1 and 2."""
    d = np.sqrt(((EX_X2D[:, None, :] - EX_C2D[None, 1:, :]) ** 2).sum(-1))
    return d.min(axis=1)
