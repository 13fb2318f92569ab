"""Lesson 06 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from solutions import lesson06 as sol  # instructor/solutions (pytest's pythonpath)

from argmin_kmeans import stochastic as sk
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson06 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def _stats(xb, centers):
    labels = torch.cdist(xb, centers).argmin(dim=1)
    m = torch.bincount(labels, minlength=len(centers)).to(centers.dtype)
    s = torch.zeros_like(centers).index_add_(0, labels, xb)
    return m, s


def _batch_mean(xb, centers, counts):
    m, s = _stats(xb, centers)
    won = m > 0
    out = centers.clone()
    out[won] = s[won] / m[won, None]
    return out, counts + m


def _old_count(xb, centers, counts):
    m, s = _stats(xb, centers)
    return centers + (s - m[:, None] * centers) / counts.clamp(min=1)[:, None], counts + m


def _nan_for_empty(xb, centers, counts):
    m, s = _stats(xb, centers)
    N = counts + m
    return centers + (s - m[:, None] * centers) / N[:, None], N


def _no_counts(xb, centers, counts):
    c, _ = sol.step_without_autograd(xb, centers, counts)
    return c, counts


def _in_place(xb, centers, counts):
    m, s = _stats(xb, centers)
    counts += m
    centers += (s - m[:, None] * centers) / counts.clamp(min=1)[:, None]
    return centers, counts


def _moves_the_idle(xb, centers, counts):
    c, n = sol.step_without_autograd(xb, centers, counts)
    return c + 1e-3, n


@pytest.mark.parametrize(
    "answer,message",
    [
        (_batch_mean, "batch mean"),
        (_old_count, r"\*after\* adding the batch"),
        (_nan_for_empty, "NaN or inf"),
        (_no_counts, "counts: expected"),
        (_in_place, "modified its inputs"),
        (_moves_the_idle, "must not move"),
        (lambda xb, c, n: c, "pair"),
        (lambda xb, c, n: 1 / 0, "ZeroDivisionError"),
        (3, "should be a function"),
        (sk.minibatch_step, "write it yourself"),
        (lambda xb, c, n: sk.minibatch_step(xb, c, n), "write it yourself"),
    ],
)
def test_exercise1_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_step_without_autograd(answer)


def test_exercise1_solution_matches_the_package_and_sklearn() -> None:
    # the worked solution, the package's minibatch_step and the lesson's claim: equal
    for xb, centers, counts in ex._cases():
        got = sol.step_without_autograd(xb, centers, counts)
        want = sk.minibatch_step(xb, centers, counts)
        torch.testing.assert_close(got[0], want[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(got[1], want[1], rtol=0, atol=0)


def test_exercise1_accepts_numpy_outputs() -> None:
    def numpy_answer(xb, centers, counts):
        c, n = sol.step_without_autograd(xb, centers, counts)
        return c.numpy(), n.numpy()

    assert ex.check_step_without_autograd(numpy_answer) is True


def test_exercise2_the_number() -> None:
    t = sol.when_lr_is_newton()
    assert t == pytest.approx(10_000)
    assert 1 / (2 * ex.EX2_M * t) == pytest.approx(ex.EX2_LR)
    assert ex.check_when_lr_is_newton(10_000) is True
    assert ex.check_when_lr_is_newton(np.float64(10_001)) is True  # within one batch
    assert ex.check_when_lr_is_newton(9_999.5) is True


@pytest.mark.parametrize(
    "answer,message",
    [
        (50_000, "N_k, the samples won"),
        (20_000, "factor 2"),
        (500, "not all 100"),
        (4001, "length of the question's run"),
        (123, "got 123 batches"),
        (float("inf"), "positive number"),
        (-10_000, "positive number"),
        (10_002, "got 10002 batches"),
        ("many", "a number of batches"),
    ],
)
def test_exercise2_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_when_lr_is_newton(answer)


def test_exercise3_the_pair() -> None:
    t, verdict = sol.big_centre_step()
    assert t == pytest.approx(510.2, abs=0.1) and verdict == "too large"
    assert ex.check_big_centre_step((510, "too large")) is True
    assert ex.check_big_centre_step([511.0, " Too Large"]) is True


@pytest.mark.parametrize(
    "answer,message",
    [
        ((510, "too small"), "t is right"),
        ((10_000, "too large"), "centre winning 5 samples"),
        ((50_000, "too large"), "N_k, the samples won"),
        ((1020, "too large"), "factor 2"),
        ((500, "too large"), "not all 100"),
        ((4001, "too large"), "length of the question's run"),
        ((123, "too large"), "got 123 batches"),
        ((510, "big"), "verdict is one of"),
        ((float("nan"), "too large"), "positive number"),
        (("many", "too large"), "number of batches"),
        (510, "a pair"),
    ],
)
def test_exercise3_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_big_centre_step(answer)
