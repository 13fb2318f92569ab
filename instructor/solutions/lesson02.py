"""Worked solutions for lesson 02 (instructors: one per check, under its name)."""

from __future__ import annotations

import torch

__all__ = ["steps_with_point", "vectorized_loss", "one_cluster_loss"]


def steps_with_point(
    n_steps: int = 4001, batch_size: int = 100, n_samples: int = 1000
) -> float:
    r"""Exercise 1. One draw misses a given point with probability :math:`1 - 1/n`; a
    batch of :math:`b` independent draws misses it with probability :math:`(1 - 1/n)^b =
    0.999^{100} = 0.9048`, so it contains the point with probability 0.0952, and over
    4001 steps that is :math:`4001 \cdot 0.0952 = 380.8` steps on average. (Not
    :math:`4001 \cdot 100/1000 = 400.1`: that counts *draws*, and a batch can draw the
    point more than once.) A lone centroid can therefore move in only about one step in
    ten, each time only a fraction :math:`2\eta m_k` of the way, and not at all if it
    sits exactly on its point (its gradient :math:`2 m_k (c_k - x)` is 0).
    """
    return n_steps * (1.0 - (1.0 - 1.0 / n_samples) ** batch_size)


def vectorized_loss(X: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """Exercise 2. Labels without gradient, then a gather: autograd keeps an ``(n, d)``
    difference (and the ``(n,)`` labels), never ``(K, n, d)``. The gradient flows to
    ``centers[labels[i]]`` only: :math:`2(n_k c_k - S_k)`, zero for a centre that owns
    nothing.
    """
    with torch.no_grad():
        # (n,) int64: a constant for autograd
        labels = torch.cdist(X, centers).argmin(dim=1)
    diff = X - centers[labels]  # (n, d)
    return (diff * diff).sum()


def one_cluster_loss(n_samples: int, n_features: int) -> float:
    r"""Exercise 3. Per feature, :math:`E\sum_i (x_i - \bar x)^2 = (n - 1)\sigma^2` and
    :math:`\sigma^2 = 1/12` for U(0, 1); the features add up: :math:`(n-1)d/12`
    (16650 for the question's 1000 points in 200-D).
    """
    return (n_samples - 1) * n_features / 12
