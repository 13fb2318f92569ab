"""Worked solutions for lesson 02 (teachers: one per check, under the check's name)."""

from __future__ import annotations

import math

import torch

__all__ = ["step_fraction", "vectorized_loss", "one_cluster_loss"]


def step_fraction(
    lr: float = 1e-5, batch_size: int = 100, n_clusters: int = 20
) -> tuple[float, int]:
    r"""Exercise 1. The gradient of the summed batch loss is :math:`2(m_k c_k - S_k)`, so
    :math:`c_k - \eta\,2(m_k c_k - S_k) = (1 - 2\eta m_k) c_k + 2\eta m_k \bar x_k`: a fraction
    :math:`f = 2\eta m_k = 2 \cdot 10^{-5} \cdot 5 = 10^{-4}` of the way. After *s* steps toward
    a fixed target :math:`(1 - f)^s` of the gap is left; :math:`(1-f)^s \le 0.01` needs
    :math:`s \ge \ln 0.01 / \ln(1 - f) = 46049.4`, so 46050 steps — 11.5 times the question's
    4001 (which close :math:`1 - (1 - f)^{4001} = 33\,\%` of the gap).
    """
    f = 2 * lr * batch_size / n_clusters
    return f, math.ceil(math.log(0.01) / math.log1p(-f))


def vectorized_loss(X: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """Exercise 2. Labels without gradient, then a gather: autograd keeps an ``(n, d)``
    difference (and the ``(n,)`` labels), never ``(k, n, d)``. The gradient flows to
    ``centers[labels[i]]`` only: :math:`2(n_k c_k - S_k)`, zero for a centre that owns nothing.
    """
    with torch.no_grad():
        labels = torch.cdist(X, centers).argmin(dim=1)  # (n,) int64: a constant for autograd
    diff = X - centers[labels]  # (n, d)
    return (diff * diff).sum()


def one_cluster_loss(n_samples: int, n_features: int) -> float:
    r"""Exercise 3. Per feature, :math:`E\sum_i (x_i - \bar x)^2 = (n - 1)\sigma^2` and
    :math:`\sigma^2 = 1/12` for U(0, 1); the features add up: :math:`(n-1)d/12`
    (16650 for the question's 1000 points in 200-D).
    """
    return (n_samples - 1) * n_features / 12
