"""Lesson 04's pictures: loss curves of the methods, the contraction theory and its test.

Each ``plot_*(ax, ...)`` draws on a given Matplotlib Axes and returns it; each
``*_figure(small=False)`` builds one README figure (``small=True``: fewer iterations and
coarser grids, for tests). The runs come from :mod:`argmin_kmeans.compare`, the predictions
from :mod:`argmin_kmeans.theory`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from .._validation import ArrayLike
from ..compare import (
    REGIME_LRS,
    ComparisonRecord,
    regime_runs,
    run_comparison,
    trajectories_1d,
)
from ..datasets import DATASETS, example_data_1d
from ..theory import cluster_sizes, contraction_factors, signed_errors
from .landscape import plot_loss_regions_1d

__all__ = [
    "plot_loss_curves",
    "plot_n_changed",
    "plot_contraction_theory",
    "plot_signed_errors",
    "plot_trajectories_1d",
    "gd_newton_trajectories_figure",
    "gd_step_size_regimes_figure",
    "method_comparison_figure",
]

# colour, line style and marker of each method: never colour alone (colour-blind readers)
_Style = tuple[str, object, str]
_STYLE: dict[str, _Style] = {
    "lloyd": ("k", "-", "o"), "newton": ("tab:gray", ":", "x"),
    "adam": ("tab:red", "-.", "^"), "sgd-momentum": ("tab:purple", (0, (5, 1)), "v"),
}
_GD_STYLES: tuple[_Style, ...] = (
    ("tab:blue", "--", "s"), ("tab:cyan", "-", "D"), ("tab:green", ":", "P"),
    ("tab:olive", "-.", "*"), ("tab:orange", "--", "h"),
)
#: Markers of clusters 0, 1, 2, ... in the per-cluster plots.
_CLUSTER_MARKERS = ("o", "s", "^", "D", "v", "P")
_CLUSTER_LINES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)))


def _styles(records: Sequence[ComparisonRecord]) -> list[_Style]:
    """(colour, line style, marker) of each record; GD runs take the next of ``_GD_STYLES``."""
    out: list[_Style] = []
    g = 0
    for r in records:
        if r.method in _STYLE:
            out.append(_STYLE[r.method])
        else:
            out.append(_GD_STYLES[g % len(_GD_STYLES)])
            g += 1
    return out


def _every(n_points: int) -> int:
    """A marker every so many points: about eight per line."""
    return max(1, n_points // 8)


def plot_loss_curves(ax, records: Sequence[ComparisonRecord], x: Literal["iteration", "time"] = "iteration",
                     title: str | None = None, floor: float = 1e-10, show_iters: bool = False):
    r"""Excess loss :math:`L_t / L^\star - 1` (log scale) against iteration or wall-clock time.

    :math:`L^\star` is the lowest local minimum any record ended next to (its ``basin_loss``)
    or reached. A run that ends in a worse local minimum levels off above the floor; a
    converged run ends with a dot. ``show_iters`` adds the iteration count to each label.
    """
    best = min(min(float(np.min(np.asarray(r.history.loss, dtype=np.float64))), r.basin_loss)
               for r in records)
    for r, (col, ls, mk) in zip(records, _styles(records)):
        loss = np.asarray(r.history.loss, dtype=np.float64)
        y = np.maximum(loss / best - 1.0, floor)
        t = np.arange(loss.size) if x == "iteration" else np.asarray(r.history.times) * 1e3
        lw = 2.2 if r.method in ("lloyd", "newton") else 1.5
        ax.plot(t, y, color=col, ls=ls, lw=lw, marker=mk, ms=5, markevery=_every(loss.size),
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
    for r, (col, ls, mk) in zip(records, _styles(records)):
        nc = np.asarray(r.history.n_changed)
        ax.plot(np.arange(1, nc.size + 1), nc, color=col, ls=ls, lw=1.5, marker=mk, ms=5,
                markevery=_every(nc.size), label=r.name)
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
    c = cluster_sizes(counts)
    lr_max = lr_max or 1.6 * max(lrs.values())
    eta = np.linspace(0.0, lr_max, 200)
    ax.axhspan(-1, 1, color="tab:green", alpha=0.08, label=r"$|\rho|<1$: converges")
    ax.axhline(0, color="0.5", lw=0.8)
    for j, n in enumerate(c):
        ax.plot(eta, 1 - 2 * eta * n, lw=2, ls=_CLUSTER_LINES[j % len(_CLUSTER_LINES)],
                marker=_CLUSTER_MARKERS[j % len(_CLUSTER_MARKERS)], markevery=25, ms=5,
                label=f"cluster {j}: $n_k$={int(n)}")
    for (name, lr), ls in zip(lrs.items(), ((0, (2, 2)), (0, (6, 2)), (0, (1, 1)), (0, (8, 2, 1, 2)))):
        ax.axvline(lr, color="0.3", ls=ls, lw=1.0, label=f"{name}: $\\eta$={lr:.3g}")
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
    cs = None if counts is None else cluster_sizes(counts)
    for j in range(e.shape[1]):
        col = f"C{j}"
        lab = f"$n_k$={int(cs[j])}, $\\rho$={rho[j]:.2f}" if cs is not None else f"$\\rho$={rho[j]:.2f}"
        ax.plot(t, e[:, j], _CLUSTER_MARKERS[j % len(_CLUSTER_MARKERS)], color=col, ms=5,
                mec="k", mew=0.4, label=lab)  # a marker per cluster, not only a colour
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
    plot_loss_regions_1d(ax, x, lim=lim, resolution=resolution, labels=False)
    markers = ("o", "s", "D", "^", "v")
    lines = ("-", "--", "-.", ":", "-")
    colors = ("tab:pink", "w", "tab:orange", "tab:cyan", "tab:red")
    for (name, P), m, ls, col in zip(paths.items(), markers, lines, colors):
        p = np.asarray(P, dtype=np.float64).reshape(len(P), 2)
        big = len(p) <= 6  # a short path (Newton's) gets bigger marks so it is not hidden
        ax.plot(p[:, 0], p[:, 1], ls=ls, color=col, lw=2.4 if big else 1.2, alpha=0.9)
        ax.plot(p[:, 0], p[:, 1], m, color=col, mec="k", ms=9 if big else 4.5, mew=0.6,
                label=f"{name} ({len(p) - 1} steps)")
        ax.plot(*p[0], m, color=col, mec="k", ms=10, mew=1.2)
    ax.legend(loc="lower right", fontsize=7, framealpha=0.95, facecolor="0.8")
    return ax


# --------------------------------------------------------------------------- README figures


def gd_newton_trajectories_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(6.4, 7.4), layout="constrained")
    ax = fig.add_subplot()
    runs = trajectories_1d()
    plot_trajectories_1d(ax, example_data_1d(), {k: h.centers for k, h in runs.items()},
                         lim=(-6.5, 6.5), resolution=80 if small else 300)
    ax.set(xlim=(-6.5, 1.5), ylim=(-5.0, 6.5))
    ax.set_title("Lesson 03's landscape: GD creeps or zig-zags,\n"
                 "Newton jumps to each region's minimiser")
    return fig


def gd_step_size_regimes_figure(small: bool = False) -> Figure:
    X, counts, runs = regime_runs()
    fig = Figure(figsize=(13.0, 7.6), layout="constrained")
    axs = fig.subplots(2, 2)
    plot_contraction_theory(axs[0, 0], counts, REGIME_LRS, lr_max=1 / 200)
    for ax, (name, h) in zip(axs.ravel()[1:], runs.items()):
        rho = contraction_factors(counts, REGIME_LRS[name])
        plot_signed_errors(ax, signed_errors(X, h.centers), rho,
                           f"{name}: global lr = {REGIME_LRS[name]:.3g}", counts,
                           np.asarray(h.n_changed))
        if name == "diverge":
            ax.set_ylim(-12, 12)
    fig.suptitle("Gradient descent with one global step size on clusters of 40, 80, 160, 320 points")
    return fig


def method_comparison_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(15.0, 5.0), layout="constrained")
    axs = fig.subplots(1, 3)
    for ax, name in zip(axs, DATASETS):
        max_iter = 20 if small else (250 if name == "digits" else 300)
        ds, recs = run_comparison(name, seed=0, max_iter=max_iter)
        plot_loss_curves(ax, recs, "iteration", title=f"{name} ({ds.X.shape[0]}x{ds.X.shape[1]}, "
                         f"K={ds.n_clusters})")
    fig.legend(*axs[0].get_legend_handles_labels(), loc="outside lower center", ncol=7,
               fontsize=9)
    fig.suptitle("Same init, same loss: Lloyd/Newton vs gradient descent, momentum and Adam")
    return fig
