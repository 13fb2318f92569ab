"""Checks for lesson 09 (scaling k-means).

1. :func:`check_lloyd_from_shards` — write one data-parallel Lloyd step: per-shard statistics,
   added up, then the means.
2. :func:`check_allreduce_bytes` — predict how many bytes one iteration reduces.
3. :func:`check_crossover` — predict from the model where communication starts to dominate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import lloyd_step
from ..distributed.scaling import allreduce_bytes, crossover, project
from . import ExerciseError, exercise, require

__all__ = [
    "EX2_D",
    "EX2_K",
    "EX2_N",
    "EX3",
    "EX3_WORKERS",
    "check_allreduce_bytes",
    "check_crossover",
    "check_lloyd_from_shards",
]

#: Exercise 2: clusters, features and rows of the job.
EX2_K, EX2_D, EX2_N = 1000, 128, 10**9

#: Exercise 3: a hypothetical cluster (stated inputs, not measurements) and strong scaling:
#: 10^7 rows, 200 ns per row, a ring all_reduce whose every step takes 100 us over its network
#: (the cost per byte left out: the buffer is small).
EX3: dict[str, Any] = {"n_samples": 10_000_000, "t_row": 200e-9, "alpha": 100e-6}
#: Exercise 3: the worker counts to consider, 1, 2, 4, ..., 65536.
EX3_WORKERS = [2**i for i in range(17)]


def _cases(seed: int = 8) -> list[tuple[list[np.ndarray], np.ndarray]]:
    """Shards of unequal sizes (one empty, one with fewer rows than centres), centres with
    one that wins nothing."""
    rng = np.random.default_rng(seed)
    out = []
    for t in range(4):
        d = 1 + t % 3
        X = rng.normal(size=(60 + 7 * t, d)) + 4.0 * rng.integers(0, 3, size=(60 + 7 * t, 1))
        C = np.vstack([X[:3], np.full((1, d), 1e3)])  # the last centre is far away: empty
        a, b = 12 + 3 * t, 40 + 5 * t  # shards of 2, 10.., 28.. and the rest; one empty
        shards = [X[:2], X[2:a], X[a:b], X[b:], X[:0]]
        out.append((shards, C))
    return out


def _shard_means(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """One shard's own Lloyd step (a wrong answer's ingredient): the means of its rows per
    nearest centre, the old centre where it has none. Any number of rows, even fewer than
    centres."""
    labels = ((X[:, None, :] - C[None]) ** 2).sum(axis=2).argmin(axis=1)
    counts = np.bincount(labels, minlength=len(C))[:, None]
    sums = np.zeros_like(C, dtype=np.float64)
    np.add.at(sums, labels, X)
    return np.where(counts > 0, sums / np.maximum(counts, 1), C)


@exercise(
    "Exercise 1 (Lloyd from shards)",
    "write lloyd_from_shards(shards, centers): for every non-empty shard, its labels (the "
    "nearest centre of each row: ((shard[:, None, :] - centers[None]) ** 2).sum(axis=2)"
    ".argmin(axis=1); ak.assign and ak.cluster_stats refuse a shard with fewer rows than "
    "centres), its counts n_k (np.bincount(labels, minlength=K)) and sums S_k "
    "(np.add.at(sums, labels, shard)). Add the counts and the sums over the shards, then "
    "return S_k / n_k for the clusters with n_k > 0 and the old centre for the others.",
    code=True,
    forbid=(lloyd_step,),
)
def check_lloyd_from_shards(answer: Callable[..., Any]) -> None:
    """``answer``: a function ``(shards: list of (n_r, d) arrays, centers (k, d)) -> (k, d)``."""
    require(callable(answer), f"answer should be a function, got {type(answer).__name__}")
    for shards, C in _cases():
        try:
            got = answer([s.copy() for s in shards], C.copy())
        except Exception as e:  # the student's code: report, do not crash
            raise ExerciseError(f"your function raised {type(e).__name__}: {e}") from e
        got = np.asarray(got, dtype=np.float64)
        want = lloyd_step(np.concatenate(shards), C)
        require(got.shape == want.shape, f"return shape {want.shape} (k, d), got {got.shape}")
        require(not np.isnan(got).any(),
                "NaN in your centres: a cluster with n_k = 0 must keep its old centre")
        nonempty = [s for s in shards if len(s)]
        mean_of_means = np.mean([_shard_means(s, C) for s in nonempty], axis=0)
        if np.allclose(got, mean_of_means) and not np.allclose(got, want):
            raise ExerciseError(
                "that is the average of the shards' means: shards of different sizes must be "
                "weighted by their counts. Add counts and sums first, divide once at the end."
            )
        require(np.allclose(got, want, rtol=1e-10, atol=1e-10),
                "the centres differ from one Lloyd step on the whole data (ak.lloyd_step)")


@exercise(
    "Exercise 2 (bytes per iteration)",
    "the all_reduce carries, per cluster, the d sums S_k and the count n_k, plus the loss and "
    "the number of changed labels, all as float64 (8 bytes). Which of EX2_K, EX2_D, EX2_N "
    "matter?",
)
def check_allreduce_bytes(answer: Any) -> None:
    """``answer``: bytes in the buffer reduced per iteration for ``EX2_K`` clusters, ``EX2_D``
    features and ``EX2_N`` rows."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number of bytes, got {type(answer).__name__}") from e
    k, d, n = EX2_K, EX2_D, EX2_N
    want = allreduce_bytes(k, d)
    if a >= n:
        raise ExerciseError("the number of rows does not enter: every rank sends sums, not rows")
    if a == 8 * k * d:
        raise ExerciseError("that is the sums alone: the counts n_k travel too (and two scalars)")
    if a == 8 * k * (d + 1):
        raise ExerciseError("nearly: the buffer also carries the loss and the changed-label count")
    if a == want // 2:
        raise ExerciseError("the buffer is float64: 8 bytes per number, not 4")
    if a == want // 8:
        raise ExerciseError("that is the number of float64 numbers; the question asks for bytes")
    require(a == want, f"got {a:.0f} bytes; count the numbers per cluster, then the scalars")


@exercise(
    "Exercise 3 (where communication dominates)",
    "strong scaling: the compute per iteration is ceil(n/p) * t_row; gloo's ring all_reduce "
    "takes 2(p - 1) steps (a reduce-scatter and an all-gather of p - 1 steps each), each "
    "alpha here. By hand: n t_row / p = 2(p - 1) alpha near p ~ sqrt(n t_row / (2 alpha)). "
    "sc.project(ex.EX3_WORKERS, **ex.EX3) tabulates both terms; sc.crossover reads the table.",
)
def check_crossover(answer: Any) -> None:
    """``answer``: the smallest ``p`` in ``EX3_WORKERS`` whose communication time is at least
    its compute time, for the inputs ``EX3`` (the ring model)."""
    try:
        a = int(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number of workers, got {type(answer).__name__}") from e
    want = crossover(project(EX3_WORKERS, **EX3))
    require(a in EX3_WORKERS, f"pick one of the powers of two EX3_WORKERS, got {a}")
    tree = crossover(project(EX3_WORKERS, algorithm="tree", **EX3))
    half = crossover(project(EX3_WORKERS, **dict(EX3, alpha=EX3["alpha"] / 2)))
    if a == tree and a != want:
        raise ExerciseError("that is where a tree's ceil(log2 p) rounds would catch up; gloo "
                            "runs a ring: 2(p - 1) steps")
    if a == half and a != want:
        raise ExerciseError("that counts p - 1 steps; the ring takes p - 1 to reduce-scatter "
                            "and p - 1 more to all-gather: 2(p - 1)")
    if want is not None and a == want // 2:
        raise ExerciseError("at that p the compute still takes longer: one doubling more")
    require(a == want, f"at p = {a} the all_reduce does not catch up with the compute first; "
                       "tabulate both terms")
