"""The explorer widget behind :mod:`argmin_kmeans.widgets`: sliders, readout, figure, step buttons.

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

from ._validation import ArrayLike, check_pair, check_real
from .core import gd_step, lloyd_step, newton_step
from .landscape import snapshot

__all__ = [
    "Explorer",
    "render_png",
    "to_numpy",
    "SLIDER_CLASS",
    "READOUT_CLASS",
    "FIGURE_CLASS",
    "LR_CLASS",
    "STEP_CLASSES",
    "DPI",
    "REGIONS_FIGSIZE",
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


def to_numpy(X: ArrayLike, centers: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
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

    def __repr__(self) -> str:
        # the text/plain of the widget's output: what a reader sees where widgets are not drawn
        # (ipywidgets cuts it at 110 characters)
        return "[an interactive view: it needs a running kernel; its static version follows]"

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


