"""Worked solutions for lesson 09 (instructors: one per check, under its name)."""

from __future__ import annotations

import numpy as np

from argmin_kmeans.distributed import scaling as sc
from argmin_kmeans.exercises.lesson09 import EX2_D, EX2_K, EX3, EX3_WORKERS

__all__ = ["lloyd_from_shards", "allreduce_bytes", "crossover"]


def lloyd_from_shards(shards: list[np.ndarray], centers: np.ndarray) -> np.ndarray:
    """Exercise 1. Each shard contributes its counts and sums (what one rank computes);
    their sums over the shards are the whole data's, so one division gives Lloyd's step.
    A shard may be empty or have fewer rows than there are centres (``ak.cluster_stats``
    refuses that), so the labels come from the distances directly. An empty cluster
    keeps its centre."""
    k, d = centers.shape
    counts, sums = np.zeros(k), np.zeros((k, d))
    for X in shards:
        if len(X) == 0:  # an empty shard contributes nothing
            continue
        labels = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
        counts += np.bincount(labels, minlength=k)  # what the all_reduce adds up
        np.add.at(sums, labels, X)
    safe = np.maximum(counts, 1.0)[:, None]
    return np.where(counts[:, None] > 0, sums / safe, centers)


def allreduce_bytes() -> int:
    """Exercise 2. Per cluster d sums and 1 count, plus the loss and the changed-label
    count: ``k (d + 1) + 2`` float64 numbers, 8 bytes each. The rows never travel."""
    return 8 * (EX2_K * (EX2_D + 1) + 2)


def crossover() -> int | None:
    """Exercise 3. Tabulate the ring model and take the first p whose communication time
    is at least its compute time: the compute halves with every doubling of p, the
    ring's 2(p - 1) steps nearly double (here 2 s / p against 2(p - 1) * 100 us: p ~ 100
    by hand, p = 128 in the table)."""
    return sc.crossover(sc.project(EX3_WORKERS, **EX3))
