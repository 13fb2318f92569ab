"""Interactive views of the piecewise-quadratic loss for JupyterLab (ipywidgets).

Each builder takes data and returns an :class:`Explorer` (an ``ipywidgets.VBox``): sliders for
centre coordinates, a live loss readout and the figure, redrawn on every slider change. The
figure is a PNG rendered with Matplotlib's Agg canvas into an ``ipywidgets.Image``: no
interactive backend (ipympl) is needed, nothing is displayed twice, and the redraw is the same
in JupyterLab, in a notebook page and in a test. The drawing itself is done by the pure
``plot_*`` functions of :mod:`argmin_kmeans.plotting.landscape`.

Hooks for tests (Python and browser)
------------------------------------
* every slider has the CSS class ``ak-slider`` (and is in ``explorer.sliders``);
* the readout is an ``ipywidgets.HTML`` with class ``ak-loss-readout`` whose text contains
  ``loss = <value with 4 decimals>`` (``explorer.readout``);
* the figure is an ``ipywidgets.Image`` with class ``ak-figure`` (``explorer.figure``); its
  ``value`` (PNG bytes) changes on each redraw, and so does the ``src`` of its ``<img>``;
* ``explorer.state`` is a dict with the current ``centers``, ``loss`` and ``n_redraws``.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as W
import numpy as np

from ._validation import ArrayLike, check_int, check_pair, check_real
from .landscape import loss_over_centroid, snapshot
from .landscape_1d import pattern_string, region_codes_1d, sorted_1d
from .plotting.landscape import (
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

#: CSS classes a browser test can find the parts by.
SLIDER_CLASS = "ak-slider"
READOUT_CLASS = "ak-loss-readout"
FIGURE_CLASS = "ak-figure"


def render_png(
    draw: Callable[[object], None], figsize: tuple[float, float], dpi: int = 144
) -> bytes:
    """Draw with ``draw(fig)`` on a fresh Agg figure and return the PNG bytes.

    No pyplot: the figure is never registered with the inline backend, so nothing else is
    displayed and nothing leaks between redraws.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _to_numpy(X: ArrayLike, centers: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    Xt, Ct, _ = check_pair(X, centers)
    return Xt.detach().cpu().double().numpy(), Ct.detach().cpu().double().numpy()


class Explorer(W.VBox):
    """Sliders, a loss readout and a figure, redrawn on every slider change.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features), float64
    centers : ndarray, shape (n_clusters, n_features), float64
        Initial centres.
    movable : list of (centre index, feature index)
        One slider per entry, moving that coordinate.
    bounds : list of (min, max)
        Slider ranges, one per entry of ``movable``.
    draw : callable ``draw(fig, centers)``
        Draws the view for ``centers`` on a Matplotlib Figure.
    figsize : (float, float)
    title : str
        Shown above the sliders.

    Attributes
    ----------
    sliders : list of ipywidgets.FloatSlider (class ``ak-slider``)
    readout : ipywidgets.HTML (class ``ak-loss-readout``), text ``loss = 123.4567 ...``
    figure : ipywidgets.Image (class ``ak-figure``), PNG bytes
    """

    def __init__(
        self,
        X: np.ndarray,
        centers: np.ndarray,
        movable: list[tuple[int, int]],
        bounds: list[tuple[float, float]],
        draw: Callable[[object, np.ndarray], None],
        figsize: tuple[float, float],
        title: str,
        labels: list[str] | None = None,
    ) -> None:
        self._X = X
        self._centers = centers.copy()
        self._movable = movable
        self._draw = draw
        self._figsize = figsize
        self._hold = False
        self.n_redraws = 0
        self.sliders = []
        for i, ((k, d), (lo, hi)) in enumerate(zip(movable, bounds)):
            s = W.FloatSlider(
                value=float(centers[k, d]),
                min=float(lo),
                max=float(hi),
                step=round(float(hi - lo) / 400, 4) or 0.001,
                description=labels[i] if labels else f"c{k}[{d}]",
                continuous_update=False,  # one redraw per release / key press, no backlog
                readout_format=".2f",
                layout=W.Layout(width="340px"),
                style={"description_width": "70px"},
            )
            s.add_class(SLIDER_CLASS)
            s.observe(self._on_change, names="value")
            self.sliders.append(s)
        self.readout = W.HTML()
        self.readout.add_class(READOUT_CLASS)
        # rendered at 144 dpi, shown at ~96 CSS px per inch: sharp on ordinary and HiDPI screens,
        # and not stretched to the notebook's full width
        self.figure = W.Image(
            format="png",
            layout=W.Layout(width=f"{int(self._figsize[0] * 96)}px", max_width="100%",
                            align_self="flex-start"),
        )
        self.figure.add_class(FIGURE_CLASS)
        rows = [W.HBox(self.sliders[i : i + 2]) for i in range(0, len(self.sliders), 2)]
        head = W.HTML(f"<b>{title}</b>")
        super().__init__([head, *rows, self.readout, self.figure])
        self.add_class("ak-explorer")
        self.update()

    # -- state ---------------------------------------------------------------------------
    @property
    def centers(self) -> np.ndarray:
        """Current centres, shape (n_clusters, n_features) (a copy)."""
        return self._centers.copy()

    @property
    def loss(self) -> float:
        """Current k-means loss."""
        return self._loss

    @property
    def state(self) -> dict[str, object]:
        """``{"centers", "loss", "counts", "n_redraws"}`` for tests and for the curious."""
        return {
            "centers": self.centers,
            "loss": self._loss,
            "counts": self._counts.copy(),
            "n_redraws": self.n_redraws,
        }

    def set_centers(self, centers: ArrayLike) -> None:
        """Move the sliders to ``centers`` (only the movable coordinates) and redraw once."""
        C = np.asarray(centers, dtype=np.float64)
        if C.shape != self._centers.shape:
            raise ValueError(f"centers must have shape {self._centers.shape}, got {C.shape}")
        self._hold = True
        try:
            for s, (k, d) in zip(self.sliders, self._movable):
                s.value = float(C[k, d])
        finally:
            self._hold = False
        self.update()

    # -- redraw --------------------------------------------------------------------------
    def _on_change(self, change: dict) -> None:
        if not self._hold:
            self.update()

    def update(self) -> None:
        """Read the sliders, recompute the loss, rewrite the readout and redraw the figure."""
        for s, (k, d) in zip(self.sliders, self._movable):
            self._centers[k, d] = s.value
        snap = snapshot(self._X, self._centers)
        self._loss = snap.loss
        self._counts = snap.counts
        counts = ", ".join(f"{int(c)}" for c in snap.counts)
        self.readout.value = (
            f"<span style='font-family: monospace; font-size: 1.1em'>"
            f"loss = {snap.loss:.4f}</span> &nbsp; (samples per centre: {counts})"
        )
        C = self._centers.copy()
        self.figure.value = render_png(lambda fig: self._draw(fig, C), self._figsize)
        self.n_redraws += 1


def _bounds(X: np.ndarray, C: np.ndarray, pad: float = 1.0) -> list[tuple[float, float]]:
    (x0, x1), (y0, y1) = data_limits(X, C, pad)
    return [(x0, x1), (y0, y1)]


def voronoi_explorer(X: ArrayLike, centers: ArrayLike, *, resolution: int = 200) -> Explorer:
    """Move every centre of 2-D data: Voronoi cells, loss, gradient arrows, Newton targets.

    Parameters
    ----------
    X : shape (n_samples, 2)
    centers : shape (n_clusters, 2)
    resolution : int
        Grid size of the drawn cells.

    Returns
    -------
    Explorer
        Two sliders per centre (``c{k} x1``, ``c{k} x2``).
    """
    Xn, C = _to_numpy(X, centers)
    if Xn.shape[1] != 2:
        raise ValueError(
            f"voronoi_explorer draws the plane: X must have 2 features, got {Xn.shape[1]}"
        )
    (bx, by) = _bounds(Xn, C)
    movable = [(k, d) for k in range(C.shape[0]) for d in range(2)]
    bounds = [(bx, by)[d] for _, d in movable]
    labels = [f"c{k} x{d + 1}" for k, d in movable]

    def draw(fig, cc: np.ndarray) -> None:
        plot_voronoi(fig.add_subplot(), Xn, cc, xlim=bx, ylim=by, resolution=resolution)

    return Explorer(Xn, C, movable, bounds, draw, (6.2, 5.6),
                    "Move the centres: Voronoi cells, the gradient and the Newton/Lloyd targets",
                    labels)


def centroid_landscape_explorer(
    X: ArrayLike, centers: ArrayLike, which: int = 0, *, resolution: int = 160
) -> Explorer:
    """Move one centre of 2-D data: its Voronoi view and the loss over its position.

    The loss over the moving centre's position (the other centres fixed) is computed once, on a
    ``resolution``² grid; each redraw moves the marker and redraws the cells.

    Returns
    -------
    Explorer
        Two sliders, for centre ``which``.
    """
    Xn, C = _to_numpy(X, centers)
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

    def draw(fig, cc: np.ndarray) -> None:
        a, b = fig.subplots(1, 2)
        plot_voronoi(a, Xn, cc, xlim=bx, ylim=by, resolution=resolution)
        plot_centroid_landscape(b, Xn, cc, which, xlim=bx, ylim=by, grid=grid)

    return Explorer(Xn, C, [(which, 0), (which, 1)], [bx, by], draw, (12.0, 5.2),
                    f"Move centre {which}: where it stands on the loss over its own position",
                    [f"c{which} x1", f"c{which} x2"])


def regions_1d_explorer(x: ArrayLike, c1: float, c2: float, *, resolution: int = 220) -> Explorer:
    """Two centres on 1-D data: move ``(c1, c2)`` over the plane of regions.

    Returns
    -------
    Explorer
        Sliders ``c1`` and ``c2``; the figure is the region map with a marker at ``(c1, c2)``.
    """
    xs = sorted_1d(x)
    X = xs[:, None]
    C = np.array([[check_real(c1, "c1")], [check_real(c2, "c2")]])
    check_pair(X, C)
    lo, hi = xs.min() - 1.5, xs.max() + 1.5
    lo, hi = min(lo, C.min()), max(hi, C.max())

    def draw(fig, cc: np.ndarray) -> None:
        ax = fig.add_subplot()
        plot_loss_regions_1d(ax, xs, (lo, hi), resolution=resolution, labels=False)
        ax.plot(cc[0, 0], cc[1, 0], "o", ms=12, color="w", mec="k", mew=2, zorder=6,
                label="you are here")
        code = int(region_codes_1d(xs, cc[0, 0], cc[1, 0]))
        ax.set_title(f"region {pattern_string(xs.size, code)} (owner of each sorted sample)")
        # below the axes, so it never hides a minimum
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7)

    return Explorer(X, C, [(0, 0), (1, 0)], [(lo, hi), (lo, hi)], draw, (6.4, 5.4),
                    "Move (c1, c2) across the regions of the loss", ["c1", "c2"])
