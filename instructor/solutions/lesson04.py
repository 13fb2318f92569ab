"""Worked solutions for lesson 04 (instructors: one per check, under its name)."""

from __future__ import annotations

import numpy as np
import torch

from argmin_kmeans.core import assign
from argmin_kmeans.datasets import load_dataset
from argmin_kmeans.exercises.lesson04 import EX_NK, EX_SHRINK, EX_STEPS

__all__ = ["contraction_factors", "hot_em_step", "smallest_lr", "newton_by_hand"]


def contraction_factors(counts: np.ndarray, lr: float) -> np.ndarray:
    """Exercise 1. The mean loss ``L / n`` has gradient ``2(n_k c_k - S_k) / n``, so
    ``c_k' - S_k/n_k = (1 - 2 lr n_k / n)(c_k - S_k/n_k)`` and the factor is ``1 - 2 lr
    n_k / n`` with ``n = sum(counts)`` (1 for an empty cluster: it does not move). The
    mean loss is the summed loss with the step size divided by ``n``."""
    counts = np.asarray(counts, dtype=np.float64)
    return 1.0 - 2.0 * lr * counts / counts.sum()


def hot_em_step() -> np.ndarray:
    """Exercise 2. At ``tau = 1e6`` every squared distance divided by ``tau`` is tiny
    (iris's are below 100), so every responsibility is ``1/k`` to about 1e-5: each
    centre moves to the plain mean of all the samples. All three centres land on the
    same point, the data's mean — the opposite limit of Lloyd's step, and why a too-hot
    soft k-means merges its clusters."""
    X = load_dataset("iris").X
    return np.tile(X.mean(axis=0), (3, 1))


def smallest_lr() -> float:
    """Exercise 3. After ``t`` steps the distance is ``rho**t`` times the initial one,
    with ``rho = 1 - 2 lr m_k`` decreasing in ``lr`` (``m_k`` the centre's points in the
    batch). For ``0 < rho < 1``, ``rho**t <= EX_SHRINK`` iff ``rho <=
    EX_SHRINK**(1/t)``, so the smallest lr has ``1 - 2 lr m_k = EX_SHRINK**(1/t)``: ``lr
    = (1 - 1e-3**(1/100)) / 20 = 0.0033373...``, about 334 times the question's 1e-5."""
    return (1.0 - EX_SHRINK ** (1.0 / EX_STEPS)) / (2.0 * EX_NK)


def newton_by_hand(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Exercise 4. Assign, then per centre: gradient ``2(n_k c_k - S_k)``, Hessian ``2
    n_k I``, step ``c_k - g_k / (2 n_k)``; an empty cluster keeps its centre."""
    labels = assign(X, C)  # the E-step: nearest centre, ties to the lowest index
    out = C.clone()
    for k in range(C.shape[0]):
        members = X[labels == k]
        n_k = members.shape[0]
        if n_k == 0:
            continue
        g = 2.0 * (n_k * C[k] - members.sum(dim=0))
        out[k] = C[k] - g / (2.0 * n_k)
    return out
