"""Lesson 02's exercise checks: accept the worked solution, reject wrong answers
helpfully, handle None."""

from __future__ import annotations

import math

import pytest
import torch
from solutions import lesson02 as sol  # instructor/solutions (pytest's pythonpath)

import argmin_kmeans as ak
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson02 as ex
from argmin_kmeans.naive import question_loss
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_steps_with_point_numbers() -> None:
    s = sol.steps_with_point()
    assert s == pytest.approx(4001 * (1 - 0.999**100), rel=1e-12)
    assert 380 < s < 381


def test_steps_with_point_matches_simulation() -> None:
    """The expectation the check wants, against batches drawn the way the question draws them."""
    g = torch.Generator().manual_seed(0)
    batches = torch.randint(1000, (4001, 100), generator=g)
    hits = (batches == 7).any(dim=1).sum().item()  # steps whose batch contains point 7
    assert abs(hits - sol.steps_with_point()) < 4 * math.sqrt(4001 * 0.0952 * 0.9048)
    assert ex.check_steps_with_point(round(sol.steps_with_point()))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (400.1, "counts the expected number of \\*draws\\*"),
        (0.0952, "probability per step"),
        (0.1, "probability per step"),
        (4001, "off by"),
        (370.0, "off by"),
        ("381", "must be a number"),
        ((380.8,), "must be a number"),
    ],
)
def test_steps_with_point_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_steps_with_point(wrong)


def _mean_loss(X, C):
    return sol.vectorized_loss(X, C) / X.shape[0]


def _detached_loss(X, C):
    return sol.vectorized_loss(X, C.detach())


def _all_centres_loss(X, C):
    return torch.cdist(X, C).pow(2).sum()


def _numpy_loss(X, C):
    return sol.vectorized_loss(X, C).detach().numpy()  # right value, but not a tensor


def _vector_loss(X, C):
    with torch.no_grad():
        labels = torch.cdist(X, C).argmin(dim=1)
    return ((X - C[labels]) ** 2).sum(dim=1)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (_mean_loss, "mean over samples"),
        (_detached_loss, "does not require grad"),
        (_all_centres_loss, "nearest"),
        (_numpy_loss, "must return a torch.Tensor"),
        (_vector_loss, "0-d tensor"),
        (question_loss, "\\(K, n, d\\) difference tensor"),
        (42, "must be a function"),
    ],
)
def test_vectorized_loss_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_vectorized_loss(wrong)


def test_vectorized_loss_rejects_a_wrong_gradient() -> None:
    def half_gradient(X, C):
        loss = sol.vectorized_loss(X, C)
        return loss.detach() + 0.5 * (loss - loss.detach())  # right value, half the gradient

    with pytest.raises(ExerciseError, match="gradient differs"):
        ex.check_vectorized_loss(half_gradient)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda n, d: n * d / 12, "Bessel"),
        (lambda n, d: (n - 1) * d / 6, "not the expected one-cluster loss"),
        (lambda n, d: "16650", "must return a number"),
        ((999 * 200 / 12), "must be a function"),
    ],
)
def test_one_cluster_loss_rejects(wrong, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_one_cluster_loss(wrong)


def test_one_cluster_loss_matches_simulation() -> None:
    """The formula the check wants is the expectation: simulated, it agrees to ~1 %."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(400, 20, 50, generator=g, dtype=torch.float64)  # 400 data sets of n=20, d=50
    losses = ((X - X.mean(dim=1, keepdim=True)) ** 2).sum(dim=(1, 2))
    assert float(losses.mean()) == pytest.approx(sol.one_cluster_loss(20, 50), rel=0.01)


def test_vectorized_loss_hint_is_conceptual() -> None:
    """The hint is printed in the lesson: it must describe the idea, not hand over the code."""
    hint = ex.check_vectorized_loss.hint
    assert "own centroid" in hint
    assert "centers[labels]" not in hint and "**" not in hint and "cdist" not in hint


def test_vectorized_loss_rejects_the_package_loss() -> None:
    """Handing in ``ak.kmeans_loss``, or a line that calls it, is not the student's own code."""
    for answer in (ak.kmeans_loss, lambda X, C: ak.kmeans_loss(X, C)):
        with pytest.raises(ExerciseError, match="package's own `kmeans_loss`.*yourself"):
            ex.check_vectorized_loss(answer)
