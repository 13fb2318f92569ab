"""Worked solutions for lesson 03 (instructors: one per check, under its name).

Each function returns the answer its check in :mod:`argmin_kmeans.exercises.lesson03`
expects, or is that answer for the code exercise (:func:`local_minima`), computed by
hand with NumPy (not with :mod:`argmin_kmeans.landscape`, so the two are independent).
"""

from __future__ import annotations

import numpy as np

from argmin_kmeans.datasets import example_data_1d
from argmin_kmeans.exercises.lesson03 import EX_C_SLICE, EX_STARTS, EX_X

__all__ = [
    "region_minimiser",
    "one_sided_derivatives",
    "local_minima",
    "lloyd_ends",
]


def region_minimiser() -> tuple[np.ndarray, bool]:
    """Exercise 1. In the region "c1 owns x[0], x[1]" the loss is ``sum_{i<2}(x_i -
    c1)^2 + sum_{i>=2}(x_i - c2)^2``; its gradient vanishes at the two means. The
    minimiser is inside the region iff every sample is still nearest its own centre
    there, i.e. iff the midpoint of the means lies in ``[x[1], x[2])``."""
    x = EX_X
    c1, c2 = x[:2].mean(), x[2:].mean()  # -2.6, 1.7
    mid = 0.5 * (c1 + c2)  # -0.45: not in [-2.2, -1.6), so x[2..3] would move to c1
    return np.array([c1, c2]), bool(x[1] <= mid < x[2])


def one_sided_derivatives() -> tuple[float, float]:
    """Exercise 2. Along ``c(u) = c + u (1, 1)`` the derivative is ``sum_i -2 (x_i -
    c_owner(i))``. At ``u = 0`` the midpoint is 0.4 = x[3], so x[3] is tied. For ``u <
    0`` the midpoint is below 0.4 and x[3] belongs to c2; for ``u > 0`` to c1. The jump
    is ``2 |(x - c1) v1 - (x - c2) v2| = 2 |1.5 + 1.5| = 6`` (lesson 03, section 3)."""
    x, (c1, c2) = EX_X, EX_C_SLICE
    tied = 3
    low, high = x[:tied], x[tied + 1 :]
    base = -2 * (low - c1).sum() - 2 * (high - c2).sum()
    left = base - 2 * (x[tied] - c2)
    right = base - 2 * (x[tied] - c1)
    return float(left), float(right)  # 2.4, -3.6: the slope drops by 6


def local_minima(x: np.ndarray) -> np.ndarray:
    """Exercise 3 (code). In 1-D each cluster of a fixed point is a run of sorted
    samples, so try every split ``j``; the means' midpoint decides where every sample
    goes. Keep the split when the midpoint lies *strictly* between ``x[j-1]`` and
    ``x[j]``: then no sample is tied, the minimiser is inside its region with room to
    spare, and it is a local minimum. A midpoint equal to ``x[j-1]`` is still a Lloyd
    fixed point (ties go to c1), but on a kink: for ``x = [0, 3, 4, 5]`` the split 2|2
    has means (1.5, 4.5) and midpoint 3, and moving both centres left lowers the loss
    (the sample 3 changes sides)."""
    out = []
    for j in range(1, x.size):
        m1, m2 = x[:j].mean(), x[j:].mean()
        if x[j - 1] < 0.5 * (m1 + m2) < x[j]:
            out.append((m1, m2))
    return np.array(out).reshape(-1, 2)


def _lloyd_split(x: np.ndarray, c1: float, c2: float) -> tuple[float, float]:
    """Lloyd on sorted 1-D ``x`` from ``c1 < c2`` until the assignment stops changing;
    an empty centre stays where it is (the package's ``empty="keep"``)."""
    owned = None
    while True:
        new = x <= 0.5 * (c1 + c2)  # c1 is the lower centre; ties go to c1
        if owned is not None and np.array_equal(new, owned):
            return c1, c2
        owned = new
        c1 = x[owned].mean() if owned.any() else c1
        c2 = x[~owned].mean() if (~owned).any() else c2


def lloyd_ends() -> list[int]:
    """Exercise 4 (prediction), with the table of section 4 (samples -4.6, -4, -3.3,
    -2.9, -0.4, 0.2, 0.7, 3.9, 4.5, 5.3):

    * (-6, -1): midpoint -3.5, so c1 gets the 2 smallest; split 2's minimiser (-4.3,
      1.0) is outside (midpoint -1.65), the next step gives c1 the 4 smallest, a fixed
      point: **4**;
    * (-6, 6.6): midpoint 0.3, c1 gets the 6 smallest, a fixed point at once: **6**;
    * (1.4, 6.6): midpoint 4, c1 gets 8; split 8's minimiser (-1.3, 4.9) has midpoint
      1.8, so the next step gives c1 7 samples: the global minimum, **7**.

    Computed here by running Lloyd by hand (sorted samples, runs), not from the table.
    """
    x = np.sort(example_data_1d())
    ends = []
    for c1, c2 in EX_STARTS:
        e1, e2 = _lloyd_split(x, float(c1), float(c2))
        ends.append(int((x <= 0.5 * (e1 + e2)).sum()))
    return ends
