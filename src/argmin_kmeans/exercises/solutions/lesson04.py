"""Worked solutions for lesson 04 (teachers; students, try the exercises first)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ...core import assign
from ..lesson04 import EX_COUNTS, EX_EPS, EX_NK, QUESTION_LR

__all__ = ["contraction_factors", "best_global_lr", "question_iterations", "newton_by_hand"]


def contraction_factors(counts: np.ndarray, lr: float) -> np.ndarray:
    """Exercise 1. ``c_k' - m_k = (c_k - m_k) - 2 lr n_k (c_k - m_k)``, so the factor is
    ``1 - 2 lr n_k`` (1 for an empty cluster: it does not move)."""
    return 1.0 - 2.0 * lr * np.asarray(counts, dtype=np.float64)


def _best_lr() -> float:
    """Exercise 2. The worst factor is max(1 - 2 lr n_min, 2 lr n_max - 1): the first falls and
    the second rises with lr, so the minimum is where they are equal,
    ``1 - 2 lr n_min = 2 lr n_max - 1``, i.e. ``lr = 1 / (n_min + n_max)``."""
    n = EX_COUNTS[EX_COUNTS > 0]
    return 1.0 / float(n.min() + n.max())


best_global_lr = _best_lr()


def _question_iterations() -> int:
    """Exercise 3. ``rho = 1 - 2 * 1e-5 * 10 = 0.9998``; the smallest ``t`` with
    ``rho**t <= 1e-3`` is ``ceil(log(1e-3) / log(0.9998))``."""
    rho = 1.0 - 2.0 * QUESTION_LR * EX_NK
    return math.ceil(math.log(EX_EPS) / math.log(rho))


question_iterations = _question_iterations()


def newton_by_hand(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """Exercise 4. Assign, then per centre: gradient ``2(n_k c_k - S_k)``, Hessian ``2 n_k I``,
    step ``c_k - g_k / (2 n_k)``; an empty cluster keeps its centre."""
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
