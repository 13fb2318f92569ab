"""Worked solutions for lesson 04 (teachers: one per check, under the check's name)."""

from __future__ import annotations

import numpy as np
import torch

from ...core import assign
from ..lesson04 import EX_COUNTS, EX_EPS, EX_NK, EX_STEPS

__all__ = ["contraction_factors", "best_global_lr", "smallest_lr", "newton_by_hand"]


def contraction_factors(counts: np.ndarray, lr: float) -> np.ndarray:
    """Exercise 1. The mean loss ``L / n`` has gradient ``2(n_k c_k - S_k) / n``, so
    ``c_k' - m_k = (c_k - m_k) - (2 lr n_k / n)(c_k - m_k)`` and the factor is
    ``1 - 2 lr n_k / n`` with ``n = sum(counts)`` (1 for an empty cluster: it does not move).
    The mean loss is the summed loss with the step size divided by ``n``."""
    counts = np.asarray(counts, dtype=np.float64)
    return 1.0 - 2.0 * lr * counts / counts.sum()


def best_global_lr() -> float:
    """Exercise 2. The worst factor is max(1 - 2 lr n_min, 2 lr n_max - 1): the first falls and
    the second rises with lr, so the minimum is where they are equal,
    ``1 - 2 lr n_min = 2 lr n_max - 1``, i.e. ``lr = 1 / (n_min + n_max)``."""
    n = EX_COUNTS[EX_COUNTS > 0]
    return 1.0 / float(n.min() + n.max())



def smallest_lr() -> float:
    """Exercise 3. After ``t`` steps the distance is ``rho**t`` times the initial one, with
    ``rho = 1 - 2 lr n_k`` decreasing in ``lr``. For ``0 < rho < 1``, ``rho**t <= eps`` iff
    ``rho <= eps**(1/t)``, so the smallest lr has ``1 - 2 lr n_k = eps**(1/t)``:
    ``lr = (1 - 1e-3**(1/100)) / 20 = 0.0033373...``, about 334 times the question's 1e-5."""
    return (1.0 - EX_EPS ** (1.0 / EX_STEPS)) / (2.0 * EX_NK)



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
