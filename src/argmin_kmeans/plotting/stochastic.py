"""Lesson 05's picture: the race of stochastic and batch k-means, loss against passes.

:func:`plot_race` draws the results of :func:`argmin_kmeans.stochastic.race`;
:func:`stochastic_race_figure` builds the README figure (``small=True``: a small data set and
batches, for tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from ..datasets import race_data
from ..engine import History
from ..stochastic import race

__all__ = ["plot_race", "stochastic_race_figure"]


#: Line styles of :func:`plot_race`, by method: every method differs in line style or marker,
#: not in colour alone (online k-means and the question's SGD, green and red, must stay apart
#: for a red-green colour-blind reader: dash-dot with triangles up, dotted with triangles down).
_STYLE: dict[str, dict[str, Any]] = {
    "gd": {"color": "tab:gray", "marker": "s", "ls": "-"},
    "lloyd": {"color": "black", "marker": "o", "ls": "-"},
    "online": {"color": "tab:green", "marker": "^", "ls": "-."},
    "minibatch": {"color": "tab:blue", "ls": "-", "lw": 2.5},
    "sklearn": {"color": "tab:orange", "ls": "--", "lw": 1.5},
    "sgd": {"color": "tab:red", "marker": "v", "ls": ":", "lw": 2},
    "adam": {"color": "tab:purple", "marker": "D", "ls": (0, (6, 2, 1, 2))},
}


def plot_race(results: dict[str, History], axes=None):
    """Two panels: loss per sample, and excess over the best final loss, against passes (log x).

    Parameters
    ----------
    results : dict
        From :func:`race`.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(13, 5.4), layout="constrained")
    else:
        fig = axes[0].figure
    best = min(h.final_loss for h in results.values())
    floor = 1e-7  # an excess of 0 (the best run itself) is drawn here
    first = min(float(h.passes[1]) for h in results.values() if len(h.passes) > 1)
    right = max(float(h.passes[-1]) for h in results.values())
    for label, h in results.items():
        x = h.passes.copy()
        x[0] = first / 2  # the init, drawn at the left edge of the log axis
        y = np.asarray(h.loss, dtype=np.float64) / h.n_samples
        style = dict(_STYLE.get(h.method, {}))
        if h.method in ("gd", "lloyd"):
            # a batch method has not moved until its first full pass: draw steps, not slopes
            style["drawstyle"] = "steps-post"
            if x[-1] < right:  # converged: the loss stays put
                x, y = np.append(x, right), np.append(y, y[-1])
        axes[0].plot(x, y, label=label, ms=4, **style)
        excess = (y - best / h.n_samples) / (best / h.n_samples)
        axes[1].plot(x, np.maximum(excess, floor), label=label, ms=4, **style)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("passes over the data (samples processed / n_samples)")
        ax.axvline(1.0, color="0.8", lw=1, zorder=0)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("k-means loss per sample (full data)")
    axes[0].set_title("Full-data loss against work done (init at the left edge)")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("(loss - best final loss) / best final loss")
    axes[1].set_title("Excess loss over the best run (log-log)")
    axes[1].axhline(floor, color="0.6", ls=":", lw=1)
    axes[1].annotate("0 (the best run) drawn here", (first / 2, floor), xytext=(2, 3),
                     textcoords="offset points", fontsize=8, color="0.4")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    return fig


def stochastic_race_figure(small: bool = False) -> Figure:
    from sklearn.cluster import kmeans_plusplus

    n, batch = (6000, 200) if small else (200_000, 1000)
    X, _ = race_data(n_samples=n)
    init, _ = kmeans_plusplus(X, 15, random_state=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small batches: threads only add overhead; sums in a fixed order
    try:
        results = race(X, init, batch_size=batch)
    finally:
        torch.set_num_threads(threads)
    fig = Figure(figsize=(13, 5.4), layout="constrained")
    plot_race(results, fig.subplots(1, 2))
    fig.suptitle(
        f"Stochastic vs batch k-means on {X.shape[0]:,} samples (d={X.shape[1]}, K=15 clusters): "
        f"the same k-means++ init, the same batches of {batch}"
    )
    return fig
