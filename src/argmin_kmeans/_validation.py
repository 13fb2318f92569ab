"""Every argument check of the package, written once.

Public functions validate here and then call private helpers on validated tensors (as
scikit-learn's ``_kmeans.py`` does). Every error names the offending value.

Arrays
------
* ``X`` and ``centers`` are 2-D, ``(n_samples, n_features)`` and ``(n_clusters, n_features)``.
* Both are float32 or float64. Integer and boolean inputs are **refused** with a ``TypeError``
  that says how to convert them: silently choosing a float precision for the student would
  hide a decision that changes results in the last digits. float16/bfloat16 are refused too:
  the M-step sums and the inertia of many samples overflow (float16 stops at 65504) or lose
  most of their digits. Non-native byte order (a big-endian NumPy array) is converted.
* Both have the same dtype and live on the same (real) device; a NumPy array counts as "cpu"
  and is moved to the other input's device. ``meta`` tensors hold no numbers and are refused.
* No NaN or inf, at least one sample, at least one centre, no more centres than samples
  (unless a caller allows it, e.g. a mini-batch), matching ``n_features``.
* If every array-valued input is a NumPy array the public functions return NumPy arrays;
  otherwise tensors on the input's device with the input's dtype.

Scalars
-------
:func:`check_int`, :func:`check_real`, :func:`check_choice`, :func:`check_seed` and
:func:`check_lr` accept Python numbers, NumPy scalars and 0-d tensors (one element), refuse
``bool`` and anything that is not the right kind of number (``seed=1.5`` is a ``TypeError``, not
a silent 1), and check the interval.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TypeAlias, TypeVar

import numpy as np
import torch

ArrayLike: TypeAlias = torch.Tensor | np.ndarray

__all__ = [
    "ArrayLike",
    "as_tensor",
    "check_X",
    "check_pair",
    "check_finite",
    "check_sample_weight",
    "check_int",
    "check_real",
    "check_choice",
    "check_bool",
    "check_seed",
    "check_lr",
    "to_output",
]

_T = TypeVar("_T")


# --------------------------------------------------------------------------- arrays


def as_tensor(a: object, name: str) -> torch.Tensor:
    """Return ``a`` as a float32/float64 tensor (no copy for tensors or native float arrays).

    Raises ``TypeError`` for anything that is not a tensor or ndarray, for non-float dtypes,
    masked arrays (their mask would be ignored) and sparse arrays, and ``ValueError`` for
    tensors on the ``meta`` device (they hold no numbers). A tensor with torch's lazy negative
    bit (``Z.conj().imag``) is resolved: its memory then holds its values.
    """
    if isinstance(a, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array (numpy.ma): argmin_kmeans would ignore its mask. Drop or "
            f"fill the masked entries first, e.g. {name}.filled(value), or keep the complete "
            f"rows: {name}.data[~np.ma.getmaskarray({name}).any(axis=1)]"
        )
    if isinstance(a, np.ndarray):
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans needs floating point data. "
                f"Convert it first, e.g. {name}.astype(np.float64)."
            )
        if a.dtype.itemsize not in (4, 8):
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans supports float32 and float64 "
                f"(sums over many samples overflow in half precision). Use {name}.astype(np.float32)."
            )
        if not a.dtype.isnative:  # e.g. '>f8' from a file written on a big-endian machine
            a = a.astype(a.dtype.newbyteorder("="))
        if any(s < 0 for s in a.strides):  # a[::-1]: torch takes no negative strides (and
            a = a.copy()  # ascontiguousarray keeps them on a one-row array)
        return torch.from_numpy(np.ascontiguousarray(a))
    if isinstance(a, torch.Tensor):
        if a.layout != torch.strided:
            raise TypeError(
                f"{name} is a sparse tensor (layout {a.layout}); argmin_kmeans needs dense data: "
                f"pass {name}.to_dense()"
            )
        if not a.is_floating_point():
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans needs floating point data. "
                f"Convert it first, e.g. {name}.float() or {name}.double()."
            )
        if a.dtype not in (torch.float32, torch.float64):
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans supports float32 and float64 "
                f"(sums over many samples overflow in half precision). Use {name}.float()."
            )
        if a.device.type == "meta":
            raise ValueError(
                f"{name} is on the 'meta' device (shape only, no values); "
                f"create it on a real device, e.g. {name} = torch.randn(..., device='cpu')"
            )
        return a.resolve_neg() if a.is_neg() else a
    if hasattr(a, "toarray") and hasattr(a, "nnz"):  # a scipy.sparse matrix or array
        raise TypeError(
            f"{name} is a sparse matrix ({type(a).__name__}); argmin_kmeans needs dense data: "
            f"pass {name}.toarray()"
        )
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(a).__name__}")


def check_finite(t: torch.Tensor, name: str) -> None:
    """Raise a ``ValueError`` naming the first NaN/inf entry of ``t``.

    One reduction first (no ``(n, d)`` boolean temporary): a NaN or inf anywhere makes the sum
    non-finite; a non-finite sum of finite values (overflow) falls through to the exact
    element-wise check, which also finds the first offender for the message.
    """
    with torch.no_grad():
        if t.numel() == 0 or bool(torch.isfinite(t.sum())):
            return
        bad = ~torch.isfinite(t)
        if not bool(bad.any()):
            return
    idx = tuple(int(i) for i in bad.nonzero()[0].tolist())
    raise ValueError(
        f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf); "
        f"the first is {name}[{', '.join(map(str, idx))}] = {t[idx].item()}"
    )


def _check_2d(t: torch.Tensor, name: str, dims: str) -> None:
    if t.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D {dims}, got {t.ndim}-D with shape {tuple(t.shape)}"
        )


def check_X(X: object, name: str = "X", *, finite: bool = True) -> tuple[torch.Tensor, bool]:
    """Validate a data matrix alone: 2-D float32/float64, at least one sample, finite.

    Returns the tensor and whether it was a NumPy array.
    """
    Xt = as_tensor(X, name)
    _check_2d(Xt, name, "(n_samples, n_features)")
    if Xt.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {tuple(Xt.shape)} has no samples")
    if Xt.shape[1] == 0:
        raise ValueError(f"{name} has n_features=0 (shape {tuple(Xt.shape)}): need at least one")
    if finite:
        check_finite(Xt, name)
    return Xt, isinstance(X, np.ndarray)


def check_pair(
    X: object,
    centers: object,
    *,
    finite: bool = True,
    allow_more_clusters: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Validate ``X`` and ``centers`` together.

    Parameters
    ----------
    finite : bool
        ``False`` skips the NaN/inf scans for callers whose pass notices a NaN/inf anyway (a
        non-finite score) and then names it (``core.estep(..., check=True)``), saving a pass.
    allow_more_clusters : bool
        Allow ``n_clusters > n_samples`` (a mini-batch may be smaller than the codebook).

    Returns
    -------
    X, centers : torch.Tensor
        ``(n_samples, n_features)`` and ``(n_clusters, n_features)``, same dtype and device.
    numpy_out : bool
        True when both inputs were NumPy arrays (so results go back as NumPy).
    """
    numpy_out = isinstance(X, np.ndarray) and isinstance(centers, np.ndarray)
    Xt = as_tensor(X, "X")
    Ct = as_tensor(centers, "centers")
    _check_2d(Xt, "X", "(n_samples, n_features)")
    _check_2d(Ct, "centers", "(n_clusters, n_features)")
    n, d = Xt.shape
    k, dc = Ct.shape
    if n == 0:
        raise ValueError(f"X is empty: shape {tuple(Xt.shape)} has no samples")
    if k == 0:
        raise ValueError(f"centers is empty: shape {tuple(Ct.shape)} has no centres")
    if d != dc:
        raise ValueError(
            f"X has n_features={d} but centers has n_features={dc} "
            f"(shapes {tuple(Xt.shape)} and {tuple(Ct.shape)})"
        )
    if d == 0:
        raise ValueError(f"X has n_features=0 (shape {tuple(Xt.shape)}): need at least one")
    if k > n and not allow_more_clusters:
        raise ValueError(f"n_clusters={k} is more than n_samples={n}")
    # NumPy inputs follow the tensor's device; two tensors must already agree.
    if isinstance(X, torch.Tensor) and isinstance(centers, torch.Tensor):
        if Xt.device != Ct.device:
            raise ValueError(
                f"X is on device {Xt.device} but centers is on device {Ct.device}; "
                f"move one, e.g. X.to({str(Ct.device)!r})"
            )
    elif isinstance(centers, torch.Tensor):
        Xt = Xt.to(Ct.device)
    elif isinstance(X, torch.Tensor):
        Ct = Ct.to(Xt.device)
    if Xt.dtype != Ct.dtype:
        raise TypeError(
            f"X has dtype {Xt.dtype} but centers has dtype {Ct.dtype}; "
            f"use one precision for both, e.g. centers.to(X.dtype)"
        )
    if finite:
        check_finite(Xt, "X")
        check_finite(Ct, "centers")
    return Xt, Ct, numpy_out


def check_sample_weight(sample_weight: object, n: int, like: torch.Tensor) -> torch.Tensor:
    """``sample_weight`` as a float64 ``(n,)`` tensor on ``like``'s device: finite, >= 0, with a
    positive sum. Tensors (float or integer), NumPy arrays and sequences of numbers (integer
    weights count repeated rows, as in scikit-learn); ``None`` means all ones."""
    if sample_weight is None:
        return torch.ones(n, dtype=torch.float64, device=like.device)
    if isinstance(sample_weight, np.ma.MaskedArray):
        raise TypeError("sample_weight is a masked array (numpy.ma); its mask would be ignored: "
                        "pass sample_weight.filled(0.0) to give masked rows no weight")
    if isinstance(sample_weight, torch.Tensor):
        w = sample_weight.detach()
        if not (w.is_floating_point() or w.dtype in (torch.int32, torch.int64)):
            raise TypeError(f"sample_weight has dtype {w.dtype}; use float or integer weights")
    else:
        try:
            arr = np.asarray(sample_weight)
            complex_values = np.iscomplexobj(arr)
            if not complex_values:
                w = torch.from_numpy(np.array(arr, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"sample_weight must be an array of numbers, got {type(sample_weight).__name__}"
            ) from exc
        if complex_values:  # np.array(..., float64) would drop the imaginary part, warning only
            raise TypeError("sample_weight has complex values; use real (float or integer) weights")
    w = w.to(device=like.device, dtype=torch.float64)
    if tuple(w.shape) != (n,):
        raise ValueError(
            f"sample_weight must have shape (n_samples,) = ({n},), got shape {tuple(w.shape)}"
        )
    check_finite(w, "sample_weight")
    if bool((w < 0).any()):
        i = int((w < 0).nonzero()[0, 0])
        raise ValueError(f"sample_weight must be >= 0, got sample_weight[{i}]={w[i].item()!r}")
    total = float(w.sum())
    if not total > 0:
        raise ValueError("sample_weight must contain at least one non-zero weight (all are zero)")
    if total == float("inf"):
        raise ValueError(
            f"sample_weight sums to inf in float64 (its largest value is {float(w.max()):.3g}); "
            f"divide it by its maximum: the centres and labels do not change when every weight "
            f"is scaled by the same factor"
        )
    return w


# --------------------------------------------------------------------------- scalars


def _scalar(value: object) -> object:
    """A 0-d tensor or one-element NumPy array as a Python number; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_int(
    value: object, name: str, *, low: int | None = None, high: int | None = None
) -> int:
    """An integer (Python, NumPy or 0-d integer tensor) in ``[low, high]``; never a bool or float.

    >>> check_int(np.int64(3), "n_steps", low=0)
    3
    """
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {name}={value!r} ({type(value).__name__})")
    i = int(v)
    if (low is not None and i < low) or (high is not None and i > high):
        span = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ValueError(f"{name} must be an integer in {span}, got {name}={i}")
    return i


def check_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (Python, NumPy or 0-d tensor; not a bool) in the given interval.

    ``low_open=True`` excludes ``low`` (e.g. a positive step size), ``high_open`` likewise.
    """
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {name}={value!r} ({type(value).__name__})")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {name}={f!r}")
    bad_low = low is not None and (f <= low if low_open else f < low)
    bad_high = high is not None and (f >= high if high_open else f > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {span}, got {name}={f!r}")
    return f


def check_choice(value: object, name: str, choices: Sequence[_T]) -> _T:
    """One of ``choices`` (compared with ``==``), else a ``ValueError`` listing them.

    Returns the matching choice itself: a string subclass such as ``np.str_("lloyd")`` (what
    ``np.array(["lloyd", "newton"])`` holds, e.g. in a ``GridSearchCV`` grid) matches ``"lloyd"``
    and comes back as the plain ``str``; other types must match exactly (``1`` is not ``True``).
    """
    for c in choices:
        same_kind = type(value) is type(c) or (isinstance(value, str) and isinstance(c, str))
        if same_kind and value == c:
            return c
    raise ValueError(f"{name} must be one of {list(choices)}, got {name}={value!r}")


def check_bool(value: object, name: str) -> bool:
    """A ``bool`` or ``numpy.bool_`` (not ``0``/``1``, not a string), as a Python ``bool``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {name}={value!r} ({type(value).__name__})")


def check_seed(seed: object, name: str = "seed") -> int:
    """A seed for ``torch.Generator().manual_seed``: an integer in ``[0, 2**63 - 1]``."""
    return check_int(seed, name, low=0, high=2**63 - 1)


def check_lr(lr: object, n_clusters: int, like: torch.Tensor) -> torch.Tensor | float:
    """A step size: one positive finite number (Python, NumPy scalar, 0-d tensor), or a
    ``(n_clusters,)`` array of them (returned on ``like``'s device in its dtype)."""
    if isinstance(lr, (np.ndarray, torch.Tensor)) and lr.ndim > 0:
        t = torch.as_tensor(lr)
        if not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64)):
            raise TypeError(f"lr has dtype {t.dtype}; use floats")
        if t.shape != (n_clusters,):
            raise ValueError(
                f"a per-centre lr must have shape ({n_clusters},) (one per centre), "
                f"got shape {tuple(t.shape)}"
            )
        bad = ~torch.isfinite(t) | (t <= 0)
        if bool(bad.any()):
            i = int(bad.nonzero()[0, 0])
            raise ValueError(f"lr must be positive and finite, got lr[{i}]={t[i].item()!r}")
        return t.to(device=like.device, dtype=like.dtype)
    v = _scalar(lr)
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(
            f"lr must be a positive number or a (n_clusters,) array, got lr={lr!r} "
            f"({type(lr).__name__})"
        )
    f = float(v)
    if not math.isfinite(f) or f <= 0:
        raise ValueError(f"lr must be positive and finite, got lr={f!r}")
    return f


def to_output(t: torch.Tensor, numpy_out: bool) -> ArrayLike:
    """Return ``t`` as NumPy when the caller passed NumPy, else unchanged."""
    return t.detach().cpu().numpy() if numpy_out else t
