"""Lesson 04's exercise checks: accept the worked solutions, reject wrong answers with a helpful
message, and treat None as "not attempted yet"."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import argmin_kmeans as ak
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson04 as ex
from argmin_kmeans.exercises.solutions import lesson04 as sol

CASES = [
    (ex.check_contraction_factors, sol.contraction_factors),
    (ex.check_best_global_lr, sol.best_global_lr),
    (ex.check_question_iterations, sol.question_iterations),
    (ex.check_newton_by_hand, sol.newton_by_hand),
]
IDS = [c.__name__ for c, _ in CASES]


@pytest.mark.parametrize("check, solution", CASES, ids=IDS)
def test_accepts_the_worked_solution(check, solution, capsys) -> None:
    assert check(solution) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("check, solution", CASES, ids=IDS)
def test_none_is_not_attempted_with_a_hint(check, solution, capsys) -> None:
    assert check(None) is None
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "Hint:" in out


def test_the_worked_numbers() -> None:
    assert sol.best_global_lr == pytest.approx(1 / 360)
    # rho = 0.9998; 0.9998 ** 34535 > 1e-3 >= 0.9998 ** 34536
    assert sol.question_iterations == 34536
    assert 0.9998**34535 > 1e-3 >= 0.9998**34536
    np.testing.assert_allclose(sol.contraction_factors(ex.EX_COUNTS, 1 / 400), [0.8, 0.6, 0.2, -0.6])


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda counts, lr: 1 - lr * np.asarray(counts), "has a 2 in it"),
        (lambda counts, lr: 2 * lr * np.asarray(counts) - 1, "sign is flipped"),
        (lambda counts, lr: 1 - 2 * lr * np.asarray(counts)[:1], "one factor per cluster"),
        (lambda counts, lr: 1 - 2 * lr * (np.asarray(counts) + 1), "expected"),
        ("1 - 2 lr n", "must be a function"),
    ],
)
def test_contraction_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_contraction_factors(wrong)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (1 / 640, "Newton's step for the largest cluster"),
        (1 / 80, "Newton's step for the smallest cluster"),
        (1 / 320, "worst factor"),
        ("1/360", "one number"),
    ],
)
def test_best_lr_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_best_global_lr(wrong)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (34535, "round up"),
        (69075, "factor 2"),
        (5000, "the first t"),
        (34536.0, "whole number"),
    ],
)
def test_question_iterations_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_question_iterations(wrong)


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


def test_iterations_formula_matches_the_package() -> None:
    rho = 1 - 2 * ex.QUESTION_LR * ex.EX_NK
    assert sol.question_iterations == math.ceil(math.log(ex.EX_EPS) / math.log(rho))
