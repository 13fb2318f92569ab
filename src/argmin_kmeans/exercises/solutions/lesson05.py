"""Worked solutions for lesson 05 (teachers: one per check, under the check's name)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lesson05 import EX1_COUNTS, EX1_LR, EX3_COUNTS

__all__ = ["sgd_fractions", "online_update", "best_global_lr", "samples_needed"]


def sgd_fractions() -> np.ndarray:
    """Exercise 1. The step ``c_k - lr * 2 m_k (c_k - mean_k)`` is
    ``(1 - 2 lr m_k) c_k + 2 lr m_k mean_k``: a fraction ``2 lr m_k`` of the way."""
    return 2.0 * EX1_LR * EX1_COUNTS


def online_update(x: np.ndarray, centers: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2. MacQueen's update for one sample, on copies of the inputs."""
    c, n = centers.astype(np.float64).copy(), counts.astype(np.float64).copy()
    k = int(np.argmin(((c - x) ** 2).sum(axis=1)))  # the winner
    n[k] += 1  # count first ...
    c[k] += (x - c[k]) / n[k]  # ... then move by 1/n_k: c_k becomes the running mean
    return c, n


def best_global_lr() -> float:
    """Exercise 3. Over the centres that won samples, ``|1 - 2 lr m_k|`` is worst at the two
    extremes: the smallest count (its factor falls towards 0 as lr grows) and the largest (its
    factor falls to 0 at ``lr = 1/(2 m_max)``, then rises again). The larger of the two is lowest
    where ``1 - 2 lr m_min = 2 lr m_max - 1``, i.e. ``lr = 1 / (m_min + m_max)``; the worst factor
    is then ``(m_max - m_min) / (m_max + m_min)``, the condition-number ratio of gradient descent.
    The empty centre has no batch mean and does not move: it is left out."""
    m = EX3_COUNTS[EX3_COUNTS > 0].astype(np.float64)
    return 1.0 / float(m.min() + m.max())


def samples_needed(history: Any, reference_loss: float) -> int:
    """Exercise 4. Samples processed at the first checkpoint whose full-data loss is at or below
    the reference loss."""
    loss = np.asarray(history.loss, dtype=np.float64)
    first = int(np.argmax(loss <= reference_loss))  # the first True (the check requires one)
    return int(np.asarray(history.samples_seen)[first])
