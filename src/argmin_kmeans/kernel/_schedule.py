"""Scheduling: chunk sizes, when to thread, the shared worker pool, per-thread workspaces.

Chunk boundaries depend on the problem's shape only, never on the thread count, so labels do
not either. The Python pool here runs the torch loop's threads (the compiled pass has its own
threads in C, see ``_compiled.py``). It is shared by every caller of the process and safe under
concurrent calls:
it only ever grows, by replacement, and a replaced pool is never shut down while a pass in
another thread may still be submitting to it (its idle threads exit once nothing refers to
it). A forked child gets a pool of its own.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import torch

__all__ = [
    "CHUNK_ELEMENTS",
    "MIN_CHUNKS",
    "THREAD_ROWS",
    "THREAD_WORK",
    "COMPILED_THREAD_WORK",
    "NARROW_THREAD_WORK",
    "threaded",
    "compiled_threaded",
    "chunk_rows",
    "executor",
    "workspace",
]

#: About this many numbers per ``(rows, max(n_clusters, n_features))`` chunk block:
#: 2**19 float32 numbers are 2 MiB: a block stays in cache while it is used.
CHUNK_ELEMENTS = 2**19

#: On problems big enough to thread, the number of chunks is a multiple of this, so that one,
#: two or four threads get equal work (13 chunks on 2 threads would leave one idle 1/13 of
#: the time).
MIN_CHUNKS = 4

#: Problems with fewer samples than this, or less work than :data:`THREAD_WORK` multiply-adds
#: (``n * k * d``), run in the calling thread: handing work to a pool costs more than it
#: saves (measured: 500 x 200 x 20 took 4x longer on two threads than on one).
THREAD_ROWS = 2**14
THREAD_WORK = 2**20

#: The compiled pass is ~10x cheaper per sample, so it threads only above this much work
#: (``n * k * d`` multiply-adds) in its AVX-512 build: waking an idle worker costs up to
#: ~0.1 ms on a VM (measured at (100k, 2, 8) on AVX-512: one thread 0.28 ms every time, two
#: threads 0.20-0.32 ms depending on that wake-up; at (100k, 4, 8) two threads win, 0.25-0.27
#: against 0.40 ms).
COMPILED_THREAD_WORK = 2**21

#: The narrower builds (AVX2, SSE2, NEON) are 2-4x slower per sample, with a fixed cost per
#: sample (loads, the label, the sums) of about 60 multiply-adds' worth (AVX2, measured: 6.6
#: ns per sample at d k = 16, 27 at d k = 256): they thread when ``n (k d + 64)`` is above
#: this (on AVX2 at (100k, 2, 8) one thread took 0.66 ms, each half 0.33 ms).
NARROW_THREAD_WORK = 2**22


def threaded(n: int, k: int, d: int) -> bool:
    """Whether a torch-loop pass over ``(n, d)`` data with ``k`` centres is big enough to
    thread."""
    return n >= THREAD_ROWS and n * k * d >= THREAD_WORK


def compiled_threaded(n: int, k: int, d: int, wide: bool) -> bool:
    """Whether a compiled pass is big enough to thread (``wide``: the AVX-512 build)."""
    if n < THREAD_ROWS:
        return False
    return n * k * d >= COMPILED_THREAD_WORK if wide else n * (k * d + 64) >= NARROW_THREAD_WORK


def chunk_rows(n: int, k: int, d: int, elements: int = CHUNK_ELEMENTS) -> int:
    """Rows per chunk so that a ``(rows, max(k, d))`` block has at most about ``elements``
    numbers; on problems big enough to thread, the chunks are equal and their number a
    multiple of :data:`MIN_CHUNKS`. Depends on the shape only, never on the thread count."""
    w = max(k, d, 1)
    rows = max(1, min(elements // w, n))
    if threaded(n, k, d):
        n_chunks = math.ceil(n / rows)
        n_chunks = MIN_CHUNKS * math.ceil(n_chunks / MIN_CHUNKS)
        rows = math.ceil(n / n_chunks)
    return rows


_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid, workers, pool)
_pool_lock = threading.Lock()


def executor(workers: int) -> ThreadPoolExecutor:
    """A pool of at least ``workers`` threads for this process, kept across calls.

    A larger request replaces the pool without shutting the old one down: another thread may be
    between ``executor()`` and ``submit()`` on it (shutting it down made such calls fail with
    "cannot schedule new futures after shutdown"). The old pool's threads exit when it is
    garbage-collected."""
    global _pool
    with _pool_lock:
        pid = os.getpid()
        if _pool is None or _pool[0] != pid or _pool[1] < workers:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argmin_kmeans")
            _pool = (pid, workers, pool)
        return _pool[2]


#: Serialises the threaded sections of the torch loop, which set torch's (process-wide, for
#: MKL) thread count to 1 and restore the caller's: two such sections interleaving could
#: restore each other's counts.
torch_threads_lock = threading.Lock()

_local = threading.local()  # per thread: reusable workspaces


def workspace(numel: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A flat buffer of at least ``numel`` elements, kept per thread and reused across passes.

    Fresh buffers of a few hundred KiB each pass cost page faults (measured: 266 per pass at
    100,000 x 2, about a third of the pass); a thread's workspace is touched once."""
    key = (dtype, device)
    cache: dict[tuple[torch.dtype, torch.device], torch.Tensor] = _local.__dict__.setdefault(
        "buffers", {}
    )
    buf = cache.get(key)
    if buf is None or buf.numel() < numel:
        buf = torch.empty(numel, dtype=dtype, device=device)
        cache[key] = buf
    return buf[:numel]
