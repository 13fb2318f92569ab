"""Plots for lessons 07 (gradients through the choice) and 08 (learning through k-means), and
their README figures.

``soft_kmeans_figure`` and ``bias_variance_figure`` (fixed seeds) are README figures, listed in
:mod:`argmin_kmeans.plotting.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import cast

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .. import relax as rx
from .._validation import ArrayLike
from ..datasets import square_blobs

__all__ = [
    "bias_variance_figure",
    "plot_bias_variance",
    "plot_influence",
    "plot_soft_assignments",
    "plot_split",
    "soft_kmeans_figure",
]

#: One colour per cluster (up to 8); a sample's colour mixes them by its responsibilities.
PALETTE = np.array(
    [
        [0.12, 0.47, 0.71],
        [1.00, 0.50, 0.05],
        [0.17, 0.63, 0.17],
        [0.84, 0.15, 0.16],
        [0.58, 0.40, 0.74],
        [0.55, 0.34, 0.29],
        [0.89, 0.47, 0.76],
        [0.50, 0.50, 0.50],
    ]
)


def _np(a: ArrayLike) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


def plot_soft_assignments(
    X: ArrayLike, centers_by_tau: Mapping[float, ArrayLike], axes: Sequence[Axes] | None = None
) -> Figure:
    """One panel per temperature: each sample coloured by the mix of its clusters' colours
    (weights :func:`argmin_kmeans.relax.soft_assign`), the centres as black crosses."""
    Xn = _np(X)
    if axes is None:
        fig, axs = plt.subplots(1, len(centers_by_tau), figsize=(3.2 * len(centers_by_tau), 3.2),
                                layout="constrained", sharex=True, sharey=True)
        axes = list(np.atleast_1d(axs))
    fig = cast(Figure, axes[0].figure)
    for ax, (tau, C) in zip(axes, centers_by_tau.items()):
        Cn = _np(C)
        R = _np(rx.soft_assign(Xn, Cn, tau))
        ax.scatter(Xn[:, 0], Xn[:, 1], s=9, c=np.clip(R @ PALETTE[: len(Cn)], 0, 1))
        ax.scatter(Cn[:, 0], Cn[:, 1], marker="x", s=70, c="k", linewidths=2, label="centres")
        ax.set(title=f"τ = {tau:g}", xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    axes[0].legend(loc="upper left", fontsize=8)
    return fig


def plot_bias_variance(
    temperatures: Sequence[float],
    rows: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    references: Mapping[str, tuple[float, float]] | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Relative bias and standard deviation of gradient estimators against the temperature.

    ``rows`` maps an estimator's name to ``(bias, std)`` arrays over ``temperatures``;
    ``references`` maps a temperature-free estimator to one ``(bias, std)`` pair (a horizontal
    line; a bias of 0 is drawn at the bottom of the axis)."""
    if axes is None:
        fig, axs = plt.subplots(1, 2, figsize=(9.0, 3.4), layout="constrained")
        axes = list(axs)
    fig = cast(Figure, axes[0].figure)
    t = np.asarray(temperatures, dtype=float)
    styles = zip("os^v", ["-", "--", "-.", ":"])
    for (name, (bias, std)), (marker, ls) in zip(rows.items(), styles):
        axes[0].plot(t, bias, marker=marker, ls=ls, label=name)
        axes[1].plot(t, std, marker=marker, ls=ls, label=name)
    for (name, (b, s)), ls in zip((references or {}).items(), ["--", ":", "-."]):
        if b > 0:
            axes[0].axhline(b, color="0.3", ls=ls, lw=1, label=name)
        axes[1].axhline(s, color="0.3", ls=ls, lw=1, label=name)
    axes[0].set(xscale="log", yscale="log", xlabel="temperature τ",
                ylabel="‖E[ĝ] − ∇‖ / ‖∇‖", title="Bias (relative)")
    axes[1].set(xscale="log", yscale="log", xlabel="temperature τ",
                ylabel="std of ĝ / ‖∇‖", title="Standard deviation (relative, one sample)")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_split(
    temperatures: Sequence[float],
    separations: Mapping[str, Sequence[float]],
    tau_c: float,
    ax: Axes | None = None,
) -> Figure:
    r"""Deterministic annealing's first phase transition: the largest distance between two
    centres against the temperature, one line per run (``separations`` maps a run's name to
    its values at ``temperatures``), with the critical temperature :math:`\tau_c` marked.
    The temperature axis is reversed (cooling runs left to right)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.4), layout="constrained")
    fig = cast(Figure, ax.figure)
    t = np.asarray(temperatures, dtype=float)
    for (name, sep), (marker, ls) in zip(separations.items(), zip("os^v", ["-", "--", "-.", ":"])):
        ax.plot(t, np.asarray(sep, dtype=float), marker=marker, ms=4, ls=ls, label=name)
    ax.axvline(tau_c, color="0.3", ls=":", lw=1.2, label=f"τ_c = 2λ_max = {tau_c:.2f}")
    ax.set(xlabel="temperature τ (cooling →)", ylabel="largest distance between centres",
           title="Equal centres stay equal; perturbed ones split below τ_c")
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def plot_influence(
    X: ArrayLike,
    J: ArrayLike,
    centers: ArrayLike,
    title: str,
    ax: Axes | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    r"""Each sample's influence on the optimal centres, :math:`\sum_k \lVert J[k,:,i,:]\rVert_F`
    (``J`` from :func:`argmin_kmeans.relax.fixed_point_jacobian`), as the colour of the dot on a
    log scale from ``vmin`` to ``vmax`` (default: this ``J``'s range; pass both to compare
    panels)."""
    Xn, Jn, Cn = _np(X), _np(J), _np(centers)
    infl = np.sqrt((Jn**2).sum(axis=(1, 3))).sum(axis=0)  # (n,)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 3.4), layout="constrained")
    fig = cast(Figure, ax.figure)
    sc = ax.scatter(Xn[:, 0], Xn[:, 1], c=infl, s=12, cmap="viridis",
                    norm=LogNorm(vmin=vmin or max(infl.min(), 1e-4), vmax=vmax or infl.max()))
    ax.scatter(Cn[:, 0], Cn[:, 1], marker="x", s=70, c="r", linewidths=2, label="centres")
    fig.colorbar(sc, ax=ax, label=r"$\sum_k \Vert\partial c^*_k/\partial x_i\Vert$")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.legend(loc="upper left", fontsize=8)
    return fig


# --------------------------------------------------------------------------- README figures


def _converge(X: torch.Tensor, C: torch.Tensor, tau: float, steps: int = 2000) -> torch.Tensor:
    for _ in range(steps):
        new = torch.as_tensor(rx.soft_lloyd_step(X, C, tau))
        if float((new - C).abs().max()) < 1e-12:
            return new
        C = new
    return C


def soft_kmeans_figure(small: bool = False) -> Figure:
    """Soft k-means responsibilities at the fixed points of a cooling schedule."""
    X = square_blobs()
    C = X[[0, 50, 100, 150]].clone()
    by_tau = {}
    for tau in (12.0, 2.0, 0.3):
        C = _converge(X, C, tau, steps=50 if small else 2000)
        by_tau[tau] = C.clone()
    fig = plot_soft_assignments(X, by_tau)
    fig.suptitle("Soft k-means: responsibilities softmax(−‖x − c‖²/τ) at the fixed point of "
                 "soft Lloyd, cooling")
    return fig


def _estimator_stats(
    tau: float, hard: bool, n_samples: int = 20_000
) -> tuple[float, float]:
    """Relative bias and std of (straight-through) Gumbel-softmax on lesson 07's small problem."""
    f64 = torch.float64
    x = torch.tensor([0.3, -0.2], dtype=f64)
    C = torch.tensor([[0.0, 0.0], [1.0, 0.5], [-1.0, 1.0], [0.5, -1.5]], dtype=f64)
    theta = torch.tensor([0.5, -0.2, 0.1, 0.0], dtype=f64)
    th = theta.clone().requires_grad_()
    cost = ((x - C) ** 2).sum(1)
    (exact,) = torch.autograd.grad((torch.softmax(th, 0) * cost).sum(), th)
    g = torch.Generator().manual_seed(0)
    t = theta.expand(n_samples, 4).clone().requires_grad_()
    gumbel = -torch.empty((n_samples, 4), dtype=f64).exponential_(generator=g).log()
    z = torch.softmax((t + gumbel) / tau, dim=1)
    if hard:
        z = torch.nn.functional.one_hot(z.argmax(1), 4).to(f64) + z - z.detach()
    (((x - z @ C) ** 2).sum()).backward()
    G = t.grad
    assert G is not None
    m = G.mean(0)
    scale = float(exact.norm())
    return float((m - exact).norm()) / scale, math.sqrt(float(((G - m) ** 2).sum(1).mean())) / scale


def bias_variance_figure(small: bool = False) -> Figure:
    """Bias and standard deviation of (straight-through) Gumbel-softmax against τ."""
    taus = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    rows = {}
    for name, hard in (("Gumbel-softmax", False), ("straight-through Gumbel", True)):
        stats = [_estimator_stats(t, hard, 500 if small else 20_000) for t in taus]
        rows[name] = ([s[0] for s in stats], [s[1] for s in stats])
    fig = plot_bias_variance(taus, rows)
    fig.suptitle("Gradient of E[‖x − zC‖²], z ~ Cat(softmax θ): bias falls and variance grows "
                 "as τ → 0")
    return fig



