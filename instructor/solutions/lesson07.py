"""Worked solutions for lesson 07 (instructors: one per check, under its name)."""

from __future__ import annotations

import numpy as np
import torch

from argmin_kmeans.exercises.lesson07 import EX2_X

__all__ = ["score_function", "critical_temperature", "straight_through_gumbel"]


def score_function(
    theta: torch.Tensor, costs: torch.Tensor, n_samples: int, generator: torch.Generator
) -> torch.Tensor:
    """Exercise 1. Draw ``z ~ softmax(theta)`` once per row and return ``f(z) * grad log
    p_z = costs[z] * (onehot(z) - p)``. Its mean is ``sum_k p_k costs_k (e_k - p) =
    (diag p - p p^T) costs``, the exact gradient: unbiased, with no derivative of the
    loss needed. Subtracting a baseline ``b`` from ``costs[z]`` keeps it unbiased
    (``E[onehot(z) - p] = 0``) and, with ``b`` near ``p . costs``, lowers its variance.
    """
    p = torch.softmax(theta, dim=0)
    z = torch.multinomial(p, n_samples, replacement=True, generator=generator)  # (M,)
    score = torch.nn.functional.one_hot(z, theta.shape[0]).to(theta.dtype) - p
    return costs[z][:, None] * score


def critical_temperature() -> float:
    """Exercise 2. The lesson's ``tau_c = 2 lambda_max`` on ``EX2_X``. Why: with ``c_1 =
    m + eps u`` and ``c_2 = m - eps u`` (``m`` the mean), ``d_i2 - d_i1 = 4 eps (x_i -
    m).u``, so ``r_i1 = 1/2 + (eps/tau) (x_i - m).u`` to first order; ``sum_i r_i1 =
    n/2`` and the new ``c_1 = m + (2 eps / tau) Sigma u`` with ``Sigma`` the covariance
    (1/n). The perturbation is multiplied by ``(2/tau) Sigma``: it grows along the top
    eigenvector once ``tau < 2 lambda_max`` (Rose, Gurewitz & Fox 1990)."""
    return float(2 * np.linalg.eigvalsh(np.cov(EX2_X.T, bias=True))[-1])


def straight_through_gumbel(
    theta: torch.Tensor, tau: float, generator: torch.Generator
) -> torch.Tensor:
    """Exercise 3. One Gumbel-softmax sample per row, made hard forward: the value is
    the one-hot ``hard`` (``- soft.detach() + soft`` adds exactly 0 up to rounding), the
    gradient is the soft sample's. ``argmax(soft) = argmax(theta + G)`` for any ``tau >
    0``, so the forward sample is distributed as ``softmax(theta)`` (the Gumbel-max
    trick); ``tau`` only shapes the backward."""
    gumbel = -torch.empty_like(theta).exponential_(generator=generator).log()
    soft = torch.softmax((theta + gumbel) / tau, dim=1)
    hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
    return hard - soft.detach() + soft
