r"""Lesson 04: gradient descent, EM (Lloyd) and Newton on the same k-means loss, measured.

Hold the labels fixed and the loss is :math:`\sum_k n_k \lVert c_k - \bar x_k\rVert^2` plus a
constant, with gradient :math:`2(n_k c_k - S_k)` and Hessian :math:`2 n_k I` per centre. One
gradient step with a *global* step size :math:`\eta` therefore gives

.. math:: c_k' - \bar x_k = (1 - 2\eta n_k)\,(c_k - \bar x_k),

so each centre has its own contraction factor :math:`\rho_k = 1 - 2\eta n_k`: it creeps
(:math:`0 < \rho_k < 1`), lands on the mean (:math:`\rho_k = 0`, the Newton/Lloyd step
:math:`\eta = 1/(2n_k)`), zig-zags (:math:`-1 < \rho_k < 0`) or is thrown further out every step
(:math:`\rho_k < -1`, i.e. :math:`\eta > 1/n_k`). One :math:`\eta` cannot suit clusters of
different sizes; the best global choice :math:`\eta^* = 1/(n_{\min} + n_{\max})` still leaves the
rate :math:`(n_{\max} - n_{\min})/(n_{\max} + n_{\min})`.

What is here
------------
* Runners that record a :class:`History` (a :class:`~argmin_kmeans.History` with
  wall-clock times): :func:`fit_timed` (the core's update rules, same trajectory as
  :func:`argmin_kmeans.fit`) and :func:`fit_torch_optim` (``torch.optim.Adam`` or ``SGD`` with
  momentum on :func:`argmin_kmeans.kmeans_loss`, the practitioner's route).
* :func:`compare_methods` runs a list of configurations from one init and returns
  :class:`ComparisonRecord` rows; :func:`format_table` prints them.
* The step-size theory: :func:`contraction_factors`, :func:`step_regimes`,
  :func:`max_stable_lr`, :func:`best_global_lr`, :func:`iterations_to_shrink`, and the
  measurement it predicts, :func:`measured_contraction` and :func:`signed_errors`.
* Data: :func:`make_blobs` (unequal cluster sizes, fixed seed) and :func:`load_dataset`
  (``"blobs"``, and scikit-learn's bundled ``"iris"`` and ``"digits"`` — no download).
* Drawing: ``plot_*(ax, ...)`` and :data:`FIGURES` (``make figures``).

References
----------
Lloyd, S. P. (1982). Least squares quantization in PCM. IEEE Trans. Inf. Theory 28(2), 129-137.
MacQueen, J. (1967). Some methods for classification and analysis of multivariate
observations. Proc. 5th Berkeley Symp. Math. Statist. Prob., vol. 1, 281-297.
Bottou, L. & Bengio, Y. (1995). Convergence properties of the k-means algorithms. NIPS 7,
585-592.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import torch

from ._validation import (
    ArrayLike,
    check_choice,
    check_int,
    check_lr,
    check_pair,
    check_real,
    to_output,
)
from .core import Stats, cluster_stats, gd_step
from .engine import LABEL_FIXED_POINT, METHODS, History, fit, run, tol_scale
from .initialization import random_init

__all__ = [
    "OPTIMIZERS",
    "STEPS",
    "fit_timed",
    "fit_torch_optim",
    "ComparisonRecord",
    "compare_methods",
    "format_table",
    "contraction_factors",
    "step_regimes",
    "max_stable_lr",
    "best_global_lr",
    "iterations_to_shrink",
    "measured_contraction",
    "signed_errors",
    "make_blobs",
    "Dataset",
    "load_dataset",
    "DATASETS",
    "plot_loss_curves",
    "plot_n_changed",
    "plot_contraction_theory",
    "plot_signed_errors",
    "plot_trajectories_1d",
    "FIGURES",
]

#: ``torch.optim`` optimisers :func:`fit_torch_optim` knows.
OPTIMIZERS = ("adam", "sgd-momentum")

#: The core's update rules :func:`fit_timed` runs (those of :func:`argmin_kmeans.fit`).
STEPS = ("gd", "lloyd", "newton")

Optimizer = Literal["adam", "sgd-momentum"]

# --------------------------------------------------------------------------- timed runs


def fit_timed(
    X: ArrayLike,
    init: ArrayLike,
    method: str = "lloyd",
    lr: float | ArrayLike | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
    on_nonfinite: Literal["raise", "stop"] = "raise",
) -> History:
    r""":func:`argmin_kmeans.fit` with a wall-clock time at every iteration.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
    method : {"gd", "lloyd", "newton"}
    lr, max_iter, tol
        As in :func:`argmin_kmeans.fit`.
    on_nonfinite : {"raise", "stop"}
        ``"raise"`` (as ``fit``): ``FloatingPointError`` when the centres overflow. ``"stop"``:
        end the record at the last finite centres with ``diverged=True``.

    Returns
    -------
    History
        The trajectory of ``fit(X, init, method, lr, max_iter, tol)``, with ``times``: each
        iteration is one E-step and one update, as in :func:`fit_torch_optim`.
    """
    method = check_choice(method, "method", STEPS)
    check_choice(on_nonfinite, "on_nonfinite", ("raise", "stop"))
    if on_nonfinite == "raise":
        return fit(X, init, method, lr=lr, max_iter=max_iter, tol=tol)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_real(tol, "tol", low=0.0)
    Xt, C, np_out = check_pair(X, init)
    eta = None if method != "gd" or lr is None else check_lr(lr, C.shape[0], C)
    if method == "gd" and eta is None:
        raise ValueError("method='gd' needs a step size: pass lr=... (e.g. 1 / (2 * n_samples))")
    rule = METHODS[method]
    return run(
        Xt, C, lambda C, s, t: rule(Xt, C, s, eta), method=method, max_iter=max_iter, lr=lr,
        tol=tol * tol_scale(Xt), fixed_point=method in LABEL_FIXED_POINT,
        on_nonfinite=on_nonfinite, numpy_out=np_out,
    )


def fit_torch_optim(
    X: ArrayLike,
    init: ArrayLike,
    optimizer: Optimizer = "adam",
    lr: float = 0.1,
    max_iter: int = 300,
    tol: float = 1e-4,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    on_nonfinite: Literal["raise", "stop"] = "raise",
) -> History:
    r"""Minimise the k-means loss with ``torch.optim``, recording every iteration.

    Every iteration is ``opt.zero_grad(); loss.backward(); opt.step()`` on one parameter ``c``
    of shape ``(n_clusters, n_features)``, where ``loss = ((X - c[labels]) ** 2).sum()`` is
    :func:`argmin_kmeans.kmeans_loss` with the labels of the run's E-step (autograd's gradient
    is the argmin-constant :math:`2(n_k c_k - S_k)`).

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
    optimizer : {"adam", "sgd-momentum"}
        ``torch.optim.Adam(lr=lr, betas=betas)`` or ``torch.optim.SGD(lr=lr, momentum=momentum)``.
    lr : float
        Positive and finite. For Adam it is (roughly) a distance per coordinate per step; for
        SGD it multiplies the gradient, like ``fit(..., "gd", lr=...)``.
    max_iter : int
    tol : float
        The stopping rule of gradient descent in :func:`argmin_kmeans.fit`.
    momentum : float
        In ``[0, 1)``, SGD only.
    betas : (float, float)
        Adam only.
    on_nonfinite : {"raise", "stop"}
        See :func:`fit_timed`.

    Returns
    -------
    History
        ``method`` is ``"adam"`` or ``"sgd-momentum"``, with ``times``.
    """
    optimizer = check_choice(optimizer, "optimizer", OPTIMIZERS)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    check_choice(on_nonfinite, "on_nonfinite", ("raise", "stop"))
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_real(tol, "tol", low=0.0)
    Xt, C, np_out = check_pair(X, init)
    if isinstance(lr, (np.ndarray, torch.Tensor)) and lr.ndim > 0:
        raise TypeError(f"lr must be one positive float for torch.optim, got shape {tuple(lr.shape)}")
    eta = check_lr(lr, C.shape[0], C)
    param = C.detach().clone().requires_grad_(True)
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam([param], lr=float(eta), betas=betas)
    else:
        opt = torch.optim.SGD([param], lr=float(eta), momentum=momentum)

    def update(C: torch.Tensor, s: Stats | None, t: int) -> torch.Tensor:
        assert s is not None
        with torch.enable_grad():
            opt.zero_grad()
            diff = Xt - param[s.labels]  # kmeans_loss's definition, labels from the E-step
            (diff * diff).sum().backward()
            opt.step()
        return param.detach().clone()

    return run(
        Xt, C, update, method=optimizer, max_iter=max_iter, lr=lr, tol=tol * tol_scale(Xt),
        on_nonfinite=on_nonfinite, numpy_out=np_out,
    )


# --------------------------------------------------------------------------- comparisons


@dataclass
class ComparisonRecord:
    """One row of :func:`compare_methods`.

    Attributes
    ----------
    name : str
    method : str
        A key of :data:`STEPS` or one of :data:`OPTIMIZERS`.
    lr : float or None
    n_iter : int
    final_loss : float
    converged : bool
    diverged : bool
    time_s : float
        Wall-clock seconds of the updates (machine dependent; compare ratios only).
    history : History
    basin_loss : float
        The loss of the Lloyd fixed point reached from the run's final centres: which local
        minimum the run ended next to (equal to ``final_loss`` for a converged Lloyd run).
    """

    name: str
    method: str
    lr: float | None
    n_iter: int
    final_loss: float
    converged: bool
    diverged: bool
    time_s: float
    history: History
    basin_loss: float = float("nan")

    @property
    def ms_per_iter(self) -> float:
        """Mean milliseconds per iteration (``nan`` for a run of 0 iterations)."""
        return 1e3 * self.time_s / self.n_iter if self.n_iter else float("nan")


_CONFIG_KEYS = {"name", "method", "lr", "max_iter", "tol", "momentum", "betas"}


def compare_methods(
    X: ArrayLike, init: ArrayLike, configs: Sequence[Mapping[str, Any]]
) -> list[ComparisonRecord]:
    """Run several methods from the same init and collect one :class:`ComparisonRecord` each.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
    configs : sequence of mappings
        Each has ``"method"`` (``"gd"``, ``"lloyd"``, ``"newton"``, ``"adam"`` or
        ``"sgd-momentum"``), optionally
        ``"name"`` (defaults to the method), ``"lr"`` (required for gd, adam, sgd-momentum),
        ``"max_iter"`` (300), ``"tol"`` (1e-4), ``"momentum"``, ``"betas"``.

    Returns
    -------
    list of ComparisonRecord, in the order of ``configs``.
        A run whose centres overflow is stopped and marked ``diverged`` instead of raising.
        Each record's ``basin_loss`` comes from Lloyd's algorithm run (untimed) from the
        record's final centres.
    """
    out = []
    for i, cfg in enumerate(configs):
        unknown = set(cfg) - _CONFIG_KEYS
        if unknown:
            raise ValueError(f"configs[{i}] has unknown keys {sorted(unknown)}; "
                             f"allowed: {sorted(_CONFIG_KEYS)}")
        if "method" not in cfg:
            raise ValueError(f"configs[{i}] = {dict(cfg)!r} has no 'method'")
        method = cfg["method"]
        common = dict(max_iter=cfg.get("max_iter", 300), tol=cfg.get("tol", 1e-4),
                      on_nonfinite="stop")
        if method in OPTIMIZERS:
            if cfg.get("lr") is None:
                raise ValueError(f"configs[{i}]: method {method!r} needs an 'lr'")
            extra = {k: cfg[k] for k in ("momentum", "betas") if k in cfg}
            hist = fit_torch_optim(X, init, method, lr=cfg["lr"], **extra, **common)
        elif method in STEPS:
            hist = fit_timed(X, init, method, lr=cfg.get("lr"), **common)
        else:
            raise ValueError(f"configs[{i}]: unknown method {method!r}; choose one of "
                             f"{sorted(STEPS) + list(OPTIMIZERS)}")
        polish = fit(X, hist.centers[-1], "lloyd", max_iter=1000)
        out.append(ComparisonRecord(
            name=str(cfg.get("name", method)), method=method, lr=cfg.get("lr"),
            n_iter=hist.n_iter, final_loss=hist.final_loss, converged=hist.converged,
            diverged=hist.diverged, time_s=hist.seconds, history=hist,
            basin_loss=polish.final_loss,
        ))
    return out


def format_table(records: Sequence[ComparisonRecord], *, timings: bool = False,
                 digits: int = 4) -> str:
    """A plain-text table of records: iterations, final loss, excess, converged, basin loss.

    Parameters
    ----------
    records : sequence of ComparisonRecord
    timings : bool
        Add total seconds, milliseconds per iteration and time relative to the first row
        (machine dependent: print these in a cell whose output is not compared).
    digits : int
        Significant digits of the final loss.

    Returns
    -------
    str
        One line per record, fixed-width columns. ``excess`` is ``final_loss / L* - 1`` with
        ``L*`` the lowest loss of any record's final centres or basin.
    """
    best = min(min(r.final_loss, r.basin_loss) for r in records)
    head = (f"{'method':<24}{'iters':>7}{'final loss':>16}{'excess':>10}{'converged':>11}"
            f"{'basin loss':>16}")
    if timings:
        head += f"{'seconds':>10}{'ms/iter':>9}{'time/row1':>11}"
    lines = [head, "-" * len(head)]
    t0 = records[0].time_s
    for r in records:
        status = "diverged" if r.diverged else ("yes" if r.converged else "no")
        row = (f"{r.name:<24}{r.n_iter:>7}{r.final_loss:>16.{digits}g}"
               f"{r.final_loss / best - 1:>10.2%}{status:>11}{r.basin_loss:>16.{digits}g}")
        if timings:
            rel = r.time_s / t0 if t0 > 0 else float("nan")
            row += f"{r.time_s:>10.3f}{r.ms_per_iter:>9.2f}{rel:>11.1f}"
        lines.append(row)
    return "\n".join(lines)


# --------------------------------------------------------------------------- step-size theory


def _counts(counts: object) -> np.ndarray:
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    a = np.asarray(counts, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"counts must be a 1-D array of cluster sizes, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"counts must be finite and >= 0, got {a.tolist()}")
    return a


def _positive(lr: object, name: str = "lr") -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not (
        math.isfinite(lr) and lr > 0
    ):
        raise ValueError(f"{name} must be a positive finite number, got {name}={lr!r}")
    return float(lr)


def contraction_factors(counts: object, lr: float) -> np.ndarray:
    r"""Predicted per-centre factor :math:`\rho_k = 1 - 2\eta n_k` of one gradient step.

    Parameters
    ----------
    counts : array_like, shape (n_clusters,)
        Cluster sizes :math:`n_k` (the labels held fixed).
    lr : float
        Global step size :math:`\eta > 0`.

    Returns
    -------
    rho : ndarray, shape (n_clusters,)
        :math:`c_k' - \bar x_k = \rho_k (c_k - \bar x_k)`. An empty cluster has
        :math:`\rho = 1` (its centre does not move).
    """
    return 1.0 - 2.0 * _positive(lr) * _counts(counts)


def step_regimes(factors: object, atol: float = 1e-12) -> list[str]:
    r"""Name the behaviour of each contraction factor :math:`\rho`.

    Returns
    -------
    list of str, one per factor:
        ``"frozen"`` (:math:`\rho = 1`: empty cluster), ``"creep"`` (:math:`0 < \rho < 1`),
        ``"newton"`` (:math:`\rho = 0`: lands on the mean), ``"zig-zag"``
        (:math:`-1 < \rho < 0`), ``"2-cycle"`` (:math:`\rho = -1`), ``"diverge"``
        (:math:`\rho < -1`). Equalities are up to ``atol``; :math:`\rho > 1` cannot happen for
        a positive step and raises.
    """
    out = []
    for r in np.asarray(factors, dtype=np.float64).ravel():
        if r > 1 + atol:
            raise ValueError(f"a contraction factor above 1 needs a negative step, got {r}")
        if abs(r - 1) <= atol:
            out.append("frozen")
        elif abs(r) <= atol:
            out.append("newton")
        elif abs(r + 1) <= atol:
            out.append("2-cycle")
        elif r > 0:
            out.append("creep")
        elif r > -1:
            out.append("zig-zag")
        else:
            out.append("diverge")
    return out


def max_stable_lr(counts: object) -> float:
    r"""The supremum of global step sizes for which every centre converges: :math:`1/\max_k n_k`.

    (At exactly that value the largest cluster's centre oscillates forever, :math:`\rho = -1`.)
    """
    c = _counts(counts)
    if c.max() == 0:
        raise ValueError("every cluster is empty: no step size matters")
    return float(1.0 / c.max())


def best_global_lr(counts: object) -> tuple[float, float]:
    r"""The global step size that makes the slowest centre fastest, and its rate.

    Minimises :math:`\max_k |1 - 2\eta n_k|` over :math:`\eta` (empty clusters ignored):
    :math:`\eta^* = 1/(n_{\min} + n_{\max})`, rate
    :math:`(n_{\max} - n_{\min})/(n_{\max} + n_{\min})` — zero only when all clusters have
    the same size (then :math:`\eta^* = 1/(2n_k)` is Newton).

    Returns
    -------
    lr, rate : float
    """
    c = _counts(counts)
    c = c[c > 0]
    if c.size == 0:
        raise ValueError("every cluster is empty: no step size matters")
    lo, hi = float(c.min()), float(c.max())
    return 1.0 / (lo + hi), (hi - lo) / (hi + lo)


def iterations_to_shrink(factor: float, eps: float) -> float:
    r"""Steps :math:`t` until :math:`|\rho|^t \le \varepsilon`: :math:`\lceil \ln\varepsilon / \ln|\rho| \rceil`.

    Returns ``1`` for :math:`\rho = 0`, ``0`` for :math:`\varepsilon \ge 1`, and ``inf`` when
    :math:`|\rho| \ge 1` (the distance never shrinks).
    """
    f = float(factor)
    e = _positive(eps, "eps")
    if not math.isfinite(f):
        raise ValueError(f"factor must be finite, got {factor!r}")
    if e >= 1:
        return 0
    if f == 0:
        return 1
    if abs(f) >= 1:
        return math.inf
    t = math.log(e) / math.log(abs(f))
    # guard against log rounding just above an integer (e.g. 0.5 ** 3 == 0.125 exactly)
    return int(math.ceil(t - 1e-12))


def measured_contraction(X: ArrayLike, centers: ArrayLike, lr: float) -> np.ndarray:
    r"""Measure :math:`\rho_k` from one real gradient step.

    Takes ``c' = gd_step(X, centers, lr)`` and the cluster means :math:`\bar x_k` of the labels
    at ``centers``, and returns
    :math:`\langle c_k' - \bar x_k, c_k - \bar x_k\rangle / \lVert c_k - \bar x_k\rVert^2`.

    Returns
    -------
    rho : ndarray of float64, shape (n_clusters,)
        NaN for an empty cluster or a centre already on its mean.
    """
    Xt, Ct, _ = check_pair(X, centers)
    with torch.no_grad():
        C = Ct.detach()
        _, counts, sums = cluster_stats(Xt, C)
        step = gd_step(Xt, C, lr)
        means = sums / counts.clamp(min=1)[:, None]
        before = (C - means).double()
        after = (step - means).double()
        den = (before * before).sum(dim=1)
        rho = (after * before).sum(dim=1) / den
        rho = torch.where((counts > 0) & (den > 0), rho, torch.full_like(rho, float("nan")))
    return rho.cpu().numpy()


def signed_errors(X: ArrayLike, centers: ArrayLike) -> np.ndarray:
    r"""Signed distance of each centre to the mean of its *initial* cluster, along its first offset.

    With :math:`\bar x_k` the cluster means of the labels at ``centers[0]`` and
    :math:`u_k = (c_k^{(0)} - \bar x_k)/\lVert c_k^{(0)} - \bar x_k\rVert`, returns
    :math:`e_k(t) = \langle c_k^{(t)} - \bar x_k, u_k\rangle / \lVert c_k^{(0)} - \bar x_k\rVert`.
    While no label changes, gradient descent gives exactly :math:`e_k(t) = \rho_k^t`.

    Parameters
    ----------
    X : shape (n_samples, n_features)
    centers : shape (n_steps, n_clusters, n_features)
        A trajectory, e.g. ``fit(...).centers``.

    Returns
    -------
    e : ndarray of float64, shape (n_steps, n_clusters)
    """
    C = torch.as_tensor(np.asarray(centers) if isinstance(centers, np.ndarray) else centers)
    if C.ndim != 3:
        raise ValueError(f"centers must be a trajectory of shape (n_steps, n_clusters, "
                         f"n_features), got shape {tuple(C.shape)}")
    Xt, C0, _ = check_pair(X, C[0])
    with torch.no_grad():
        _, counts, sums = cluster_stats(Xt, C0)
        means = (sums / counts.clamp(min=1)[:, None]).double()
        off = C0.double() - means
        norm = off.norm(dim=1)
        u = off / norm.clamp(min=1e-300)[:, None]
        e = ((C.to(Xt.device).double() - means) * u).sum(dim=2) / norm.clamp(min=1e-300)
    return e.cpu().numpy()


# --------------------------------------------------------------------------- data sets


def make_blobs(seed: int = 0, sizes: Sequence[int] = (40, 80, 160, 320),
               spread: float = 0.8, separation: float = 8.0) -> np.ndarray:
    """Gaussian blobs in the plane with the given (unequal) sizes, shape (sum(sizes), 2), float64.

    The blob centres sit on a square grid ``separation`` apart, so clusters are well separated
    and their sizes are known: the global step size story needs clusters of different sizes.
    """
    if not sizes or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes must be positive integers, got {list(sizes)}")
    k = len(sizes)
    side = int(math.ceil(math.sqrt(k)))
    grid = separation * np.array([[i % side, i // side] for i in range(k)], dtype=np.float64)
    grid -= grid.mean(axis=0)
    rng = np.random.default_rng(seed)
    return np.vstack([m + spread * rng.normal(size=(int(s), 2)) for m, s in zip(grid, sizes)])


@dataclass(frozen=True)
class Dataset:
    """A data set for the comparison.

    Attributes
    ----------
    name : str
    X : ndarray, shape (n_samples, n_features)
    n_clusters : int
        The number of centres the lesson fits (the number of classes for iris and digits).
    description : str
    """

    name: str
    X: np.ndarray
    n_clusters: int
    description: str


#: Names accepted by :func:`load_dataset`.
DATASETS = ("blobs", "iris", "digits")


def load_dataset(name: str, dtype: type = np.float64) -> Dataset:
    """``"blobs"`` (600 x 2, 4 clusters of 40/80/160/320), ``"iris"`` (150 x 4, k=3) or
    ``"digits"`` (1797 x 64, k=10).

    iris and digits are read from the copies bundled inside scikit-learn
    (``sklearn.datasets.load_iris`` / ``load_digits``): nothing is downloaded.
    """
    if name == "blobs":
        X, k, desc = make_blobs(), 4, "4 Gaussian blobs of 40, 80, 160, 320 points in 2-D (seed 0)"
    elif name == "iris":
        from sklearn.datasets import load_iris

        X, k, desc = load_iris().data, 3, "Fisher's iris: 150 flowers, 4 measurements (cm)"
    elif name == "digits":
        from sklearn.datasets import load_digits

        X, k, desc = load_digits().data, 10, "8x8 handwritten digits: 1797 images, 64 pixels (0-16)"
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {list(DATASETS)}")
    return Dataset(name=name, X=np.ascontiguousarray(X, dtype=dtype), n_clusters=k,
                   description=desc)


# --------------------------------------------------------------------------- drawing

_STYLE = {"lloyd": ("k", "-"), "newton": ("tab:gray", ":"), "adam": ("tab:red", "-"),
          "sgd-momentum": ("tab:purple", "-")}
_GD_COLORS = ("tab:blue", "tab:cyan", "tab:green", "tab:olive", "tab:orange")


def _styles(records: Sequence[ComparisonRecord]) -> list[tuple[str, str]]:
    out, g = [], 0
    for r in records:
        if r.method in _STYLE:
            out.append(_STYLE[r.method])
        else:
            out.append((_GD_COLORS[g % len(_GD_COLORS)], "-"))
            g += 1
    return out


def plot_loss_curves(ax, records: Sequence[ComparisonRecord], x: Literal["iteration", "time"] = "iteration",
                     title: str | None = None, floor: float = 1e-10, show_iters: bool = False):
    r"""Excess loss :math:`L_t / L^\star - 1` (log scale) against iteration or wall-clock time.

    :math:`L^\star` is the lowest local minimum any record ended next to (its ``basin_loss``)
    or reached. A run that ends in a worse local minimum levels off above the floor; a
    converged run ends with a dot. ``show_iters`` adds the iteration count to each label.
    """
    best = min(min(float(np.min(np.asarray(r.history.loss, dtype=np.float64))), r.basin_loss)
               for r in records)
    for r, (col, ls) in zip(records, _styles(records)):
        loss = np.asarray(r.history.loss, dtype=np.float64)
        y = np.maximum(loss / best - 1.0, floor)
        t = np.arange(loss.size) if x == "iteration" else np.asarray(r.history.times) * 1e3
        lw = 2.2 if r.method in ("lloyd", "newton") else 1.5
        ax.plot(t, y, color=col, ls=ls, lw=lw,
                label=f"{r.name} ({r.n_iter} it.)" if show_iters else r.name)
        if r.converged:
            ax.plot(t[-1], y[-1], "o", color=col, ms=5)
    ax.set_yscale("log")
    ax.set(xlabel="iteration" if x == "iteration" else "wall-clock time (ms)",
           ylabel=r"excess loss $L_t/L^\star - 1$",
           title=title or ("loss against " + ("iterations" if x == "iteration" else "time")))
    if x == "time":
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(left=0.0)
    ax.grid(alpha=0.3, which="major")
    return ax


def plot_n_changed(ax, records: Sequence[ComparisonRecord], title: str | None = None):
    """Samples reassigned at every iteration (symlog scale), one line per record."""
    for r, (col, ls) in zip(records, _styles(records)):
        nc = np.asarray(r.history.n_changed)
        ax.plot(np.arange(1, nc.size + 1), nc, color=col, ls=ls, lw=1.5, label=r.name)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xscale("log")
    ax.set(xlabel="iteration", ylabel="samples reassigned",
           title=title or "labels that changed at each iteration")
    ax.grid(alpha=0.3)
    return ax


def plot_contraction_theory(ax, counts: object, lrs: Mapping[str, float],
                            lr_max: float | None = None):
    r"""The lines :math:`\rho_k(\eta) = 1 - 2\eta n_k`, the band :math:`|\rho| < 1`, and the
    chosen step sizes as vertical lines."""
    c = _counts(counts)
    lr_max = lr_max or 1.6 * max(lrs.values())
    eta = np.linspace(0.0, lr_max, 200)
    ax.axhspan(-1, 1, color="tab:green", alpha=0.08, label=r"$|\rho|<1$: converges")
    ax.axhline(0, color="0.5", lw=0.8)
    for j, n in enumerate(c):
        ax.plot(eta, 1 - 2 * eta * n, lw=2, label=f"cluster {j}: $n_k$={int(n)}")
    for (name, lr), ls in zip(lrs.items(), ("--", "-.", ":", (0, (5, 1)))):
        ax.axvline(lr, color="k", ls=ls, lw=1.2, label=f"{name}: $\\eta$={lr:.3g}")
    ax.set(xlim=(0, lr_max), ylim=(-2.5, 1.15), xlabel=r"global step size $\eta$",
           ylabel=r"contraction factor $\rho_k = 1-2\eta n_k$",
           title="One step size, four clusters: each centre its own factor")
    ax.legend(fontsize=7, loc="lower left")
    return ax


def plot_signed_errors(ax, errors: np.ndarray, factors: object, title: str,
                       counts: object | None = None, changed: np.ndarray | None = None):
    r"""Measured :math:`e_k(t)` (markers) beside the prediction :math:`\rho_k^t` (dashed).

    ``changed`` (the record's ``n_changed``) marks the first iteration that changed a label:
    past it the prediction no longer applies."""
    e = np.asarray(errors)
    rho = np.asarray(factors, dtype=np.float64)
    t = np.arange(e.shape[0])
    cs = None if counts is None else _counts(counts)
    for j in range(e.shape[1]):
        col = f"C{j}"
        lab = f"$n_k$={int(cs[j])}, $\\rho$={rho[j]:.2f}" if cs is not None else f"$\\rho$={rho[j]:.2f}"
        ax.plot(t, e[:, j], "o", color=col, ms=4, label=lab)
        ax.plot(t, rho[j] ** t, "--", color=col, lw=1)
    if changed is not None and np.any(np.asarray(changed) > 0):
        first = int(np.argmax(np.asarray(changed) > 0)) + 1
        ax.axvline(first - 0.5, color="tab:red", lw=1, ls=":",
                   label=f"labels first change (iteration {first})")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.plot([], [], "k--", lw=1, label=r"theory $\rho_k^t$")
    ax.set(xlabel="iteration t", ylabel=r"$e_k(t)$ (signed, relative to start)", title=title)
    ax.legend(fontsize=7)
    return ax


def plot_trajectories_1d(ax, x: ArrayLike, paths: Mapping[str, ArrayLike],
                         lim: tuple[float, float] | None = None, resolution: int = 300):
    r"""Trajectories of two centres over lesson 03's 1-D loss landscape in the :math:`(c_1, c_2)`
    plane (drawn by :func:`argmin_kmeans.landscape.plot_loss_regions_1d`).

    Parameters
    ----------
    x : shape (n_samples,) or (n_samples, 1)
    paths : mapping from a label to a trajectory of shape (n_steps, 2, 1) or (n_steps, 2)
        (e.g. ``fit(x[:, None], init, ...).centers``).
    """
    from .landscape import plot_loss_regions_1d

    plot_loss_regions_1d(ax, x, lim=lim, resolution=resolution, labels=False)
    markers = ("o", "s", "D", "^", "v")
    colors = ("tab:pink", "w", "tab:orange", "tab:cyan", "tab:red")
    for (name, P), m, col in zip(paths.items(), markers, colors):
        p = np.asarray(P, dtype=np.float64).reshape(len(P), 2)
        big = len(p) <= 6  # a short path (Newton's) gets bigger marks so it is not hidden
        ax.plot(p[:, 0], p[:, 1], "-", color=col, lw=2.4 if big else 1.2, alpha=0.9)
        ax.plot(p[:, 0], p[:, 1], m, color=col, mec="k", ms=9 if big else 4.5, mew=0.6,
                label=f"{name} ({len(p) - 1} steps)")
        ax.plot(*p[0], m, color=col, mec="k", ms=10, mew=1.2)
    ax.legend(loc="lower right", fontsize=7, framealpha=0.95, facecolor="0.8")
    return ax


# --------------------------------------------------------------------------- README figures

#: Start and step sizes of the 1-D trajectory figure (lesson 03's ten samples).
TRAJ_START = (-5.0, -4.0)
TRAJ_LRS = {"creep": 0.01, "zig-zag": 0.12}


def trajectories_1d(start: tuple[float, float] = TRAJ_START,
                    lrs: Mapping[str, float] | None = None,
                    max_iter: int = 60) -> dict[str, History]:
    """Gradient descent at each of ``lrs`` and Newton on lesson 03's 1-D data, from ``start``.

    Returns
    -------
    dict from a label to the :class:`~argmin_kmeans.History` (centres of shape
    ``(n_steps, 2, 1)``); labels are ``"GD lr=..."`` and ``"Newton"``.
    """
    from .landscape import example_data_1d

    X = example_data_1d()[:, None]
    C0 = np.array(start, dtype=np.float64)[:, None]
    out = {}
    for name, lr in (lrs or TRAJ_LRS).items():
        out[f"GD {name}, lr={lr:g}"] = fit(X, C0, "gd", lr=lr, max_iter=max_iter, tol=1e-8)
    out["Newton = Lloyd"] = fit(X, C0, "newton", max_iter=max_iter)
    return out


#: Step sizes of the regimes figure for :func:`make_blobs` (n_k = 40, 80, 160, 320).
REGIME_LRS = {"creep": 1 / 1200, "zig-zag": 1 / 400, "diverge": 1 / 267}


def regime_runs(max_iter: int = 12, offset: float = 1.0) -> tuple[np.ndarray, np.ndarray,
                                                                    dict[str, History]]:
    """Gradient descent on :func:`make_blobs` from the blob means shifted by ``offset``.

    Returns
    -------
    X : ndarray, shape (600, 2)
    counts : ndarray, shape (4,)
        Cluster sizes at the init.
    runs : dict from regime name to History, for the step sizes :data:`REGIME_LRS`.
    """
    X = make_blobs()
    sizes = np.array([40, 80, 160, 320])
    ends = np.cumsum(sizes)
    means = np.array([X[e - s:e].mean(axis=0) for s, e in zip(sizes, ends)])
    C0 = means + offset * np.array([[1.0, 0.6], [-0.8, 1.0], [0.7, -0.9], [-1.0, -0.5]])
    _, counts, _ = cluster_stats(X, C0)
    runs = {name: fit(X, C0, "gd", lr=lr, max_iter=max_iter, tol=0.0)
            for name, lr in REGIME_LRS.items()}
    return X, counts, runs


def comparison_configs(n_samples: int, n_clusters: int, scale: float,
                       max_iter: int = 300) -> list[dict[str, Any]]:
    r"""The lesson's standard line-up for a data set of ``n_samples`` points and ``k`` clusters.

    GD at :math:`\eta = 1/(2n)` (always safe: every :math:`\rho_k = 1 - n_k/n \in [0, 1)`),
    at :math:`\eta = k/(4n)` (half the Newton step of an average cluster) and at
    :math:`\eta = k/(2n)` (Newton's step for an average cluster: too big for any cluster larger
    than twice the average); SGD with momentum 0.9 at :math:`\eta = 1/(4n)`; Adam at a step of
    ``0.05 * scale`` per coordinate; Lloyd; Newton.
    """
    n, k = float(n_samples), int(n_clusters)
    return [
        {"name": "GD lr=1/(2n)", "method": "gd", "lr": 1 / (2 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "GD lr=k/(4n)", "method": "gd", "lr": k / (4 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "GD lr=k/(2n)", "method": "gd", "lr": k / (2 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "SGD+momentum lr=1/(4n)", "method": "sgd-momentum", "lr": 1 / (4 * n),
         "momentum": 0.9, "max_iter": max_iter, "tol": 1e-8},
        {"name": "Adam lr=0.05*std", "method": "adam", "lr": 0.05 * scale, "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "Lloyd (EM)", "method": "lloyd", "max_iter": max_iter},
        {"name": "Newton", "method": "newton", "max_iter": max_iter},
    ]


def run_comparison(name: str, seed: int = 0, max_iter: int = 300) -> tuple[Dataset, list[ComparisonRecord]]:
    """:func:`compare_methods` with :func:`comparison_configs` on :func:`load_dataset` ``(name)``
    from ``random_init(X, k, seed=seed)``."""
    ds = load_dataset(name)
    init = random_init(ds.X, ds.n_clusters, seed=seed)
    scale = float(np.sqrt(ds.X.var(axis=0).mean()))
    cfgs = comparison_configs(ds.X.shape[0], ds.n_clusters, scale, max_iter=max_iter)
    return ds, compare_methods(ds.X, init, cfgs)


def _fig_trajectories():
    from matplotlib.figure import Figure

    from .landscape import example_data_1d

    fig = Figure(figsize=(6.4, 7.4), layout="constrained")
    ax = fig.add_subplot()
    runs = trajectories_1d()
    plot_trajectories_1d(ax, example_data_1d(), {k: h.centers for k, h in runs.items()},
                         lim=(-6.5, 6.5))
    ax.set(xlim=(-6.5, 1.5), ylim=(-5.0, 6.5))
    ax.set_title("Lesson 03's landscape: GD creeps or zig-zags,\n"
                 "Newton jumps to each region's minimiser")
    return fig


def _fig_regimes():
    from matplotlib.figure import Figure

    X, counts, runs = regime_runs()
    fig = Figure(figsize=(13.0, 7.6), layout="constrained")
    axs = fig.subplots(2, 2)
    plot_contraction_theory(axs[0, 0], counts, REGIME_LRS, lr_max=1 / 200)
    for ax, (name, h) in zip(axs.ravel()[1:], runs.items()):
        rho = contraction_factors(counts, REGIME_LRS[name])
        plot_signed_errors(ax, signed_errors(X, h.centers), rho,
                           f"{name}: global lr = {REGIME_LRS[name]:.3g}", counts, h.n_changed)
        if name == "diverge":
            ax.set_ylim(-12, 12)
    fig.suptitle("Gradient descent with one global step size on clusters of 40, 80, 160, 320 points")
    return fig


def _fig_comparison():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15.0, 5.0), layout="constrained")
    axs = fig.subplots(1, 3)
    for ax, name in zip(axs, DATASETS):
        ds, recs = run_comparison(name, seed=0, max_iter=250 if name == "digits" else 300)
        plot_loss_curves(ax, recs, "iteration", title=f"{name} ({ds.X.shape[0]}x{ds.X.shape[1]}, "
                         f"k={ds.n_clusters})")
    fig.legend(*axs[0].get_legend_handles_labels(), loc="outside lower center", ncol=7,
               fontsize=9)
    fig.suptitle("Same init, same loss: Lloyd/Newton vs gradient descent, momentum and Adam")
    return fig


#: README figures (``make figures``), all at fixed seeds.
FIGURES: dict[str, Callable[[], object]] = {
    "gd_newton_trajectories": _fig_trajectories,
    "gd_step_size_regimes": _fig_regimes,
    "method_comparison": _fig_comparison,
}
