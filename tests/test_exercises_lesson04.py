"""Lesson 04's exercise checks: accept the worked solutions, reject wrong answers with a helpful
message, and treat None as "not attempted yet"."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from solutions import lesson04 as sol  # instructor/solutions (pytest's pythonpath)

import argmin_kmeans as ak
from argmin_kmeans import datasets, relax, theory
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson04 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_the_worked_numbers() -> None:
    # exercise 1: 600 points; lr = 0.5 on the mean loss is lr = 0.5/600 on the summed loss
    np.testing.assert_allclose(sol.contraction_factors(ex.EX_COUNTS, 0.5),
                               [0.75, 0.95, 0.65, 0.85, 0.8])
    np.testing.assert_allclose(sol.contraction_factors(ex.EX_COUNTS, 0.5),
                               theory.contraction_factors(ex.EX_COUNTS, 0.5 / 600))
    # exercise 2: the hot limit is the data mean, for every centre; the package's step agrees
    X = datasets.load_dataset("iris").X
    C0 = ak.random_init(X, 3, seed=0)
    hot = relax.soft_lloyd_step(X, C0, ex.HOT_TAU)
    np.testing.assert_allclose(sol.hot_em_step(), hot, rtol=0, atol=1e-4)
    assert ak.sq_distances(X, C0).max() < 100  # so tau = 1e6 makes every r_ik = 1/3 to 1e-4
    # exercise 3: rho = 1e-3 ** (1/100) = 0.93325..., lr = (1 - rho) / 20
    assert sol.smallest_lr() == pytest.approx(0.00333728496, rel=1e-9)
    assert (1 - 2 * sol.smallest_lr() * ex.EX_NK) ** ex.EX_STEPS <= ex.EX_SHRINK * (1 + 1e-12)
    assert (1 - 2 * 0.999 * sol.smallest_lr() * ex.EX_NK) ** ex.EX_STEPS > ex.EX_SHRINK
    assert sol.smallest_lr() / ex.QUESTION_LR == pytest.approx(333.73, abs=0.01)


def test_the_exercise_answers_are_not_the_lessons_numbers() -> None:
    # the lesson prints steps for n_k = 100, 25; the hot EM step is not shown at any tau > 10
    rho = 1 - 2 * sol.smallest_lr() * ex.EX_NK
    assert theory.iterations_to_shrink(rho, ex.EX_SHRINK) == ex.EX_STEPS


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


def _iris_start():
    X = datasets.load_dataset("iris").X
    return X, ak.random_init(X, 3, seed=0)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda X, C0: C0, "starting centres"),
        (lambda X, C0: ak.lloyd_step(X, C0), "Lloyd step"),
        (lambda X, C0: np.tile(C0.mean(axis=0), (3, 1)), "mean of the starting centres"),
        (lambda X, C0: np.tile(np.median(X, axis=0), (3, 1)), "not"),
        (lambda X, C0: relax.soft_lloyd_step(X, C0, 1.0), "not"),
        (lambda X, C0: X.mean(axis=0), "shape"),
        (lambda X, C0: "the mean", "array"),
    ],
)
def test_hot_em_step_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_hot_em_step(wrong(*_iris_start()))


def test_hot_em_step_accepts_the_computed_step() -> None:
    X, C0 = _iris_start()
    assert ex.check_hot_em_step(relax.soft_lloyd_step(X, C0, ex.HOT_TAU)) is True


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
    rho = math.exp(math.log(ex.EX_SHRINK) / ex.EX_STEPS)
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
    C.copy_(sol.newton_by_hand(X, C))
    return C


@pytest.mark.parametrize(
    "wrong, message",
    [
        (_newton_over_n, "divide the gradient"),
        (_newton_nan_on_empty, "NaN or inf"),
        (_in_place, "in place"),
        (lambda X, C: C[:1], "expected shape"),
        (42, "must be a function"),
        (ak.newton_step, "package's own `newton_step`"),
        (lambda X, C: ak.newton_step(X, C), "write it yourself"),
        (ak.lloyd_step, "package's own `lloyd_step`"),
    ],
)
def test_newton_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_newton_by_hand(wrong)
