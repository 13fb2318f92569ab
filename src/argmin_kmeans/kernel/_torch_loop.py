"""The pass in torch ops: the small path (direct differences) and the chunk loop (GPUs, no C
compiler, and CPU shapes where BLAS's product beats the compiled pass).

The chunk loop
--------------
* **Distances by one plain matmul, per chunk** of about ``chunk_elements`` numbers, so a chunk
  stays in cache while its labels and sums are computed; memory never grows with
  ``n_samples``. The chunk is copied (shifted, scaled) into a buffer ``[x - m | 1]`` and the
  centres are ``[2(c - m) | -||c - m||^2]``: the product has the bias built in, and one
  ``index_add_`` of the buffer gives the sums and the counts together.
* **Sums in float64.** The buffer is added into float64 accumulators (a float64 copy of a
  float32 chunk), and the per-chunk inertia too: float32 running sums lost digits at large n
  (at n = 2**24 + 5 a Lloyd step was off by 9.8e-4; the compiled pass, which sums in float64,
  by 1.6e-7).
* **Argmax by max-pooling.** ``torch.argmax`` over a short last axis is a scalar loop. The
  scores are computed as a ``(k, m)`` block instead, which *is* a channels-last ``(1, m, 1, k)``
  image; ``max_pool2d`` over its width is a vectorised running maximum that keeps the **first**
  maximum (ties to the lowest index). The pooled maxima also tell, by one short sum, whether
  anything was NaN/inf.
* **Threads over chunks, like scikit-learn**, only where they pay: each worker runs single-
  threaded torch ops over a contiguous run of chunks into its own partial sums, added in a
  fixed order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ._backend import SMALL_ELEMENTS, SMALL_LOOP_D
from ._numerics import FLOOR
from ._schedule import chunk_rows, executor, threaded, torch_threads_lock, workspace

__all__ = ["small_pass", "torch_pass"]


class Small(NamedTuple):
    labels: torch.Tensor
    counts: torch.Tensor | None
    sums: torch.Tensor | None
    inertia: torch.Tensor


def small_pass(X: torch.Tensor, C: torch.Tensor, with_sums: bool) -> Small | None:
    """Small problems (the course's sizes): every direct difference at once, a dozen ops.

    ``(n, k, d)`` direct differences need no shift for the labels (exact ties stay exact; the
    first minimum wins); the sums are of each sample's difference to its own centre (shift =
    ``C``: no cancellation in the update rules). Returns None (use the general path) when any
    squared distance is non-finite (NaN/inf in ``X`` or ``C``, or an overflow) or they are all
    near the bottom of the dtype's range (the general path checks, names the culprit, or
    rescales by a power of two).
    """
    n, d = X.shape
    if d <= SMALL_LOOP_D and n * C.shape[0] * d > SMALL_ELEMENTS:  # one (n, k) plane per feature
        D = (X[:, :1] - C[:, 0]).square_()
        for j in range(1, d):
            D.add_((X[:, j : j + 1] - C[:, j]).square_())
    else:
        D = (X[:, None, :] - C[None, :, :]).square_().sum(dim=2)  # (n, k)
    best, labels = D.min(dim=1)  # first minimum: ties to the lowest index
    total = best.sum()
    top, bottom = torch.stack([total, D.amax()]).tolist()  # one synchronisation
    if not (math.isfinite(top) and math.isfinite(bottom)) or bottom < FLOOR[X.dtype]:
        return None  # NaN/inf anywhere (an inf centre is never nearest), or near the range's ends
    counts = sums = None
    if with_sums:
        # each sample relative to its own centre: S'_k = sum (x_i - c_k), shift = C
        sums = torch.zeros_like(C).index_add_(0, labels, X - C[labels])
        counts = torch.bincount(labels, minlength=C.shape[0])
    return Small(labels, counts, sums, total)


def _argmax_first(scores: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out[m] = argmax_k scores[k, m]`` (first maximum wins) for a contiguous ``(k, m)``
    block; returns the maxima ``(m,)``."""
    k, m = scores.shape
    if scores.device.type != "cpu":
        vals, idx = torch.max(scores, dim=0)  # GPUs reduce this layout well
        out.copy_(idx)
        return vals
    # (k, m) contiguous == channels-last (N=1, C=m, H=1, W=k): pool over W
    image = scores.as_strided((1, m, 1, k), (k * m, 1, k * m, m))
    vals, idx = F.max_pool2d(image, (1, k), return_indices=True)
    out.copy_(idx.view(m))
    return vals.view(m)


class _Work(NamedTuple):
    """What every chunk of one pass shares (validated, shifted, scaled)."""

    X: torch.Tensor  # (n, d) the raw data
    C: torch.Tensor  # (k, d) shifted and scaled centres
    C_aug: torch.Tensor  # (k, d + 1) [2 C | -||C||^2]: scores = C_aug @ [x | 1]
    shift: torch.Tensor | None  # (d,) the reference point times scale; None when it is 0
    scale: float
    labels: torch.Tensor  # (n,) filled in place
    step: int


def _run_chunks(
    w: _Work, starts: range, acc: torch.Tensor | None, inertia: torch.Tensor | None,
    single_thread: bool,
) -> torch.Tensor:
    """Process the chunks starting at ``starts`` into ``acc`` ((k, d + 1) float64: sums |
    counts) and ``inertia`` (0-d float64); return a 0-d float64 sum of every chunk's maximal
    scores, which is NaN/inf when anything in the chunks was (one check per pass, not per
    chunk: no device synchronisation in the loop)."""
    if single_thread:
        torch.set_num_threads(1)  # this worker's ops stay on its own core
    k, d = w.C.shape
    n = w.X.shape[0]
    dev, dt = w.X.device, w.X.dtype
    check = torch.zeros((), dtype=torch.float64, device=dev)
    rows = min(w.step, n)
    space = workspace(rows * (d + 1) + k * rows, dt, dev)  # this thread's, reused
    buf = space[: rows * (d + 1)].view(rows, d + 1)
    buf[:, d] = 1.0
    flat = space[rows * (d + 1) :]  # the (k, m) scores, contiguous
    buf64 = None
    if acc is not None and dt != torch.float64:
        buf64 = workspace(rows * (d + 1), torch.float64, dev).view(rows, d + 1)
    for s in starts:
        e = min(s + w.step, n)
        m = e - s
        a = buf[:m]
        Xs = a[:, :d]
        # x * scale - m * scale: the same as (x - m) * scale (a power of two), no overflow
        if w.scale != 1.0:
            torch.mul(w.X[s:e], w.scale, out=Xs)
            if w.shift is not None:
                Xs.sub_(w.shift)
        elif w.shift is not None:
            torch.sub(w.X[s:e], w.shift, out=Xs)  # small numbers: no cancellation below
        else:
            Xs.copy_(w.X[s:e])
        lab = w.labels[s:e]  # (m,) view, filled in place
        if k > 1:
            # (k, m) scores 2 c.x - ||c||^2 on shifted values: the largest is the nearest centre
            scores = flat[: k * m].view(k, m)
            torch.mm(w.C_aug, a.t(), out=scores)
            check += _argmax_first(scores, lab).sum(dtype=torch.float64)
        else:
            lab.zero_()
            check += Xs.sum(dtype=torch.float64)
        if acc is not None:  # sums | counts, in float64
            if buf64 is not None:
                a64 = buf64[:m]
                a64.copy_(a)
                acc.index_add_(0, lab, a64)
            else:
                acc.index_add_(0, lab, a)
        if inertia is not None:
            diff = Xs - w.C.index_select(0, lab)  # direct differences: no cancellation
            inertia += (diff * diff).sum(dtype=torch.float64)
    return check


def torch_pass(
    X: torch.Tensor, Cs: torch.Tensor, shift: torch.Tensor | None, scale: float,
    labels: torch.Tensor, with_sums: bool, with_inertia: bool, chunk_elements: int,
    threads: int | None,
) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None, bool]:
    """The chunk loop over ``X`` with shifted, scaled centres ``Cs`` (``shift``: the reference
    point times ``scale``): fills ``labels``; returns
    counts (int64), float64 sums (shifted, scaled), float64 inertia (scaled) and whether every
    score was finite."""
    n, d = X.shape
    k = Cs.shape[0]
    dev = X.device
    step = chunk_rows(n, k, d, chunk_elements)
    C_aug = torch.cat([2.0 * Cs, -(Cs * Cs).sum(dim=1, keepdim=True)], dim=1)
    work = _Work(X, Cs, C_aug, shift, scale, labels, step)
    n_chunks = math.ceil(n / step)
    t = (threads or torch.get_num_threads()) if dev.type == "cpu" and threaded(n, k, d) else 1
    workers = max(1, min(t, n_chunks))
    bounds = [(i * n_chunks // workers) * step for i in range(workers + 1)]
    f64 = torch.float64
    parts = [
        (
            range(bounds[i], min(bounds[i + 1], n), step),
            torch.zeros((k, d + 1), dtype=f64, device=dev) if with_sums else None,
            torch.zeros((), dtype=f64, device=dev) if with_inertia else None,
        )
        for i in range(workers)
    ]
    if workers == 1:
        starts, a0, i0 = parts[0]
        check = _run_chunks(work, starts, a0, i0, False)
    else:
        with torch_threads_lock:
            pool = executor(workers)
            saved = torch.get_num_threads()
            torch.set_num_threads(1)  # process-wide parts (MKL) too: one core per worker
            try:
                futures = [pool.submit(_run_chunks, work, st, a, i, True) for st, a, i in parts]
                check = torch.stack([f.result() for f in futures]).sum()
            finally:
                torch.set_num_threads(saved)  # MKL's setting is process-wide: restore it
    # partial results added in a fixed order: deterministic for a given thread count
    acc, inertia = parts[0][1], parts[0][2]
    for _, part_a, part_i in parts[1:]:
        if acc is not None and part_a is not None:
            acc = acc + part_a
        if inertia is not None and part_i is not None:
            inertia = inertia + part_i
    counts = sums = None
    if acc is not None:
        sums, counts = acc[:, :d], acc[:, d].round().to(torch.int64)  # exact below 2**53
    return counts, sums, inertia, bool(torch.isfinite(check))
