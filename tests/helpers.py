"""Data and settings shared by the test modules."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, settings

HSET = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def blobs(seed: int, n: int = 300, d: int = 2, k: int = 4, spread: float = 0.6) -> np.ndarray:
    """``(n, d)`` samples around ``k`` Gaussian blob means, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(k, d))
    return means[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


EPS = {torch.float32: torch.finfo(torch.float32).eps, torch.float64: torch.finfo(torch.float64).eps}


def naive_reference(X: torch.Tensor, C: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """float64 labels, the (n, k) squared distances, and a mask of true near-ties."""
    Xd, Cd = X.double(), C.double()
    D = ((Xd[:, None, :] - Cd[None]) ** 2).sum(-1)
    two = D.topk(2, dim=1, largest=False).values if C.shape[0] > 1 else None
    m = Cd.mean(0)
    bound = 16 * EPS[X.dtype] * (((Xd - m) ** 2).sum(1) + ((Cd - m) ** 2).sum(1).max())
    near = (two[:, 1] - two[:, 0] <= bound) if two is not None else torch.zeros(len(X), dtype=torch.bool)
    return D.argmin(1), D, near
