"""Data-parallel k-means on ``torch.distributed``: one ``all_reduce`` per Lloyd iteration.

Each process (rank) holds a block of rows. Per iteration it computes, on its rows only, the
per-cluster counts and sums and its part of the loss; one ``all_reduce`` adds them up across
ranks, and every rank computes the same new centres. Communication per iteration is
``k * (d + 1) + 2`` float64 numbers, whatever the number of samples.

* :func:`lloyd_distributed` — call it on every rank inside a process group (``torchrun``, or
  ``torch.distributed.init_process_group``); without one it runs as one process.
* :func:`kmeans_parallel_init` — k-means‖ (Bahmani et al. 2012), Spark MLlib's default init.
* :func:`run_local` / :func:`run_workers` — real processes on this machine (gloo on 127.0.0.1),
  for lessons and tests.
* ``python -m argmin_kmeans.distributed --help`` — the command line for ``torchrun``, on one
  machine or many.
"""

from __future__ import annotations

from ._comm import allreduce_timings, row_range
from ._launch import WorkerError, run_local, run_workers
from ._lloyd import lloyd_distributed
from ._parallel_init import counter_uniforms, kmeans_parallel_init

__all__ = [
    "WorkerError",
    "allreduce_timings",
    "counter_uniforms",
    "kmeans_parallel_init",
    "lloyd_distributed",
    "row_range",
    "run_local",
    "run_workers",
]
