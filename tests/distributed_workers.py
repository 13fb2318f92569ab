"""Functions that ``tests/test_distributed.py`` runs inside real worker processes.

Spawned processes import them by name, so they live at module level in a light module (no
pytest, no scikit-learn). Each runs inside an initialised process group and returns NumPy data.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from argmin_kmeans.distributed import (
    allreduce_timings,
    kmeans_parallel_init,
    lloyd_distributed,
    row_range,
)


def _shard(X: np.ndarray) -> np.ndarray:
    lo, hi = row_range(X.shape[0], dist.get_rank(), dist.get_world_size())
    return X[lo:hi]


def _record(h: Any) -> dict[str, Any]:
    def np_(a: Any) -> np.ndarray:
        return a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)

    return {"centers": np_(h.centers), "loss": np_(h.loss), "n_changed": np_(h.n_changed),
            "labels": np_(h.labels), "n_iter": h.n_iter, "converged": h.converged,
            "types": (type(h.centers).__name__, type(h.labels).__name__)}


def suite(data: dict[str, np.ndarray], k: int, seed: int) -> dict[str, Any]:
    """Everything one launch checks: float64 twice, float32, tensors, tiny data with more ranks
    than rows, k-means‖ on the blobs and on the tiny data, and all_reduce timings."""
    out: dict[str, Any] = {"world": dist.get_world_size(), "rank": dist.get_rank()}
    X64, C64 = data["X64"], data["C64"]
    out["f64"] = _record(lloyd_distributed(_shard(X64), C64, max_iter=50))
    out["f64_again"] = _record(lloyd_distributed(_shard(X64), C64, max_iter=50))
    out["f32"] = _record(lloyd_distributed(_shard(X64.astype(np.float32)),
                                           C64.astype(np.float32), max_iter=50))
    out["tensor"] = _record(lloyd_distributed(torch.from_numpy(_shard(X64)),
                                              torch.from_numpy(C64), max_iter=50))
    out["ties32"] = _record(lloyd_distributed(_shard(data["ties"]).astype(np.float32),
                                              data["ties_init"].astype(np.float32), max_iter=0))
    out["tiny"] = _record(lloyd_distributed(_shard(data["tiny"]), data["tiny"][:2], max_iter=10))
    out["tiny_rows"] = _shard(data["tiny"]).shape[0]
    out["kpar"] = kmeans_parallel_init(_shard(X64), k, seed=seed)
    out["kpar_tiny"] = kmeans_parallel_init(_shard(data["tiny"]), 3, rounds=1, seed=seed)
    if dist.get_world_size() == 2:
        out["timings"] = allreduce_timings([8, 4096], repeats=3)
    return out


def raise_on(bad_rank: int, X: np.ndarray, C: np.ndarray) -> None:
    """Rank ``bad_rank`` raises before the first collective; the others start Lloyd (and would
    wait for it forever without the launcher)."""
    if dist.get_rank() == bad_rank:
        raise RuntimeError(f"injected failure on rank {bad_rank}")
    lloyd_distributed(_shard(X), C)


def bad_inputs() -> list[str]:
    """Three inconsistent inputs, each caught on every rank; returns this rank's messages."""
    r = dist.get_rank()
    rng = np.random.default_rng(0)
    messages = []
    cases = [
        # shards with different n_features (and init matching each rank's own shard)
        (rng.normal(size=(5, 3 + r)), np.zeros((2, 3 + r))),
        # a NaN on rank 1 only
        (np.where(np.arange(15).reshape(5, 3) == 7 + 100 * (r != 1), np.nan, 1.0),
         np.zeros((2, 3))),
        # a different init on each rank
        (rng.normal(size=(5, 3)), np.full((2, 3), float(r))),
    ]
    for X, C in cases:
        try:
            lloyd_distributed(X, C)
            messages.append("no error")
        except (TypeError, ValueError) as e:
            messages.append(f"{type(e).__name__}: {e}")
    return messages


def stall(seconds: float) -> None:
    """Rank 1 sleeps instead of joining the collective that rank 0 waits in."""
    if dist.get_rank() == 1:
        time.sleep(seconds)
    dist.all_reduce(torch.zeros(1))
