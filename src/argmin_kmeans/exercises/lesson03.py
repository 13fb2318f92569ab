r"""Checks for lesson 03, the piecewise-quadratic loss.

The data the exercises use are module constants, so the notebook, the checks and the worked
solutions (:mod:`argmin_kmeans.exercises.solutions.lesson03`) all see the same numbers:

* :data:`EX_X`, eight sorted 1-D samples, for exercises 1–3 (two centres);
* :data:`EX_X2D` and :data:`EX_C2D`, six 2-D samples and three centres, for exercise 4;
* :data:`EX_BASIN_X` (the lesson's own ten samples) and :data:`EX_BASIN_WINDOW`, for exercise 5.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets import example_data_1d
from ..landscape import boundary_radii, one_sided_derivatives
from ..landscape_1d import lloyd_1d, lloyd_fixed_points_1d, regions_1d
from . import ExerciseError, exercise, require

__all__ = [
    "EX_X",
    "EX_C_SLICE",
    "EX_X2D",
    "EX_C2D",
    "EX_BASIN_X",
    "EX_BASIN_WINDOW",
    "check_region_minimiser",
    "check_one_sided_derivatives",
    "check_fixed_points",
    "check_flip_radii",
    "check_basin_threshold",
]

#: Eight sorted 1-D samples (exercises 1-3).
EX_X = np.array([-3.0, -2.2, -1.6, 0.4, 1.0, 2.8, 3.4, 4.2])
#: A point of the :math:`(c_1, c_2)` plane on the flip line of the sample 0.4 (exercise 2).
EX_C_SLICE = np.array([-1.1, 1.9])
#: Six 2-D samples and three centres (exercise 4; centre 0 moves).
EX_X2D = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0], [-2.0, 1.0], [2.0, -2.0], [-1.0, -3.0]])
EX_C2D = np.array([[0.0, 1.0], [3.0, 0.0], [-2.0, -2.0]])
#: The lesson's ten 1-D samples (``datasets.example_data_1d()``, exercise 5).
EX_BASIN_X = example_data_1d()
#: The window of the lesson's basin figure: starts with both centres in ``[-6, 7]``.
EX_BASIN_WINDOW = (-6.0, 7.0)


def _numbers(answer: Any, what: str) -> np.ndarray:
    """``answer`` as a float64 array, or feedback when it holds something else than numbers."""
    try:
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ExerciseError(
            f"{what}: give numbers (a list or a NumPy array), got {type(answer).__name__}"
        ) from e


def _pair(answer: Any, name: str) -> tuple[Any, Any]:
    require(
        isinstance(answer, (tuple, list)) and len(answer) == 2,
        f"{name}: give a pair (a tuple of two things), got {type(answer).__name__}",
    )
    return answer[0], answer[1]


@exercise(
    "Exercise 1 (a region's minimiser)",
    "in the region where c1 owns the 2 smallest samples, the loss is "
    "sum_{i<2}(x_i - c1)^2 + sum_{i>=2}(x_i - c2)^2; set both partial derivatives to 0. Then "
    "ask whether the midpoint of the two numbers you found lies between x[1] and x[2].",
)
def check_region_minimiser(answer: Any) -> None:
    """``answer = (minimiser, inside)``: the minimiser ``(c1*, c2*)`` of the quadratic of the
    region where c1 owns the two smallest samples of :data:`EX_X` (``c1 < c2``), and whether
    it lies inside that region."""
    mini, inside = _pair(answer, "answer")
    reg = regions_1d(EX_X)[2]
    m = np.asarray(mini, dtype=np.float64).ravel()
    require(m.shape == (2,), f"the minimiser is two numbers (c1*, c2*), got shape {m.shape}")
    if np.allclose(m[::-1], reg.minimiser, atol=1e-6) and not np.allclose(m, reg.minimiser):
        raise ExerciseError("c1 and c2 are swapped: c1 is the lower centre, owning the 2 smallest")
    require(
        np.allclose(m, reg.minimiser, atol=1e-6),
        f"(c1*, c2*) = ({m[0]:.4f}, {m[1]:.4f}) is not the minimiser. Each centre goes to the "
        f"mean of the samples it owns: c1 to the mean of {EX_X[:2].tolist()}, c2 to the mean "
        f"of the other {EX_X.size - 2}.",
    )
    require(
        isinstance(inside, (bool, np.bool_)),
        f"the second part is True or False (inside the region?), got {inside!r}",
    )
    mid = m.mean()
    require(
        bool(inside) == reg.inside,
        f"the minimiser's midpoint is {mid:.4f}; the region needs it in [x[1], x[2]) = "
        f"[{EX_X[1]}, {EX_X[2]}). So inside = {reg.inside}.",
    )


@exercise(
    "Exercise 2 (one-sided derivatives)",
    "at c = EX_C_SLICE the sample 0.4 is tied. Decide who owns it for t slightly below 0 "
    "(the midpoint of the centres is then below 0.4) and slightly above 0. On each side the "
    "derivative along v = (1, 1) is the sum over samples of -2 (x_i - c_owner); only the tied "
    "sample changes owner.",
)
def check_one_sided_derivatives(answer: Any) -> None:
    """``answer = (left, right)``: the one-sided derivatives of :math:`t \\mapsto L(c + t v)`
    at ``t = 0``, for ``X = EX_X``, ``c = EX_C_SLICE`` and ``v = (1, 1)``."""
    left, right = _pair(answer, "answer")
    want_l, want_r = one_sided_derivatives(EX_X[:, None], EX_C_SLICE[:, None], np.ones((2, 1)))
    try:
        lv, rv = float(left), float(right)
    except (TypeError, ValueError):
        raise ExerciseError(f"left and right are numbers, got {left!r} and {right!r}") from None
    if np.isclose(lv, want_r, atol=1e-6) and np.isclose(rv, want_l, atol=1e-6):
        raise ExerciseError(
            "left and right are swapped: going left (t < 0) c1 + c2 decreases, the midpoint "
            "moves below 0.4, so 0.4 is then nearer c2"
        )
    require(
        abs(lv - rv) > 1e-6,
        "the two derivatives are equal, but the tied sample changes owner at t = 0: the "
        "slope must jump (by 2|0.4 - c1| + 2|0.4 - c2|)",
    )
    require(
        bool(np.isclose(lv, want_l, atol=1e-6)),
        f"left = {lv:.4f} is wrong. Left of t = 0 the midpoint of the centres is below 0.4, so "
        f"the sample 0.4 belongs to c2 there; add -2 (x_i - c_owner) over all samples.",
    )
    require(
        bool(np.isclose(rv, want_r, atol=1e-6)),
        f"right = {rv:.4f} is wrong. Right of t = 0 the sample 0.4 belongs to c1; add "
        f"-2 (x_i - c_owner) over all samples.",
    )


@exercise(
    "Exercise 3 (all Lloyd fixed points)",
    "try every split j = 1..7 (c1 owns the j smallest samples): compute the two means and keep "
    "the split when their midpoint lies in [x[j-1], x[j]).",
)
def check_fixed_points(answer: Any) -> None:
    """``answer``: every Lloyd fixed point of two centres on :data:`EX_X` with ``c1 < c2`` and
    no empty centre, as an array of shape ``(m, 2)`` (any row order)."""
    a = _numbers(answer, "the fixed points")
    require(a.ndim == 2 and a.shape[1] == 2, f"give an array of shape (m, 2), got shape {a.shape}")
    fps = lloyd_fixed_points_1d(EX_X)
    want = np.array([r.minimiser for r in fps if r.minimiser[0] < r.minimiser[1]])
    got = a[np.lexsort(a.T[::-1])]
    want = want[np.lexsort(want.T[::-1])]
    require(
        bool(np.all(got[:, 0] < got[:, 1])),
        "list each fixed point once, with c1 < c2 (the mirrored copies are the same clustering)",
    )
    for row in got:
        if not np.any(np.all(np.isclose(want, row, atol=1e-6), axis=1)):
            mid = row.mean()
            raise ExerciseError(
                f"({row[0]:.4f}, {row[1]:.4f}) is not a fixed point: assign the samples to it "
                f"(the boundary is the midpoint {mid:.4f}) and take the means again - they move."
            )
    require(
        got.shape[0] == want.shape[0],
        f"you found {got.shape[0]} fixed point(s) but there are {want.shape[0]}: check every "
        f"split j from 1 to {EX_X.size - 1}",
    )


@exercise(
    "Exercise 4 (the flip circles)",
    "sample x_i belongs to the moving centre 0 exactly when it is nearer to it than to every "
    "other centre; the circle's radius is the distance from x_i to its nearest centre among "
    "centres 1 and 2.",
)
def check_flip_radii(answer: Any) -> None:
    """``answer``: the radii, shape ``(6,)``, of the flip circles around the samples of
    :data:`EX_X2D` when centre 0 of :data:`EX_C2D` moves and centres 1 and 2 stay."""
    r = _numbers(answer, "the radii")
    require(r.shape == (EX_X2D.shape[0],), f"one radius per sample: shape (6,), got {r.shape}")
    want = boundary_radii(EX_X2D, EX_C2D, 0)
    if np.allclose(r, want**2, atol=1e-6):
        raise ExerciseError("these are squared distances; a radius is a distance (take sqrt)")
    d_all = np.sqrt(((EX_X2D[:, None, :] - EX_C2D[None, :, :]) ** 2).sum(-1)).min(1)
    if np.allclose(r, d_all, atol=1e-6):
        raise ExerciseError(
            "these are distances to the nearest of *all* centres, centre 0 included; the circle "
            "is where x_i is as far from the moving centre as from its nearest *other* centre"
        )
    bad = np.nonzero(~np.isclose(r, want, atol=1e-6))[0]
    if bad.size:
        i = int(bad[0])
        raise ExerciseError(
            f"radius {i} = {r[i]:.4f} is wrong (sample {EX_X2D[i].tolist()}): use the distance "
            f"to the nearer of centres 1 and 2"
        )


def _ends(mids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lloyd from the starts ``(m - 0.5, m + 0.5)`` on :data:`EX_BASIN_X`, shape of ``mids``:
    the number of samples c1 owns after the first step, after the last one, and whether the
    start ends in the global minimum."""
    xs = np.sort(EX_BASIN_X)
    n = xs.size
    _, _, code = lloyd_1d(xs, mids - 0.5, mids + 0.5)
    j_end = np.where(code <= n, code, n - (code - n - 1))  # codes > n: c2 is the lower centre
    best = lloyd_fixed_points_1d(xs)[0].code
    first = np.searchsorted(xs, mids, side="right")  # ties go to c1
    return first, j_end, np.isin(code, [best, best + n + 1])  # the minimum or its mirror


def _basin_threshold() -> float:
    """The smallest midpoint of a start ``(m - 0.5, m + 0.5)`` in the window that ends in the
    global minimum, checked to be a half-line of midpoints and snapped to the sample it is
    (a basin boundary is a flip line)."""
    lo, hi = EX_BASIN_WINDOW
    ms = np.linspace(lo + 0.5, hi - 0.5, 12001)
    good = _ends(ms)[2]
    m_star = ms[good].min()
    if not np.all(good[ms >= m_star]):  # pragma: no cover - a property of the data
        raise RuntimeError("the global minimum's basin is not a half-line of midpoints")
    xs = np.sort(EX_BASIN_X)
    return float(xs[np.abs(xs - m_star).argmin()])


@exercise(
    "Exercise 5 (a basin threshold)",
    "with c1 < c2 the first step gives c1 the samples <= the midpoint (c1 + c2)/2 and lands on "
    "that split's minimiser (the table of section 4). Follow Lloyd from each split's minimiser: "
    "a split whose minimiser is inside its region stays there. If c1 owns every sample, c2 owns "
    "none and stays put (at most 7 in the window): take one more step. m* is one of the samples.",
)
def check_basin_threshold(answer: Any) -> None:
    """``answer``: the threshold :math:`m^*` such that a Lloyd start ``(c1, c2)`` in the window
    :data:`EX_BASIN_WINDOW` with ``c1 < c2`` ends in the global minimum exactly when
    ``(c1 + c2) / 2 >= m*`` (data :data:`EX_BASIN_X`)."""
    if isinstance(answer, (bool, np.bool_)):
        raise ExerciseError(f"m* is one number (a midpoint), got {answer!r}")
    try:
        m = float(answer)
    except (TypeError, ValueError):
        raise ExerciseError(f"m* is one number (a midpoint), got {answer!r}") from None
    want = _basin_threshold()
    if abs(m - want) < 1e-6:
        return
    lo, hi = EX_BASIN_WINDOW
    # a midpoint strictly between the answer and the truth, with the start in the window
    probe = float(np.clip(0.5 * (m + want), lo + 0.5, hi - 0.5))
    first, ends, globs = _ends(np.array([probe]))
    j_first, j_end, glob = int(first[0]), int(ends[0]), bool(globs[0])
    n = EX_BASIN_X.size
    fate = (
        "the global minimum" if glob else f"the split {j_end}|{n - j_end}, not the global minimum"
    )
    raise ExerciseError(
        f"m* = {m:.4f} is wrong: the start ({probe - 0.5:.2f}, {probe + 0.5:.2f}) has midpoint "
        f"{probe:.2f}; its first step gives c1 the {j_first} smallest samples, and it ends in "
        f"{fate}. So m* is {'lower' if m > want else 'higher'} than your value."
    )
