"""What it takes to behave like ``sklearn.cluster.KMeans``, written once for
:class:`argmin_kmeans.KMeans`: its parameter checks and error class, ``n_init="auto"``, the
seeds of the starts and the ``RandomState`` of a callable ``init``, its iteration count, its
``verbose`` lines, its test of "the same clustering", and ``transform``'s distances.

Each rule is scikit-learn 1.9's (``sklearn/cluster/_kmeans.py``); where this package departs
from it, the docstring says so and why.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
from sklearn.utils._param_validation import InvalidParameterError

from ._validation import (
    ArrayLike,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_seed,
)
from .engine import History, center_shift

__all__ = [
    "METHODS",
    "INITS",
    "ALGORITHMS",
    "EMPTY",
    "check_param",
    "Params",
    "start_seeds",
    "callable_random_state",
    "sklearn_n_iter",
    "print_run",
    "same_clustering",
    "may_share_memory",
    "distances",
]

METHODS = ("lloyd", "newton", "gd")
INITS = ("k-means++", "random")
ALGORITHMS = ("lloyd", "elkan")
EMPTY = ("relocate", "keep")
_SEED_HIGH = 2**63 - 1
_T = TypeVar("_T")


def check_param(check: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run one of :mod:`argmin_kmeans._validation`'s checks on a parameter; a bad value raises
    scikit-learn's ``InvalidParameterError`` (a ``ValueError`` and a ``TypeError``), as
    scikit-learn's own estimators do, with the check's message naming the value."""
    try:
        return check(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(str(exc)) from None


class Params:
    """The estimator's parameters, validated once per ``fit``."""

    def __init__(self, est: Any) -> None:
        self.k = check_param(check_int, est.n_clusters, "n_clusters", low=1)
        init = est.init
        if isinstance(init, str):
            self.init = check_param(check_choice, init, "init", INITS)
        elif callable(init):
            self.init = "callable"
        elif isinstance(init, (np.ndarray, torch.Tensor, list, tuple)) or hasattr(
            init, "__array__"
        ):
            self.init = "array"
        else:
            raise InvalidParameterError(
                "init must be 'k-means++', 'random', a callable or an array of shape "
                f"(n_clusters, n_features), got init={init!r} ({type(init).__name__})"
            )
        if isinstance(est.n_init, str):
            check_param(check_choice, est.n_init, "n_init", ("auto",))
            self.n_init = 10 if self.init in ("random", "callable") else 1
        else:
            self.n_init = check_param(check_int, est.n_init, "n_init", low=1)
        self.max_iter = check_param(check_int, est.max_iter, "max_iter", low=1)
        self.tol = check_param(check_real, est.tol, "tol", low=0.0)
        v = est.verbose
        self.verbose = (
            check_param(check_bool, v, "verbose")
            if isinstance(v, (bool, np.bool_))
            else check_param(check_int, v, "verbose", low=0)
        )
        self.copy_x = check_param(check_bool, est.copy_x, "copy_x")
        self.algorithm = check_param(check_choice, est.algorithm, "algorithm", ALGORITHMS)
        self.method = check_param(check_choice, est.method, "method", METHODS)
        self.empty = check_param(check_choice, est.empty, "empty", EMPTY)
        rs = est.random_state
        if rs is not None and not isinstance(rs, (np.random.RandomState, np.random.Generator)):
            check_param(check_seed, rs, "random_state")


def start_seeds(random_state: Any, n_init: int) -> list[int]:
    """``n_init`` seeds for the torch-drawn starts, from ``random_state`` (see
    :class:`argmin_kmeans.KMeans`).

    Prefix-consistent, as scikit-learn's one ``RandomState`` stream is: the first ``m`` runs
    of ``n_init=n`` are the runs of ``n_init=m``, so more runs never give a worse best."""
    if random_state is None:
        base = secrets.randbits(63)
    elif isinstance(random_state, np.random.RandomState):
        base = int(random_state.randint(np.iinfo(np.int32).max))
    elif isinstance(random_state, np.random.Generator):
        base = int(random_state.integers(_SEED_HIGH))
    else:
        base = check_seed(random_state, "random_state")
    g = torch.Generator().manual_seed(base)
    rest = [int(torch.randint(0, _SEED_HIGH, (1,), generator=g)) for _ in range(n_init - 1)]
    return [base, *rest]


def callable_random_state(random_state: Any) -> np.random.RandomState:
    """The ``RandomState`` a callable ``init`` gets: scikit-learn's ``check_random_state``
    (an int seeds a new one, an instance is used as is), except that ``None`` and a
    ``Generator`` seed a new one instead of NumPy's global generator."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if random_state is None:
        return np.random.RandomState(secrets.randbits(32))
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(2**32)))
    return np.random.RandomState(check_seed(random_state, "random_state") % 2**32)


def sklearn_n_iter(hist: History, max_iter: int) -> int:
    """scikit-learn's count: the E-steps of the loop. A run that found no label changed after
    update t has made t + 1 of them (its last update would reproduce the centres), but never
    more than ``max_iter``; a run stopped by the move criterion after update t, t of them."""
    if hist.stopped_by == "labels":
        return min(hist.n_iter + 1, max_iter)
    return hist.n_iter


def print_run(hist: History, n_iter: int, max_iter: int, tol: float) -> None:
    """scikit-learn's ``verbose`` lines for one run, from its record."""
    loss = _as_tensor(hist.loss)
    for i in range(n_iter):
        print(f"Iteration {i}, inertia {float(loss[i])}.")
    t = hist.n_iter
    if hist.stopped_by == "labels" and t < max_iter:
        print(f"Converged at iteration {t}: strict convergence.")
    elif hist.stopped_by == "shift":
        C = _as_tensor(hist.centers)
        shift = center_shift(C[t], C[t - 1])
        print(f"Converged at iteration {t - 1}: center shift {shift} within tolerance {tol}.")


def same_clustering(a: torch.Tensor, b: torch.Tensor, k: int) -> bool:
    """scikit-learn's ``_is_same_clustering``: every cluster of ``a`` is within one cluster of
    ``b`` (labels equal up to a relabelling)."""
    mapping = torch.full((k,), -1, dtype=b.dtype, device=b.device).scatter_(0, a, b)
    return bool((mapping[a] == b).all())


# ---------------------------------------------------------------------- helpers


def may_share_memory(X: Any, Xt: torch.Tensor) -> bool:
    """Whether ``Xt`` (validated, before any move) may hold the caller's own memory, so that
    centring it in place would change ``X``."""
    if isinstance(X, torch.Tensor):
        return Xt.data_ptr() == X.detach().data_ptr()
    try:
        return bool(np.may_share_memory(Xt.numpy(), np.asarray(X)))
    except (TypeError, ValueError, RuntimeError):
        return True  # unknown: treat it as the caller's


def distances(
    X: torch.Tensor, C: torch.Tensor, shift: torch.Tensor, chunk_elements: int = 1 << 22
) -> torch.Tensor:
    r"""``(n_samples, n_clusters)`` Euclidean distances from ``X`` to ``C`` (both in data
    coordinates, same device), in ``X``'s dtype, computed in float64 chunk by chunk.

    As scikit-learn's ``euclidean_distances`` computes float32 data (in float64, by the
    expansion :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2`), but on
    coordinates shifted by ``shift`` (the training mean; in float64, so ``x == c`` stays equal),
    and with the entries where the expansion cancels (at most :math:`2^{-24}` of the squared
    norms) recomputed as direct differences: a zero distance is exactly 0.0 and near-zero
    ones keep their digits. Memory: one chunk of ``chunk_elements`` float64 values at a time,
    for the rows and for the direct differences.
    """
    n, d = X.shape
    k = C.shape[0]
    out = torch.empty((n, k), dtype=X.dtype, device=X.device)
    m = shift.to(torch.float64)
    C64 = C.to(torch.float64) - m
    c_sq = (C64 * C64).sum(dim=1)  # (k,)
    rows = max(1, chunk_elements // max(k * d, 1))  # bounds the direct differences too
    for a in range(0, n, rows):
        x = X[a : a + rows].to(torch.float64) - m
        x_sq = (x * x).sum(dim=1, keepdim=True)  # (rows, 1)
        D = torch.addmm(c_sq, x, C64.t(), beta=1.0, alpha=-2.0).add_(x_sq)
        i, j = (D <= 2.0**-24 * (x_sq + c_sq)).nonzero(as_tuple=True)
        if i.numel():
            diff = x[i] - C64[j]  # (m, d), m <= rows * k
            D[i, j] = (diff * diff).sum(dim=1)
        out[a : a + rows] = D.clamp_(min=0.0).sqrt_()
    return out


def _as_tensor(a: ArrayLike) -> torch.Tensor:
    assert isinstance(a, torch.Tensor)
    return a
