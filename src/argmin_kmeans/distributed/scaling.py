r"""Measure one machine, then project many: the numbers behind lesson 09.

Measurements (on this machine):

* :func:`peak_memory` — how far the resident memory rises while a function runs (Linux);
* :func:`seconds_per_call` — the fastest of a few calls;
* :func:`seconds_per_iteration` — one iteration of :func:`~argmin_kmeans.distributed.
  lloyd_distributed` in a world of one process: what a rank computes per iteration, without
  the ``all_reduce``;
* :func:`measure_compute` — that, at several numbers of rows, for each torch thread count;
* :func:`measure_allreduce` — seconds per ``all_reduce`` between ``p`` local processes (gloo);
* :func:`measure` — all of it with :func:`machine` (date, CPU, cores, versions) as one
  :class:`Measurements`; ``python -m argmin_kmeans.distributed.scaling OUT.json`` writes it.

The model (on paper, for ``p`` workers, each one single-threaded process on its own core):

.. math::
    T(p) = \underbrace{t_\text{call} + \lceil n/p\rceil\, t_\text{row}}_\text{compute}
         + \underbrace{2(p-1)\,\bigl(\alpha + \tfrac{B}{p}\,\beta\bigr)}_\text{ring all\_reduce}

:math:`t_\text{call}` and :math:`t_\text{row}` are fitted (:func:`fit_compute`) to the measured
seconds per iteration. The communication is the algorithm gloo runs: its ``allreduce`` names
no algorithm in ``ProcessGroupGloo``, and gloo's ``allreduce`` then runs a **ring**
(``gloo/allreduce.cc``: ``case UNSPECIFIED: case RING: ring(...)``): a reduce-scatter and an
all-gather of :math:`p - 1` steps each, every step sending and receiving :math:`1/p` of the
buffer of :math:`B` bytes to and from the neighbours. :math:`\alpha` (seconds per step) and
:math:`\beta` (seconds per byte) are fitted (:func:`fit_allreduce`) to ``all_reduce`` timings
between real processes. NCCL picks a ring or a tree by message size and topology (its
``NCCL_ALGO``); a tree (recursive doubling; Thakur, Rabenseifner & Gropp 2005) takes
:math:`\lceil\log_2 p\rceil` rounds of :math:`\alpha + B\beta`, which :func:`allreduce_seconds`
offers as a comparison (``algorithm="tree"``): it is not what gloo runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import datetime
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
import torch.distributed as dist

from .._validation import check_choice, check_int, check_real
from ._launch import run_workers
from ._lloyd import lloyd_distributed

__all__ = [
    "ALGORITHMS",
    "MODEL_D",
    "MODEL_K",
    "MODEL_PROCESSES",
    "MODEL_ROWS",
    "MODEL_WORKERS",
    "Measurements",
    "allreduce_bytes",
    "allreduce_numbers",
    "allreduce_seconds",
    "best_speedup",
    "crossover",
    "fit_allreduce",
    "fit_compute",
    "machine",
    "measure",
    "measure_allreduce",
    "measure_compute",
    "model_numbers",
    "peak_memory",
    "project",
    "seconds_per_call",
    "seconds_per_iteration",
]

#: The sizes lesson 09 models: K = d = 64 and the rows one worker holds, from strong scaling
#: of 10^6 rows on 1024 workers (about 10^3 each) to 10^6 rows on one; 64 and 256 rows show
#: the fixed cost per iteration nearly alone.
MODEL_K, MODEL_D = 64, 64
MODEL_ROWS = (64, 256, 1_000, 10_000, 100_000, 1_000_000)
#: The worker counts it projects: 1, 2, 4, ..., 1024.
MODEL_WORKERS = tuple(2**j for j in range(11))
#: The numbers of local processes whose ``all_reduce`` :func:`measure` times.
MODEL_PROCESSES = (2, 3, 4)
#: The all-reduce schedules :func:`allreduce_seconds` knows: ``"ring"`` is what gloo runs.
ALGORITHMS = ("ring", "tree")

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
    pages is not counted, and what a first call allocates once (a pool, a cache) is: call
    ``fn`` once before measuring it.
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


def seconds_per_iteration(
    X: torch.Tensor, centers: torch.Tensor, *, iterations: int = 4, repeats: int = 3
) -> float:
    """Seconds of one iteration of :func:`~argmin_kmeans.distributed.lloyd_distributed` on
    ``X`` in a world of one process (no process group: its ``all_reduce`` does nothing).

    The fastest of ``repeats`` runs with ``max_iter=iterations``, less the fastest with
    ``max_iter=0`` (the two timed in turn, so that a burst of load hits both), divided by the
    iterations the run made (fewer if it converged first). Per iteration that is one pass over
    the rows (labels, counts, sums, loss, changed labels, the buffer filled), one update of the
    centres and the engine's record of it; the checks and the set-up that every run pays once
    cancel. At least 1 ns.
    """
    its = check_int(iterations, "iterations", low=1)
    reps = check_int(repeats, "repeats", low=1)
    n_iter = lloyd_distributed(X, centers, max_iter=its).n_iter  # also the warm-up
    lloyd_distributed(X, centers, max_iter=0)
    many = zero = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        lloyd_distributed(X, centers, max_iter=its)
        t1 = time.perf_counter()
        lloyd_distributed(X, centers, max_iter=0)
        t2 = time.perf_counter()
        many, zero = min(many, t1 - t0), min(zero, t2 - t1)
    return max((many - zero) / max(n_iter, 1), 1e-9)


def allreduce_numbers(n_clusters: int, n_features: int) -> int:
    """Numbers in the buffer that data-parallel Lloyd reduces per iteration:
    ``[sums (K*d) | counts (K) | inertia | changed]``, ``K (d + 1) + 2``."""
    k = check_int(n_clusters, "n_clusters", low=1)
    d = check_int(n_features, "n_features", low=1)
    return k * (d + 1) + 2


def allreduce_bytes(n_clusters: int, n_features: int) -> int:
    """Bytes in the buffer that data-parallel Lloyd reduces per iteration:
    float64 ``[sums (K*d) | counts (K) | inertia | changed]``; no ``n_samples`` in it."""
    return 8 * allreduce_numbers(n_clusters, n_features)


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
    """Seconds per iteration (:func:`seconds_per_iteration`) on the first ``rows[j]`` rows of
    float32 Gaussian data, ``{threads: [seconds per rows[j]]}``.

    Each entry is the best of ``rounds`` rounds that visit every setting in turn (a burst of
    load from elsewhere then hits all settings alike, and the minimum is the least disturbed).
    The thread count is restored afterwards.
    """
    ns = [check_int(r, "rows", low=1) for r in rows]
    ts = [check_int(t, "threads", low=1) for t in threads]
    k = check_int(n_clusters, "n_clusters", low=1)
    d = check_int(n_features, "n_features", low=1)
    if min(ns) < k:
        raise ValueError(f"rows={min(ns)} is fewer than n_clusters={k}")
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(max(ns), d, generator=g)
    C = X[:k].clone()
    best = {t: [math.inf] * len(ns) for t in ts}
    saved = torch.get_num_threads()
    try:
        for _ in range(check_int(rounds, "rounds", low=1)):
            for t in ts:
                torch.set_num_threads(t)
                for j, n in enumerate(ns):
                    s = seconds_per_iteration(X[:n], C, repeats=repeats)
                    best[t][j] = min(best[t][j], s)
    finally:
        torch.set_num_threads(saved)
    return best


def allreduce_samples(sizes: Sequence[int], repeats: int, rounds: int) -> np.ndarray:
    """Run on every rank of a process group: seconds of each ``all_reduce`` (sum) of a
    float64 vector of each length in ``sizes``, shape ``(rounds, len(sizes), repeats)``.

    Three untimed calls per size first (connections, buffers); every timed call starts after
    a barrier (the reduction is timed, not the ranks' skew), and each entry is the slowest
    rank's time (the same array on every rank)."""
    bufs = [torch.zeros(check_int(m, "size", low=1), dtype=torch.float64) for m in sizes]
    for b in bufs:
        for _ in range(3):
            dist.all_reduce(b)
    times = torch.empty(rounds, len(bufs), repeats, dtype=torch.float64)
    for r in range(rounds):
        for j, b in enumerate(bufs):
            for i in range(repeats):
                dist.barrier()
                t0 = time.perf_counter()
                dist.all_reduce(b)
                times[r, j, i] = time.perf_counter() - t0
    dist.all_reduce(times, op=dist.ReduceOp.MAX)
    return times.numpy()


def measure_allreduce(
    numbers: Sequence[int],
    *,
    processes: int = 2,
    repeats: int = 20,
    rounds: int = 3,
    timeout: float = 120.0,
) -> dict[int, float]:
    """Seconds per ``all_reduce`` (sum) of a float64 vector of each length in ``numbers``,
    between ``processes`` real local processes (gloo on 127.0.0.1, one torch thread each):
    the fastest of ``rounds * repeats`` calls, each the slowest rank's time — the least
    disturbed call, as :func:`measure_compute` keeps the fastest.

    More processes than cores share the cores: a step then waits until the process that
    sends it gets a core, and the timing is pessimistic for processes with a core each."""
    sizes = [check_int(m, "numbers", low=1) for m in numbers]
    p = check_int(processes, "processes", low=2)
    reps = check_int(repeats, "repeats", low=1)
    rnds = check_int(rounds, "rounds", low=1)
    times = run_workers(allreduce_samples, p, (sizes, reps, rnds), timeout=timeout,
                        threads=1)[0]
    return {m: float(times[:, j].min()) for j, m in enumerate(sizes)}


@dataclasses.dataclass(frozen=True)
class Measurements:
    """One machine's measured inputs of the model, with where and when they were measured.

    ``rows`` and ``seconds[threads]`` (one per row count): seconds per Lloyd iteration at
    ``n_clusters = n_features`` as stored; ``allreduce``: ``{processes: {numbers: seconds}}``;
    ``machine``: :func:`machine`'s record.
    """

    machine: dict[str, Any]
    n_clusters: int
    n_features: int
    rows: list[int]
    seconds: dict[int, list[float]]
    allreduce: dict[int, dict[int, float]]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Measurements:
        raw = json.loads(text)
        return cls(
            machine=raw["machine"], n_clusters=int(raw["n_clusters"]),
            n_features=int(raw["n_features"]), rows=[int(r) for r in raw["rows"]],
            seconds={int(t): [float(s) for s in v] for t, v in raw["seconds"].items()},
            allreduce={int(p): {int(m): float(s) for m, s in v.items()}
                       for p, v in raw["allreduce"].items()},
        )

    @classmethod
    def load(cls, path: str | Path) -> Measurements:
        """Read ``path``; a relative path missing from the working directory is looked up in
        the folders above it, so ``"data/09_measurements.json"`` opens ``notebooks/data/`` from
        ``notebooks/`` and from the Chinese edition's ``notebooks/zh/`` alike."""
        where = Path(path)
        if not where.is_absolute() and not where.exists():
            found = [p / where for p in Path.cwd().parents if (p / where).exists()]
            where = found[0] if found else where
        return cls.from_json(where.read_text())


def measure(
    rows: Sequence[int] = MODEL_ROWS,
    *,
    n_clusters: int = MODEL_K,
    n_features: int = MODEL_D,
    processes: Sequence[int] = MODEL_PROCESSES,
    rounds: int = 3,
    note: str = "",
) -> Measurements:
    """Everything the model needs, measured here: seconds per iteration with 1 and 2 threads at
    ``rows``, and for each count in ``processes`` an ``all_reduce`` of 64 numbers (nearly
    latency alone), of the iteration's buffer of ``n_clusters (n_features + 1) + 2`` numbers
    and of 8 times that (where the cost per byte shows)."""
    seconds = measure_compute(rows, n_clusters=n_clusters, n_features=n_features,
                              rounds=rounds)
    buffer = allreduce_numbers(n_clusters, n_features)
    sizes = [64, buffer, 8 * buffer]
    allreduce = {int(p): measure_allreduce(sizes, processes=p, rounds=rounds)
                 for p in processes}
    return Measurements(machine(note), n_clusters, n_features, [int(r) for r in rows], seconds,
                        allreduce)


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


def allreduce_seconds(
    workers: Sequence[int] | np.ndarray,
    *,
    alpha: float,
    beta: float = 0.0,
    nbytes: int = 0,
    algorithm: str = "ring",
) -> np.ndarray:
    r"""Seconds of one ``all_reduce`` of ``nbytes`` bytes among ``p`` processes, for each ``p``
    in ``workers`` (0 for one process).

    ``"ring"`` (what gloo runs): :math:`2(p-1)` steps, each sending :math:`B/p` bytes,
    :math:`2(p-1)(\alpha + \beta B/p)`. ``"tree"`` (recursive doubling, for comparison):
    :math:`\lceil\log_2 p\rceil` rounds, each exchanging the whole buffer,
    :math:`\lceil\log_2 p\rceil(\alpha + \beta B)`. ``alpha``: seconds per step (latency);
    ``beta``: seconds per byte.
    """
    p = np.array([check_int(w, "workers", low=1) for w in workers], dtype=np.float64)
    a = check_real(alpha, "alpha", low=0.0)
    b = check_real(beta, "beta", low=0.0)
    nb = check_int(nbytes, "nbytes", low=0)
    algo = check_choice(algorithm, "algorithm", list(ALGORITHMS))
    if algo == "ring":
        return 2.0 * (p - 1.0) * (a + b * nb / p)
    return np.ceil(np.log2(p)) * (a + b * nb)


def fit_allreduce(
    timings: Mapping[int, Mapping[int, float]], processes: Sequence[int] | None = None
) -> tuple[float, float]:
    r"""``(alpha, beta)`` of the ring model (:func:`allreduce_seconds`) fitted to measured
    ``{processes: {numbers: seconds}}`` (float64 numbers, 8 bytes each), by least squares on
    *relative* errors; only the counts in ``processes`` (default: all). ``beta = 0`` when the
    best fit would make it negative (the sizes do not show a cost per byte)."""
    ps = sorted(timings) if processes is None else [check_int(p, "processes", low=2)
                                                    for p in processes]
    rows, t = [], []
    for p in ps:
        if p not in timings:
            raise ValueError(f"no all_reduce timings for {p} processes (have {sorted(timings)})")
        for m, s in timings[p].items():
            rows.append([2.0 * (p - 1), 2.0 * (p - 1) / p * 8 * m])
            t.append(check_real(s, "seconds", low=0.0, low_open=True))
    A, y = np.array(rows), np.array(t)
    if len(y) < 2 or np.unique(A[:, 1]).size < 2:
        raise ValueError("fit_allreduce needs at least 2 different message sizes")
    W = 1.0 / y  # relative errors
    (alpha, beta), *_ = np.linalg.lstsq(A * W[:, None], y * W, rcond=None)
    if beta < 0:
        alpha, beta = float(np.sum(A[:, 0] * W * W * y) / np.sum((A[:, 0] * W) ** 2)), 0.0
    if alpha < 0:
        raise ValueError(f"the timings give a negative latency ({alpha:.3g} s per step)")
    return float(alpha), float(beta)


def project(
    workers: Sequence[int],
    *,
    n_samples: int,
    t_row: float,
    alpha: float,
    beta: float = 0.0,
    nbytes: int = 0,
    algorithm: str = "ring",
    t_call: float = 0.0,
    weak: bool = False,
) -> dict[str, np.ndarray]:
    """Projected seconds per Lloyd iteration on ``p`` workers (the model of the module
    docstring; ``algorithm="tree"`` for the comparison).

    ``weak=False`` (strong scaling): ``n_samples`` rows in all. ``weak=True``: ``n_samples`` rows
    *per worker*. Returns arrays over ``workers``: ``compute``, ``comm``, ``total``, ``speedup``
    (rows per second over one worker's; for strong scaling that is T(1)/T(p)) and
    ``efficiency`` (speedup / p; for weak scaling that is T(1)/T(p)).
    """
    p = np.array([check_int(w, "workers", low=1) for w in workers], dtype=np.float64)
    n = check_int(n_samples, "n_samples", low=1)
    tr = check_real(t_row, "t_row", low=0.0, low_open=True)
    tc = check_real(t_call, "t_call", low=0.0)
    compute = tc + (np.full_like(p, n) if weak else np.ceil(n / p)) * tr
    comm = allreduce_seconds(workers, alpha=alpha, beta=beta, nbytes=nbytes,
                             algorithm=algorithm)
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
    processes: Sequence[int] | None = (2,),
    algorithm: str = "ring",
) -> dict[str, Any]:
    """The model's inputs and headline numbers from one :class:`Measurements` (one thread per
    worker): ``t_call``, ``t_row`` (fitted over all stored rows), ``alpha``, ``beta`` (the ring
    fitted to the ``all_reduce`` timings of ``processes``; ``None``: every stored count),
    ``nbytes`` (the iteration's buffer), ``crossover`` and ``best_p``/``best_speedup`` of strong
    scaling over ``n_strong`` rows, and the weak-scaling efficiency (``n_weak`` rows per
    worker) at every count in ``workers``."""
    t_call, t_row = fit_compute(m.rows, m.seconds[1])
    alpha, beta = fit_allreduce(m.allreduce, processes)
    kw: dict[str, Any] = {"t_call": t_call, "t_row": t_row, "alpha": alpha, "beta": beta,
          "nbytes": allreduce_bytes(m.n_clusters, m.n_features), "algorithm": algorithm}
    strong = project(workers, n_samples=n_strong, **kw)
    weak = project(workers, n_samples=n_weak, weak=True, **kw)
    p_best, s_best = best_speedup(strong)
    return {"t_call": t_call, "t_row": t_row, "alpha": alpha, "beta": beta,
            "nbytes": kw["nbytes"], "crossover": crossover(strong), "best_p": p_best,
            "best_speedup": s_best,
            "weak_efficiency": dict(zip((int(w) for w in workers), weak["efficiency"]))}


if __name__ == "__main__":  # python -m argmin_kmeans.distributed.scaling OUT.json [NOTE]
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m argmin_kmeans.distributed.scaling OUT.json [NOTE]")
    # the module by its name, so that spawned workers find allreduce_samples by that name too
    import importlib

    out = importlib.import_module(__spec__.name).measure(note=sys.argv[2] if len(sys.argv) == 3 else "")
    Path(sys.argv[1]).write_text(out.to_json())
    print(out.to_json(), end="")
