"""Lesson 09 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from solutions import lesson09 as sol  # instructor/solutions (pytest's pythonpath)

from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson09 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def test_the_cases_have_an_empty_shard_and_an_empty_cluster() -> None:
    for shards, C in ex._cases():
        assert any(len(s) == 0 for s in shards)
        assert any(0 < len(s) < len(C) for s in shards)  # fewer rows than centres
        assert len({len(s) for s in shards}) > 2  # shards of different sizes
        X = np.concatenate(shards)
        assert ((X[:, None, :] - C[None]) ** 2).sum(axis=2).argmin(axis=1).max() < len(C) - 1


def _mean_of_means(shards, centers):
    out = []
    for X in shards:
        if len(X):
            lab = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
            out.append([X[lab == j].mean(axis=0) if (lab == j).any() else centers[j]
                        for j in range(len(centers))])
    return np.mean(np.array(out), axis=0)


def _nan_for_empty(shards, centers):
    X = np.concatenate(shards)
    lab = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.array([X[lab == j].mean(axis=0) for j in range(len(centers))])


def _first_shard_only(shards, centers):
    return sol.lloyd_from_shards(shards[:1], centers)


@pytest.mark.parametrize(
    "answer,message",
    [
        (_mean_of_means, "average of the shards' means"),
        (_nan_for_empty, "must keep its old centre"),
        (_first_shard_only, "differ from one Lloyd step"),
        (lambda shards, c: c[:2], r"return shape \(4, 1\)"),
        (lambda shards, c: 1 / 0, "ZeroDivisionError"),
        (3, "should be a function"),
    ],
)
def test_exercise1_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_lloyd_from_shards(answer)


@pytest.mark.parametrize(
    "answer,message",
    [
        (8 * ex.EX2_K * ex.EX2_D * ex.EX2_N, "rows does not enter"),
        (8 * ex.EX2_K * ex.EX2_D, "sums alone"),
        (8 * ex.EX2_K * (ex.EX2_D + 1), "nearly"),
        (4 * (ex.EX2_K * (ex.EX2_D + 1) + 2), "8 bytes per number"),
        (ex.EX2_K * (ex.EX2_D + 1) + 2, "number of float64 numbers"),
        (12345, "count the numbers"),
        ("many", "a number of bytes"),
    ],
)
def test_exercise2_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_allreduce_bytes(answer)


def test_exercise3_answer_is_where_comm_first_reaches_compute() -> None:
    from argmin_kmeans.distributed import scaling as sc

    t = sc.project(ex.EX3_WORKERS, **ex.EX3)
    p = sol.crossover()
    i = ex.EX3_WORKERS.index(p)
    assert t["comm"][i] >= t["compute"][i] and t["comm"][i - 1] < t["compute"][i - 1]


@pytest.mark.parametrize(
    "answer,message",
    [
        (64, "one doubling more"),
        (256, "counts p - 1 steps"),
        (2048, "a tree's"),
        (1000, "powers of two"),
        (65536, "does not catch up"),
        ("lots", "a number of workers"),
    ],
)
def test_exercise3_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_crossover(answer)


def test_exercise1_solution_takes_a_shard_smaller_than_the_centres() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    C = X[:5].copy()
    got = sol.lloyd_from_shards([X[:3], X[3:], X[:0]], C)
    lab = ((X[:, None, :] - C[None]) ** 2).sum(axis=2).argmin(axis=1)
    want = np.array([X[lab == j].mean(axis=0) for j in range(5)])
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


def test_lloyd_from_shards_rejects_the_package_step() -> None:
    """One Lloyd step on the concatenated shards is not the data-parallel step asked for."""
    from argmin_kmeans import lloyd_step

    with pytest.raises(ExerciseError, match="package's own `lloyd_step`.*yourself"):
        ex.check_lloyd_from_shards(lambda shards, C: lloyd_step(np.concatenate(shards), C))
