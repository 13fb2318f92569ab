r"""Checks for lesson 03, the piecewise-quadratic loss.

The data the exercises use are module constants, so the notebook, the checks and the worked
solutions (instructor material, ``instructor/solutions/lesson03.py`` in the course repository)
all see the same numbers:

* :data:`EX_X`, eight sorted 1-D samples, for exercises 1–3 (two centres);
* :data:`EX_C_SLICE`, a point of the :math:`(c_1, c_2)` plane where a sample is tied (exercise 2);
* :data:`EX_TIED_X`, four samples with a Lloyd fixed point on a kink (exercise 3);
* :data:`EX_STARTS`, three Lloyd starts on the lesson's own ten samples (exercise 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets import example_data_1d
from ..landscape import one_sided_derivatives
from ..landscape_1d import lloyd_1d, lloyd_fixed_points_1d, regions_1d
from . import ExerciseError, exercise, require

__all__ = [
    "EX_X",
    "EX_C_SLICE",
    "EX_TIED_X",
    "EX_STARTS",
    "check_region_minimiser",
    "check_one_sided_derivatives",
    "check_local_minima",
    "check_lloyd_ends",
]

#: Eight sorted 1-D samples (exercises 1-3).
EX_X = np.array([-3.0, -2.2, -1.6, 0.4, 1.0, 2.8, 3.4, 4.2])
#: A point of the :math:`(c_1, c_2)` plane on the flip line of the sample 0.4 (exercise 2).
EX_C_SLICE = np.array([-1.1, 1.9])
#: Four samples; the split 2|2 has means (1.5, 4.5), whose midpoint is the sample 3 (exercise 3).
EX_TIED_X = np.array([0.0, 3.0, 4.0, 5.0])
#: Three starts ``(c1, c2)`` of Lloyd's algorithm on the lesson's samples (exercise 4).
EX_STARTS = np.array([[-6.0, -1.0], [-6.0, 6.6], [1.4, 6.6]])


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
    m = _numbers(mini, "the minimiser").ravel()
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
        f"the minimiser's midpoint is {mid:.4f}; the region needs it between x[1] = {EX_X[1]} "
        f"and x[2] = {EX_X[2]}. So inside = {reg.inside}.",
    )


@exercise(
    "Exercise 2 (one-sided derivatives)",
    "at c = EX_C_SLICE the sample 0.4 is tied. Decide who owns it for u slightly below 0 "
    "(the midpoint of the centres is then below 0.4) and slightly above 0. On each side the "
    "derivative along v = (1, 1) is the sum over samples of -2 (x_i - c_owner); only the tied "
    "sample changes owner.",
)
def check_one_sided_derivatives(answer: Any) -> None:
    """``answer = (left, right)``: the one-sided derivatives of :math:`u \\mapsto L(c + u v)`
    at ``u = 0``, for ``X = EX_X``, ``c = EX_C_SLICE`` and ``v = (1, 1)``."""
    left, right = _pair(answer, "answer")
    want_l, want_r = one_sided_derivatives(EX_X[:, None], EX_C_SLICE[:, None], np.ones((2, 1)))
    try:
        lv, rv = float(left), float(right)
    except (TypeError, ValueError):
        raise ExerciseError(f"left and right are numbers, got {left!r} and {right!r}") from None
    if np.isclose(lv, want_r, atol=1e-6) and np.isclose(rv, want_l, atol=1e-6):
        raise ExerciseError(
            "left and right are swapped: going left (u < 0) c1 + c2 decreases, the midpoint "
            "moves below 0.4, so 0.4 is then nearer c2"
        )
    require(
        abs(lv - rv) > 1e-6,
        "the two derivatives are equal, but the tied sample changes owner at u = 0: the "
        "slope must jump, by 2|(0.4 - c1) v1 - (0.4 - c2) v2| with v = (1, 1)",
    )
    require(
        bool(np.isclose(lv, want_l, atol=1e-6)),
        f"left = {lv:.4f} is wrong. Left of u = 0 the midpoint of the centres is below 0.4, so "
        f"the sample 0.4 belongs to c2 there; add -2 (x_i - c_owner) over all samples.",
    )
    require(
        bool(np.isclose(rv, want_r, atol=1e-6)),
        f"right = {rv:.4f} is wrong. Right of u = 0 the sample 0.4 belongs to c1; add "
        f"-2 (x_i - c_owner) over all samples.",
    )


def _test_data() -> list[np.ndarray]:
    """The data sets a code answer is run on: the exercise's, the tied one, random ones."""
    rng = np.random.default_rng(3)
    data = [EX_X, EX_TIED_X]
    for n in (5, 9, 14):
        data.append(np.sort(np.round(rng.normal(size=n) * 3.0 + rng.integers(0, 2, n) * 6, 2)))
    return data


@exercise(
    "Exercise 3 (every local minimum, in code)",
    "answer is a function f(x) -> array of shape (m, 2). For sorted 1-D x every cluster of a "
    "fixed point is a run of sorted samples: try every split j = 1..n-1 (c1 owns x[:j]), take "
    "the two means, and keep the split when their midpoint lies strictly between x[j-1] and "
    "x[j]. A midpoint equal to x[j-1] is still a Lloyd fixed point (ties go to c1), but that "
    "sample is tied: the point sits on a kink, which section 3 showed is never a minimum.",
    code=True,
    forbid=(lloyd_fixed_points_1d,),
)
def check_local_minima(answer: Any) -> None:
    """``answer``: a function ``f(x)`` that returns every local minimum ``(c1, c2)`` with
    ``c1 < c2`` of the loss of two centres on sorted 1-D samples ``x`` (shape (n,)), as an array
    of shape ``(m, 2)`` in any row order. Run on :data:`EX_X`, :data:`EX_TIED_X` and random
    data sets."""
    require(callable(answer), f"answer must be a function f(x), got {type(answer).__name__}")
    for x in _test_data():
        got = _numbers(answer(x.copy()), f"f({x.tolist()})")
        if got.size == 0:
            got = got.reshape(0, 2)
        require(got.ndim == 2 and got.shape[1] == 2,
                f"f(x) must return an array of shape (m, 2), got shape {got.shape}")
        require(bool(np.all(got[:, 0] < got[:, 1])),
                "list each minimum once, with c1 < c2 (the mirrored copy is the same clustering)")
        # Lloyd fixed points with c1 < c2, both clusters non-empty and no sample tied
        rows = [r.minimiser for r in lloyd_fixed_points_1d(x)
                if r.margin > 0 and r.minimiser[0] < r.minimiser[1]]
        want = np.array(rows, dtype=np.float64).reshape(-1, 2)
        for row in got:
            if np.any(np.all(np.isclose(want, row, atol=1e-6), axis=1)):
                continue
            mid = row.mean()
            tied = x[np.isclose(x, mid, atol=1e-9)]
            if tied.size:
                raise ExerciseError(
                    f"f({x.tolist()}) returns ({row[0]:.4f}, {row[1]:.4f}): a Lloyd fixed point, "
                    f"but the sample {tied[0]:g} is tied there (it is the midpoint of the means). "
                    f"It sits on a kink, where the loss drops one way: not a local minimum. Keep "
                    f"a split only when the midpoint lies strictly between x[j-1] and x[j]."
                )
            raise ExerciseError(
                f"f({x.tolist()}) returns ({row[0]:.4f}, {row[1]:.4f}), which is not a local "
                f"minimum: assign the samples to it (the boundary is the midpoint {mid:.4f}) and "
                f"take the means again - they move."
            )
        require(
            got.shape[0] == want.shape[0],
            f"f({x.tolist()}) finds {got.shape[0]} local minimum/minima, but there are "
            f"{want.shape[0]}: check every split j from 1 to {x.size - 1}",
        )


@exercise(
    "Exercise 4 (predict where Lloyd stops)",
    "the first Lloyd step gives c1 (the lower centre) the samples <= the midpoint (c1 + c2)/2, "
    "and lands on the minimiser of that split, in the table of section 4. If that minimiser is "
    "inside its region, Lloyd stops there; if not, take its midpoint and repeat.",
)
def check_lloyd_ends(answer: Any) -> None:
    """``answer``: for each start of :data:`EX_STARTS` (on the lesson's samples), how many
    samples c1 owns when Lloyd's algorithm stops; three integers."""
    a = _numbers(answer, "the three counts").ravel()
    require(a.shape == (3,), f"give three numbers, one per start, got shape {a.shape}")
    xs = np.sort(example_data_1d())
    _, _, code = lloyd_1d(xs, EX_STARTS[:, 0], EX_STARTS[:, 1])
    n = xs.size
    want = np.where(code <= n, code, n - (code - n - 1))  # codes > n: c2 is the lower centre
    for (c1, c2), got, end in zip(EX_STARTS, a, want):
        if got == end:
            continue
        m = 0.5 * (c1 + c2)
        first = int(np.searchsorted(xs, m, side="right"))
        raise ExerciseError(
            f"the start ({c1:g}, {c2:g}) does not end with c1 owning {got:g} samples. Its "
            f"midpoint is {m:g}, so the first step gives c1 the {first} smallest samples; "
            f"look up that split's minimiser in the table and whether it is inside its region."
        )
