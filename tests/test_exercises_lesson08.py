"""Lesson 08 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from solutions import lesson08 as sol  # instructor/solutions (pytest's pythonpath)

import argmin_kmeans as ak
from argmin_kmeans import implicit as im
from argmin_kmeans.datasets import square_blobs
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson08 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest


@pytest.fixture(scope="module")
def J() -> torch.Tensor:
    """The lesson's J_03: the blobs at temperature 0.3, where one sample clearly leads."""
    X = square_blobs()
    C = ak.fit(X, ak.random_init(X, 4, seed=1)).final_centers
    C = im.soft_fixed_point(X, C, 0.3, tol=1e-13)
    return im.fixed_point_jacobian(X, C, 0.3)


@pytest.fixture(scope="module")
def J_args(J) -> tuple[torch.Tensor]:
    return (J,)


test_exercise_contract = exercise_contract(ex, sol, {"most_influential": "J_args"})


def test_exercise1_accepts_a_numpy_jacobian(capsys, J) -> None:
    assert ex.check_most_influential(sol.most_influential(J.numpy()), J.numpy())
    assert "correct." in capsys.readouterr().out


def test_exercise1_rejects(J) -> None:
    block = (J[0] ** 2).sum(dim=(0, 2)).sqrt()
    with pytest.raises(ExerciseError, match="least"):
        ex.check_most_influential(int(block.argmin()), J)
    other = int(block.argsort()[len(block) // 2])
    with pytest.raises(ExerciseError, match="another"):
        ex.check_most_influential(other, J)
    with pytest.raises(ExerciseError, match="in \\[0, 199\\]"):
        ex.check_most_influential(200, J)
    with pytest.raises(ExerciseError, match="an int"):
        ex.check_most_influential(3.0, J)
    with pytest.raises(ExerciseError, match="an int"):
        ex.check_most_influential(True, J)
    with pytest.raises(ExerciseError, match="n_clusters, n_features"):
        ex.check_most_influential(0, J[0])


def test_exercise1_tells_centre_0_from_the_total() -> None:
    """A made-up J where sample 0 moves centre 0 most and sample 1 moves all centres most."""
    J = np.zeros((2, 1, 3, 1))
    J[0, 0, :, 0] = [0.5, 0.2, 0.1]
    J[1, 0, :, 0] = [0.0, 0.9, 0.0]
    assert ex.check_most_influential(0, J)
    with pytest.raises(ExerciseError, match="in total"):
        ex.check_most_influential(1, J)


def test_exercise2_prediction_holds_on_a_jacobian(J) -> None:
    """The columns of J add up to the identity: every centre follows a common shift."""
    v = torch.tensor(ex.EX2_V)
    for k in range(J.shape[0]):
        moved = torch.einsum("aib,b->a", J[k], v)
        np.testing.assert_allclose(moved.numpy(), sol.translation(), rtol=0, atol=1e-9)
    assert ex.check_translation(torch.einsum("aib,b->a", J[0], v))


@pytest.mark.parametrize(
    "answer,message",
    [
        ([0.0, 0.0], "does move"),
        ([-1.0, 0.0], "wrong direction"),
        ([1 / 20, 0.0], "wrong length"),
        ([0.0, 1.0], "translating"),
        ([1.0, 0.0, 0.0], "shape"),
        ([float("nan"), 0.0], "finite"),
        ("right", "2 numbers"),
    ],
)
def test_exercise2_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_translation(answer)


def test_exercise3_prediction_holds_in_a_simulation() -> None:
    """Run the EMA of the lesson with a code that wins EX3_BATCH_COUNT samples every batch:
    after many batches it moves the predicted share of the way to each batch mean."""
    gamma, m = ex.EX3_GAMMA, ex.EX3_BATCH_COUNT
    rng = np.random.default_rng(0)
    N, S = 0.0, np.zeros(2)
    for _ in range(400):
        batch = rng.normal(size=(m, 2))
        c_old = S / N if N > 0 else np.zeros(2)
        N, S = gamma * N + m, gamma * S + batch.sum(0)
        c_new = S / N
    share = (c_new - c_old) / (batch.mean(0) - c_old)
    np.testing.assert_allclose(share, sol.ema_step(), rtol=1e-6)


@pytest.mark.parametrize(
    "answer,message",
    [
        (320.0, "settled count"),
        (0.95, "stays"),
        (1 / 320, "one sample"),
        (0.0, "gamma = 1"),
        (0.5, "solve N"),
        (float("inf"), "finite"),
        ("small", "a number"),
    ],
)
def test_exercise3_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_ema_step(answer)


def test_exercise1_rejects_a_jacobian_with_tied_samples() -> None:
    """At temperature 0 every sample of a cluster has the same block: no single answer."""
    means = torch.tensor([[0.0, 0.0], [4.0, 0.0]], dtype=torch.float64)
    X = means.repeat_interleave(5, 0) + torch.linspace(-0.5, 0.5, 10, dtype=torch.float64)[:, None]
    J0 = im.fixed_point_jacobian(X, ak.fit(X, means).final_centers)
    with pytest.raises(ExerciseError, match="no single most influential"):
        ex.check_most_influential(0, J0)
