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

Hooks for tests (Python and browser)
------------------------------------
* every centre slider has the CSS class ``ak-slider`` (and is in ``explorer.sliders``);
* the readout is an ``ipywidgets.HTML`` with class ``ak-loss-readout`` whose text starts with
  ``loss = <value with 4 decimals>`` and shows ``c = (...)``, the centres with 4 decimals
  (``explorer.readout``);
* the figure is an ``ipywidgets.Image`` with class ``ak-figure`` (``explorer.figure``); its
  ``value`` (PNG bytes) changes on each redraw, and so does the ``src`` of its ``<img>``;
* the step buttons have the classes ``ak-step-gd``, ``ak-step-lloyd``, ``ak-step-newton`` and
  ``ak-reset`` (``explorer.buttons``), the learning-rate slider ``ak-lr`` (``explorer.lr``);
* the explorer itself has the classes ``ak-explorer`` and ``ak-explorer-<kind>``;
* ``explorer.state`` is a dict with the current ``centers``, ``loss``, ``counts``,
  ``n_redraws``, ``n_steps`` and the ``trail``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np

from ._validation import ArrayLike, check_int, check_pair, check_real
from .core import gd_step, lloyd_step, newton_step
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

#: CSS classes a browser test can find the parts by.
SLIDER_CLASS = "ak-slider"
READOUT_CLASS = "ak-loss-readout"
FIGURE_CLASS = "ak-figure"
LR_CLASS = "ak-lr"
STEP_CLASSES = {"gd": "ak-step-gd", "lloyd": "ak-step-lloyd", "newton": "ak-step-newton",
                "reset": "ak-reset"}
#: Rendering resolution of the widgets' PNGs (shown at ~96 CSS px per inch): small to store.
DPI = 90
#: Size of the (c1, c2) explorer's figure, inches.
REGIONS_FIGSIZE = (5.6, 5.0)

Draw = Callable[[Any, np.ndarray, np.ndarray], None]
Overlay = Callable[[Any, np.ndarray, np.ndarray], list]


def render_png(draw: Callable[[Any], None], figsize: tuple[float, float], dpi: int = DPI) -> bytes:
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


class _Blitter:
    """A background drawn once, and PNGs of it with a few artists painted on top.

    ``background(fig)`` draws the static picture and returns the Axes the overlay goes on;
    ``overlay(ax, centers, trail)`` adds the moving artists and returns them. Each
    :meth:`png` restores the stored background pixels, draws only those artists (clipped to
    the Axes) and encodes the pixels, so its cost does not depend on the background's.
    """

    def __init__(self, background: Callable[[Any], Any], overlay: Overlay,
                 figsize: tuple[float, float], dpi: int = DPI) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = background(self.fig)
        self.canvas.draw()
        self.fig.set_layout_engine("none")  # freeze the layout: the overlay must not move it
        self.bg = self.canvas.copy_from_bbox(self.fig.bbox)
        self.overlay = overlay

    def png(self, centers: np.ndarray, trail: np.ndarray) -> bytes:
        from PIL import Image

        self.canvas.restore_region(self.bg)
        artists = self.overlay(self.ax, centers, trail)
        for a in artists:
            self.ax.draw_artist(a)
        for a in artists:
            a.remove()
        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buf, format="png")
        return buf.getvalue()


def _to_numpy(X: ArrayLike, centers: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    Xt, Ct, _ = check_pair(X, centers)
    return Xt.detach().cpu().double().numpy(), Ct.detach().cpu().double().numpy()


def _nice_step(raw: float) -> float:
    """The largest of 1, 2, 5 times a power of ten that is at most ``raw`` (and >= 1e-6)."""
    raw = max(raw, 1e-6)
    p = 10.0 ** np.floor(np.log10(raw))
    return float(round(max(m for m in (1.0, 2.0, 5.0) if m * p <= raw * (1 + 1e-9)) * p, 12))


def _fmt_centers(C: np.ndarray) -> str:
    """``(c1, c2, ...)`` for 1-D data, ``(x, y) (x, y) ...`` otherwise, with 4 decimals."""
    rows = [C.ravel()] if C.shape[1] == 1 else list(C)
    return " ".join("(" + ", ".join(f"{v:.4f}" for v in row) + ")" for row in rows)


class Explorer(W.VBox):
    """Sliders, a loss readout and a figure, redrawn on every slider change; optionally step
    buttons that move every centre by one step of gradient descent, Lloyd or Newton.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features), float64
    centers : ndarray, shape (n_clusters, n_features), float64
        Initial centres (Reset returns to them).
    movable : list of (centre index, feature index)
        One slider per entry, moving that coordinate.
    bounds : list of (min, max)
        Slider ranges, one per entry of ``movable``.
    draw : callable ``draw(fig, centers, trail)``, optional
        Draws the whole view for ``centers`` (and the ``trail``, shape (m, k, d), of the steps
        since the last manual move) on a Matplotlib Figure.
    figsize : (float, float)
    title : str
        Shown above the sliders.
    labels : list of str, optional
        Slider descriptions.
    steps : bool
        Add the step buttons, the learning-rate slider and the trail. Needs every coordinate
        to be movable.
    lr : float, optional
        Initial learning rate of the GD step; default :math:`1/(2n)`. The slider runs from
        :math:`0.05/n` to :math:`4/n`: from creeping to overshooting every cluster.
    blit : (background, overlay), optional
        Instead of ``draw``: a static background drawn once and the moving artists drawn on a
        copy of it (see :class:`_Blitter`); cheap enough to redraw while a slider is dragged.
    describe : callable ``describe(centers) -> str``, optional
        Extra text for the readout (e.g. the region's name).
    kind : str
        Added as the CSS class ``ak-explorer-<kind>``.

    Attributes
    ----------
    sliders : list of ipywidgets.FloatSlider (class ``ak-slider``)
    readout : ipywidgets.HTML (class ``ak-loss-readout``), text ``loss = 123.4567 ...``
    figure : ipywidgets.Image (class ``ak-figure``), PNG bytes
    buttons : dict ``{"gd", "lloyd", "newton", "reset"}`` of ipywidgets.Button (empty without
        ``steps``)
    lr : ipywidgets.FloatSlider (class ``ak-lr``) or None
    """

    def __init__(
        self,
        X: np.ndarray,
        centers: np.ndarray,
        movable: list[tuple[int, int]],
        bounds: list[tuple[float, float]],
        draw: Draw | None,
        figsize: tuple[float, float],
        title: str,
        labels: list[str] | None = None,
        *,
        steps: bool = False,
        lr: float | None = None,
        blit: tuple[Callable[[Any], Any], Overlay] | None = None,
        describe: Callable[[np.ndarray], str] | None = None,
        kind: str = "",
    ) -> None:
        if (draw is None) == (blit is None):
            raise ValueError("give exactly one of draw= and blit=")
        if steps and len(movable) != centers.size:
            raise ValueError("step buttons move every centre: every coordinate must be movable")
        self._X = X
        self._start = centers.copy()
        self._centers = centers.copy()
        self._trail = [centers.copy()]
        self._movable = movable
        # ranges on the grid of a round step, so round positions (-5, 2.92) are slider values
        self._bounds = []
        for lo, hi in bounds:
            step = _nice_step((float(hi) - float(lo)) / 400)
            self._bounds.append((round(float(np.floor(lo / step) * step), 10),
                                 round(float(np.ceil(hi / step) * step), 10)))
        self._draw = draw
        self._blitter = _Blitter(blit[0], blit[1], figsize) if blit else None
        self._describe = describe
        self._figsize = figsize
        self._hold = False
        self._note = ""
        self.n_redraws = 0
        self.n_steps = 0
        self.sliders: list[W.FloatSlider] = []
        for i, ((k, d), (lo, hi)) in enumerate(zip(movable, self._bounds)):
            step = _nice_step((hi - lo) / 400)
            s = W.FloatSlider(
                value=float(centers[k, d]),
                min=lo,
                max=hi,
                step=step,
                description=labels[i] if labels else f"c{k}[{d}]",
                # redraw while dragging only where a redraw costs a few milliseconds (blitting);
                # else one redraw per release / key press, no backlog
                continuous_update=blit is not None,
                readout_format=".2f",
                layout=W.Layout(width="340px"),
                style={"description_width": "70px"},
            )
            s.add_class(SLIDER_CLASS)
            s.observe(self._on_slider, names="value")
            self.sliders.append(s)
        self.readout = W.HTML()
        self.readout.add_class(READOUT_CLASS)
        self.figure = W.Image(
            format="png",
            layout=W.Layout(width=f"{int(self._figsize[0] * 96)}px", max_width="100%",
                            align_self="flex-start"),
        )
        self.figure.add_class(FIGURE_CLASS)
        rows: list[W.Widget] = [W.HBox(self.sliders[i : i + 2])
                                for i in range(0, len(self.sliders), 2)]
        self.buttons: dict[str, W.Button] = {}
        self.lr: W.FloatSlider | None = None
        if steps:
            rows.append(self._step_row(lr))
        head = W.HTML(f"<b>{title}</b>")
        super().__init__([head, *rows, self.readout, self.figure])
        self.add_class("ak-explorer")
        if kind:
            self.add_class(f"ak-explorer-{kind}")
        self.update()

    def _step_row(self, lr: float | None) -> W.HBox:
        n = self._X.shape[0]
        lo, hi = 0.05 / n, 4.0 / n
        value = 1.0 / (2 * n) if lr is None else check_real(lr, "lr", low=0.0, low_open=True)
        self.lr = W.FloatSlider(
            value=value, min=lo, max=max(hi, value), step=lo, description="lr η",
            readout_format=".4g", continuous_update=False, layout=W.Layout(width="300px"),
            style={"description_width": "40px"},
        )
        self.lr.add_class(LR_CLASS)
        names = {"gd": "GD step", "lloyd": "Lloyd step", "newton": "Newton step",
                 "reset": "Reset"}
        for key, text in names.items():
            b = W.Button(description=text, layout=W.Layout(width="110px"))
            b.add_class(STEP_CLASSES[key])
            b.on_click(self._on_button(key))
            self.buttons[key] = b
        return W.HBox([self.lr, *self.buttons.values()])

    def _on_button(self, key: str) -> Callable[[W.Button], None]:
        def click(_: W.Button) -> None:
            if key == "reset":
                self.reset()
            else:
                self.step(key)

        return click

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
    def trail(self) -> np.ndarray:
        """The centres since the last manual move or Reset, then after each step: shape
        (n_steps + 1, n_clusters, n_features) (a copy)."""
        return np.stack(self._trail)

    @property
    def state(self) -> dict[str, object]:
        """``{"centers", "loss", "counts", "n_redraws", "n_steps", "trail"}`` for tests and
        for the curious."""
        return {
            "centers": self.centers,
            "loss": self._loss,
            "counts": self._counts.copy(),
            "n_redraws": self.n_redraws,
            "n_steps": self.n_steps,
            "trail": self.trail,
        }

    def set_centers(self, centers: ArrayLike) -> None:
        """Move the sliders to ``centers`` and redraw once; the trail starts again there.

        Raises
        ------
        ValueError
            If ``centers`` has the wrong shape, is not finite, changes a coordinate that has no
            slider, or puts a coordinate outside its slider's range (a slider would clamp it).
        """
        C = np.asarray(centers, dtype=np.float64)
        if C.shape != self._centers.shape:
            raise ValueError(f"centers must have shape {self._centers.shape}, got {C.shape}")
        if not np.all(np.isfinite(C)):
            raise ValueError(f"centers must be finite, got {C.tolist()}")
        fixed = np.ones(C.shape, dtype=bool)
        for s, (k, d) in zip(self.sliders, self._movable):
            fixed[k, d] = False
            if not s.min <= C[k, d] <= s.max:
                raise ValueError(
                    f"centers[{k}, {d}] = {C[k, d]:g} is outside the range of its slider "
                    f"'{s.description}', [{s.min:g}, {s.max:g}]; build the explorer with "
                    f"centres near the data, or move within the range"
                )
        if np.any(C[fixed] != self._centers[fixed]):
            raise ValueError("centers changes a coordinate that has no slider in this explorer")
        self._centers = C.copy()
        self._trail = [C.copy()]
        self._note = ""
        self._sync_sliders()
        self.update()

    def step(self, kind: str) -> np.ndarray:
        """Move every centre by one step of ``kind`` (``"gd"`` with the ``lr`` slider's value,
        ``"lloyd"`` or ``"newton"``), add it to the trail and redraw; returns the new centres.

        The steps are :func:`~argmin_kmeans.core.gd_step`, :func:`~argmin_kmeans.core.lloyd_step`
        and :func:`~argmin_kmeans.core.newton_step` on the explorer's data. A centre that leaves
        its slider's range widens the range (the picture keeps its limits; the trail leaves it).
        A step whose result would overflow is refused, with a note in the readout.
        """
        if self.lr is None:
            raise ValueError("this explorer has no step buttons (build it with steps=True)")
        if kind == "gd":
            new = gd_step(self._X, self._centers, float(self.lr.value))
        elif kind == "lloyd":
            new = lloyd_step(self._X, self._centers)
        elif kind == "newton":
            new = newton_step(self._X, self._centers)
        else:
            raise ValueError(f"kind must be 'gd', 'lloyd' or 'newton', got kind={kind!r}")
        new = np.asarray(new, dtype=np.float64)
        if not np.all(np.isfinite(new)) or np.abs(new).max() > 1e150:
            self._note = "the step was refused: the centres would overflow; press Reset"
            self.update()
            return self.centers
        self._centers = new
        self._trail.append(new.copy())
        self.n_steps += 1
        self._note = f"{self.n_steps} step(s), last: {kind}" + (
            f" with lr = {float(self.lr.value):.4g}" if kind == "gd" else "")
        self._sync_sliders(widen=True)
        self.update()
        return self.centers

    def reset(self) -> None:
        """Back to the initial centres and slider ranges; the trail is cleared."""
        self._centers = self._start.copy()
        self._trail = [self._start.copy()]
        self.n_steps = 0
        self._note = ""
        self._sync_sliders()  # the ranges only ever widen: the start is inside them
        self._hold = True
        try:
            for s, (lo, hi) in zip(self.sliders, self._bounds):
                s.min, s.max = lo, hi
        finally:
            self._hold = False
        self.update()

    def _sync_sliders(self, widen: bool = False) -> None:
        """Show the centres on the sliders without triggering a redraw per slider."""
        self._hold = True
        try:
            for s, (k, d) in zip(self.sliders, self._movable):
                v = float(self._centers[k, d])
                if widen:
                    s.min, s.max = min(s.min, v), max(s.max, v)
                s.value = v
        finally:
            self._hold = False

    # -- redraw --------------------------------------------------------------------------
    def _on_slider(self, change: dict) -> None:
        if self._hold:
            return
        i = self.sliders.index(change["owner"])
        k, d = self._movable[i]
        new = float(change["new"])
        if abs(new - self._centers[k, d]) <= 0.5 * self.sliders[i].step:
            # the browser's slider snapped a value set from Python (a step) to its grid and
            # sent it back: not a move of the user's; the centres keep their exact value
            return
        self._centers[k, d] = new
        self._trail = [self._centers.copy()]  # a manual move starts a new path
        self._note = ""
        self.update()

    def update(self) -> None:
        """Recompute the loss, rewrite the readout and redraw the figure."""
        snap = snapshot(self._X, self._centers)
        self._loss = snap.loss
        self._counts = snap.counts
        counts = ", ".join(f"{int(c)}" for c in snap.counts)
        extra = [f"samples per centre: {counts}"]
        if self._describe is not None:
            extra.append(self._describe(self._centers))
        if self._note:
            extra.append(self._note)
        self.readout.value = (
            f"<span style='font-family: monospace; font-size: 1.1em'>"
            f"loss = {snap.loss:.4f} &nbsp; c = {_fmt_centers(self._centers)}</span><br>"
            + " &nbsp;·&nbsp; ".join(extra)
        )
        C, T = self._centers.copy(), self.trail
        if self._blitter is not None:
            self.figure.value = self._blitter.png(C, T)
        else:
            assert self._draw is not None
            draw = self._draw
            self.figure.value = render_png(lambda fig: draw(fig, C, T), self._figsize)
        self.n_redraws += 1


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
    Xn, C = _to_numpy(X, centers)
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
