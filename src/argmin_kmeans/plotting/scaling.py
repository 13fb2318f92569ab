"""Figures of lesson 09 (scaling k-means): memory, time, the reduction, the projection, inits.

Every function takes numbers measured (or stated) elsewhere and returns a
``matplotlib.figure.Figure``; nothing here measures. :func:`scaling_projection_figure` (fixed,
stated inputs) is a README figure, listed in :mod:`argmin_kmeans.plotting.figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from ..distributed.scaling import allreduce_bytes, crossover, project

__all__ = [
    "compute_figure",
    "inits_figure",
    "memory_figure",
    "projection_figure",
    "reduction_figure",
    "scaling_projection_figure",
]

MiB = 2.0**20


def _plain_log_ticks(ax, xs: Sequence[float] | np.ndarray) -> None:
    """Log axes labelled at the data's x values and with plain numbers on y."""
    ax.set_xticks(list(xs), [f"{int(v):,}" for v in xs])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))


def memory_figure(
    n_samples: Sequence[int],
    question: Sequence[float],
    core: Sequence[float],
    difference: Sequence[float],
) -> Figure:
    """Peak extra memory (bytes) per iteration against ``n_samples``, log-log: the question's
    code, the chunked core, and the size of the ``(K, rows, d)`` difference tensor (rows = n)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    ax.loglog(n_samples, np.asarray(question) / MiB, "o-", label="question's step (measured)")
    ax.loglog(n_samples, np.asarray(core) / MiB, "s-", label="chunked core (measured)")
    ax.loglog(n_samples, np.asarray(difference) / MiB, "k:", label="(K, rows, d) tensor alone, rows = n")
    ax.set(xlabel="n_samples", ylabel="peak extra memory (MiB)",
           title="Memory of one iteration")
    _plain_log_ticks(ax, n_samples)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def compute_figure(
    rows: Sequence[int],
    seconds: Mapping[int, Sequence[float]],
    t_call: float,
    t_row: float,
    title: str = "Seconds per Lloyd iteration",
) -> Figure:
    """Seconds per Lloyd iteration against the rows (log-log): one line per thread count
    (``seconds[threads]``, a marker and a line style each), and the fitted line
    ``t_call + rows * t_row``."""
    fig, ax = plt.subplots(figsize=(5.8, 3.4))
    n = np.asarray(rows, dtype=float)
    styles = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":")]
    for (marker, ls), (threads, sec) in zip(styles, sorted(seconds.items())):
        ax.loglog(n, np.asarray(sec) * 1e3, marker=marker, ls=ls,
                  label=f"{threads} thread{'s' if threads > 1 else ''} (measured)")
    grid = np.geomspace(n.min(), n.max(), 50)
    ax.loglog(grid, (t_call + grid * t_row) * 1e3, "k:",
              label=f"fit: {t_call * 1e6:.0f} us + rows x {t_row * 1e9:.0f} ns")
    ax.set(xlabel="rows n", ylabel="ms per iteration", title=title)
    _plain_log_ticks(ax, n)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _box(ax, x, y, w, h, text, color):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=color, ec="k"))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="->", mutation_scale=10, color="k"))


def reduction_figure(world_size: int = 4) -> Figure:
    """The data-parallel Lloyd iteration: shards, per-rank statistics, one ``all_reduce``, the
    same new centres everywhere."""
    w = int(world_size)
    fig, ax = plt.subplots(figsize=(8.0, 3.4))
    xs = np.linspace(0.02, 0.98 - 0.2, w)
    for r, x in enumerate(xs):
        _box(ax, x, 0.78, 0.2, 0.14, f"rank {r}: its rows\n[{r}n/{w}, {r + 1}n/{w})", "#dbe9f6")
        _box(ax, x, 0.48, 0.2, 0.16, f"labels, then\n$n_k^{{({r})}}, S_k^{{({r})}}, L^{{({r})}}$",
             "#fde9c9")
        _arrow(ax, (x + 0.1, 0.78), (x + 0.1, 0.65))
        _arrow(ax, (x + 0.1, 0.48), (0.5, 0.33))
    _box(ax, 0.25, 0.18, 0.5, 0.14,
         "all_reduce (sum): K(d+1)+2 float64 numbers\n$n_k=\\sum_r n_k^{(r)}$,  "
         "$S_k=\\sum_r S_k^{(r)}$,  $L=\\sum_r L^{(r)}$", "#e3f1dc")
    _box(ax, 0.3, 0.0, 0.4, 0.11, "every rank: $c_k \\leftarrow S_k / n_k$ (same centres)",
         "#eeeeee")
    _arrow(ax, (0.5, 0.18), (0.5, 0.12))
    ax.set(xlim=(0, 1), ylim=(-0.02, 0.95),
           title="One data-parallel Lloyd iteration: the rows stay put, the statistics travel")
    ax.axis("off")
    fig.tight_layout()
    return fig


def projection_figure(
    strong: Mapping[str, np.ndarray],
    weak: Mapping[str, np.ndarray],
    label: str,
    *,
    tree_strong: Mapping[str, np.ndarray] | None = None,
    tree_weak: Mapping[str, np.ndarray] | None = None,
) -> Figure:
    """Two :func:`~argmin_kmeans.distributed.scaling.project` tables of the ring model: strong
    scaling (compute, communication and total time per iteration against workers) and
    efficiency; optionally the same with an ideal tree (``algorithm="tree"``) for comparison,
    drawn thin and grey. ``label`` says where the inputs come from; the titles say it is a
    projection."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    p = strong["workers"]
    many = p > 1  # one worker communicates nothing
    a.loglog(p, strong["compute"] * 1e3, "o-", label="compute  t_call + ceil(n/p) t_row")
    a.loglog(p[many], strong["comm"][many] * 1e3, "s-.",
             label="ring all_reduce  2(p-1)(alpha + beta B/p)")
    a.loglog(p, strong["total"] * 1e3, "k--", label="total (ring)")
    if tree_strong is not None:
        a.loglog(p[many], tree_strong["comm"][many] * 1e3, "^:", color="0.5", lw=1.0,
                 label="ideal tree  ceil(log2 p)(alpha + beta B)")
    cross = crossover(strong)
    if cross is not None:
        a.axvline(cross, color="r", lw=1.0, ls=":",
                  label=f"ring >= compute from p = {cross}")
    a.set(xlabel="workers p", ylabel="ms per iteration", title="PROJECTION: strong scaling")
    a.legend(fontsize=6.5)
    b.semilogx(weak["workers"], weak["efficiency"], "o-", label="weak scaling (ring)")
    b.semilogx(strong["workers"], strong["efficiency"], "s--", label="strong scaling (ring)")
    if tree_weak is not None:
        b.semilogx(tree_weak["workers"], tree_weak["efficiency"], "^:", color="0.5", lw=1.0,
                   label="weak scaling (ideal tree)")
    b.set(xlabel="workers p", ylabel="efficiency", ylim=(0, 1.05),
          title="PROJECTION: efficiency")
    b.legend(fontsize=6.5)
    fig.suptitle(label, fontsize=8)
    fig.tight_layout()
    return fig


def inits_figure(final_losses: Mapping[str, Sequence[float]], passes: Mapping[str, int]) -> Figure:
    """Inertia after Lloyd from each init method (one dot per seed, the mean as a bar), with the
    passes over the data each init needs in the tick labels."""
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for i, (name, losses) in enumerate(final_losses.items()):
        v = np.asarray(losses, dtype=float)
        ax.plot(np.full(v.size, i) + np.linspace(-0.12, 0.12, v.size), v, "os^Dv"[i % 5],
                alpha=0.7, label=name)
        ax.hlines(v.mean(), i - 0.25, i + 0.25, color="k")
    ax.set_xticks(range(len(final_losses)),
                  [f"{m}\n({passes[m]} passes)" for m in final_losses])
    ax.set(ylabel="inertia after Lloyd", title="Init at scale: quality and passes over the data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scaling_projection_figure(small: bool = False) -> Figure:
    """The projection at fixed, stated inputs (not measurements): 10^7 rows (weak: 10^5 per
    worker), t_row = 100 ns, t_call = 50 us, K = d = 64 (a buffer of 33,296 bytes), a ring
    step of alpha = 20 us + beta = 0.1 ns per byte; the ideal tree for comparison."""
    kw: dict[str, Any] = {"t_row": 100e-9, "t_call": 50e-6, "alpha": 20e-6, "beta": 0.1e-9,
                          "nbytes": allreduce_bytes(64, 64)}
    workers = [2**i for i in range(15)]
    strong = project(workers, n_samples=10**7, **kw)
    weak = project(workers, n_samples=10**5, weak=True, **kw)
    tree_strong = project(workers, n_samples=10**7, algorithm="tree", **kw)
    tree_weak = project(workers, n_samples=10**5, weak=True, algorithm="tree", **kw)
    return projection_figure(
        strong, weak, "stated inputs, not measurements: n = 10^7 (weak: 10^5 per worker), "
        "t_row = 100 ns, t_call = 50 us, K = d = 64, alpha = 20 us, beta = 0.1 ns/byte",
        tree_strong=tree_strong, tree_weak=tree_weak)
