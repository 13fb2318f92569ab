"""Functions that ``tests/test_distributed.py`` runs inside real worker processes.

Spawned processes import them by name, so they live at module level in a light module (no
pytest, no scikit-learn). Each runs inside an initialised process group and returns NumPy data.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
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


def _shard(X: np.ndarray, group: Any = None) -> np.ndarray:
    lo, hi = row_range(X.shape[0], dist.get_rank(group), dist.get_world_size(group))
    return X[lo:hi]


def _record(h: Any) -> dict[str, Any]:
    def np_(a: Any) -> np.ndarray:
        return a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)

    return {"centers": np_(h.centers), "loss": np_(h.loss), "n_changed": np_(h.n_changed),
            "labels": np_(h.labels), "n_iter": h.n_iter, "converged": h.converged,
            "types": (type(h.centers).__name__, type(h.labels).__name__)}


def suite(data: dict[str, np.ndarray], k: int, seed: int, group: Any = None) -> dict[str, Any]:
    """Everything one world checks: float64 twice, float32, tensors, tiny data with more ranks
    than rows, k-means‖ on the blobs and on the tiny data, and all_reduce timings (2 ranks)."""
    g = group
    out: dict[str, Any] = {"world": dist.get_world_size(g), "rank": dist.get_rank(g)}
    X64, C64 = data["X64"], data["C64"]
    out["f64"] = _record(lloyd_distributed(_shard(X64, g), C64, max_iter=50, group=g))
    out["f64_again"] = _record(lloyd_distributed(_shard(X64, g), C64, max_iter=50, group=g))
    out["f32"] = _record(lloyd_distributed(_shard(X64.astype(np.float32), g),
                                           C64.astype(np.float32), max_iter=50, group=g))
    out["tensor"] = _record(lloyd_distributed(torch.from_numpy(_shard(X64, g)),
                                              torch.from_numpy(C64), max_iter=50, group=g))
    out["ties32"] = _record(lloyd_distributed(_shard(data["ties"], g).astype(np.float32),
                                              data["ties_init"].astype(np.float32), max_iter=0,
                                              group=g))
    out["tiny"] = _record(lloyd_distributed(_shard(data["tiny"], g), data["tiny"][:2],
                                            max_iter=10, group=g))
    out["tiny_rows"] = _shard(data["tiny"], g).shape[0]
    out["kpar"] = kmeans_parallel_init(_shard(X64, g), k, seed=seed, group=g)
    out["kpar_tiny"] = kmeans_parallel_init(_shard(data["tiny"], g), 3, rounds=1, seed=seed,
                                            group=g)
    if dist.get_world_size(g) == 2:
        out["timings"] = allreduce_timings([8, 4096], repeats=3, group=g)
        out["bad_inputs"] = bad_inputs(g)
    return out


def every_world(data: dict[str, np.ndarray], k: int, seed: int) -> dict[int, dict[str, Any]]:
    """One launch for every world size: in a world of ``W`` processes, the groups of ranks
    ``[0]``, ``[0, 1]``, ..., ``[0, ..., W - 1]`` each run :func:`suite` (and the 2-rank group
    :func:`bad_inputs`); returns this rank's result per world size it is part of. Every rank
    creates every group (``new_group`` is collective over the default group)."""
    W = dist.get_world_size()
    groups = {w: dist.new_group(ranks=list(range(w))) for w in range(1, W + 1)}
    rank = dist.get_rank()
    return {w: suite(data, k, seed, groups[w]) for w in range(1, W + 1) if rank < w}


def raise_on(bad_rank: int, X: np.ndarray, C: np.ndarray) -> None:
    """Rank ``bad_rank`` raises before the first collective; the others start Lloyd (and would
    wait for it forever without the launcher)."""
    if dist.get_rank() == bad_rank:
        raise RuntimeError(f"injected failure on rank {bad_rank}")
    lloyd_distributed(_shard(X), C)


def bad_inputs(group: Any = None) -> list[str]:
    """Three inconsistent inputs, each caught on every rank; returns this rank's messages."""
    r = dist.get_rank(group)
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
            lloyd_distributed(X, C, group=group)
            messages.append("no error")
        except (TypeError, ValueError) as e:
            messages.append(f"{type(e).__name__}: {e}")
    return messages


def stall(seconds: float, marks: str | None = None) -> None:
    """Rank 1 sleeps instead of joining the collective that rank 0 waits in. With ``marks`` (a
    folder), each rank first leaves a file ``rank<r>`` there: the group had started and this
    rank was about to stall (rank 1) or to wait in the collective (rank 0)."""
    if marks is not None:
        Path(marks, f"rank{dist.get_rank()}").touch()
    if dist.get_rank() == 1:
        time.sleep(seconds)
    dist.all_reduce(torch.zeros(1))


def segfault_on(bad_rank: int) -> None:
    """Rank ``bad_rank`` dies by SIGSEGV (no Python error, as a crash in C would) while the
    others wait for it in a collective, and then see their connection reset."""
    if dist.get_rank() == bad_rank:
        time.sleep(0.3)  # the other ranks are in the collective by now
        os.kill(os.getpid(), signal.SIGSEGV)
    dist.all_reduce(torch.zeros(1))
