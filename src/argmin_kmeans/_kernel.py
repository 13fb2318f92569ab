r"""The one hot loop: a chunked pass over ``X`` that assigns labels and sums clusters.

Why it looks the way it does (measured on a 2-core CPU, see ``benchmarks/README.md``):

* **Distances by matmul, per chunk.** For a chunk ``Xc`` of ``m`` rows the scores
  :math:`s_{km} = 2\,c_k\cdot x_m - \lVert c_k\rVert^2 = \lVert x_m\rVert^2 - \lVert x_m - c_k\rVert^2`
  come from one ``addmm``. The nearest centre maximises the score (``||x||^2`` is the same for
  every centre). A chunk holds about ``CHUNK_ELEMENTS`` numbers, so it stays in cache while
  its labels and sums are computed; memory never grows with ``n_samples``.
* **Argmax by max-pooling.** ``torch.argmax`` over a short last axis is a scalar loop (it was
  the most expensive op of an iteration). The scores are computed as a ``(k, m)`` block instead,
  which *is* a channels-last ``(1, m, 1, k)`` image; ``max_pool2d`` over its width is a
  vectorised running maximum that keeps the **first** maximum, so ties go to the lowest index
  exactly as ``torch.argmin`` and scikit-learn do.
* **Threads over chunks, like scikit-learn.** ``index_add_`` (the M-step sums) runs on one
  core, and small per-chunk ops gain little from intra-op threads. So on CPU the chunks are
  split into contiguous runs, one per thread, each worker running single-threaded torch ops
  into its own partial sums; the partial sums are added in a fixed order. Chunk boundaries do
  not depend on the number of threads, so labels do not either (float32 sums may differ in the
  last bits between thread counts, as in any parallel reduction).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F

__all__ = ["CHUNK_ELEMENTS", "chunk_rows", "fused_pass"]

#: About this many numbers per ``(rows, max(n_clusters, n_features))`` chunk block:
#: 2**19 float32 numbers are 2 MiB: a block stays in cache while it is used.
CHUNK_ELEMENTS = 2**19

_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None
_pool_lock = threading.Lock()


#: At least this many chunks (when n allows), so that two or four threads get balanced work
#: on small problems. It depends on ``n`` only, never on the thread count.
MIN_CHUNKS = 4


def chunk_rows(n: int, k: int, d: int, elements: int | None = None) -> int:
    """Rows per chunk so that a ``(rows, max(k, d))`` block has about ``elements`` numbers."""
    e = CHUNK_ELEMENTS if elements is None else elements
    return max(1, min(e // max(k, d, 1), math.ceil(n / MIN_CHUNKS)))


def _executor(workers: int) -> ThreadPoolExecutor:
    # one pool per process (a forked child must not reuse its parent's threads)
    global _pool, _pool_key
    key = (os.getpid(), workers)
    with _pool_lock:
        if _pool is None or _pool_key != key:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argmin_kmeans")
            _pool_key = key
        return _pool


def _argmax_first(scores: torch.Tensor, out: torch.Tensor) -> None:
    """``out[m] = argmax_k scores[k, m]`` (first maximum wins) for a contiguous ``(k, m)`` block."""
    k, m = scores.shape
    if scores.device.type != "cpu":
        torch.argmax(scores, dim=0, out=out)  # GPUs reduce this layout well
        return
    # (k, m) contiguous == channels-last (N=1, C=m, H=1, W=k): pool over W
    image = scores.as_strided((1, m, 1, k), (k * m, 1, k * m, m))
    _, idx = F.max_pool2d(image, (1, k), return_indices=True)
    out.copy_(idx.view(m))


def _run_chunks(
    X: torch.Tensor,
    C: torch.Tensor,
    neg_c_sq: torch.Tensor,
    labels: torch.Tensor,
    starts: range,
    step: int,
    sums: torch.Tensor | None,
    counts: torch.Tensor | None,
    inertia: torch.Tensor | None,
    single_thread: bool,
    check_finite: bool,
) -> bool:
    if single_thread:
        torch.set_num_threads(1)  # this worker's ops stay on its own core
    k = C.shape[0]
    n = X.shape[0]
    finite = True
    for s in starts:
        e = min(s + step, n)
        Xc = X[s:e]  # (m, d)
        lab = labels[s:e]  # (m,) view, filled in place
        if check_finite:
            # NaN/inf anywhere makes the sum non-finite; the chunk is in cache, so it is cheap
            finite &= bool(torch.isfinite(Xc.sum()))
        if k > 1:
            # (k, m) scores 2 c.x - ||c||^2: the largest is the nearest centre
            scores = torch.addmm(neg_c_sq, C, Xc.t(), beta=1.0, alpha=2.0)
            _argmax_first(scores, lab)
        else:
            lab.zero_()
        if sums is not None:
            sums.index_add_(0, lab, Xc)
            counts += torch.bincount(lab, minlength=k)
        if inertia is not None:
            diff = Xc - C.index_select(0, lab)  # direct differences: no cancellation
            inertia += (diff * diff).sum()
    return finite


def fused_pass(
    X: torch.Tensor,
    C: torch.Tensor,
    *,
    with_sums: bool,
    with_inertia: bool,
    check_finite: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None, bool]:
    """Labels ``(n,)``, and optionally counts ``(k,)`` int64 with sums ``(k, d)``, and the
    inertia (0-d), in one pass; last, whether every chunk of ``X`` summed to a finite number
    (always True unless ``check_finite``; a False may also be an overflow of finite values).

    ``X`` ``(n, d)`` and ``C`` ``(k, d)``: same dtype/device, ``C`` finite; no autograd.
    """
    n, d = X.shape
    k = C.shape[0]
    # empty, not zeros: every entry is written by a worker, and a parallel fill here would
    # wake a thread team that the workers are about to replace
    labels = torch.empty(n, dtype=torch.int64, device=X.device)
    neg_c_sq = -(C * C).sum(dim=1, keepdim=True)  # (k, 1)
    step = chunk_rows(n, k, d)
    n_chunks = math.ceil(n / step)
    threads = torch.get_num_threads() if X.device.type == "cpu" else 1
    workers = max(1, min(threads, n_chunks))
    # contiguous runs of whole chunks, one per worker
    bounds = [(w * n_chunks // workers) * step for w in range(workers + 1)]
    parts = []
    for w in range(workers):
        sums = torch.zeros((k, d), dtype=X.dtype, device=X.device) if with_sums else None
        counts = torch.zeros(k, dtype=torch.int64, device=X.device) if with_sums else None
        inertia = torch.zeros((), dtype=X.dtype, device=X.device) if with_inertia else None
        parts.append((range(bounds[w], min(bounds[w + 1], n), step), sums, counts, inertia))
    if workers == 1:
        starts, sums, counts, inertia = parts[0]
        finite = _run_chunks(
            X, C, neg_c_sq, labels, starts, step, sums, counts, inertia, False, check_finite
        )
    else:
        pool = _executor(workers)
        torch.set_num_threads(1)  # process-wide parts (MKL) too: one core per worker
        try:
            futures = [
                pool.submit(
                    _run_chunks, X, C, neg_c_sq, labels, starts, step, s, c, i, True, check_finite
                )
                for starts, s, c, i in parts
            ]
            finite = all([f.result() for f in futures])
        finally:
            torch.set_num_threads(threads)  # MKL's setting is process-wide: restore it
    # partial results added in a fixed order: deterministic for a given thread count
    _, sums, counts, inertia = parts[0]
    for _, s, c, i in parts[1:]:
        if with_sums:
            sums, counts = sums + s, counts + c
        if with_inertia:
            inertia = inertia + i
    return labels, counts, sums, inertia, finite
