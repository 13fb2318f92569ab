"""Data and settings shared by the test modules."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, settings

# function_scoped_fixture: the kernel_path fixture only selects a backend for the block; it is
# the same for every example
HSET = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def blobs(seed: int, n: int = 300, d: int = 2, k: int = 4, spread: float = 0.6) -> np.ndarray:
    """``(n, d)`` samples around ``k`` Gaussian blob means, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(k, d))
    return means[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


EPS = {torch.float32: torch.finfo(torch.float32).eps, torch.float64: torch.finfo(torch.float64).eps}


def naive_reference(X: torch.Tensor, C: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """float64 labels, the (n, k) squared distances, and a mask of true near-ties.

    A sample is a near-tie when its two nearest centres ``a``, ``b`` are closer in squared
    distance than ``16 eps (|x - m|^2 + |c_a - m|^2 + |c_b - m|^2)``, the rounding of the shifted
    formula around ``m``, the data's mean: a bound of the centres that compete for the sample,
    which does not grow with a far-away centre (the kernel must keep their precision).
    """
    Xd, Cd = X.double(), C.double()
    # direct differences, one centre at a time: the same sums as one (n, k, d) broadcast
    # (checked equal), without materialising it (10x faster at (4000, 64, 64): 128 MiB)
    D = torch.empty(len(Xd), len(Cd), dtype=torch.float64)
    for j in range(len(Cd)):
        D[:, j] = ((Xd - Cd[j]) ** 2).sum(1)
    if C.shape[0] == 1:
        return D.argmin(1), D, torch.zeros(len(X), dtype=torch.bool)
    two = D.topk(2, dim=1, largest=False)
    m = Xd.mean(0)
    a, b = two.indices[:, 0], two.indices[:, 1]
    size = ((Xd - m) ** 2).sum(1) + ((Cd[a] - m) ** 2).sum(1) + ((Cd[b] - m) ** 2).sum(1)
    near = two.values[:, 1] - two.values[:, 0] <= 16 * EPS[X.dtype] * size
    return D.argmin(1), D, near
