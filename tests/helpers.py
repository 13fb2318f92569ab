"""Data and settings shared by the test modules."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings

HSET = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def blobs(seed: int, n: int = 300, d: int = 2, k: int = 4, spread: float = 0.6) -> np.ndarray:
    """``(n, d)`` samples around ``k`` Gaussian blob means, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(k, d))
    return means[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))
