r"""Measure one machine, then project many: the numbers behind lesson 09.

Measurements (on this machine, in this process):

* :func:`peak_memory` — how far the resident memory rises while a function runs (Linux);
* :func:`seconds_per_call` — the fastest of a few calls;
* :func:`gemm_rate` — floating-point operations per second of one large matrix product (torch's
  BLAS): a yardstick for the distance computation, not the hardware's peak (a BLAS may not
  use every vector unit of the CPU: MKL on the course's AMD machine runs its 256-bit code).

The model (on paper, for ``p`` workers; every input is a measured or stated number):

.. math::
    T(p) = \underbrace{\lceil n/p\rceil\, t_\text{row}}_\text{compute}
         + \underbrace{\lceil \log_2 p\rceil\, a + \tfrac{2(p-1)}{p}\,\tfrac{B}{b}}_\text{all\_reduce}

with :math:`t_\text{row}` the measured Lloyd time per row, :math:`B = 8(k(d+1)+2)` bytes the
buffer reduced per iteration, and :math:`a, b` the latency and bandwidth of a 2-process
``all_reduce`` (:func:`fit_allreduce`): a tree needs :math:`\lceil\log_2 p\rceil` latency steps,
a ring moves :math:`2(p-1)/p` buffers per rank (Thakur, Rabenseifner & Gropp 2005). At
:math:`p = 2` the model is exactly the fitted line :math:`a + B/b`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from .._validation import check_int, check_real

__all__ = [
    "allreduce_bytes",
    "crossover",
    "fit_allreduce",
    "gemm_rate",
    "peak_memory",
    "project",
    "seconds_per_call",
]

_STATUS = Path("/proc/self/status")


def _status_bytes(key: str) -> int:
    m = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    if m is None:
        raise NotImplementedError(f"{_STATUS} has no {key} line")
    return int(m.group(1)) * 1024


def peak_memory(fn: Callable[[], object]) -> int:
    """Bytes by which this process's peak resident memory rose while ``fn()`` ran.

    Linux only: free heap memory is handed back first (``malloc_trim``), the peak (``VmHWM``) is
    reset to the current resident size through ``/proc/self/clear_refs``, ``fn`` runs, and the
    result is the new peak minus the resident size before. It counts every thread and every
    allocator, with page (4 KiB) resolution; memory that ``fn`` reuses from freed-but-kept
    pages is not counted.
    """
    if not _STATUS.exists():
        raise NotImplementedError("peak_memory needs Linux (/proc/self/status)")
    libc_name = ctypes.util.find_library("c")
    if libc_name is not None:
        trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None)
        if trim is not None:
            trim(0)
    Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident size
    before = _status_bytes("VmRSS")
    fn()
    return max(0, _status_bytes("VmHWM") - before)


def seconds_per_call(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> float:
    """The fastest of ``repeats`` timed calls of ``fn()`` (after ``warmup`` untimed ones)."""
    for _ in range(check_int(warmup, "warmup", low=0)):
        fn()
    best = math.inf
    for _ in range(check_int(repeats, "repeats", low=1)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def gemm_rate(size: int = 1024, *, dtype: torch.dtype = torch.float32, repeats: int = 5) -> float:
    """Floating-point operations per second of ``A @ B`` for ``(size, size)`` matrices
    (:math:`2\\,\\text{size}^3` operations, the fastest of ``repeats``)."""
    m = check_int(size, "size", low=1)
    g = torch.Generator().manual_seed(0)
    A = torch.randn(m, m, generator=g, dtype=dtype)
    B = torch.randn(m, m, generator=g, dtype=dtype)
    return 2.0 * m**3 / seconds_per_call(lambda: torch.mm(A, B), repeats=repeats)


def allreduce_bytes(n_clusters: int, n_features: int) -> int:
    """Bytes in the buffer that data-parallel Lloyd reduces per iteration:
    float64 ``[sums (k*d) | counts (k) | inertia | changed]``; no ``n_samples`` in it."""
    k = check_int(n_clusters, "n_clusters", low=1)
    d = check_int(n_features, "n_features", low=1)
    return 8 * (k * (d + 1) + 2)


def fit_allreduce(timings: Mapping[int, float]) -> tuple[float, float]:
    """Latency ``a`` (s) and bandwidth ``b`` (bytes/s) of the line ``t = a + 8 m / b`` fitted by
    least squares to ``{m: seconds}`` for float64 vectors of ``m`` numbers (at least 2 sizes)."""
    if len(timings) < 2:
        raise ValueError(f"fit_allreduce needs timings of at least 2 sizes, got {len(timings)}")
    m = np.array([float(check_int(s, "size", low=1)) for s in timings])
    t = np.array([check_real(v, "seconds", low=0.0) for v in timings.values()])
    slope, a = np.polyfit(8.0 * m, t, 1)
    if slope <= 0:
        raise ValueError(f"the timings do not grow with the size (slope {slope:.3g} s/byte)")
    return max(float(a), 0.0), 1.0 / float(slope)


def project(
    workers: Sequence[int],
    *,
    n_samples: int,
    t_row: float,
    n_clusters: int,
    n_features: int,
    latency: float,
    bandwidth: float,
    weak: bool = False,
) -> dict[str, np.ndarray]:
    """Projected seconds per Lloyd iteration on ``p`` workers (the model of the module docstring).

    ``weak=False`` (strong scaling): ``n_samples`` rows in all. ``weak=True``: ``n_samples`` rows
    *per worker*. Returns arrays over ``workers``: ``compute``, ``comm``, ``total``, ``speedup``
    (over one worker with the same rows per worker for weak scaling, the same total rows for
    strong) and ``efficiency`` (speedup / p for strong scaling; T(1)/T(p) for weak scaling).
    """
    p = np.array([check_int(w, "workers", low=1) for w in workers], dtype=np.float64)
    n = check_int(n_samples, "n_samples", low=1)
    tr = check_real(t_row, "t_row", low=0.0, low_open=True)
    a = check_real(latency, "latency", low=0.0)
    b = check_real(bandwidth, "bandwidth", low=0.0, low_open=True)
    B = allreduce_bytes(n_clusters, n_features)
    compute = (np.full_like(p, n) if weak else np.ceil(n / p)) * tr
    comm = np.where(p > 1, np.ceil(np.log2(p)) * a + 2.0 * (p - 1.0) / p * B / b, 0.0)
    total = compute + comm
    t1 = n * tr
    if weak:
        speedup = p * t1 / total  # rows per second, relative to one worker
        efficiency = t1 / total
    else:
        speedup = t1 / total
        efficiency = speedup / p
    return {"workers": p, "compute": compute, "comm": comm, "total": total, "speedup": speedup,
            "efficiency": efficiency}


def crossover(table: Mapping[str, np.ndarray]) -> int | None:
    """The smallest worker count of a :func:`project` table whose communication time is at least
    its compute time (``None`` if there is none)."""
    hit = np.flatnonzero(np.asarray(table["comm"]) >= np.asarray(table["compute"]))
    return int(table["workers"][hit[0]]) if hit.size else None
