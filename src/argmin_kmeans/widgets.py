"""Interactive views of the piecewise-quadratic loss for JupyterLab (ipywidgets).

Each builder takes data and returns an :class:`Explorer` (an ``ipywidgets.VBox``): sliders for
centre coordinates, a live loss readout and the figure, redrawn on every slider change; the
builders of the two views where every centre moves add **step buttons** (a gradient-descent
step with a learning-rate slider, a Lloyd step, a Newton step, Reset) and draw the path of the
steps as a trail. The steps are the package's own rules (:func:`~argmin_kmeans.core.gd_step`,
:func:`~argmin_kmeans.core.lloyd_step`, :func:`~argmin_kmeans.core.newton_step`), not a copy.

The figure is a PNG rendered with Matplotlib's Agg canvas into an ``ipywidgets.Image``: no
interactive backend (ipympl) is needed, nothing is displayed twice, and the redraw is the same
in JupyterLab, in a notebook page and in a test. The drawing itself is done by the pure
``plot_*`` functions of :mod:`argmin_kmeans.plotting.landscape`. Where the picture behind the
marker does not change (the :math:`(c_1, c_2)` plane of 1-D data; the loss over one centre's
position) the background is drawn once and each redraw paints only the marker and the trail on
a copy of it: a few milliseconds, so those views redraw while a slider is dragged
(``continuous_update``). The Voronoi view, whose cells move with the centres, redraws on release.

The machinery (the :class:`~argmin_kmeans.explorer.Explorer` widget, its step buttons, the
PNG rendering and the test hooks) is in :mod:`argmin_kmeans.explorer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import ArrayLike, check_int, check_pair, check_real
from .explorer import REGIONS_FIGSIZE, Explorer, render_png, to_numpy
from .landscape import loss_over_centroid, snapshot
from .landscape_1d import pattern_string, region_codes_1d, sorted_1d
from .plotting.landscape import (
    TAB,
    data_limits,
    plot_centroid_landscape,
    plot_loss_regions_1d,
    plot_voronoi,
)

__all__ = [
    "Explorer",
    "render_png",
    "voronoi_explorer",
    "centroid_landscape_explorer",
    "regions_1d_explorer",
]


def _bounds(X: np.ndarray, C: np.ndarray, pad: float = 1.0) -> list[tuple[float, float]]:
    (x0, x1), (y0, y1) = data_limits(X, C, pad)
    return [(x0, x1), (y0, y1)]


def _plot_trail(ax: Any, trail: np.ndarray, k: int, color: str | None = None) -> list:
    """The path of centre ``k`` (or of the point ``trail[:, :, 0]`` in the plane for 1-D data)."""
    if trail.shape[0] < 2:
        return []
    p = trail[:, :, 0] if trail.shape[2] == 1 else trail[:, k, :]
    (line,) = ax.plot(p[:, 0], p[:, 1], "-o", ms=3.5, lw=1.3, color=color or "w", mec="k",
                      mew=0.6, zorder=6)
    return [line]


def voronoi_explorer(X: ArrayLike, centers: ArrayLike, *, resolution: int = 200,
                     steps: bool = True) -> Explorer:
    """Move every centre of 2-D data: Voronoi cells, loss, gradient arrows, Newton targets;
    with ``steps``, the step buttons and each centre's trail.

    Parameters
    ----------
    X : shape (n_samples, 2)
    centers : shape (n_clusters, 2)
    resolution : int
        Grid size of the drawn cells.
    steps : bool
        Add the step buttons (see :class:`Explorer`).

    Returns
    -------
    Explorer
        Two sliders per centre (``c{k} x1``, ``c{k} x2``).
    """
    Xn, C = to_numpy(X, centers)
    if Xn.shape[1] != 2:
        raise ValueError(
            f"voronoi_explorer draws the plane: X must have 2 features, got {Xn.shape[1]}"
        )
    (bx, by) = _bounds(Xn, C)
    movable = [(k, d) for k in range(C.shape[0]) for d in range(2)]
    bounds = [(bx, by)[d] for _, d in movable]
    labels = [f"c{k} x{d + 1}" for k, d in movable]

    def draw(fig: Any, cc: np.ndarray, trail: np.ndarray) -> None:
        ax = fig.add_subplot()
        plot_voronoi(ax, Xn, cc, xlim=bx, ylim=by, resolution=resolution)
        for k in range(cc.shape[0]):
            _plot_trail(ax, trail, k, TAB[k % len(TAB)])

    return Explorer(Xn, C, movable, bounds, draw, (5.6, 5.0),
                    "Move the centres, or step: Voronoi cells, the gradient and the "
                    "Newton/Lloyd targets", labels, steps=steps, kind="voronoi")


def centroid_landscape_explorer(
    X: ArrayLike, centers: ArrayLike, which: int = 0, *, resolution: int = 160
) -> Explorer:
    """Move one centre of 2-D data over the loss as a function of its own position.

    The loss over the moving centre's position (the other centres fixed) and its flip circles
    are drawn once; each redraw paints the centre and the minimiser of the quadratic of the
    region it stands in, so the view follows a dragged slider.

    Returns
    -------
    Explorer
        Two sliders, for centre ``which``.
    """
    Xn, C = to_numpy(X, centers)
    if Xn.shape[1] != 2:
        raise ValueError(
            "centroid_landscape_explorer draws the plane: X must have 2 features, "
            f"got {Xn.shape[1]}"
        )
    which = check_int(which, "which", low=0, high=C.shape[0] - 1)
    bx, by = _bounds(Xn, C)
    xs = np.linspace(*bx, resolution)
    ys = np.linspace(*by, resolution)
    grid = (xs, ys, loss_over_centroid(Xn, C, which, xs, ys))
    color = TAB[which % len(TAB)]

    def background(fig: Any) -> Any:
        ax = fig.add_subplot()
        plot_centroid_landscape(ax, Xn, C, which, xlim=bx, ylim=by, grid=grid, marker=False)
        ax.scatter([], [], s=120, marker="X", color=color, edgecolor="k",
                   label=f"centre {which} (you move it)")
        ax.scatter([], [], s=100, marker="*", color=color, edgecolor="k",
                   label="minimiser of its region's quadratic")
        ax.legend(loc="upper left", fontsize=7, framealpha=0.95, facecolor="0.75")
        return ax

    def overlay(ax: Any, cc: np.ndarray, trail: np.ndarray) -> list:
        snap = snapshot(Xn, cc)
        out = [ax.scatter(*cc[which], s=200, marker="X", color=color, edgecolor="k", zorder=6)]
        if snap.counts[which] > 0:
            out.append(ax.scatter(*snap.targets[which], s=160, marker="*", color=color,
                                  edgecolor="k", zorder=6))
        return out

    return Explorer(Xn, C, [(which, 0), (which, 1)], [bx, by], None, (5.8, 5.0),
                    f"Move centre {which}: where it stands on the loss over its own position",
                    [f"c{which} x1", f"c{which} x2"], blit=(background, overlay),
                    kind="landscape")


def regions_1d_explorer(x: ArrayLike, c1: float, c2: float, *, resolution: int = 220,
                        steps: bool = True, lr: float | None = None) -> Explorer:
    """Two centres on 1-D data: move ``(c1, c2)`` over the plane of regions, or step.

    The region map (loss contours, flip lines, fixed points) is drawn once; each redraw paints
    the marker and the trail on a copy of it, so the view follows a dragged slider.

    Parameters
    ----------
    x : shape (n_samples,) or (n_samples, 1)
    c1, c2 : float
        The starting point (Reset returns to it).
    resolution : int
        Grid size of the loss contours.
    steps : bool
        Add the step buttons (see :class:`Explorer`).
    lr : float, optional
        Initial learning rate of the GD step, default :math:`1/(2n)`.

    Returns
    -------
    Explorer
        Sliders ``c1`` and ``c2``; the readout names the region (owner of each sorted sample).
    """
    xs = sorted_1d(x)
    X = xs[:, None]
    C = np.array([[check_real(c1, "c1")], [check_real(c2, "c2")]])
    check_pair(X, C)
    lo, hi = xs.min() - 1.5, xs.max() + 1.5
    lo, hi = min(lo, C.min()), max(hi, C.max())

    def background(fig: Any) -> Any:
        ax = fig.add_subplot()
        plot_loss_regions_1d(ax, xs, (lo, hi), resolution=resolution, labels=False)
        ax.plot([], [], "o", ms=9, color="w", mec="k", mew=2, label="you are here")
        ax.plot([], [], "-o", ms=3.5, color="w", mec="k", label="path of the steps")
        ax.set_title("The loss over $(c_1, c_2)$: regions, flip lines, fixed points",
                     fontsize=10)
        # below the axes, so it never hides a minimum
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7)
        return ax

    def overlay(ax: Any, cc: np.ndarray, trail: np.ndarray) -> list:
        (here,) = ax.plot(cc[0, 0], cc[1, 0], "o", ms=9, color="w", mec="k", mew=2, zorder=7)
        return [*_plot_trail(ax, trail, 0), here]

    def describe(cc: np.ndarray) -> str:
        code = int(region_codes_1d(xs, cc[0, 0], cc[1, 0]))
        return f"region {pattern_string(xs.size, code)} (owner of each sorted sample)"

    return Explorer(X, C, [(0, 0), (1, 0)], [(lo, hi), (lo, hi)], None, REGIONS_FIGSIZE,
                    "Move (c1, c2) across the regions of the loss, or step", ["c1", "c2"],
                    steps=steps, lr=lr, blit=(background, overlay), describe=describe,
                    kind="regions-1d")
