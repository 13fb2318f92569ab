"""Initial centres: random samples (Forgy)."""

from __future__ import annotations

import numpy as np
import torch

from ._validation import ArrayLike, check_int, check_seed, check_X, to_output

__all__ = ["random_init"]


def random_init(X: ArrayLike, n_clusters: int, *, seed: int = 0) -> ArrayLike:
    """``n_clusters`` distinct samples of ``X`` picked at random (Forgy), reproducibly.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
        Finite (a NaN sample would become a NaN centre).
    n_clusters : int
        In ``[1, n_samples]``.
    seed : int
        Seed of the local ``torch.Generator`` that draws the indices (the global seed is never
        touched).

    Returns
    -------
    centers : shape (n_clusters, n_features), a copy, same type/dtype/device as ``X``.
    """
    Xt, np_out = check_X(X)
    k = check_int(n_clusters, "n_clusters", low=1, high=Xt.shape[0])
    g = torch.Generator().manual_seed(check_seed(seed))
    idx = torch.randperm(Xt.shape[0], generator=g)[:k]
    return to_output(Xt.detach()[idx.to(Xt.device)].clone(), np_out)
