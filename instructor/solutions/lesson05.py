"""Worked solutions for lesson 05 (instructors: one per check, under its name)."""

from __future__ import annotations

from typing import Any

import numpy as np

from argmin_kmeans.exercises.lesson05 import EX3_F, EX3_RECENT, EX3_WON

__all__ = ["batch_size_prediction", "online_update", "memory_shares", "samples_needed"]


def batch_size_prediction() -> str:
    """Exercise 1. With batches ten times smaller a centre wins ten times fewer batch
    samples, so each step moves it a fraction ``2 lr m_k`` ten times smaller — and one
    pass has ten times more steps. While the fractions are tiny (at most 0.27 % of the
    way here) the steps of one pass add up to about the same move, about one full-batch
    gradient step with the same lr: the loss after one pass is the same to about 0.01 %
    (7.1481 against 7.1473 per sample)."""
    return "same"


def online_update(
    x: np.ndarray, centers: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2. MacQueen's update for one sample, on copies of the inputs."""
    c, n = centers.astype(np.float64).copy(), counts.astype(np.float64).copy()
    k = int(np.argmin(((c - x) ** 2).sum(axis=1)))  # the winner
    n[k] += 1  # count first ...
    c[k] += (x - c[k]) / n[k]  # ... then move by 1/N_k: c_k becomes the running mean
    return c, n


def memory_shares() -> tuple[float, float]:
    """Exercise 3. Unrolled, ``c_T = (1-f)^T c_0 + sum_t f (1-f)^(T-t) x_t``: the newest
    sample weighs ``f``, each older one ``(1 - f)`` times less. The 100 newest carry ``f
    (1 + (1-f) + ... + (1-f)^99) = 1 - (1-f)^100 = 0.634`` of the weight, whatever
    ``T``: a constant step remembers only about the last ``1/f`` samples, which is why
    it keeps their noise (the floor of section 5). Online k-means' centre is the plain
    mean of all it has won, so the 100 newest of 1000 carry ``100/1000 = 0.1``, a share
    that keeps shrinking as it wins more."""
    return 1.0 - (1.0 - EX3_F) ** EX3_RECENT, EX3_RECENT / EX3_WON


def samples_needed(history: Any, reference_loss: float) -> int:
    """Exercise 4. Samples processed at the first checkpoint whose full-data loss is at
    or below the reference loss."""
    loss = np.asarray(history.loss, dtype=np.float64)
    # the first True (the check requires one)
    first = int(np.argmax(loss <= reference_loss))
    return int(np.asarray(history.samples_seen)[first])
