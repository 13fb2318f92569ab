"""Worked solutions for lesson 08 (instructors: one per check, under its name)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from argmin_kmeans.exercises.lesson08 import EX2_V, EX3_BATCH_COUNT, EX3_GAMMA

__all__ = ["most_influential", "translation", "ema_step"]


def most_influential(J: Any) -> int:
    """Exercise 1. The Frobenius norm of each ``2 x 2`` block ``dc_0/dx_i``; the largest
    is a sample between centre 0 and a neighbour, where a move changes its
    responsibilities most."""
    Jn = J.detach().cpu().numpy() if isinstance(J, torch.Tensor) else np.asarray(J)
    return int(np.argmax(np.sqrt((Jn[0] ** 2).sum(axis=(0, 2)))))


def translation() -> np.ndarray:
    """Exercise 2. Moving every sample by ``v`` maps a fixed point ``c*`` to ``c* + v``
    (all distances, hence all responsibilities, are unchanged), so ``sum_i J[k, :, i, :]
    = I`` for every ``k`` and centre 0 moves by ``v`` itself, at any temperature."""
    return EX2_V.copy()


def ema_step() -> float:
    """Exercise 3. ``c_new = c + (m / N_new)(s / m - c)``; the count settles where ``N =
    gamma N + m``, at ``N = m / (1 - gamma)`` (320 here), so the step is ``m / N = 1 -
    gamma = 0.05``: a constant step, like the question's fixed learning rate, instead of
    mini-batch k-means' ``m_k / N_k`` that falls to 0."""
    settled = EX3_BATCH_COUNT / (1 - EX3_GAMMA)
    return EX3_BATCH_COUNT / settled
