"""Lesson 03's pictures: the piecewise-quadratic loss, its regions, slices, basins and cells.

Each ``plot_*(ax, ...)`` draws on a given Matplotlib Axes and returns it (the widgets of
:mod:`argmin_kmeans.widgets` redraw with the same functions); each ``*_figure(small=False)``
builds one README figure at fixed data (``small=True``: coarse grids, for tests). The geometry
comes from :mod:`argmin_kmeans.landscape` and :mod:`argmin_kmeans.landscape_1d`.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from .._validation import ArrayLike
from ..datasets import example_data_1d, example_data_2d
from ..landscape import (
    boundary_radii,
    loss_over_centroid,
    one_sided_derivatives,
    snapshot,
    voronoi_grid,
)
from ..landscape_1d import (
    boundary_lines_1d,
    lloyd_1d,
    lloyd_fixed_points_1d,
    loss_grid_1d,
    region_codes_1d,
    regions_1d,
    sorted_1d,
)

__all__ = [
    "TAB",
    "data_limits",
    "plot_parabola_1d",
    "plot_loss_regions_1d",
    "plot_region_minimisers_1d",
    "plot_slice_1d",
    "plot_basins_1d",
    "plot_voronoi",
    "plot_centroid_landscape",
    "loss_regions_1d_figure",
    "region_minimisers_1d_figure",
    "loss_slice_1d_figure",
    "lloyd_basins_1d_figure",
    "voronoi_2d_figure",
    "centroid_landscape_2d_figure",
]

#: Colours of centres 0, 1, 2, ... in every view.
TAB = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def plot_parabola_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None):
    """One centre on 1-D data: the loss :math:`\\sum_i (x_i - c)^2` is one parabola."""
    xs = sorted_1d(x) if np.size(x) >= 2 else np.asarray(x, dtype=np.float64).ravel()
    lo, hi = lim or (xs.min() - 2.0, xs.max() + 2.0)
    c = np.linspace(lo, hi, 400)
    loss = ((xs[None, :] - c[:, None]) ** 2).sum(1)
    mean = xs.mean()
    ax.plot(c, loss, color="tab:blue", lw=2, label=r"$L(c)=\sum_i (x_i-c)^2$")
    ax.axvline(mean, color="k", ls="--", lw=1, label=f"mean = {mean:.2f}")
    ax.plot(mean, ((xs - mean) ** 2).sum(), "k*", ms=14, label="minimum")
    y0 = ax.get_ylim()[0]
    ax.plot(xs, np.full_like(xs, y0), "|", color="tab:red", ms=14, mew=2, label="samples")
    ax.set_ylim(top=y0 + 1.45 * (loss.max() - y0))  # room for the legend
    ax.set(title="One centre: a single quadratic", xlabel="centre c", ylabel="loss")
    ax.legend(loc="upper center", ncol=2, framealpha=1.0)
    return ax


def _label_region(ax, codes: np.ndarray, C1: np.ndarray, C2: np.ndarray, code: int, text: str,
                  **kw) -> None:
    mask = codes == code
    if mask.sum() < 40:  # too thin to label legibly
        return
    ax.text(C1[mask].mean(), C2[mask].mean(), text, ha="center", va="center", **kw)


def plot_loss_regions_1d(
    ax,
    x: ArrayLike,
    lim: tuple[float, float] | None = None,
    resolution: int = 400,
    labels: bool = True,
    fixed_points: bool = True,
):
    r"""Filled contours of the loss over :math:`(c_1, c_2)`, the flip lines, region labels.

    Each region is labelled by the owners of the sorted samples ("1" = c1, "2" = c2); Lloyd
    fixed points (minimisers inside their own region) are stars: filled when no sample is tied
    there (a local minimum), hollow when one is (on a kink, not a minimum).
    """
    xs = sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, resolution)
    C1, C2 = np.meshgrid(g, g)
    L = loss_grid_1d(xs, C1, C2)
    # quadratic spacing: a quadratic bowl gets evenly spaced rings
    levels = L.min() + (L.max() - L.min()) * np.linspace(0, 1, 30) ** 2
    cs = ax.contourf(C1, C2, L, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label="loss", format="%.0f")
    for s in boundary_lines_1d(xs):
        ax.plot([lo, hi], [s - lo, s - hi], color="w", lw=0.8, alpha=0.9)
    ax.plot([lo, hi], [lo, hi], color="w", lw=1.8, label="$c_1=c_2$ (which centre is lower)")
    ax.plot([], [], color="w", lw=0.8, label="$c_1+c_2=2x_i$ (sample $i$ flips)")
    ax.plot(xs, xs, "|", color="tab:red", ms=9, mew=1.5, label="samples $(x_i, x_i)$")
    if labels:
        codes = region_codes_1d(xs, C1, C2)
        for r in regions_1d(xs):
            _label_region(ax, codes, C1, C2, r.code, r.pattern, fontsize=6.5, rotation=-45,
                          color="k", family="monospace",
                          bbox={"boxstyle": "round,pad=0.15", "fc": "w", "ec": "none", "alpha": 0.75})
    fps = lloyd_fixed_points_1d(xs) if fixed_points else []
    minima = [r for r in fps if r.margin > 0]  # a tied fixed point sits on a kink: no minimum
    if minima:  # none when every split ties (e.g. all samples equal)
        best = minima[0].min_loss
        for r in minima:
            glob = np.isclose(r.min_loss, best)
            ax.plot(*r.minimiser, marker="*", ms=17 if glob else 14, mec="k",
                    color="gold" if glob else "tab:red", ls="none", zorder=4)
        ax.plot([], [], "*", color="gold", mec="k", ms=14, label="global minimum")
        if any(not np.isclose(r.min_loss, best) for r in minima):
            ax.plot([], [], "*", color="tab:red", mec="k", ms=12, label="other local minimum")
    tied = [r.minimiser for r in fps if not r.margin > 0]
    if tied:
        ax.plot(*np.array(tied).T, "*", ms=14, mfc="none", mec="w", mew=1.2, zorder=4,
                label="fixed point with a tied sample (a kink, not a minimum)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="$c_1$", ylabel="$c_2$",
           title="Two centres, 1-D data: the loss is piecewise quadratic")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.95, facecolor="0.75")
    return ax


def plot_region_minimisers_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None,
                              resolution: int = 300):
    """Every non-degenerate region's minimiser, filled when inside its own region, hollow
    when outside (an arrow shows where the region itself is)."""
    xs = sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, resolution)
    C1, C2 = np.meshgrid(g, g)
    codes = region_codes_1d(xs, C1, C2)
    ax.imshow(codes % 2, origin="lower", extent=(lo, hi, lo, hi), cmap="Greys", vmin=0, vmax=9,
              interpolation="nearest")
    for s in boundary_lines_1d(xs):
        ax.plot([lo, hi], [s - lo, s - hi], color="0.5", lw=0.6)
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1.2)
    for r in regions_1d(xs):
        if r.degenerate:
            continue
        mask = codes == r.code
        if mask.any():
            cx, cy = C1[mask].mean(), C2[mask].mean()
            ax.plot(cx, cy, ".", color="0.3", ms=4)
            col = "tab:green" if r.inside else "tab:red"
            ax.annotate("", xy=r.minimiser, xytext=(cx, cy),  # solid: inside; dashed: outside
                        arrowprops={"arrowstyle": "->", "color": col, "lw": 0.9, "alpha": 0.8,
                                    "ls": "-" if r.inside else "--"})
        ax.plot(*r.minimiser, "o", ms=7, mec="k",
                color="tab:green" if r.inside else "w", zorder=3)
    ax.plot([], [], "o", color="tab:green", mec="k",
            label="minimiser inside its region (fixed point)")
    ax.plot([], [], "o", color="w", mec="k", label="minimiser outside its region")
    ax.plot([], [], ".-", color="0.3",
            label="arrow: from a region to its quadratic's minimiser (dashed: outside)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="$c_1$", ylabel="$c_2$",
           title="Each region's quadratic is minimised at its cluster means")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def plot_slice_1d(ax, x: ArrayLike, start: tuple[float, float], direction: tuple[float, float],
                  ts: object, at: float | None = None):
    r"""The loss along :math:`c(u) = c_0 + u v` in the :math:`(c_1, c_2)` plane, with the
    flip crossings marked and, at ``u = at``, the two one-sided tangents.

    ``ts`` are the positions :math:`u` along the line (the course keeps :math:`t` for
    iterations). The two tangents differ in line style and end marker as well as colour.
    """
    xs = sorted_1d(x)
    X = xs[:, None]
    c0 = np.array(start, dtype=np.float64)[:, None]
    v = np.array(direction, dtype=np.float64)[:, None]
    t = np.asarray(ts, dtype=np.float64)
    Ls = loss_grid_1d(xs, c0[0, 0] + t * v[0, 0], c0[1, 0] + t * v[1, 0])
    ax.plot(t, Ls, color="tab:blue", lw=2, label="loss along the slice")
    codes = region_codes_1d(xs, c0[0, 0] + t * v[0, 0], c0[1, 0] + t * v[1, 0])
    flips = np.nonzero(np.diff(codes))[0]
    for i, f in enumerate(flips):
        ax.axvline(0.5 * (t[f] + t[f + 1]), color="0.6", lw=0.7, ls=":",
                   label="region boundary" if i == 0 else None)
    if at is not None:
        c_at = c0 + at * v
        left, right = one_sided_derivatives(X, c_at, v)
        L0 = float(loss_grid_1d(xs, c_at[0, 0], c_at[1, 0]))
        w = 0.25 * (t.max() - t.min())
        tl = np.linspace(at - w, at, 20)
        tr = np.linspace(at, at + w, 20)
        ax.plot(tl, L0 + left * (tl - at), color="tab:red", lw=2, ls="--", marker="<",
                markevery=[0], ms=7, label=f"left derivative = {left:.3f}")
        ax.plot(tr, L0 + right * (tr - at), color="tab:green", lw=2, ls=":", marker=">",
                markevery=[-1], ms=7, label=f"right derivative = {right:.3f}")
        ax.plot(at, L0, "ko", ms=6)
    ax.set(xlabel="u  (position along the slice)", ylabel="loss",
           title="A slice: continuous loss, jumping slope")
    ax.legend(fontsize=8)
    return ax


def plot_basins_1d(ax, x: ArrayLike, lim: tuple[float, float] | None = None,
                   resolution: int = 240):
    """Colour every start ``(c1, c2)`` by the fixed point Lloyd's algorithm ends in."""
    import matplotlib.colors as mcolors

    xs = sorted_1d(x)
    lo, hi = lim or (xs.min() - 1.5, xs.max() + 1.5)
    g = np.linspace(lo, hi, resolution)
    C1, C2 = np.meshgrid(g, g)
    _, _, codes = lloyd_1d(xs, C1, C2)
    regs = {r.code: r for r in regions_1d(xs)}
    found = sorted(set(np.unique(codes).tolist()), key=lambda c: (regs[c].min_loss, c))
    # one colour per fixed point up to the c1 <-> c2 mirror; degenerate endings in grey
    pair: dict[int, tuple] = {}  # a fixed point and its mirror share a key
    keys: list[tuple] = []
    for c in found:
        key = (regs[c].n_lower, round(regs[c].min_loss, 9))
        pair[c] = key
        if key not in keys:
            keys.append(key)
    colors = ["gold", "tab:red", "tab:purple", "tab:cyan", "tab:pink", "tab:olive"]
    img = np.zeros(codes.shape + (3,))
    for c in found:
        r = regs[c]
        col = "0.55" if r.degenerate else colors[keys.index(pair[c]) % len(colors)]
        img[codes == c] = mcolors.to_rgb(col)
    ax.imshow(img, origin="lower", extent=(lo, hi, lo, hi), interpolation="nearest", alpha=0.85)
    seen: set[object] = set()
    for c in found:
        r = regs[c]
        if r.degenerate:
            if "deg" not in seen:
                ax.fill_between([], [], color="0.55",
                                label=f"an empty centre (loss {r.min_loss:.2f})")
                seen.add("deg")
            continue
        col = colors[keys.index(pair[c]) % len(colors)]
        ax.plot(*r.minimiser, "*", ms=15, color=col, mec="k")
        j = r.n_lower  # name the basin in text too: colour is not the only cue
        ax.annotate(f"{j}|{xs.size - j}", r.minimiser, xytext=(6, -10),
                    textcoords="offset points", fontsize=7,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "w", "ec": "none", "alpha": 0.8})
        if pair[c] not in seen:
            frac = sum(float((codes == d).mean()) for d in found if pair[d] == pair[c])
            j = r.n_lower
            ax.plot([], [], "s", color=col, ms=9, mec="k",
                    label=f"split {j}|{xs.size - j}: loss {r.min_loss:.2f}, "
                    f"{100 * frac:.0f}% of starts")
            seen.add(pair[c])
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.6)
    ax.plot(xs, xs, "k|", ms=8, label="samples (on the diagonal)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="start $c_1$", ylabel="start $c_2$",
           title="Basins: where Lloyd's algorithm ends from each start")
    # below the axes: inside, it would hide the 7|3 fixed point in the upper left
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=7, framealpha=0.9)
    return ax


def data_limits(
    X: np.ndarray, C: np.ndarray, pad: float = 1.0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(xlim, ylim)`` around the samples and the centres of 2-D data, ``pad`` on each side."""
    P = np.vstack([X, C])
    return ((P[:, 0].min() - pad, P[:, 0].max() + pad), (P[:, 1].min() - pad, P[:, 1].max() + pad))


def plot_voronoi(ax, X: ArrayLike, centers: ArrayLike, xlim=None, ylim=None,
                 resolution: int = 250, arrows: bool = True, lr: float | None = None):
    r"""Voronoi cells of ``centers``, the samples coloured by owner, the argmin-constant
    negative gradient (drawn as a gradient-descent step of size ``lr``, default
    :math:`1/(2n)`) and each centre's Newton/Lloyd target (the mean of its cell)."""
    from matplotlib.colors import ListedColormap

    snap = snapshot(X, centers)
    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    C = snap.centers
    k = C.shape[0]
    dx, dy = data_limits(Xn, C)
    xlim, ylim = xlim or dx, ylim or dy
    xs, ys, lab = voronoi_grid(C, xlim, ylim, resolution)
    cols = [TAB[j % len(TAB)] for j in range(k)]
    ax.imshow(lab, origin="lower", extent=(*xlim, *ylim), cmap=ListedColormap(cols),
              vmin=-0.5, vmax=k - 0.5, alpha=0.18, interpolation="nearest", aspect="auto")
    ax.contour(xs, ys, lab, levels=np.arange(k) + 0.5, colors="0.35", linewidths=0.8)
    for j in range(k):
        m = snap.labels == j
        ax.scatter(Xn[m, 0], Xn[m, 1], s=16, color=cols[j], edgecolor="k", linewidth=0.3)
    ax.scatter(C[:, 0], C[:, 1], s=170, marker="X", c=cols, edgecolor="k", linewidth=1.2,
               zorder=4, label="centres")
    if arrows:
        eta = lr if lr is not None else 1.0 / (2.0 * Xn.shape[0])
        step = -eta * snap.gradient
        ax.quiver(C[:, 0], C[:, 1], step[:, 0], step[:, 1], angles="xy", scale_units="xy",
                  scale=1, color="k", width=0.006, zorder=5,
                  label=r"$-\eta\,\nabla L$ ($\eta=1/(2n)$)" if lr is None
                  else rf"$-\eta\,\nabla L$ ($\eta={lr:g}$)")
        for j in range(k):
            ax.plot(*zip(C[j], snap.targets[j]), ls=":", color="k", lw=1)
        ax.scatter(snap.targets[:, 0], snap.targets[:, 1], s=120, marker="*", c=cols,
                   edgecolor="k", zorder=5, label="Newton/Lloyd target (cell mean)")
    ax.set(xlim=xlim, ylim=ylim, aspect="equal", xlabel="$x_1$", ylabel="$x_2$",
           title=f"Voronoi cells, loss = {snap.loss:.4f}")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def plot_centroid_landscape(ax, X: ArrayLike, centers: ArrayLike, which: int = 0,
                            xlim=None, ylim=None, resolution: int = 200,
                            grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                            marker: bool = True):
    r"""The loss as centre ``which`` moves (others fixed): filled contours, the flip circles
    (radius = each sample's distance to its nearest other centre), a marker where the centre
    stands and the minimiser of the quadratic of the region it stands in.

    ``grid = (xs, ys, loss)`` reuses a precomputed :func:`loss_over_centroid` (the widget does);
    ``marker=False`` leaves out the moving centre and its target (the widget paints them).
    """
    from matplotlib.patches import Circle

    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    C = np.asarray(centers.detach().cpu() if isinstance(centers, torch.Tensor) else centers,
                   dtype=np.float64)
    dx, dy = data_limits(Xn, C)
    xlim, ylim = xlim or dx, ylim or dy
    if grid is None:
        xs = np.linspace(xlim[0], xlim[1], resolution)
        ys = np.linspace(ylim[0], ylim[1], resolution)
        L = loss_over_centroid(Xn, C, which, xs, ys)
    else:
        xs, ys, L = grid
    levels = np.unique(np.quantile(L, np.linspace(0, 1, 22) ** 1.5))
    cs = ax.contourf(xs, ys, L, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label=f"loss as centre {which} moves", format="%.0f")
    radii = boundary_radii(Xn, C, which)
    for (px, py), r in zip(Xn, radii):
        ax.add_patch(Circle((px, py), r, fill=False, color="w", lw=0.45, alpha=0.4))
    ax.plot([], [], color="w", lw=0.8, label="flip circles (one per sample)")
    ax.scatter(Xn[:, 0], Xn[:, 1], s=8, color="w", edgecolor="k", linewidth=0.3, label="samples")
    others = [j for j in range(C.shape[0]) if j != which]
    ax.scatter(C[others, 0], C[others, 1], s=110, marker="X", color="0.8", edgecolor="k",
               label="other centres (fixed)")
    snap = snapshot(Xn, C)
    if marker:
        ax.scatter(*C[which], s=200, marker="X", color=TAB[which % len(TAB)], edgecolor="k",
                   zorder=5, label=f"centre {which}: loss {snap.loss:.4f}")
    if marker and snap.counts[which] > 0:
        ax.scatter(*snap.targets[which], s=160, marker="*", color=TAB[which % len(TAB)],
                   edgecolor="k", zorder=5, label="minimiser of this region's quadratic")
    ax.set(xlim=xlim, ylim=ylim, aspect="equal", xlabel=f"centre {which}, first coordinate",
           ylabel=f"centre {which}, second coordinate",
           title=f"Loss over the position of centre {which}")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.95, facecolor="0.75")
    return ax


# --------------------------------------------------------------------------- README figures
# (``small=True``: coarse grids with the same drawing code, for the tests)

#: Three centres placed off the blobs of :func:`~argmin_kmeans.datasets.example_data_2d`.
CENTERS_2D = np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])


def loss_regions_1d_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(7.5, 6.4), layout="constrained")
    plot_loss_regions_1d(fig.add_subplot(), example_data_1d(), resolution=80 if small else 400)
    return fig


def region_minimisers_1d_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    plot_region_minimisers_1d(fig.add_subplot(), example_data_1d(),
                              resolution=80 if small else 300)
    return fig


def loss_slice_1d_figure(small: bool = False) -> Figure:
    x = example_data_1d()
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    # the slice c(u) = (-3, 1) + u (1, 1) crosses c1 + c2 = 2 * x at u = x + 1
    at = float(x[4]) + 1.0
    ts = np.linspace(-0.6, 2.4, 121 if small else 601)
    plot_slice_1d(fig.add_subplot(), x, (-3.0, 1.0), (1.0, 1.0), ts, at=at)
    return fig


def lloyd_basins_1d_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(6.6, 6.4), layout="constrained")
    plot_basins_1d(fig.add_subplot(), example_data_1d(), resolution=60 if small else 240)
    return fig


def voronoi_2d_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(6.4, 6.0), layout="constrained")
    plot_voronoi(fig.add_subplot(), example_data_2d(), CENTERS_2D,
                 resolution=60 if small else 250)
    return fig


def centroid_landscape_2d_figure(small: bool = False) -> Figure:
    fig = Figure(figsize=(7.2, 6.0), layout="constrained")
    plot_centroid_landscape(fig.add_subplot(), example_data_2d(), CENTERS_2D,
                            resolution=50 if small else 200)
    return fig
