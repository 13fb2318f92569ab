"""Lesson 05 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest
from solutions import lesson05 as sol  # instructor/solutions (pytest's pythonpath)

import argmin_kmeans as ak
from argmin_kmeans import datasets
from argmin_kmeans import stochastic as sk
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson05 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(0)
    means = 20.0 * np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    X = np.repeat(means, 500, axis=0) + rng.normal(size=(2000, 2))
    C0 = X[[0, 500, 1000, 1500]].copy()  # one sample of each cluster: no local-minimum trap
    h = sk.fit_stochastic(X, C0, "minibatch", batch_size=20, n_steps=300,
                          eval_every=sk.log_spaced_steps(300, 25))
    ref = 1.001 * float(ak.fit(X, C0, "lloyd").final_loss)  # within 0.1 % of Lloyd's minimum
    assert ((h.loss <= ref).sum() >= 3) and h.loss[1] > ref  # a usable history
    return h, ref


test_exercise_contract = exercise_contract(ex, sol, {"samples_needed": "history"})


def test_solution_matches_the_package_online_step() -> None:
    rng = np.random.default_rng(1)
    C, n = rng.normal(size=(3, 2)), np.array([0.0, 2.0, 5.0])
    x = rng.normal(size=2)
    want_c, want_n = sk.online_step(x[None], C, n)
    got_c, got_n = sol.online_update(x, C, n)
    np.testing.assert_allclose(got_c, want_c, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(got_n, want_n)


@pytest.mark.parametrize(
    "answer,message",
    [
        ("lower", "ten times less"),
        ("higher", "noise averages out"),
        ("faster", "one of"),
        (1.0, "one of"),
    ],
)
def test_exercise1_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_batch_size_prediction(answer)


def test_exercise1_accepts_any_case() -> None:
    assert ex.check_batch_size_prediction(" Same ") is True


def test_exercise1_the_prediction_holds() -> None:
    # the lesson's claim on a smaller problem of the same kind: one pass of SGD at lr = 1e-5
    # lands within 1 % whether the batches hold 100 or 1000 samples
    X, _ = datasets.race_data(n_samples=20_000, n_features=5, n_clusters=15, seed=3)
    C0 = X[:15].copy()
    loss = {b: sk.fit_stochastic(X, C0, "sgd", batch_size=b, n_steps=len(X) // b, lr=1e-5,
                                 eval_every=len(X) // b).loss[-1] for b in (100, 1000)}
    assert abs(loss[100] / loss[1000] - 1) < 0.01
    assert loss[1000] < 0.999 * float(ak.kmeans_loss(X, C0))  # and the pass did move the centres


def _divide_before_counting(x, centers, counts):
    c, n = centers.copy(), counts.copy()
    k = int(np.argmin(((c - x) ** 2).sum(axis=1)))
    c[k] += (x - c[k]) / max(n[k], 1.0)
    n[k] += 1
    return c, n


def _in_place(x, centers, counts):
    k = int(np.argmin(((centers - x) ** 2).sum(axis=1)))
    counts[k] += 1
    centers[k] += (x - centers[k]) / counts[k]
    return centers, counts


def _moves_everyone(x, centers, counts):
    c, n = centers.copy(), counts.copy()
    k = int(np.argmin(((c - x) ** 2).sum(axis=1)))
    n[k] += 1
    return c + (x - c) / n[k], n


@pytest.mark.parametrize(
    "answer,message",
    [
        (_divide_before_counting, r"\*after\* adding this sample"),
        (_in_place, "modified its inputs"),
        (_moves_everyone, "only the nearest centre moves"),
        (lambda x, c, n: c, "pair"),
        (lambda x, c, n: 1 / 0, "ZeroDivisionError"),
        (42, "should be a function"),
    ],
)
def test_exercise2_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_online_update(answer)


def test_exercise3_shares_by_simulation() -> None:
    # unroll the updates numerically: the weight of each sample in the final centre
    f, T = ex.EX3_F, 400
    w = np.zeros(T + 1)
    w[0] = 1.0  # the init
    for t in range(1, T + 1):
        w *= 1 - f
        w[t] = f
    const = w[-ex.EX3_RECENT:].sum()
    won = np.ones(ex.EX3_WON) / ex.EX3_WON  # online: the plain mean
    np.testing.assert_allclose(sol.memory_shares(), (const, won[-ex.EX3_RECENT:].sum()), rtol=1e-12)


@pytest.mark.parametrize(
    "answer,message",
    [
        ((0.1, 1 - 0.99 ** 100), "swapped"),
        ((0.99 ** 100, 0.1), "older"),
        ((1.0, 0.1), "shrinks the weights"),
        ((1 - np.exp(-1.0), 0.1), "exactly"),
        ((0.5, 0.1), "not the weight"),
        ((1 - 0.99 ** 100, 100 / 1001), "init has no weight"),
        ((1 - 0.99 ** 100, 0.5), "each of which"),
        ((1 - 0.99 ** 100, 0.1, 3), r"shape \(2,\)"),
        ("a lot", "array of numbers"),
    ],
)
def test_exercise3_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_memory_shares(answer)


def test_exercise4_rejects(history) -> None:
    h, ref = history
    right = sol.samples_needed(h, ref)
    i = int(np.nonzero(h.samples_seen == right)[0][0])
    assert 0 < i < len(h.loss) - 1 and h.loss[i] <= ref < h.loss[i - 1]
    with pytest.raises(ExerciseError, match="just \\*before\\*"):
        ex.check_samples_needed(int(h.samples_seen[i - 1]), h, ref)
    with pytest.raises(ExerciseError, match="last checkpoint"):
        ex.check_samples_needed(int(h.samples_seen[-1]), h, ref)
    with pytest.raises(ExerciseError, match="in passes"):
        ex.check_samples_needed(float(h.passes[i]), h, ref)
    with pytest.raises(ExerciseError, match="steps"):
        ex.check_samples_needed(int(h.steps[i]), h, ref)
    with pytest.raises(ExerciseError, match="FIRST"):
        ex.check_samples_needed(right + 1, h, ref)
    with pytest.raises(ExerciseError, match="a number of samples"):
        ex.check_samples_needed([1, 2], h, ref)
    with pytest.raises(ExerciseError, match="never gets down"):
        ex.check_samples_needed(1.0, h, ref / 2)


def test_online_update_rejects_the_package_step() -> None:
    """``ak.online_step`` wrapped in one line is not the student's own update."""
    def wrapper(x, centers, counts):
        return ak.online_step(x[None, :], centers.copy(), counts.copy())

    for answer in (ak.online_step, wrapper):
        with pytest.raises(ExerciseError, match="package's own `online_step`.*yourself"):
            ex.check_online_update(answer)
