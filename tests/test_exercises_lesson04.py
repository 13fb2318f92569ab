"""Lesson 04's exercise checks: accept the worked solutions, reject wrong answers with a helpful
message, and treat None as "not attempted yet"."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import argmin_kmeans as ak
from argmin_kmeans import theory
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson04 as ex
from argmin_kmeans.exercises.solutions import lesson04 as sol
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_the_worked_numbers() -> None:
    # exercise 1: 600 points; lr = 0.5 on the mean loss is lr = 0.5/600 on the summed loss
    np.testing.assert_allclose(sol.contraction_factors(ex.EX_COUNTS, 0.5),
                               [0.75, 0.95, 0.65, 0.85, 0.8])
    np.testing.assert_allclose(sol.contraction_factors(ex.EX_COUNTS, 0.5),
                               theory.contraction_factors(ex.EX_COUNTS, 0.5 / 600))
    # exercise 2: n_min = 30, n_max = 210 -> 1/240, worst factor 180/240
    assert sol.best_global_lr() == pytest.approx(1 / 240)
    assert theory.best_global_lr(ex.EX_COUNTS)[1] == pytest.approx(0.75)
    # exercise 3: rho = 1e-3 ** (1/100) = 0.93325..., lr = (1 - rho) / 20
    assert sol.smallest_lr() == pytest.approx(0.00333728496, rel=1e-9)
    assert (1 - 2 * sol.smallest_lr() * ex.EX_NK) ** ex.EX_STEPS <= ex.EX_EPS * (1 + 1e-12)
    assert (1 - 2 * 0.999 * sol.smallest_lr() * ex.EX_NK) ** ex.EX_STEPS > ex.EX_EPS
    assert sol.smallest_lr() / ex.QUESTION_LR == pytest.approx(333.73, abs=0.01)


def test_the_exercise_answers_are_not_the_lessons_numbers() -> None:
    # the lesson prints 1/360 for its blobs of 40, 80, 160, 320 and steps for n_k = 100, 25
    assert not math.isclose(sol.best_global_lr(), 1 / 360)
    rho = 1 - 2 * sol.smallest_lr() * ex.EX_NK
    assert theory.iterations_to_shrink(rho, ex.EX_EPS) == ex.EX_STEPS


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda counts, lr: 1 - 2 * lr * np.asarray(counts), "summed loss"),
        (lambda counts, lr: 1 - lr * np.asarray(counts) / np.sum(counts), "has a 2 in it"),
        (lambda counts, lr: 2 * lr * np.asarray(counts) / np.sum(counts) - 1, "sign is flipped"),
        (lambda counts, lr: 1 - 2 * lr * np.asarray(counts)[:1] / np.sum(counts),
         "one factor per cluster"),
        (lambda counts, lr: 1 - 2 * lr * np.asarray(counts) / len(counts), "expected"),
        ("1 - 2 lr n", "must be a function"),
    ],
)
def test_contraction_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_contraction_factors(wrong)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (1 / 420, "Newton's step for the largest cluster"),
        (1 / 60, "Newton's step for the smallest cluster"),
        (1 / 210, "worst factor"),
        (1 / 360, "worst factor"),
        ("1/240", "one number"),
    ],
)
def test_best_lr_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_best_global_lr(wrong)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (0.05, "Newton's step"),
        (2 * 0.0033372849601504494, "factor 2"),
        (math.log(1000) / 2000, "approximation"),
        ((1 + 1e-3 ** 0.01) / 20, "largest such lr"),
        (0.003337, "close but not exact"),
        (1e-5, "the smallest lr that reaches"),
        (-0.0033372849601504494, "positive"),
        (100, "the smallest lr that reaches"),
        ("0.0033", "one number"),
        (True, "one number"),
    ],
)
def test_smallest_lr_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_smallest_lr(wrong)


def test_smallest_lr_accepts_an_equivalent_expression() -> None:
    rho = math.exp(math.log(ex.EX_EPS) / ex.EX_STEPS)
    assert ex.check_smallest_lr((1 - rho) / (2 * ex.EX_NK)) is True


def _newton_over_n(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    labels = ak.assign(X, C)
    out = C.clone()
    for k in range(C.shape[0]):
        m = labels == k
        if m.any():
            g = 2 * (m.sum() * C[k] - X[m].sum(0))
            out[k] = C[k] - g / m.sum()  # forgot the 2 of the Hessian: overshoots
    return out


def _newton_nan_on_empty(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    labels = ak.assign(X, C)
    counts = torch.bincount(labels, minlength=C.shape[0]).double()
    sums = torch.zeros_like(C).index_add_(0, labels, X)
    return C - 2 * (counts[:, None] * C - sums) / (2 * counts[:, None])


def _in_place(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    C.copy_(ak.newton_step(X, C))
    return C


@pytest.mark.parametrize(
    "wrong, message",
    [
        (_newton_over_n, "divide the gradient"),
        (_newton_nan_on_empty, "NaN or inf"),
        (_in_place, "in place"),
        (lambda X, C: C[:1], "expected shape"),
        (42, "must be a function"),
    ],
)
def test_newton_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_newton_by_hand(wrong)
