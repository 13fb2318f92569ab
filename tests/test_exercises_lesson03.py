"""Lesson 03's exercise checks: accept the worked solutions, reject wrong answers helpfully,
and treat None as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest

from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson03 as ex
from argmin_kmeans.exercises.solutions import lesson03 as sol
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_the_worked_numbers() -> None:
    m, inside = sol.region_minimiser()
    np.testing.assert_allclose(m, [-2.6, 1.7])
    assert inside is False
    np.testing.assert_allclose(sol.one_sided_derivatives(), [2.4, -3.6], atol=1e-12)
    np.testing.assert_allclose(
        sol.fixed_points(), [[-34 / 15, 2.36], [-1.6, 2.85], [-1.08, 52 / 15]], atol=1e-12
    )
    assert sol.basin_threshold() == 0.7


def test_basin_threshold_matches_lloyd_from_every_start_in_the_window() -> None:
    """The threshold is exact on a grid of starts of the lesson's window, via ``ak.fit``'s
    vectorised twin ``lloyd_1d`` (itself tested against ``fit`` in the lesson)."""
    from argmin_kmeans.landscape_1d import lloyd_1d, lloyd_fixed_points_1d

    g = np.linspace(*ex.EX_BASIN_WINDOW, 131)
    c1, c2 = np.meshgrid(g, g)
    _, _, end = lloyd_1d(ex.EX_BASIN_X, c1, c2)
    below = c1 < c2
    glob = end == lloyd_fixed_points_1d(ex.EX_BASIN_X)[0].code
    assert np.array_equal(glob[below], ((c1 + c2) / 2 >= sol.basin_threshold())[below])


WRONG = [
    (ex.check_region_minimiser, (np.array([1.7, -2.6]), False), "swapped"),
    (ex.check_region_minimiser, (np.array([-2.0, 1.0]), False), "mean of"),
    (ex.check_region_minimiser, (np.array([-2.6, 1.7]), True), "midpoint is -0.4500"),
    (ex.check_region_minimiser, (np.array([-2.6, 1.7]), "no"), "True or False"),
    (ex.check_region_minimiser, np.array([-2.6, 1.7]), "pair"),
    (ex.check_one_sided_derivatives, (-3.6, 2.4), "swapped"),
    (ex.check_one_sided_derivatives, (0.0, 0.0), "jump"),
    (ex.check_one_sided_derivatives, (1.0, -3.6), "left = 1.0000"),
    (ex.check_one_sided_derivatives, (2.4, -3.0), "right = -3.0000"),
    (ex.check_one_sided_derivatives, ("a", 1.0), "numbers"),
    (ex.check_fixed_points, [[-2.26666667, 2.36]], "found 1 fixed point"),
    (ex.check_fixed_points, [[-2.6, 1.7], [-1.6, 2.85]], "(-2.6000, 1.7000) is not a fixed point"),
    (ex.check_fixed_points, [[2.85, -1.6]], "c1 < c2"),
    (ex.check_fixed_points, [1.0, 2.0], "shape (m, 2)"),
    (ex.check_flip_radii, sol.flip_radii() ** 2, "squared"),
    (ex.check_flip_radii, np.ones(5), "shape (6,)"),
    (ex.check_flip_radii, sol.flip_radii() + np.eye(6)[2], "radius 2"),
    (ex.check_basin_threshold, 0.2, "ends in the split 6|4, not the global minimum"),
    (ex.check_basin_threshold, -0.4, "m* is higher"),
    (ex.check_basin_threshold, 1.8, "m* is lower"),
    (ex.check_basin_threshold, 100.0, "ends in the global minimum"),
    (ex.check_basin_threshold, "0.7 or so", "one number"),
    (ex.check_basin_threshold, True, "one number"),
]


@pytest.mark.parametrize("check, answer, message", WRONG, ids=range(len(WRONG)))
def test_rejects_wrong_answers_with_a_helpful_message(check, answer, message) -> None:
    with pytest.raises(ExerciseError, match=__import__("re").escape(message)):
        check(answer)


def test_flip_radii_rejects_distances_to_all_centres() -> None:
    d_all = np.sqrt(((ex.EX_X2D[:, None, :] - ex.EX_C2D[None]) ** 2).sum(-1)).min(1)
    with pytest.raises(ExerciseError, match="other"):
        ex.check_flip_radii(d_all)
