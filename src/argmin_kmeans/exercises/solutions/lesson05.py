"""Worked solutions for lesson 05 (stochastic k-means)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lesson05 import EX1_COUNTS, EX1_LR, EX3_COUNTS


def sgd_fractions() -> np.ndarray:
    """Exercise 1. The step ``c_k - lr * 2 m_k (c_k - mean_k)`` is
    ``(1 - 2 lr m_k) c_k + 2 lr m_k mean_k``: a fraction ``2 lr m_k`` of the way."""
    return 2.0 * EX1_LR * EX1_COUNTS


def online(x: np.ndarray, centers: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exercise 2. MacQueen's update for one sample, on copies of the inputs."""
    c, n = centers.astype(np.float64).copy(), counts.astype(np.float64).copy()
    k = int(np.argmin(((c - x) ** 2).sum(axis=1)))  # the winner
    n[k] += 1  # count first ...
    c[k] += (x - c[k]) / n[k]  # ... then move by 1/n_k: c_k becomes the running mean
    return c, n


def lr_bound() -> float:
    """Exercise 3. ``2 lr m_k <= 1`` for all k  <=>  ``lr <= 1 / (2 max_k m_k)``."""
    return 1.0 / (2.0 * float(EX3_COUNTS.max()))


def passes_needed(history: Any, reference_loss: float) -> float:
    """Exercise 4. The first checkpoint within 0.1 % of the reference loss."""
    loss = np.asarray(history.loss, dtype=np.float64)
    first = int(np.argmax(loss <= (1.0 + 1e-3) * reference_loss))
    return float(history.passes[first])
