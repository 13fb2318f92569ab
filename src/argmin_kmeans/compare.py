r"""Lesson 04: gradient descent, EM (Lloyd) and Newton on the same k-means loss, measured.

The runs of the lesson, all through :func:`argmin_kmeans.engine.run` (one loop, one
:class:`~argmin_kmeans.History`); the step-size theory they test is :mod:`argmin_kmeans.theory`,
their data :mod:`argmin_kmeans.datasets`, their plots :mod:`argmin_kmeans.plotting.compare`.

What is here
------------
* Runners with wall-clock times: :func:`fit_timed` (the core's update rules, the trajectory of
  :func:`argmin_kmeans.fit`) and :func:`fit_torch_optim` (``torch.optim.Adam`` or ``SGD`` with
  momentum on :func:`argmin_kmeans.kmeans_loss`, the practitioner's route).
* :func:`compare_methods` runs a list of configurations from one init and returns
  :class:`ComparisonRecord` rows; :func:`format_table` prints them;
  :func:`comparison_configs` is the lesson's line-up and :func:`run_comparison` runs it on a
  named data set.
* The lesson's two small experiments: :func:`trajectories_1d` (gradient descent and Newton
  over lesson 03's 1-D landscape) and :func:`regime_runs` (one global step size on clusters of
  40, 80, 160 and 320 points).

References
----------
Lloyd, S. P. (1982). Least squares quantization in PCM. IEEE Trans. Inf. Theory 28(2), 129-137.
MacQueen, J. (1967). Some methods for classification and analysis of multivariate
observations. Proc. 5th Berkeley Symp. Math. Statist. Prob., vol. 1, 281-297.
Bottou, L. & Bengio, Y. (1995). Convergence properties of the k-means algorithms. NIPS 7,
585-592.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from ._validation import (
    ArrayLike,
    check_choice,
    check_int,
    check_lr,
    check_pair,
    check_real,
)
from .core import Stats, cluster_stats
from .datasets import Dataset, example_data_1d, load_dataset, make_blobs
from .engine import History, fit, run, tol_scale
from .initialization import random_init

__all__ = [
    "OPTIMIZERS",
    "STEPS",
    "fit_timed",
    "fit_torch_optim",
    "ComparisonRecord",
    "compare_methods",
    "format_table",
    "comparison_configs",
    "run_comparison",
    "TRAJ_START",
    "TRAJ_LRS",
    "trajectories_1d",
    "REGIME_LRS",
    "regime_runs",
]

Optimizer = Literal["adam", "sgd-momentum"]

#: ``torch.optim`` optimisers :func:`fit_torch_optim` knows.
OPTIMIZERS: tuple[Optimizer, ...] = ("adam", "sgd-momentum")

#: The core's update rules :func:`fit_timed` runs: the lesson's three of
#: :data:`argmin_kmeans.engine.METHODS` (its "lloyd-relocate" is scikit-learn's variant).
STEPS = ("gd", "lloyd", "newton")


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
    return fit(X, init, method, lr=lr, max_iter=max_iter, tol=tol, on_nonfinite=on_nonfinite)


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
        common = {"max_iter": cfg.get("max_iter", 300), "tol": cfg.get("tol", 1e-4),
                      "on_nonfinite": "stop"}
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


# --------------------------------------------------------------------------- the lesson's experiments

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
    X = example_data_1d()[:, None]
    C0 = np.array(start, dtype=np.float64)[:, None]
    out = {}
    for name, lr in (lrs or TRAJ_LRS).items():
        out[f"GD {name}, lr={lr:g}"] = fit(X, C0, "gd", lr=lr, max_iter=max_iter, tol=1e-8)
    out["Newton = Lloyd"] = fit(X, C0, "newton", max_iter=max_iter)
    return out


#: Step sizes of the regimes figure for :func:`~argmin_kmeans.datasets.make_blobs` (n_k = 40, 80, 160, 320).
REGIME_LRS = {"creep": 1 / 1200, "zig-zag": 1 / 400, "diverge": 1 / 267}


def regime_runs(max_iter: int = 12, offset: float = 1.0) -> tuple[np.ndarray, np.ndarray,
                                                                    dict[str, History]]:
    """Gradient descent on :func:`~argmin_kmeans.datasets.make_blobs` from the blob means shifted by ``offset``.

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
    counts = np.asarray(cluster_stats(X, C0)[1])
    runs = {name: fit(X, C0, "gd", lr=lr, max_iter=max_iter, tol=0.0)
            for name, lr in REGIME_LRS.items()}
    return X, counts, runs


def comparison_configs(n_samples: int, n_clusters: int, scale: float,
                       max_iter: int = 300) -> list[dict[str, Any]]:
    r"""The lesson's line-up for :math:`n` = ``n_samples`` points, :math:`K` = ``n_clusters``.

    GD at :math:`\eta = 1/(2n)` (always safe: every :math:`\rho_k = 1 - n_k/n \in [0, 1)`),
    at :math:`\eta = K/(4n)` (half the Newton step of an average cluster) and at
    :math:`\eta = K/(2n)` (Newton's step for an average cluster: too big for any cluster larger
    than twice the average); SGD with momentum 0.9 at :math:`\eta = 1/(4n)`; Adam at a step of
    ``0.05 * scale`` per coordinate; Lloyd; Newton.
    """
    n, k = float(n_samples), int(n_clusters)
    return [
        {"name": "GD lr=1/(2n)", "method": "gd", "lr": 1 / (2 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "GD lr=K/(4n)", "method": "gd", "lr": k / (4 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "GD lr=K/(2n)", "method": "gd", "lr": k / (2 * n), "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "SGD+momentum lr=1/(4n)", "method": "sgd-momentum", "lr": 1 / (4 * n),
         "momentum": 0.9, "max_iter": max_iter, "tol": 1e-8},
        {"name": "Adam lr=0.05*std", "method": "adam", "lr": 0.05 * scale, "max_iter": max_iter,
         "tol": 1e-8},
        {"name": "Lloyd (EM)", "method": "lloyd", "max_iter": max_iter},
        {"name": "Newton", "method": "newton", "max_iter": max_iter},
    ]


def run_comparison(name: str, seed: int = 0, max_iter: int = 300) -> tuple[Dataset, list[ComparisonRecord]]:
    """:func:`compare_methods` with :func:`comparison_configs` on
    :func:`~argmin_kmeans.datasets.load_dataset` ``(name)``, from
    ``random_init(X, n_clusters, seed=seed)``."""
    ds = load_dataset(name)
    init = random_init(ds.X, ds.n_clusters, seed=seed)
    scale = float(np.sqrt(ds.X.var(axis=0).mean()))
    cfgs = comparison_configs(ds.X.shape[0], ds.n_clusters, scale, max_iter=max_iter)
    return ds, compare_methods(ds.X, init, cfgs)
