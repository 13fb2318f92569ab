r"""The one hot loop: a pass over ``X`` that assigns labels and sums clusters.

The rest of the package calls :func:`fused_pass` (through :func:`argmin_kmeans.core.estep`);
everything here is about doing that one pass right and fast, apart from the course.

Layout
------
* :mod:`._numerics` — the numeric rules every path shares: the reference point (the median
  of the centres, rounded to a power-of-two grid), the power-of-two scale, the inertia scaled
  back.
* :mod:`._backend` — which implementation runs: the ``backend`` argument (``"auto"``,
  ``"compiled"``, ``"torch"``), the compiled pass's state, the measured rule per build.
* :mod:`._schedule` — chunk sizes, when to thread, the shared worker pool, workspaces.
* :mod:`._torch_loop` — the small path and the torch chunk loop (GPUs, no C compiler).
* :mod:`._compiled` with ``_fastpass.c`` (``_fastpass_simd.h``, ``_fastpass_impl.h``) — the
  compiled pass for CPU float32/float64 data: AVX-512, AVX2+FMA and SSE2 builds on x86-64,
  NEON on arm64, the widest the CPU runs picked at run time; its threads are its own
  (``_fastpass_pool.h``: the calling thread and POSIX worker threads, one C call a pass), and
  so is the reference point of CPU centres (``_fastpass.reference``, the numbers of
  :mod:`._numerics`).

Numerics: shift, then (rarely) scale
------------------------------------
The nearest centre maximises the score :math:`s_k(x) = 2\,c_k\cdot x - \lVert c_k\rVert^2
= \lVert x\rVert^2 - \lVert x - c_k\rVert^2`. Evaluated on raw data far from the origin both
terms are huge and their difference is lost to cancellation (at an offset of 1e4 in float32,
:math:`\lVert c\rVert^2 \approx 10^8` carries a rounding error of about 4). Distances do not
change under a translation, so the pass subtracts a **reference point** :math:`m` from the
centres once and from each block of rows while it is in cache:

.. math:: s_k(x) = 2\,(c_k - m)\cdot(x - m) - \lVert c_k - m\rVert^2 .

Every number is then of the size of the data's spread around :math:`m`, not of its offset.
The M-step sums are accumulated on the shifted values in float64
(:math:`S'_k = \sum_{i\in C_k} (x_i - m)`); the callers form the means as
:math:`m + S'_k/n_k` and the gradient as :math:`2(n_k (c_k - m) - S'_k)`. How :math:`m` and
the power-of-two scale are chosen, and why: :mod:`._numerics`.

Ties: labels maximise the shifted scores; equal scores go to the lowest index. Exact ties of
the direct distances go to the lowest index whenever the shifted arithmetic is exact (data on a
grid such as integers or pixel values, at any offset); a near tie closer than the rounding of
the shifted inputs may go either way. The small path compares direct differences
:math:`\lVert x - c_k\rVert^2`, where exact ties always go to the lowest index.

Both loops are tested against each other and against a float64 brute force over direct
differences (``tests/test_compiled_pass.py``, ``tests/test_numerics.py``,
``tests/test_kernel.py``); ``argmin_kmeans.show_config()`` says which runs here.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._backend import (
    BACKENDS,
    COMPILED_RULE,
    SMALL_ELEMENTS,
    SMALL_LOOP_D,
    SMALL_PLANE,
    Backend,
    CompiledState,
    Plan,
    compiled_state,
    default_backend,
    plan,
    rule_text,
    use_backend,
)
from ._backend import _fastpass as _fastpass
from ._compiled import compiled_pass, plain
from ._config import config, show_config
from ._numerics import SAFE_EXP, reference, unscale_inertia
from ._schedule import (
    CHUNK_ELEMENTS,
    COMPILED_THREAD_WORK,
    MIN_CHUNKS,
    THREAD_ROWS,
    THREAD_WORK,
    chunk_rows,
    threaded,
)
from ._torch_loop import small_pass, torch_pass

__all__ = [
    "Backend",
    "BACKENDS",
    "PassResult",
    "fused_pass",
    "plan",
    "Plan",
    "use_backend",
    "default_backend",
    "compiled_state",
    "CompiledState",
    "show_config",
    "config",
    "reference",
    "chunk_rows",
    "threaded",
    "CHUNK_ELEMENTS",
    "MIN_CHUNKS",
    "THREAD_ROWS",
    "THREAD_WORK",
    "COMPILED_THREAD_WORK",
    "COMPILED_RULE",
    "SMALL_ELEMENTS",
    "SMALL_LOOP_D",
    "SMALL_PLANE",
    "SAFE_EXP",
    "rule_text",
    "plain",
]


class PassResult(NamedTuple):
    """What one pass returns (all on ``X``'s device; no autograd).

    labels : int64 (n,)
    counts : int64 (k,) or None
    sums : (k, d) or None — **shifted** sums :math:`\\sum_{i \\in C_k} (x_i - m_k)`
    inertia : 0-d or None — :math:`\\sum_i \\lVert x_i - c_{l_i}\\rVert^2` (may be inf when out
        of the dtype's range; the caller checks)
    shift : (d,) or (k, d) — the reference point :math:`m` (or one per centre, :math:`m_k = c_k`)
    finite : bool — False if a score was NaN/inf (NaN/inf in ``X``, or an overflow)
    inertia_checked : bool — the inertia is known to be finite
    path : "small", "compiled" or "torch" — what ran (:func:`plan`)
    """

    labels: torch.Tensor
    counts: torch.Tensor | None
    sums: torch.Tensor | None
    inertia: torch.Tensor | None
    shift: torch.Tensor
    finite: bool
    inertia_checked: bool = False
    path: str = "torch"


def fused_pass(
    X: torch.Tensor,
    C: torch.Tensor,
    *,
    with_sums: bool,
    with_inertia: bool,
    backend: Backend | None = None,
    chunk_elements: int = CHUNK_ELEMENTS,
    threads: int | None = None,
    level: int | None = None,
) -> PassResult:
    """Labels, and optionally counts and shifted sums, and the inertia, in one pass.

    Parameters
    ----------
    X : (n, d), C : (k, d)
        float32/float64, same dtype and device, ``n, k, d >= 1``, ``C`` finite; autograd is
        ignored (the pass reads the values).
    with_sums, with_inertia : bool
        What to compute besides the labels.
    backend : {"auto", "compiled", "torch"}, optional
        Which implementation (:func:`plan`); default :func:`default_backend` (``"auto"``).
    chunk_elements : int
        About this many numbers per ``(rows, max(k, d))`` chunk block of the torch loop.
    threads : int, optional
        Most worker threads (default ``torch.get_num_threads()``; 1 on GPUs).
    level : int, optional
        The compiled build to run (0 .. ``_fastpass.level()``; tests compare them).
    """
    X, C = plain(X), plain(C)
    n, d = X.shape
    k = C.shape[0]
    p = plan(n, k, d, X.dtype, X.device, backend, level)
    if p.path == "small":
        small = small_pass(X, C, with_sums)
        if small is not None:
            return PassResult(small.labels, small.counts, small.sums,
                              small.inertia if with_inertia else None, C, True, True, "small")
        # NaN/inf, or all near the bottom of the range: a loop, which checks and rescales
        loop: Backend = "compiled" if _compiled_runs(X) else "torch"
        p = plan(n, k, d, X.dtype, X.device, loop, level)
    shift, scale = reference(C)
    # scaled first, then shifted by the scaled reference point: scale is a power of two, so
    # this is (C - m) * scale with one rounding, and C - m cannot overflow on the way
    sh = None if shift is None else (shift * scale if scale != 1.0 else shift)
    Cs = C * scale if scale != 1.0 else C
    if sh is not None:
        Cs = Cs - sh
    # empty, not zeros: every entry is written by a worker, and a parallel fill here would
    # wake a thread team that the workers are about to replace
    labels = torch.empty(n, dtype=torch.int64, device=X.device)
    if p.path == "compiled":
        assert _fastpass is not None
        counts, sums, inertia, finite = compiled_pass(
            _fastpass, X, Cs, sh, scale, labels, with_sums, with_inertia, threads, p.level
        )
    else:
        counts, sums, inertia, finite = torch_pass(
            X, Cs, sh, scale, labels, with_sums, with_inertia, chunk_elements, threads
        )
    # in the caller's units: sums and inertia scaled back (a ValueError when the inertia is
    # then out of range), float64 accumulators rounded once to X's dtype
    if sums is not None:
        sums = (sums / scale if scale != 1.0 else sums).to(X.dtype)
    if inertia is not None:
        inertia = (unscale_inertia(inertia, scale, X.dtype) if scale != 1.0 and finite
                   else inertia.to(X.dtype))
    m = torch.zeros(d, dtype=X.dtype, device=X.device) if shift is None else shift
    return PassResult(labels, counts, sums, inertia, m, finite, False, p.path)


def _compiled_runs(X: torch.Tensor) -> bool:
    return X.device.type == "cpu" and compiled_state().available
