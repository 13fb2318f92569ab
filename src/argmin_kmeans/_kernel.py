r"""The one hot loop: a chunked pass over ``X`` that assigns labels and sums clusters.

Numerics: shift, then (rarely) scale
------------------------------------
The nearest centre maximises the score :math:`s_k(x) = 2\,c_k\cdot x - \lVert c_k\rVert^2
= \lVert x\rVert^2 - \lVert x - c_k\rVert^2`. Evaluated on raw data far from the origin (pixel
values, coordinates) both terms are huge and their difference is lost to cancellation: at an
offset of 1e4 in float32, :math:`\lVert c\rVert^2 \approx 10^8` carries an absolute rounding error
of about 4, larger than the distances being compared. Distances do not change under a
translation, so the pass first subtracts a **reference point** :math:`m` (the centres' mean,
rounded to a power-of-two grid near their spread, see :func:`reference`) from the centres once
and from each chunk while it is in cache:

.. math:: s_k(x) = 2\,(c_k - m)\cdot(x - m) - \lVert c_k - m\rVert^2 .

Every number in that formula is now of the size of the data's *spread*, not of its offset, so
the result is translation-invariant up to the rounding of the inputs themselves. The M-step
sums are accumulated on the shifted values too (:math:`S'_k = \sum_{i\in C_k} (x_i - m)`); the
callers form the means as :math:`m + S'_k/n_k` and the gradient as
:math:`2(n_k (c_k - m) - S'_k)`, never the cancelling :math:`n_k c_k - S_k`.

When the centres' spread is outside :math:`[2^{-30}, 2^{30}]` (data scaled by 1e20 or 1e-30)
the shifted values are also multiplied by a **power of two** :math:`2^{-e}` that brings the
spread near 1: exact in binary, so labels are those of the unscaled problem, and squared
distances neither overflow nor underflow. Sums and inertia are scaled back by :math:`2^{e}`
and :math:`2^{2e}`; if the inertia itself is out of the dtype's range, the caller raises.

Ties: labels maximise the shifted scores; equal scores go to the lowest index. So exact ties
of the direct distances go to the lowest index whenever the shifted arithmetic is exact (data
on a grid such as integers or pixel values, at any offset; and ``[[.7]]`` against
``[[.5], [.9]]`` in float32); a near tie closer than the rounding of the shifted inputs may go
either way. Small problems (``n * k * d <= SMALL_ELEMENTS``) compare direct differences
:math:`\lVert x - c_k\rVert^2` instead, where exact ties always go to the lowest index.

All of this is tested against a float64 brute force over direct differences in
``tests/test_numerics.py`` (offsets up to 1e4 in float32 and 1e8 in float64).

Speed (measured on a 2-core CPU, see ``benchmarks/README.md``)
---------------------------------------------------------------
Two implementations of the same pass, compared by ``tests/test_compiled_pass.py`` and both run
through every accuracy test of ``tests/test_numerics.py``:

* **The compiled pass** (``_fastpass.c``, built by ``make venv``; CPU float32/float64, see
  :func:`compiled_applies`). At small ``d`` the torch loop below spends its time in a dozen
  ops per chunk (``index_add_`` alone was ~96 us per 25,000 rows at d = 2), not in arithmetic.
  The C loop puts samples across the lanes of a vector (16 float32 or 8 float64 in the AVX-512
  build, half that with AVX2, a quarter in the baseline build; the CPU picks at run time):
  shift, scale and transpose a block once, then per centre a lane-wise multiply-add of the
  same shifted score, a strict ``>`` (first maximum wins) and a blend of the running best and
  its index; sums, counts and inertia go to per-lane accumulators by masks (few centres) or
  per row, in float64. One C call per worker thread over a contiguous run of rows, with the
  GIL released; partial sums added in a fixed order. ``ARGMIN_KMEANS_PURE_TORCH=1`` (or no C
  compiler at install) leaves only the torch loop.
* **Distances by one plain matmul, per chunk** of about ``chunk_elements`` numbers, so a chunk
  stays in cache while its labels and sums are computed; memory never grows with
  ``n_samples``. The chunk is copied (shifted) into a buffer ``[x - m | 1]`` and the centres
  are ``[2(c - m) | -||c - m||^2]``: the product has the bias built in (``addmm`` first copies
  the broadcast bias into its output), and one ``index_add_`` of the buffer gives the sums and
  the counts together.
* **Small problems** (the course's sizes) take a dozen ops on all direct differences at once
  and one synchronisation: the fixed cost of a call is what matters there.
* **Argmax by max-pooling.** ``torch.argmax`` over a short last axis is a scalar loop. The
  scores are computed as a ``(k, m)`` block instead, which *is* a channels-last
  ``(1, m, 1, k)`` image; ``max_pool2d`` over its width is a vectorised running maximum that
  keeps the **first** maximum (ties to the lowest index, as ``torch.argmin`` and scikit-learn).
  The pooled maxima also tell, by one short sum, whether anything was NaN/inf.
* **Threads over chunks, like scikit-learn**, only where they pay (large problems; for the
  compiled pass, larger still): each worker runs over a contiguous run of chunks (single-
  threaded torch ops, or one C call) into its own partial sums,
  added in a fixed order. Chunk boundaries do not depend on the thread count, so labels do
  not either. Small problems run as one chunk in the calling thread: no hand-off.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import NamedTuple

import torch
import torch.nn.functional as F

_fastpass: ModuleType | None
try:  # the optional compiled pass (setup.py builds it; without it, the pure-torch loop)
    from . import _fastpass
except ImportError:  # pragma: no cover - depends on the install
    _fastpass = None

__all__ = ["CHUNK_ELEMENTS", "PassResult", "chunk_rows", "fused_pass", "reference"]

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

#: The compiled pass is ~10x cheaper per sample, so it threads only above this much work:
#: waking an idle worker costs up to ~0.1 ms on a VM (measured at (100k, 2, 8): one thread
#: 0.28 ms every time, two threads 0.20-0.32 ms depending on that wake-up; at (100k, 4, 8)
#: two threads win, 0.25-0.27 against 0.40 ms).
COMPILED_THREAD_WORK = 2**21

#: Problems with at most this many direct differences (``n * k * d``) take the small path, and
#: so do problems with at most :data:`SMALL_LOOP_D` features and ``n * k <= SMALL_PLANE``.
SMALL_ELEMENTS = 2**12
SMALL_LOOP_D = 4
SMALL_PLANE = 2**14

#: The small path hands over to the general one (which rescales) when even the largest squared
#: distance is below this: smaller ones may have lost digits to underflow.
_FLOOR = {torch.float32: 2.0**-100, torch.float64: 2.0**-900}

#: Spreads of the shifted centres within ``[2**-SAFE_EXP, 2**SAFE_EXP]`` need no scaling.
SAFE_EXP = 30

#: The compiled pass runs on CPU float32/float64 data with at most this many features, or
#: with at least :data:`COMPILED_WIDE_K` centres. Its cost per sample is about ``d`` strided
#: loads (the transposition into SIMD lanes) plus ``k d / lanes`` multiply-adds; with many
#: features and few centres the loads dominate and BLAS's product wins (measured with the
#: first version, ours / torch loop: 0.46 at (1M, 16, 32), 0.68 at (100k, 64, 64), 0.90 at
#: (200k, 200, 20), but 1.23 at (100k, 128, 4)).
COMPILED_MAX_D = 64
COMPILED_WIDE_K = 16

#: ``ARGMIN_KMEANS_PURE_TORCH=1`` in the environment turns the compiled pass off (tests run
#: both paths by setting :data:`use_compiled`).
use_compiled = _fastpass is not None and os.environ.get("ARGMIN_KMEANS_PURE_TORCH", "") != "1"

#: Which of the compiled pass's builds runs: -1 the widest vectors this CPU has
#: (``_fastpass.level()``: 2 AVX-512, 1 AVX2 + FMA, 0 the baseline, SSE2 or NEON); tests run
#: each level this machine has against the torch loop.
simd_level = -1

_local = threading.local()  # per thread: a reusable workspace


def _workspace(numel: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
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


_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None
_pool_lock = threading.Lock()


class PassResult(NamedTuple):
    """What one pass returns (all on ``X``'s device; no autograd).

    labels : int64 (n,)
    counts : int64 (k,) or None
    sums : (k, d) or None — **shifted** sums :math:`\\sum_{i \\in C_k} (x_i - m_k)`
    inertia : 0-d or None — :math:`\\sum_i \\lVert x_i - c_{l_i}\\rVert^2` (may be inf/0 when
        out of the dtype's range; the caller checks)
    shift : (d,) or (k, d) — the reference point :math:`m` (or one per centre, :math:`m_k = c_k`)
    finite : bool — False if a score was NaN/inf (NaN/inf in ``X``, or an overflow)
    inertia_checked : bool — the inertia is known to be finite
    """

    labels: torch.Tensor
    counts: torch.Tensor | None
    sums: torch.Tensor | None
    inertia: torch.Tensor | None
    shift: torch.Tensor
    finite: bool
    inertia_checked: bool = False  # the small path already knows the inertia is finite


def threaded(n: int, k: int, d: int) -> bool:
    """Whether a pass over ``(n, d)`` data with ``k`` centres is big enough to thread."""
    return n >= THREAD_ROWS and n * k * d >= THREAD_WORK


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


def reference(C: torch.Tensor) -> tuple[torch.Tensor | None, float]:
    r"""The reference point :math:`m` and the power-of-two scale for shifted values.

    ``m`` is the centres' mean rounded to a multiple of :math:`q = 2^{e-1}`, where the centres'
    spread :math:`\max |c - \bar c|` lies in :math:`[2^{e-1}, 2^e)`: still within the spread of
    the centres, and with few significant bits, so ``x - m`` is exact for data on a grid
    (integers, pixel values, offsets far larger than the spread) and exact ties of such data
    stay exact ties. ``None`` when ``m`` is exactly 0 (centred data: nothing to subtract). With
    one centre (or identical ones) ``m`` is the first centre. The scale is 1.0 unless the spread
    is outside ``[2**-SAFE_EXP, 2**SAFE_EXP]``. It depends on ``C`` alone (so every rank of a
    distributed run shifts by the same point). One synchronisation.
    """
    mean = C.mean(dim=0)
    spread, size = torch.stack(_spread_and_size(C, mean)).tolist()
    return _reference_from(C, mean, spread, size)


def _spread_and_size(C: torch.Tensor, mean: torch.Tensor) -> list[torch.Tensor]:
    return [(C - mean).abs().amax(), mean.abs().amax()]


def _reference_from(
    C: torch.Tensor, mean: torch.Tensor, spread: float, size: float
) -> tuple[torch.Tensor | None, float]:
    if spread == 0.0 or not math.isfinite(spread):  # one centre, or NaN/inf (caught later)
        return (C[0] if size != 0.0 else None), 1.0
    e = math.frexp(spread)[1]  # spread in [2**(e-1), 2**e)
    q = math.ldexp(1.0, e - 1)
    m = None if size < q / 2 else torch.round(mean / q) * q  # |mean| < q/2 rounds to 0
    return m, (1.0 if -SAFE_EXP <= e <= SAFE_EXP else math.ldexp(1.0, -e))


def _executor(workers: int) -> ThreadPoolExecutor:
    """A pool of at least ``workers`` threads, one per process (a forked child must not reuse
    its parent's threads), kept across calls."""
    global _pool, _pool_key
    with _pool_lock:
        if _pool is None or _pool_key is None or _pool_key[0] != os.getpid() or _pool_key[1] < workers:
            if _pool is not None and _pool_key is not None and _pool_key[0] == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argmin_kmeans")
            _pool_key = (os.getpid(), workers)
        return _pool


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
    shift: torch.Tensor | None  # (d,), None when it is exactly 0 (centred data)
    scale: float
    labels: torch.Tensor  # (n,) filled in place
    step: int


def _run_chunks(
    w: _Work,
    starts: range,
    sums: torch.Tensor | None,
    counts: torch.Tensor | None,
    inertia: torch.Tensor | None,
    single_thread: bool,
) -> torch.Tensor:
    """Process the chunks starting at ``starts``; return a 0-d sum of every chunk's maximal
    scores, which is NaN/inf when anything in the chunks was (one check per pass, not per
    chunk: no device synchronisation in the loop).

    Each chunk is copied (shifted, scaled) into a ``(rows, d + 1)`` buffer whose last column
    is 1, so that one plain matrix product gives the scores with their ``-||c||^2`` bias (no
    broadcast copy of the bias into the ``(k, rows)`` output, as ``addmm`` makes), and one
    ``index_add_`` gives the sums and the counts together.
    """
    if single_thread:
        torch.set_num_threads(1)  # this worker's ops stay on its own core
    k, d = w.C.shape
    n = w.X.shape[0]
    dev, dt = w.X.device, w.X.dtype
    check = torch.zeros((), dtype=dt, device=dev)
    rows = min(w.step, n)
    space = _workspace(rows * (d + 1) + k * rows, dt, dev)  # this thread's, reused
    buf = space[: rows * (d + 1)].view(rows, d + 1)
    buf[:, d] = 1.0
    flat = space[rows * (d + 1) :]  # the (k, m) scores, contiguous
    acc = torch.zeros((k, d + 1), dtype=dt, device=dev) if sums is not None else None
    for s in starts:
        e = min(s + w.step, n)
        m = e - s
        a = buf[:m]
        Xs = a[:, :d]
        if w.shift is not None:
            torch.sub(w.X[s:e], w.shift, out=Xs)  # small numbers: no cancellation below
        else:
            Xs.copy_(w.X[s:e])
        if w.scale != 1.0:
            Xs.mul_(w.scale)  # a power of two: exact
        lab = w.labels[s:e]  # (m,) view, filled in place
        if k > 1:
            # (k, m) scores 2 c.x - ||c||^2 on shifted values: the largest is the nearest centre
            scores = flat[: k * m].view(k, m)
            torch.mm(w.C_aug, a.t(), out=scores)
            check += _argmax_first(scores, lab).sum()
        else:
            lab.zero_()
            check += Xs.sum()
        if acc is not None and sums is not None and counts is not None:
            acc.index_add_(0, lab, a)  # sums | counts (exact: m < 2**24 per chunk)
            counts += acc[:, d].to(torch.int64)
            acc[:, d] = 0.0
        if inertia is not None:
            diff = Xs - w.C.index_select(0, lab)  # direct differences: no cancellation
            inertia += (diff * diff).sum()
    if acc is not None and sums is not None:
        sums += acc[:, :d]
    return check


def _small_pass(
    X: torch.Tensor, C: torch.Tensor, with_sums: bool, with_inertia: bool
) -> PassResult | None:
    """Small problems (the course's sizes): every direct difference at once, a dozen ops.

    ``(n, k, d)`` direct differences need no shift for the labels (exact ties stay exact; the
    first minimum wins); the sums are of each sample's difference to its own centre (shift =
    ``C``: no cancellation in the update rules). Returns None (use the general path)
    when any squared distance is non-finite (NaN/inf in ``X`` or ``C``, or an overflow) or they
    are all near the bottom of the dtype's range (the general path checks, names the culprit,
    or rescales by a power of two).
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
    if not (math.isfinite(top) and math.isfinite(bottom)) or bottom < _FLOOR[X.dtype]:
        return None  # NaN/inf anywhere (an inf centre is never nearest), or near the range's ends
    counts = sums = None
    if with_sums:
        # each sample relative to its own centre: S'_k = sum (x_i - c_k), shift = C
        sums = torch.zeros_like(C).index_add_(0, labels, X - C[labels])
        counts = torch.bincount(labels, minlength=C.shape[0])
    return PassResult(labels, counts, sums, total if with_inertia else None, C, True, True)


def fused_pass(
    X: torch.Tensor,
    C: torch.Tensor,
    *,
    with_sums: bool,
    with_inertia: bool,
    chunk_elements: int = CHUNK_ELEMENTS,
    threads: int | None = None,
) -> PassResult:
    """Labels, and optionally counts and shifted sums, and the inertia, in one pass.

    Parameters
    ----------
    X : (n, d), C : (k, d)
        Same dtype and device, ``C`` finite, ``n >= 1``; no autograd.
    with_sums, with_inertia : bool
        What to compute besides the labels.
    chunk_elements : int
        About this many numbers per ``(rows, max(k, d))`` chunk block (tests pass small values).
    threads : int, optional
        Most worker threads (default ``torch.get_num_threads()``; 1 on GPUs).
    """
    n, d = X.shape
    k = C.shape[0]
    if n * k * d <= SMALL_ELEMENTS or (d <= SMALL_LOOP_D and n * k <= SMALL_PLANE):
        small = _small_pass(X, C, with_sums, with_inertia)
        if small is not None:
            return small
    shift, scale = reference(C)
    Cs = C if shift is None else C - shift
    if scale != 1.0:
        Cs = Cs * scale
    # empty, not zeros: every entry is written by a worker, and a parallel fill here would
    # wake a thread team that the workers are about to replace
    labels = torch.empty(n, dtype=torch.int64, device=X.device)
    if compiled_applies(X, k):
        return _compiled_pass(X, Cs, shift, scale, labels, with_sums, with_inertia, threads)
    step = chunk_rows(n, k, d, chunk_elements)
    C_aug = torch.cat([2.0 * Cs, -(Cs * Cs).sum(dim=1, keepdim=True)], dim=1)
    work = _Work(X, Cs, C_aug, shift, scale, labels, step)
    n_chunks = math.ceil(n / step)
    big = threaded(n, k, d)
    t = (threads or torch.get_num_threads()) if X.device.type == "cpu" and big else 1
    workers = max(1, min(t, n_chunks))
    bounds = [(i * n_chunks // workers) * step for i in range(workers + 1)]
    parts = []
    for i in range(workers):
        parts.append((
            range(bounds[i], min(bounds[i + 1], n), step),
            torch.zeros((k, d), dtype=X.dtype, device=X.device) if with_sums else None,
            torch.zeros(k, dtype=torch.int64, device=X.device) if with_sums else None,
            torch.zeros((), dtype=X.dtype, device=X.device) if with_inertia else None,
        ))
    if workers == 1:
        starts, s0, c0, i0 = parts[0]
        check = _run_chunks(work, starts, s0, c0, i0, False)
    else:
        pool = _executor(workers)
        saved = torch.get_num_threads()
        torch.set_num_threads(1)  # process-wide parts (MKL) too: one core per worker
        try:
            futures = [pool.submit(_run_chunks, work, st, s, c, i, True) for st, s, c, i in parts]
            check = torch.stack([f.result() for f in futures]).sum()
        finally:
            torch.set_num_threads(saved)  # MKL's setting is process-wide: restore it
    # partial results added in a fixed order: deterministic for a given thread count
    _, sums, counts, inertia = parts[0]
    for _, part_s, part_c, part_i in parts[1:]:
        if sums is not None and part_s is not None and counts is not None and part_c is not None:
            sums, counts = sums + part_s, counts + part_c
        if inertia is not None and part_i is not None:
            inertia = inertia + part_i
    return _finish(X, labels, counts, sums, inertia, shift, scale, bool(torch.isfinite(check)))


def _finish(
    X: torch.Tensor,
    labels: torch.Tensor,
    counts: torch.Tensor | None,
    sums: torch.Tensor | None,
    inertia: torch.Tensor | None,
    shift: torch.Tensor | None,
    scale: float,
    finite: bool,
) -> PassResult:
    """Both loops' results in the caller's units: sums and inertia scaled back by the power
    of two (a ``ValueError`` when the inertia is then out of range), the shift as a tensor."""
    if scale != 1.0 and finite:
        if sums is not None:
            sums = sums / scale
        if inertia is not None:
            inertia = _unscale_inertia(inertia, scale)
    m = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device) if shift is None else shift
    return PassResult(labels, counts, sums, inertia, m, finite)


def compiled_applies(X: torch.Tensor, k: int) -> bool:
    """Whether the compiled pass runs for ``X`` and ``k`` centres (see :data:`use_compiled`)."""
    return (
        use_compiled
        and X.device.type == "cpu"
        and X.dtype in (torch.float32, torch.float64)
        and (X.shape[1] <= COMPILED_MAX_D or k >= COMPILED_WIDE_K)
        and k < 2**31  # labels travel as int32 in the float32 lanes
    )


def _compiled_pass(
    X: torch.Tensor,
    Cs: torch.Tensor,
    shift: torch.Tensor | None,
    scale: float,
    labels: torch.Tensor,
    with_sums: bool,
    with_inertia: bool,
    threads: int | None,
) -> PassResult:
    """:func:`fused_pass` by the compiled loop (``_fastpass.c``): the same shifted, scaled
    scores and tie rule as the torch loop, one C call per worker over a contiguous run of rows,
    partial sums (float64) and counts added in a fixed order."""
    n, d = X.shape
    k = Cs.shape[0]
    if (d > 1 and X.stride(1) != 1) or X.stride(0) < d:
        X = X.contiguous()
    Cs = Cs.contiguous()
    sh = None if shift is None else shift.contiguous()
    big = n >= THREAD_ROWS and n * k * d >= COMPILED_THREAD_WORK
    t = (threads or torch.get_num_threads()) if big else 1
    workers = max(1, min(t, n // 1024 + 1))
    bounds = [i * n // workers for i in range(workers + 1)]
    is64 = X.dtype == torch.float64
    parts = [
        (
            torch.zeros((k, d), dtype=torch.float64) if with_sums else None,
            torch.zeros(k, dtype=torch.int64) if with_sums else None,
        )
        for _ in range(workers)
    ]

    def work(i: int) -> tuple[float, float]:
        s, c = parts[i]
        assert _fastpass is not None
        return _fastpass.run(
            X.data_ptr(), bounds[i], bounds[i + 1], d, X.stride(0),
            0 if sh is None else sh.data_ptr(), scale, Cs.data_ptr(), k, labels.data_ptr(),
            0 if s is None else s.data_ptr(), 0 if c is None else c.data_ptr(),
            with_inertia, is64, simd_level,
        )

    # the calling thread takes the first run of rows itself: one hand-off fewer (measured at
    # (100k, 2, 8): 0.22-0.32 ms per pass with every run in the pool)
    later = [_executor(workers - 1).submit(work, i) for i in range(1, workers)]
    results = [work(0)] + [f.result() for f in later]
    finite = math.isfinite(sum(r[1] for r in results))
    sums = counts = inertia = None
    if with_sums:
        sums64, counts = parts[0]
        for s, c in parts[1:]:
            assert sums64 is not None and counts is not None and s is not None and c is not None
            sums64, counts = sums64 + s, counts + c
        assert sums64 is not None
        sums = sums64.to(X.dtype)
    if with_inertia:  # float64 partial sums, added in a fixed order
        inertia = torch.tensor(sum(r[0] for r in results), dtype=X.dtype)
    return _finish(X, labels, counts, sums, inertia, shift, scale, finite)


def _unscale_inertia(inertia: torch.Tensor, scale: float) -> torch.Tensor:
    """``inertia / scale**2``, or a ``ValueError`` when that is outside the dtype's range."""
    e = -math.frexp(scale)[1] + 1  # scale == 2**-e
    try:
        value = math.ldexp(float(inertia), 2 * e)
    except OverflowError:
        value = math.inf
    info = torch.finfo(inertia.dtype)
    if value > info.max or 0.0 < value < info.tiny:
        raise ValueError(
            f"the inertia ({value:.3g}) is outside the range of {inertia.dtype} "
            f"[{info.tiny:.3g}, {info.max:.3g}]: rescale X and the centres, e.g. divide both by "
            f"X.std() (labels do not change with the scale; the inertia scales by its square)"
        )
    return torch.full_like(inertia, value)
