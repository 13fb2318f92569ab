"""The compiled pass's Python side: what crosses into ``_fastpass.run``, and its threads.

A pass is one call of ``_fastpass.run``: it checks its arguments, releases the GIL, cuts the
rows into chunks and runs them on the calling thread and the module's own worker threads
(POSIX threads kept for the process, ``_fastpass_pool.h``), then adds the chunks' partial sums
in chunk order. (Until this round the chunks were Python calls on a Python thread pool: at
(100k, 2, 8) that hand-off and the GIL taken back after each chunk cost 30-50 us of a 0.3 ms
pass.)

What crosses the boundary is NumPy views of the tensors (zero-copy on CPU), never raw
addresses: ``run`` reads each one's shape, element type, strides and writability through the
buffer protocol and checks them against each other before it releases the GIL (see
``_fastpass.pyi``). On this side:

* torch's lazy **negative/conjugate bits** are resolved first (``Z.conj().imag`` is a view whose
  memory holds ``+imag`` and whose values are ``-imag``; read raw, 98.6 % of labels were wrong).
  NumPy refuses such tensors too, so nothing with a pending bit can reach C;
* rows need a unit stride only within a row; any row stride works (a one-row view whose row
  stride is smaller than its width, such as a transposed column ``x.T``, is one row: its row
  stride is never used), and non-unit strides within a row are copied once.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import torch

from ._schedule import compiled_threaded

__all__ = ["plain", "compiled_pass", "CHUNKS_PER_WORKER"]

#: A threaded pass is cut into this many chunks per worker (taken in turn, see compiled_pass).
CHUNKS_PER_WORKER = 4
#: Most threads of one pass (the calling thread and the pool's 255 at most).
MAX_WORKERS = 256


def plain(t: torch.Tensor) -> torch.Tensor:
    """``t`` without pending negative/conjugate bits and without autograd: its memory holds its
    values."""
    t = t.detach()
    if t.is_neg():
        t = t.resolve_neg()
    if t.is_conj():
        t = t.resolve_conj()
    return t


def compiled_pass(
    fastpass: ModuleType,
    X: torch.Tensor,
    Cs: torch.Tensor,
    shift: torch.Tensor | None,
    scale: float,
    labels: torch.Tensor,
    with_sums: bool,
    with_inertia: bool,
    threads: int | None,
    level: int,
) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None, bool]:
    """The pass by the compiled loop (``shift``: the reference point times ``scale``): the
    same shifted, scaled scores and tie rule as the torch loop, in one C call (its chunks on
    the calling thread and the module's worker threads); returns counts (int64), float64
    sums (shifted, scaled), the float64 inertia (scaled) and whether every score was finite.
    Partial sums and counts are added in chunk order."""
    n, d = X.shape
    k = Cs.shape[0]
    X = plain(X)
    if d > 1 and X.stride(1) != 1:
        X = X.contiguous()
    Xn = X.numpy()
    Cn = plain(Cs).contiguous().numpy()
    shn = None if shift is None else plain(shift).contiguous().numpy()
    Ln = labels.numpy()
    big = compiled_threaded(n, k, d, wide=fastpass.builds()[level] == "AVX-512")
    t = (threads or torch.get_num_threads()) if big else 1
    workers = max(1, min(t, n // 1024 + 1, MAX_WORKERS))
    # threaded: CHUNKS_PER_WORKER chunks per worker, taken in turn from a shared counter by the
    # calling thread and the module's C worker threads (_fastpass_pool.h), all in one call: a
    # worker slowed by another process on its core leaves more chunks to the others (a static
    # split made the pass as slow as its slowest half). Each chunk has its own partial sums,
    # added in chunk order, so the result does not depend on which thread ran which chunk.
    parts = workers * CHUNKS_PER_WORKER if workers > 1 else 1
    # NumPy buffers: a NumPy call costs ~1 us, a torch op a few (this runs every iteration)
    sums = np.zeros((k, d)) if with_sums else None
    counts = np.zeros(k, dtype=np.int64) if with_sums else None
    inertia, check = fastpass.run(
        Xn, 0, n, shn, scale, Cn, Ln, sums, counts, with_inertia, level, parts, workers
    )
    finite = math.isfinite(check)
    out_sums = out_counts = out_inertia = None
    if sums is not None and counts is not None:
        out_sums, out_counts = torch.from_numpy(sums), torch.from_numpy(counts)
    if with_inertia:  # float64 partial sums, added in a fixed order
        out_inertia = torch.tensor(inertia, dtype=torch.float64)
    return out_counts, out_sums, out_inertia, finite
