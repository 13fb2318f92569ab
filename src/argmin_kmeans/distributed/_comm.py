"""The few collectives the distributed algorithms use, and what a world of one process does.

Every function takes a :class:`Comm`: the rank, the world size and the process group. Without an
initialised process group (``torch.distributed`` not started) the algorithms run as a world of
one process and the collectives return their input; so the same code runs in a notebook, a test
and under ``torchrun``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from .._validation import check_int

__all__ = ["Comm", "allreduce_timings", "comm_for", "row_range"]


@dataclass(frozen=True)
class Comm:
    """Rank ``rank`` of ``world`` processes in ``group`` (``local``: no process group at all)."""

    rank: int
    world: int
    group: Any
    local: bool

    def all_reduce_(self, t: torch.Tensor) -> torch.Tensor:
        """Sum ``t`` over the ranks, in place (every rank gets the same sum)."""
        if not self.local:
            dist.all_reduce(t, op=dist.ReduceOp.SUM, group=self.group)
        return t

    def all_reduce_max_(self, t: torch.Tensor) -> torch.Tensor:
        """Element-wise maximum of ``t`` over the ranks, in place."""
        if not self.local:
            dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self.group)
        return t

    def all_gather_object(self, obj: object) -> list[Any]:
        """``[obj of rank 0, obj of rank 1, ...]`` on every rank (pickled; for small objects)."""
        if self.local:
            return [obj]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj, group=self.group)
        return out

    def all_gather_rows(self, t: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
        """Concatenate every rank's ``t`` (``sizes[r]`` rows on rank ``r``) in rank order."""
        if self.local:
            return t
        m = max(sizes)
        pad = torch.zeros((m, *t.shape[1:]), dtype=t.dtype, device=t.device)
        pad[: t.shape[0]] = t
        parts = [torch.empty_like(pad) for _ in range(self.world)]
        dist.all_gather(parts, pad, group=self.group)
        return torch.cat([p[:s] for p, s in zip(parts, sizes)])


def comm_for(group: Any = None) -> Comm:
    """The :class:`Comm` of this process: in ``group`` (default: the default group) when
    ``torch.distributed`` is initialised, else a world of one process."""
    if group is None and not (dist.is_available() and dist.is_initialized()):
        return Comm(rank=0, world=1, group=None, local=True)
    return Comm(
        rank=dist.get_rank(group), world=dist.get_world_size(group), group=group, local=False
    )


def row_range(n_samples: int, rank: int, world_size: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of rank ``rank``: contiguous, in rank order, sizes differ by <= 1.

    >>> [row_range(10, r, 4) for r in range(4)]
    [(0, 2), (2, 5), (5, 7), (7, 10)]
    """
    n = check_int(n_samples, "n_samples", low=0)
    w = check_int(world_size, "world_size", low=1)
    r = check_int(rank, "rank", low=0, high=w - 1)
    return r * n // w, (r + 1) * n // w


def allreduce_timings(
    sizes: Sequence[int], *, repeats: int = 20, group: Any = None
) -> dict[int, float]:
    """Seconds per ``all_reduce`` of a float64 vector, for each length in ``sizes`` (the median
    over ``repeats``, after one warm-up; the same numbers on every rank).

    Run it inside a process group (e.g. through :func:`run_workers`); in a world of one it
    measures nothing and returns 0.0 for every size.
    """
    comm = comm_for(group)
    reps = check_int(repeats, "repeats", low=1)
    out: dict[int, float] = {}
    for size in sizes:
        m = check_int(size, "size", low=1)
        buf = torch.zeros(m, dtype=torch.float64)
        comm.all_reduce_(buf)  # warm-up: connections, buffers
        times = torch.empty(reps, dtype=torch.float64)
        for i in range(reps):
            if not comm.local:
                dist.barrier(group=comm.group)  # start together: time the reduction, not skew
            t0 = time.perf_counter()
            comm.all_reduce_(buf)
            times[i] = time.perf_counter() - t0
        comm.all_reduce_max_(times)  # the slowest rank's time is the collective's
        out[m] = 0.0 if comm.local else float(np.median(times.numpy()))
    return out
