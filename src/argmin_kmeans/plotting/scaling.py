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

from ..distributed.scaling import crossover, project

__all__ = [
    "inits_figure",
    "memory_figure",
    "projection_figure",
    "reduction_figure",
    "scaling_projection_figure",
    "time_figure",
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
    code, the chunked core, and the size of the ``(k, n, d)`` difference tensor."""
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    ax.loglog(n_samples, np.asarray(question) / MiB, "o-", label="question's code (measured)")
    ax.loglog(n_samples, np.asarray(core) / MiB, "s-", label="chunked core (measured)")
    ax.loglog(n_samples, np.asarray(difference) / MiB, "k:", label="(k, n, d) tensor alone")
    ax.set(xlabel="n_samples", ylabel="peak extra memory (MiB)",
           title="Memory of one iteration")
    _plain_log_ticks(ax, n_samples)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def time_figure(
    n_samples: Sequence[int],
    seconds_n: Sequence[float],
    sizes: Sequence[int],
    rate_k: Sequence[float],
    rate_d: Sequence[float],
    gemm: float,
) -> Figure:
    """Left: seconds per Lloyd iteration against ``n_samples`` (log-log, with the linear trend
    through the last point). Right: achieved FLOP/s :math:`2nkd/t` against ``k`` and against
    ``d`` (both over ``sizes``), under the measured GEMM rate."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    n = np.asarray(n_samples, dtype=float)
    t = np.asarray(seconds_n, dtype=float)
    a.loglog(n, t * 1e3, "o-", label="measured")
    a.loglog(n, t[-1] * 1e3 * n / n[-1], "k:", label="proportional to n")
    a.set(xlabel="n_samples", ylabel="ms per iteration", title="Time is linear in n")
    _plain_log_ticks(a, n)
    a.legend(fontsize=8)
    b.semilogx(sizes, np.asarray(rate_k) / 1e9, "o-", label="vary k (d fixed)")
    b.semilogx(sizes, np.asarray(rate_d) / 1e9, "s-", label="vary d (k fixed)")
    b.axhline(gemm / 1e9, color="k", ls="--", label="GEMM rate (torch.mm)")
    b.set(xlabel="k or d", ylabel="GFLOP/s  (2 n k d / t)", title="Rate against a matrix product",
          ylim=(0, None))
    b.legend(fontsize=8)
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
         "all_reduce (sum): k(d+1)+2 float64 numbers\n$n_k=\\sum_r n_k^{(r)}$,  "
         "$S_k=\\sum_r S_k^{(r)}$,  $L=\\sum_r L^{(r)}$", "#e3f1dc")
    _box(ax, 0.3, 0.0, 0.4, 0.11, "every rank: $c_k \\leftarrow S_k / n_k$ (same centres)",
         "#eeeeee")
    _arrow(ax, (0.5, 0.18), (0.5, 0.12))
    ax.set(xlim=(0, 1), ylim=(-0.02, 0.95),
           title="One data-parallel Lloyd iteration: the rows never move, the statistics do")
    ax.axis("off")
    fig.tight_layout()
    return fig


def projection_figure(
    strong: Mapping[str, np.ndarray], weak: Mapping[str, np.ndarray], label: str
) -> Figure:
    """Two :func:`~argmin_kmeans.distributed.scaling.project` tables: strong scaling (compute,
    communication and total time per iteration against workers) and weak-scaling efficiency.
    ``label`` says where the inputs come from; the title says it is a projection."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.0, 3.5))
    p = strong["workers"]
    a.loglog(p, strong["compute"] * 1e3, "o-", label="compute  ceil(n/p) t_row")
    many = p > 1  # one worker communicates nothing
    a.loglog(p[many], strong["comm"][many] * 1e3, "s-", label="all_reduce (model)")
    a.loglog(p, strong["total"] * 1e3, "k--", label="total")
    cross = crossover(strong)
    if cross is not None:
        a.axvline(cross, color="r", lw=0.8, label=f"communication dominates: p = {cross}")
    a.set(xlabel="workers p", ylabel="ms per iteration", title="PROJECTION: strong scaling")
    a.legend(fontsize=7)
    b.semilogx(weak["workers"], weak["efficiency"], "o-", label="weak scaling efficiency")
    b.semilogx(strong["workers"], strong["efficiency"], "s-", label="strong scaling efficiency")
    b.set(xlabel="workers p", ylabel="efficiency", ylim=(0, 1.05),
          title="PROJECTION: efficiency")
    b.legend(fontsize=7)
    fig.suptitle(label, fontsize=8)
    fig.tight_layout()
    return fig


def inits_figure(final_losses: Mapping[str, Sequence[float]], passes: Mapping[str, int]) -> Figure:
    """Inertia after Lloyd from each init method (one dot per seed, the mean as a bar), with the
    passes over the data each init needs in the tick labels."""
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for i, (name, losses) in enumerate(final_losses.items()):
        v = np.asarray(losses, dtype=float)
        ax.plot(np.full(v.size, i) + np.linspace(-0.12, 0.12, v.size), v, "o", alpha=0.7,
                label=name)
        ax.hlines(v.mean(), i - 0.25, i + 0.25, color="k")
    ax.set_xticks(range(len(final_losses)),
                  [f"{m}\n({passes[m]} passes)" for m in final_losses])
    ax.set(ylabel="inertia after Lloyd", title="Init at scale: quality and passes over the data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scaling_projection_figure(small: bool = False) -> Figure:
    """The projection at fixed, stated inputs (not measurements): 10^7 rows, k = d = 64,
    t_row = 100 ns, a = 50 us, b = 1 GB/s."""
    kw: dict[str, Any] = {"n_samples": 10**7, "t_row": 100e-9, "n_clusters": 64,
                          "n_features": 64, "latency": 50e-6, "bandwidth": 1e9}
    workers = [2**i for i in range(15)]
    strong = project(workers, **kw)
    weak = project(workers, weak=True, **dict(kw, n_samples=10**5))
    return projection_figure(
        strong, weak, "stated inputs, not measurements: n = 10^7 (weak: 10^5 per worker), "
        "k = d = 64, t_row = 100 ns, latency 50 us, bandwidth 1 GB/s")

