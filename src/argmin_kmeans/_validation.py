"""Input checks shared by every public entry point.

The rules, written once:

* ``X`` and ``centers`` are 2-D, ``(n_samples, n_features)`` and ``(n_clusters, n_features)``.
* Both are float32 or float64. Integer and boolean inputs are **refused** with a ``TypeError``
  that says how to convert them: silently choosing a float precision for the student would
  hide a decision that changes results in the last digits. float16/bfloat16 are refused too:
  the M-step sums and the inertia of many samples overflow (float16 stops at 65504) or lose
  most of their digits.
* Both have the same dtype and live on the same device (a NumPy array counts as "cpu" and is
  moved to the other input's device).
* No NaN or inf, at least one sample, at least one centre, no more centres than samples,
  matching ``n_features``.
* If every array-valued input is a NumPy array the public functions return NumPy arrays;
  otherwise they return tensors on the input's device with the input's dtype.
"""

from __future__ import annotations

import math
from typing import Union

import numpy as np
import torch

ArrayLike = Union[torch.Tensor, np.ndarray]

__all__ = ["ArrayLike", "as_tensor", "check_pair", "check_lr", "to_output"]


def _describe(a: ArrayLike) -> str:
    kind = "tensor" if isinstance(a, torch.Tensor) else "ndarray"
    dev = f", device={a.device}" if isinstance(a, torch.Tensor) else ""
    return f"{kind}(shape={tuple(a.shape)}, dtype={a.dtype}{dev})"


def as_tensor(a: object, name: str) -> torch.Tensor:
    """Return ``a`` as a floating tensor (no copy for tensors or contiguous float arrays).

    Raises ``TypeError`` for anything that is not a tensor or ndarray and for non-float dtypes.
    """
    if isinstance(a, np.ndarray):
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans needs floating point data. "
                f"Convert it first, e.g. {name}.astype(np.float64)."
            )
        if a.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{name} has dtype {a.dtype}; argmin_kmeans supports float32 and float64 "
                f"(sums over many samples overflow in half precision). Use {name}.astype(np.float32)."
            )
        t = torch.from_numpy(np.ascontiguousarray(a))
    elif isinstance(a, torch.Tensor):
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
        t = a
    else:
        raise TypeError(
            f"{name} must be a torch.Tensor or numpy.ndarray, got {type(a).__name__}"
        )
    return t


def _check_finite(t: torch.Tensor, name: str) -> None:
    _check_finite_now(t, name)


def _check_finite_now(t: torch.Tensor, name: str) -> None:
    # Fast path: one reduction, no (n, d) boolean temporary. A NaN or inf anywhere makes the
    # sum non-finite; a non-finite sum of finite values (overflow) falls through to the exact
    # element-wise check, which also finds the first offender for the message.
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


def check_pair(
    X: object, centers: object, *, finite_X: bool = True
) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Validate ``X`` and ``centers`` together.

    ``finite_X=False`` skips the NaN/inf scan of ``X`` for callers whose chunked pass checks
    each chunk while it is in cache (``core._pass(..., check_X=True)``), saving a full pass.

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
    if Xt.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got {Xt.ndim}-D with shape {tuple(Xt.shape)}"
        )
    if Ct.ndim != 2:
        raise ValueError(
            f"centers must be 2-D (n_clusters, n_features), got {Ct.ndim}-D with shape "
            f"{tuple(Ct.shape)}"
        )
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
    if k > n:
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
    if finite_X:
        _check_finite(Xt, "X")
    _check_finite(Ct, "centers")
    return Xt, Ct, numpy_out


def check_lr(lr: object, n_clusters: int, like: torch.Tensor) -> torch.Tensor | float:
    """Validate a step size: a positive finite float, or a ``(n_clusters,)`` array of them."""
    if isinstance(lr, bool):
        raise TypeError(f"lr must be a positive float or a (n_clusters,) array, got {lr!r}")
    if isinstance(lr, (int, float)):
        if not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"lr must be positive and finite, got lr={lr!r}")
        return float(lr)
    if isinstance(lr, (np.ndarray, torch.Tensor)):
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
    raise TypeError(
        f"lr must be a positive float or a (n_clusters,) array, got {type(lr).__name__}"
    )


def to_output(t: torch.Tensor, numpy_out: bool) -> ArrayLike:
    """Return ``t`` as NumPy when the caller passed NumPy, else unchanged."""
    return t.detach().cpu().numpy() if numpy_out else t
