"""Lesson 03's exercise checks: accept the worked solutions, reject wrong answers helpfully,
and treat None as "not attempted yet"."""

from __future__ import annotations

import re

import numpy as np
import pytest
from solutions import lesson03 as sol  # instructor/solutions (pytest's pythonpath)

import argmin_kmeans as ak
from argmin_kmeans import datasets
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson03 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_the_worked_numbers() -> None:
    m, inside = sol.region_minimiser()
    np.testing.assert_allclose(m, [-2.6, 1.7])
    assert inside is False
    np.testing.assert_allclose(sol.one_sided_derivatives(), [2.4, -3.6], atol=1e-12)
    np.testing.assert_allclose(
        sol.local_minima(ex.EX_X), [[-34 / 15, 2.36], [-1.6, 2.85], [-1.08, 52 / 15]], atol=1e-12
    )
    np.testing.assert_allclose(sol.local_minima(ex.EX_TIED_X), [[0.0, 4.0]])
    assert sol.lloyd_ends() == [4, 6, 7]


def test_the_tied_fixed_point_is_a_fixed_point_but_not_a_minimum() -> None:
    """What exercise 3's hint says about EX_TIED_X, checked with the package."""
    X, c = ex.EX_TIED_X[:, None], np.array([[1.5], [4.5]])
    np.testing.assert_array_equal(ak.lloyd_step(X, c), c)  # ties go to c1: Lloyd stays
    h = 1e-3
    assert float(ak.kmeans_loss(X, c - h)) < float(ak.kmeans_loss(X, c))  # downhill to the left


def test_lloyd_ends_match_fit() -> None:
    X = datasets.example_data_1d()[:, None]
    for (c1, c2), end in zip(ex.EX_STARTS, sol.lloyd_ends()):
        hist = ak.fit(X, np.array([[c1], [c2]]), method="lloyd")
        assert int((ak.assign(X, hist.final_centers) == 0).sum()) == end


def with_tied(x: np.ndarray) -> np.ndarray:
    """The fixed points with ties too: the closed interval, the old hint's mistake."""
    out = [(x[:j].mean(), x[j:].mean()) for j in range(1, x.size)
           if x[j - 1] <= 0.5 * (x[:j].mean() + x[j:].mean()) < x[j]]
    return np.array(out).reshape(-1, 2)


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
    (ex.check_local_minima, with_tied, "the sample 3 is tied there"),
    (ex.check_local_minima, lambda x: sol.local_minima(x)[:1], "there are 3"),
    (ex.check_local_minima, lambda x: np.array([[-2.6, 1.7]]), "(-2.6000, 1.7000), which is not"),
    (ex.check_local_minima, lambda x: sol.local_minima(x)[:, ::-1], "c1 < c2"),
    (ex.check_local_minima, lambda x: [1.0, 2.0], "shape (m, 2)"),
    (ex.check_local_minima, [[-2.2667, 2.36]], "must be a function"),
    (ex.check_lloyd_ends, [2, 6, 7], "(-6, -1) does not end with c1 owning 2"),
    (ex.check_lloyd_ends, [4, 6, 8], "gives c1 the 8 smallest"),
    (ex.check_lloyd_ends, [4, 6], "three numbers"),
    (ex.check_lloyd_ends, "4 6 7", "numbers"),
]


@pytest.mark.parametrize("check, answer, message", WRONG, ids=range(len(WRONG)))
def test_rejects_wrong_answers_with_a_helpful_message(check, answer, message) -> None:
    with pytest.raises(ExerciseError, match=re.escape(message)):
        check(answer)


def test_local_minima_rejects_the_package_fixed_points() -> None:
    """Filtering ``lloyd_fixed_points_1d`` is the package's answer, not the student's code."""
    from argmin_kmeans.landscape_1d import lloyd_fixed_points_1d

    def filtered(x):
        return np.array([r.minimiser for r in lloyd_fixed_points_1d(x)
                         if r.margin > 0 and r.minimiser[0] < r.minimiser[1]]).reshape(-1, 2)

    with pytest.raises(ExerciseError, match="package's own `lloyd_fixed_points_1d`"):
        ex.check_local_minima(filtered)
