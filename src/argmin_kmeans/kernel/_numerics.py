r"""The numeric rules every path of the pass shares: the reference point, the power-of-two
scale, and the inertia scaled back (with a clear error when it is out of range).

The reference point
-------------------
Scores are evaluated on values shifted by a reference point :math:`m`,
:math:`s_k(x) = 2\,(c_k - m)\cdot(x - m) - \lVert c_k - m\rVert^2`, whose rounding error is
about :math:`\epsilon\,(\lVert x - m\rVert^2 + \lVert c_k - m\rVert^2)`: small when :math:`m` is
near the data and near the centres that compete for it. :math:`m` is the **coordinate-wise
(lower) median of the centres**, rounded to a power-of-two grid no coarser than their *typical*
spread (the median over centres of :math:`\max_t |c_{kt} - \mathrm{med}_t|`):

* In k-means every centre that owns samples is a mean of samples, so those centres lie among
  the data; centres far from the data (an empty cluster kept where it was, a stray initial
  centre, the centre of a few outliers) are a minority, and a median ignores any minority,
  however far. (The centres' *mean* does not: one centre at 3e4 among seven at 1e3 moved it to
  4.6e3, and the grid of the *largest* spread rounded it to 0, so float32 data at 1e3 lost
  their precision: 554 wrong labels in 100,000. The median stays at 1e3.)
* It depends on the centres alone, so the labels do not depend on the chunking, the thread
  count or how rows are split over the ranks of a distributed run, and it costs
  :math:`O(k d \log k)`, nothing per sample.
* Rounded to the grid (few significant bits), :math:`x - m` is exact for data on a grid
  (integers, pixel values) at any offset, so exact ties of such data stay exact ties.

What it cannot do: when most centres are far from the data, :math:`m` follows them, and the
data's precision is that of their distance to :math:`m` (the small path, which compares direct
differences, is exact there).

The scale
---------
Squared distances must neither overflow nor underflow. When the centres' largest distance from
:math:`m` is above :math:`2^{30}` the shifted values are multiplied by the power of two that
brings it to :math:`2^{30}` (no further: the centres near the data keep their exponents away
from the bottom of the range); when it is below :math:`2^{-30}`, by the one that brings it near
1. Powers of two are exact, so the labels are those of the unscaled problem; sums and inertia are
scaled back (:func:`unscale_inertia` raises when the inertia is outside the dtype's range). The
scale is clamped to what the dtype represents (``2**127`` in float32: data at 1e-39 are
subnormal and need more than ``2**129`` to reach 1).
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import torch

from ._backend import _fastpass, compiled_state

__all__ = ["SAFE_EXP", "FLOOR", "reference", "scale_exponent", "unscale_inertia"]

#: Spreads of the shifted centres within ``[2**-SAFE_EXP, 2**SAFE_EXP]`` need no scaling.
SAFE_EXP = 30

#: The small path hands over to the general one (which rescales) when even the largest squared
#: distance is below this: smaller ones may have lost digits to underflow.
FLOOR = {torch.float32: 2.0**-100, torch.float64: 2.0**-900}

#: The largest power-of-two exponent a scale may have in each dtype (both signs).
_MAX_SCALE_EXP = {torch.float32: 126, torch.float64: 1022}


def reference(C: torch.Tensor) -> tuple[torch.Tensor | None, float]:
    r"""The reference point :math:`m` and the power-of-two scale for shifted values.

    ``m`` is the coordinate-wise lower median of the centres (an actual centre coordinate in
    each feature), rounded to a multiple of :math:`q = 2^{e-1}` where the centres' typical
    spread (the median of :math:`\max_t |c_{kt} - \mathrm{med}_t|` over the centres) lies in
    :math:`[2^{e-1}, 2^e)`; the median itself when more than half of the centres coincide;
    ``None`` when ``m`` is exactly 0 (nothing to subtract). The scale is 1.0 unless the centres'
    largest spread is outside ``[2**-SAFE_EXP, 2**SAFE_EXP]``. Depends on ``C`` alone. One
    synchronisation. See the module docstring for why.
    """
    if C.device.type == "cpu":  # CPU: no torch ops on k x d numbers (a few us each)
        if _fastpass is not None and compiled_state().available:
            return _reference_c(C, _fastpass)
        return _reference_numpy(C)
    return _reference_torch(C)


def _reference_torch(C: torch.Tensor) -> tuple[torch.Tensor | None, float]:
    """:func:`reference` by torch ops (any device; one synchronisation)."""
    med = C.median(dim=0).values  # (d,) lower median: an element of each column
    # each centre's L-inf distance from it, halved: c/2 - med/2 cannot overflow (the spread of
    # float32 centres at +-3e38 is not a float32); estimates: m below is exact
    half = (C * 0.5 - med * 0.5).abs().amax(dim=1)  # (k,)
    typical, spread, size = torch.stack([half.median(), half.amax(), med.abs().amax()]).tolist()
    if not (math.isfinite(spread) and math.isfinite(size)):  # NaN/inf: the pass reports it
        return C[0], 1.0
    if size == 0.0:
        m = None
    elif typical == 0.0:  # most centres coincide: their common point, exactly
        m = med
    else:
        q = _grid(typical, C.dtype)  # 2 typical in [q, 2q)
        if q is None or size < q / 2:  # |med| < q/2 rounds to 0
            m = None
        else:  # entries at or above 2**(p-1) q are on the grid already (and med / q may overflow)
            m = torch.where(med.abs() >= q * _ON_GRID[C.dtype], med, torch.round(med / q) * q)
    return m, math.ldexp(1.0, -scale_exponent(spread, C.dtype))


def _reference_numpy(C: torch.Tensor) -> tuple[torch.Tensor | None, float]:
    """:func:`reference` for a CPU tensor, by NumPy (the same numbers: medians are elements,
    halving and rounding to a power-of-two grid are exact; NumPy and torch both round half to
    even)."""
    Cn = C.numpy()
    mid = (Cn.shape[0] - 1) // 2
    med = np.sort(Cn, axis=0)[mid]  # lower median, as torch.median
    dev = np.abs(Cn * 0.5 - med * 0.5).max(axis=1)  # halved: no overflow
    dev.sort()
    typical, spread, size = float(dev[mid]), float(dev[-1]), float(np.abs(med).max())
    if not (math.isfinite(spread) and math.isfinite(size)):
        return C[0], 1.0
    if size == 0.0:
        m = None
    elif typical == 0.0:
        m = torch.from_numpy(med)
    else:
        q = _grid(typical, C.dtype)
        if q is None or size < q / 2:
            m = None
        else:
            with np.errstate(over="ignore"):  # the entries where med / q overflows keep med
                m = torch.from_numpy(np.where(np.abs(med) >= q * _ON_GRID[C.dtype], med,
                                              np.round(med / q) * q))
    return m, math.ldexp(1.0, -scale_exponent(spread, C.dtype))


#: |med| >= 2**(p - 1) q (p: the dtype's significand bits) is a multiple of q already.
_ON_GRID = {torch.float32: 2.0**23, torch.float64: 2.0**52}
#: The largest power-of-two exponent of each dtype.
_MAX_EXP = {torch.float32: 127, torch.float64: 1023}


def _grid(typical: float, dtype: torch.dtype) -> float | None:
    """The grid ``q = 2**e`` with ``typical`` in ``[2**(e-1), 2**e)``, or None when ``q`` is
    beyond the dtype's range (a grid coarser than every number: the reference point is 0)."""
    e = math.frexp(typical)[1]
    return None if e > _MAX_EXP[dtype] else math.ldexp(1.0, e)


def _reference_c(C: torch.Tensor, fastpass: ModuleType) -> tuple[torch.Tensor | None, float]:
    """:func:`reference` for a CPU tensor by the compiled module (``_fastpass.reference``): the
    same numbers as :func:`_reference_numpy` in one call (~1 us instead of ~25-40 at k = 8,
    d = 2: this runs once per pass)."""
    Cn = C.contiguous().numpy()
    m = np.empty(Cn.shape[1], dtype=Cn.dtype)
    kind, spread = fastpass.reference(Cn, m)
    if kind < 0:  # a NaN/inf centre: the pass reports it
        return C[0], 1.0
    return (torch.from_numpy(m) if kind else None), math.ldexp(
        1.0, -scale_exponent(spread, C.dtype))


def scale_exponent(half_spread: float, dtype: torch.dtype) -> int:
    """``e`` such that the shifted values are multiplied by ``2**-e`` (0: no scaling), for half
    the centres' largest distance from the reference point (see the module docstring)."""
    if half_spread == 0.0 or not math.isfinite(half_spread):
        return 0
    e = math.frexp(half_spread)[1] + 1  # the spread is in [2**(e-1), 2**e)
    if e > SAFE_EXP:
        e = e - SAFE_EXP  # bring the largest spread down to 2**SAFE_EXP, no further
    elif e < -SAFE_EXP:
        pass  # bring it up near 1
    else:
        return 0
    limit = _MAX_SCALE_EXP[dtype]
    return max(-limit, min(limit, e))


def unscale_inertia(inertia: torch.Tensor, scale: float, dtype: torch.dtype) -> torch.Tensor:
    """``inertia / scale**2`` as a 0-d tensor of ``dtype``, or a ``ValueError`` when that is
    outside the dtype's range (``inertia`` may be a float64 accumulator)."""
    e = 1 - math.frexp(scale)[1]  # scale == 2**-e
    try:
        value = math.ldexp(float(inertia), 2 * e)
    except OverflowError:
        value = math.inf
    info = torch.finfo(dtype)
    if value > info.max or (float(inertia) > 0.0 and value < info.tiny):  # incl. underflow to 0
        raise ValueError(
            f"the inertia ({_decimal(float(inertia), 2 * e)}) is outside the range of {dtype} "
            f"[{info.tiny:.3g}, {info.max:.3g}]: rescale X and the centres, e.g. divide both by "
            f"X.std() (labels do not change with the scale; the inertia scales by its square)"
        )
    return torch.tensor(value, dtype=dtype, device=inertia.device)


def _decimal(x: float, e2: int) -> str:
    """``x * 2**e2`` in decimal, even where it is not a float64 (e.g. ``"1.23e-618"``)."""
    if x <= 0.0 or not math.isfinite(x):
        return f"{math.ldexp(x, e2) if math.isfinite(x) else x:.3g}"
    exp10 = math.log10(x) + e2 * math.log10(2.0)
    whole = math.floor(exp10)
    return f"{10.0 ** (exp10 - whole):.3g}e{whole:+d}"
