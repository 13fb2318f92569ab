"""Worked solutions for lesson 06 (instructors: one per check, under its name)."""

from __future__ import annotations

import torch

from argmin_kmeans.exercises.lesson06 import EX2_LR, EX2_M, EX3_M

__all__ = ["big_centre_step", "step_without_autograd", "when_lr_is_newton"]


def step_without_autograd(
    xb: torch.Tensor, centers: torch.Tensor, counts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exercise 1. The corrected step in closed form: the batch statistics, then ``N_k
    += m_k`` and ``c_k += (s_k - m_k c_k) / N_k`` — what ``loss.backward()`` and the
    per-centre step ``1 / (2 N_k)`` compute, with no graph: k-means needs no autograd.
    """
    labels = torch.cdist(xb, centers).argmin(dim=1)  # the argmin
    m = torch.bincount(labels, minlength=len(centers)).to(centers.dtype)  # m_k
    s = torch.zeros_like(centers).index_add_(0, labels, xb)  # s_k
    N = counts + m  # N_k after the batch
    move = (s - m[:, None] * centers) / N.clamp(min=1)[:, None]  # 0 where m_k = 0
    return centers + move, N


def when_lr_is_newton() -> float:
    """Exercise 2. ``1 / (2 N_k) = lr`` with ``N_k = 5 t``: ``t = 1 / (2 * 5 * 1e-5) =
    10 000`` batches. The question's run has 4001: an average centre has then won about
    ``4001 * 100 / 20 = 20 005`` samples, so its corrected step ``1 / (2 N_k)`` is still
    more than twice the question's ``lr`` — their fixed step is too small for most of
    the run, and too large only for centres that have won more than 50 000 samples."""
    return 1.0 / (2.0 * EX2_M * EX2_LR)


def big_centre_step() -> tuple[float, str]:
    """Exercise 3. ``1 / (2 N_k) = lr`` with ``N_k = 98 t``: ``t = 1 / (2 * 98 * 1e-5)
    ~ 510`` batches. For the remaining ~3490 of their 4001 batches the Newton step
    ``1 / (2 N_k)`` is below ``lr``, falling to about ``1 / (2 * 98 * 4001) ~ 1.3e-6``:
    their fixed step was too large for the big centre (it keeps jittering, lesson 05's
    noise floor), while it was far too small for the centres that win a sample now and
    then."""
    return 1.0 / (2.0 * EX3_M * EX2_LR), "too large"
