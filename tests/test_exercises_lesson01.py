"""Lesson 01's exercise checks: accept the worked solution, reject wrong answers
helpfully, handle None."""

from __future__ import annotations

import pytest
import torch
from solutions import lesson01 as sol  # instructor/solutions (pytest's pythonpath)

from argmin_kmeans import QUESTION_T
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson01 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_threshold_solution_really_is_the_threshold() -> None:
    z = torch.tensor(QUESTION_T, dtype=torch.float64)
    d = sol.threshold()
    e0 = torch.zeros_like(z)
    e0[0] = 1.0
    assert int(torch.argmax(z + (d - 1e-9) * e0)) == 6
    assert int(torch.argmax(z + (d + 1e-9) * e0)) == 0


@pytest.mark.parametrize(
    "wrong, message",
    [
        (1.0034, "the value z\\[0\\] must reach"),
        (0.1181, "gap between the two largest"),
        (-1.0661, "not positive"),
        (1.07, "off by"),
        ("1.0661", "must be a number"),
    ],
)
def test_threshold_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_threshold(wrong)


ONE = [0, 1, 0, 0, 0]
THIRDS = [0, 1 / 3, 0, 1 / 3, 1 / 3]


def test_exercise_2_is_not_the_lessons_example() -> None:
    """The lesson prints the gradients for [2, 5, 5, 1]; the exercise must ask about another t."""
    assert ex.TIE_T != (2.0, 5.0, 5.0, 1.0)
    assert sol.tie_gradients() == ([0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 1 / 3, 0.0, 1 / 3, 1 / 3],
                                   [0.0, 1 / 3, 0.0, 1 / 3, 1 / 3])


@pytest.mark.parametrize(
    "wrong, message",
    [
        ((THIRDS, THIRDS, THIRDS), "g_max_dim.*one index"),
        ((ONE, ONE, THIRDS), "g_amax.*splits the gradient evenly.*3"),
        ((ONE, [0, 0.5, 0, 0.5, 0], THIRDS), "g_amax.*all the tied maxima"),
        ((ONE, THIRDS, [0, 0, 0, 0, 1]), "g_max_all.*splits"),
        (([0, 0, 0, 1, 0], THIRDS, THIRDS), "which one\\? Look at .indices"),
        (([0, 1, 1, 0, 0], THIRDS, THIRDS), "add up to 1"),
        (([0, 1, 0, 0], THIRDS, THIRDS), "must have 5 entries"),
        ((ONE, THIRDS), "tuple of three lists"),
        ((None, THIRDS, THIRDS), "list of 5 numbers"),
    ],
)
def test_tie_gradients_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_tie_gradients(wrong)


def test_tie_gradients_accepts_tensors_and_rounded_thirds() -> None:
    g1, g2, g3 = sol.tie_gradients()
    assert ex.check_tie_gradients((torch.tensor(g1), torch.tensor(g2), torch.tensor(g3)))
    rounded = [0, 0.3333333, 0, 0.3333333, 0.3333333]
    assert ex.check_tie_gradients((ONE, rounded, torch.tensor(rounded, dtype=torch.float32)))


def test_op_categories_rejects_wrong_and_malformed() -> None:
    right = sol.op_categories()
    wrong = dict(right, ceil="no grad_fn")
    with pytest.raises(ExerciseError, match="1 of 8 wrong, for example 'ceil'.*grad_fn"):
        ex.check_op_categories(wrong)
    everything_useful = {k: "useful gradient" for k in right}
    with pytest.raises(ExerciseError, match="4 of 8 wrong"):
        ex.check_op_categories(everything_useful)
    with pytest.raises(ExerciseError, match="missing \\['abs'\\]"):
        ex.check_op_categories({k: v for k, v in right.items() if k != "abs"})
    with pytest.raises(ExerciseError, match="unknown keys \\['floor'\\]"):
        ex.check_op_categories(dict(right, floor="zero gradient"))
    with pytest.raises(ExerciseError, match="not one of"):
        ex.check_op_categories(dict(right, abs="differentiable"))
    with pytest.raises(ExerciseError, match="must be a dict"):
        ex.check_op_categories(list(right.items()))


def test_op_categories_truth_is_what_pytorch_does() -> None:
    truth = sol.op_categories()  # runs every op (the check runs them too, inside it)
    assert ex.check_op_categories(truth) is True
    assert truth == {
        "cummax.values": "useful gradient",
        "cummax.indices": "no grad_fn",
        "kthvalue(2).values": "useful gradient",
        "frac": "useful gradient", "ceil": "zero gradient", "trunc": "zero gradient",
        "x >= 1": "no grad_fn", "abs": "useful gradient",
    }


def test_exercise_3_ops_are_not_demonstrated_in_the_lesson() -> None:
    shown = {"argmax", "max(dim).values", "amax", "round", "floor", "sign", "x > 0",
             "argsort", "sort.values", "sort.indices", "topk(2).values"}
    assert not shown & set(ex.OPS)
