# The optional compiled pass (_fastpass.c); see argmin_kmeans.kernel.
#
# What crosses the boundary: NumPy arrays (zero-copy views of CPU tensors, taken by
# kernel/_compiled.py after resolving torch's negative/conjugate bits), never raw addresses.
# `run` checks every array's dimensions, element type, strides and writability, the row range
# and the scale before it releases the GIL; a mismatch raises TypeError/ValueError naming the
# argument. The workspace size is overflow-checked (OverflowError). A threaded `run` (threads >
# 1) runs its chunks on the calling thread and the module's own POSIX threads
# (_fastpass_pool.h), with the GIL released throughout.
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

_Float: TypeAlias = np.float32 | np.float64

def run(
    X: npt.NDArray[_Float],  # (n, d): unit stride within a row, row stride >= 0
    start: int,  # rows [start, stop) of X, 0 <= start <= stop <= n
    stop: int,
    shift: npt.NDArray[_Float] | None,  # (d,) X's dtype, contiguous: m * scale; None: m = 0
    scale: float,  # a positive power of two, representable in X's dtype
    C: npt.NDArray[_Float],  # (k, d) X's dtype, contiguous, shifted and scaled
    labels: npt.NDArray[np.int64],  # (n,) contiguous, writable: rows [start, stop) written
    sums: npt.NDArray[np.float64] | None,  # (k, d) contiguous, writable, added to
    counts: npt.NDArray[np.int64] | None,  # (k,) contiguous, writable, added to (with sums)
    want_inertia: bool,
    level: int = -1,  # -1: the best build for this CPU; else 0..level()
    parts: int = 1,  # chunks of the rows, 1..65536, each with its own partial sums (chunk order)
    threads: int = 1,  # the calling thread + up to threads - 1 of the module's pool threads
    /,
) -> tuple[float, float]: ...  # (inertia of the rows, scaled units; check: finite iff all was)
def reference(
    C: npt.NDArray[_Float],  # (k, d) contiguous, finite or not
    m: npt.NDArray[_Float],  # (d,) C's dtype, contiguous, writable: the reference point
    /,
) -> tuple[int, float]: ...  # (1: m written, 0: m = 0, -1: NaN/inf centre; half the spread)
def pool() -> tuple[int, int]: ...  # (worker threads started by this process: grows on
# demand, never shrinks; chunks they have run, the calling threads' not counted)
def level() -> int: ...  # the widest build this CPU runs: an index into builds()
def builds() -> tuple[str, ...]: ...  # e.g. ("SSE2", "AVX2+FMA", "AVX-512") or ("NEON",)
