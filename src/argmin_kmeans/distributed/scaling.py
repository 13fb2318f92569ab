r"""Measure one machine, then project many: the numbers behind lesson 09.

Measurements (on this machine):

* :func:`peak_memory` — how far the resident memory rises while a function runs (Linux);
* :func:`seconds_per_call` — the fastest of a few calls;
* :func:`measure_compute` — seconds per Lloyd iteration (:func:`argmin_kmeans.lloyd_step`) at
  several numbers of rows, for each torch thread count;
* :func:`measure_allreduce` — seconds per ``all_reduce`` between local processes (gloo);
* :func:`measure` — all of it with :func:`machine` (date, CPU, cores, versions) as one
  :class:`Measurements`; ``python -m argmin_kmeans.distributed.scaling OUT.json`` writes it.

The model (on paper, for ``p`` workers, each one single-threaded process on its own core):

.. math::
    T(p) = \underbrace{t_\text{call} + \lceil n/p\rceil\, t_\text{row}}_\text{compute}
         + \underbrace{\lceil \log_2 p\rceil\, t_\text{ar}}_\text{all\_reduce}

:math:`t_\text{call}` and :math:`t_\text{row}` are fitted (:func:`fit_compute`) to the measured
seconds per iteration at the row counts the model is used at; :math:`t_\text{ar}` is the
measured ``all_reduce`` of the iteration's own buffer (:math:`K(d+1)+2` float64 numbers,
:func:`allreduce_bytes`) between two processes. A tree-shaped reduction (recursive doubling;
Thakur, Rabenseifner & Gropp 2005) takes
:math:`\lceil\log_2 p\rceil` rounds of such exchanges, so at :math:`p = 2` the model is the
measurement. A ring takes :math:`2(p-1)` latency steps instead: with it communication would
dominate sooner.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import datetime
import functools
import json
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_real
from ..core import lloyd_step
from ._comm import allreduce_timings
from ._launch import run_workers

__all__ = [
    "MODEL_D",
    "MODEL_K",
    "MODEL_ROWS",
    "MODEL_WORKERS",
    "Measurements",
    "allreduce_bytes",
    "best_speedup",
    "crossover",
    "fit_compute",
    "machine",
    "measure",
    "model_numbers",
    "measure_allreduce",
    "measure_compute",
    "peak_memory",
    "project",
    "seconds_per_call",
]

#: The sizes lesson 09 models: K = d = 64 and the rows one worker holds, from strong scaling
#: of 10^6 rows on 1024 workers (about 10^3 each) to 10^6 rows on one.
MODEL_K, MODEL_D = 64, 64
MODEL_ROWS = (1_000, 10_000, 100_000, 1_000_000)
#: The worker counts it projects: 1, 2, 4, ..., 1024.
MODEL_WORKERS = tuple(2**j for j in range(11))

_STATUS = Path("/proc/self/status")


def _status_bytes(key: str) -> int:
    m = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    if m is None:
        raise NotImplementedError(f"{_STATUS} has no {key} line")
    return int(m.group(1)) * 1024


def peak_memory(fn: Callable[[], object]) -> int:
    """Bytes by which this process's peak resident memory rose while ``fn()`` ran.

    Linux only: free heap memory is handed back first (``malloc_trim``), the peak (``VmHWM``) is
    reset to the current resident size (``/proc/self/clear_refs``), ``fn`` runs, and the
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


def allreduce_bytes(n_clusters: int, n_features: int) -> int:
    """Bytes in the buffer that data-parallel Lloyd reduces per iteration:
    float64 ``[sums (K*d) | counts (K) | inertia | changed]``; no ``n_samples`` in it."""
    k = check_int(n_clusters, "n_clusters", low=1)
    d = check_int(n_features, "n_features", low=1)
    return 8 * (k * (d + 1) + 2)


# --------------------------------------------------------------------------- measurements


def machine(note: str = "") -> dict[str, Any]:
    """Where and when a measurement ran: UTC date, CPU model, usable cores, GPUs, versions."""
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.exists():
        m = re.search(r"^model name\s*:\s*(.+)$", info.read_text(), re.MULTILINE)
        cpu = m.group(1).strip() if m else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": cores,
        "gpus": torch.cuda.device_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "note": note,
    }


def measure_compute(
    rows: Sequence[int] = MODEL_ROWS,
    *,
    n_clusters: int = MODEL_K,
    n_features: int = MODEL_D,
    threads: Sequence[int] = (1, 2),
    rounds: int = 3,
    repeats: int = 3,
    seed: int = 0,
) -> dict[int, list[float]]:
    """Seconds per :func:`~argmin_kmeans.lloyd_step` on the first ``rows[j]`` rows of float32
    Gaussian data, ``{threads: [seconds per rows[j]]}``.

    Each entry is the fastest of ``repeats`` calls, and the best of ``rounds`` rounds that
    visit every setting in turn (a burst of load from elsewhere then hits all settings alike,
    and the minimum is the least disturbed). The thread count is restored afterwards.
    """
    ns = [check_int(r, "rows", low=1) for r in rows]
    ts = [check_int(t, "threads", low=1) for t in threads]
    k = check_int(n_clusters, "n_clusters", low=1)
    d = check_int(n_features, "n_features", low=1)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(max(max(ns), k), d, generator=g)
    C = X[:k].clone()
    best = {t: [math.inf] * len(ns) for t in ts}
    saved = torch.get_num_threads()
    try:
        for _ in range(check_int(rounds, "rounds", low=1)):
            for t in ts:
                torch.set_num_threads(t)
                for j, n in enumerate(ns):
                    step = functools.partial(lloyd_step, X[:n], C)
                    s = seconds_per_call(step, repeats=repeats)
                    best[t][j] = min(best[t][j], s)
    finally:
        torch.set_num_threads(saved)
    return best


def measure_allreduce(
    numbers: Sequence[int], *, processes: int = 2, timeout: float = 120.0
) -> dict[int, float]:
    """Seconds per ``all_reduce`` (sum) of a float64 vector of each length in ``numbers``,
    between ``processes`` real local processes (gloo on 127.0.0.1, one thread each): the median
    of 20 timed calls, each the slowest rank's time (:func:`allreduce_timings`)."""
    sizes = [check_int(m, "numbers", low=1) for m in numbers]
    p = check_int(processes, "processes", low=2)
    out: dict[int, float] = run_workers(allreduce_timings, p, (sizes,), timeout=timeout,
                                        threads=1)[0]
    return out


@dataclasses.dataclass(frozen=True)
class Measurements:
    """One machine's measured inputs of the model, with where and when they were measured.

    ``rows`` and ``seconds[threads]`` (one per row count): seconds per Lloyd iteration at
    ``n_clusters = n_features`` as stored; ``allreduce``: ``{numbers: seconds}`` between two
    processes; ``machine``: :func:`machine`'s record.
    """

    machine: dict[str, Any]
    n_clusters: int
    n_features: int
    rows: list[int]
    seconds: dict[int, list[float]]
    allreduce: dict[int, float]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Measurements:
        raw = json.loads(text)
        return cls(
            machine=raw["machine"], n_clusters=int(raw["n_clusters"]),
            n_features=int(raw["n_features"]), rows=[int(r) for r in raw["rows"]],
            seconds={int(t): [float(s) for s in v] for t, v in raw["seconds"].items()},
            allreduce={int(m): float(s) for m, s in raw["allreduce"].items()},
        )

    @classmethod
    def load(cls, path: str | Path) -> Measurements:
        return cls.from_json(Path(path).read_text())


def measure(
    rows: Sequence[int] = MODEL_ROWS,
    *,
    n_clusters: int = MODEL_K,
    n_features: int = MODEL_D,
    rounds: int = 3,
    note: str = "",
) -> Measurements:
    """Everything the model needs, measured here: seconds per iteration with 1 and 2 threads at
    ``rows``, and an ``all_reduce`` of 1 number (the fixed cost) and of the iteration's buffer
    of ``n_clusters (n_features + 1) + 2`` numbers between two processes."""
    seconds = measure_compute(rows, n_clusters=n_clusters, n_features=n_features,
                              rounds=rounds)
    buffer = allreduce_bytes(n_clusters, n_features) // 8
    return Measurements(machine(note), n_clusters, n_features, [int(r) for r in rows], seconds,
                        measure_allreduce([1, buffer]))


# --------------------------------------------------------------------------- the model


def fit_compute(rows: Sequence[int], seconds: Sequence[float]) -> tuple[float, float]:
    """``(t_call, t_row)`` of the line ``t = t_call + rows * t_row`` through measured seconds per
    iteration, by least squares on *relative* errors (1,000 rows count as much as 10^6);
    ``t_call = 0`` when the best line would start below zero."""
    n = np.array([float(check_int(r, "rows", low=1)) for r in rows])
    t = np.array([check_real(s, "seconds", low=0.0, low_open=True) for s in seconds])
    if n.size < 2 or np.unique(n).size < 2:
        raise ValueError(f"fit_compute needs at least 2 different row counts, got {list(rows)}")
    t_row, t_call = np.polyfit(n, t, 1, w=1.0 / t)
    if t_call < 0:  # through the origin, still on relative errors
        t_call, t_row = 0.0, float(np.sum(n / t) / np.sum((n / t) ** 2))
    if t_row <= 0:
        raise ValueError(f"the timings do not grow with the rows (slope {t_row:.3g} s/row)")
    return float(t_call), float(t_row)


def project(
    workers: Sequence[int],
    *,
    n_samples: int,
    t_row: float,
    t_allreduce: float,
    t_call: float = 0.0,
    weak: bool = False,
) -> dict[str, np.ndarray]:
    """Projected seconds per Lloyd iteration on ``p`` workers (the model of the module docstring).

    ``weak=False`` (strong scaling): ``n_samples`` rows in all. ``weak=True``: ``n_samples`` rows
    *per worker*. Returns arrays over ``workers``: ``compute``, ``comm``, ``total``, ``speedup``
    (rows per second over one worker's; for strong scaling that is T(1)/T(p)) and
    ``efficiency`` (speedup / p; for weak scaling that is T(1)/T(p)).
    """
    p = np.array([check_int(w, "workers", low=1) for w in workers], dtype=np.float64)
    n = check_int(n_samples, "n_samples", low=1)
    tr = check_real(t_row, "t_row", low=0.0, low_open=True)
    tc = check_real(t_call, "t_call", low=0.0)
    ta = check_real(t_allreduce, "t_allreduce", low=0.0)
    compute = tc + (np.full_like(p, n) if weak else np.ceil(n / p)) * tr
    comm = np.ceil(np.log2(p)) * ta
    total = compute + comm
    t1 = tc + n * tr
    if weak:
        efficiency = t1 / total
        speedup = p * efficiency
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


def best_speedup(table: Mapping[str, np.ndarray]) -> tuple[int, float]:
    """``(p, speedup)`` at the largest speed-up of a :func:`project` table (the smallest such p)."""
    i = int(np.argmax(np.asarray(table["speedup"])))
    return int(table["workers"][i]), float(table["speedup"][i])


def model_numbers(
    m: Measurements,
    *,
    n_strong: int = 10**6,
    n_weak: int = 10**5,
    workers: Sequence[int] = MODEL_WORKERS,
) -> dict[str, Any]:
    """The model's inputs and headline numbers from one :class:`Measurements` (one thread per
    worker): ``t_call``, ``t_row``, ``t_allreduce`` (of the iteration's buffer), ``crossover``
    and ``best_p``/``best_speedup`` of strong scaling over ``n_strong`` rows, and the weak
    scaling efficiency (``n_weak`` rows per worker) at every count in ``workers``."""
    t_call, t_row = fit_compute(m.rows, m.seconds[1])
    t_ar = m.allreduce[allreduce_bytes(m.n_clusters, m.n_features) // 8]
    strong = project(workers, n_samples=n_strong, t_call=t_call, t_row=t_row, t_allreduce=t_ar)
    weak = project(workers, n_samples=n_weak, weak=True, t_call=t_call, t_row=t_row,
                   t_allreduce=t_ar)
    p_best, s_best = best_speedup(strong)
    return {"t_call": t_call, "t_row": t_row, "t_allreduce": t_ar,
            "crossover": crossover(strong), "best_p": p_best, "best_speedup": s_best,
            "weak_efficiency": dict(zip((int(w) for w in workers), weak["efficiency"]))}


if __name__ == "__main__":  # python -m argmin_kmeans.distributed.scaling OUT.json [NOTE]
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m argmin_kmeans.distributed.scaling OUT.json [NOTE]")
    out = measure(note=sys.argv[2] if len(sys.argv) == 3 else "")
    Path(sys.argv[1]).write_text(out.to_json())
    print(out.to_json(), end="")
