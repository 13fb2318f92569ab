"""Every plot of the course: ``plot_*(ax, ...)`` functions that draw on a given Matplotlib Axes.

One module per lesson layer it draws: :mod:`~argmin_kmeans.plotting.landscape` (lesson 03:
the piecewise-quadratic loss), :mod:`~argmin_kmeans.plotting.compare` (lesson 04: methods and
step sizes), :mod:`~argmin_kmeans.plotting.stochastic` (lesson 05: the race). Each module also
builds its README figures; :mod:`~argmin_kmeans.plotting.figures` lists them all and writes
``figures/*.png`` (``make figures``). The names below are re-exported for the lessons:
``from argmin_kmeans import plotting; plotting.plot_voronoi(ax, X, centers)``.
"""

from .compare import (
    plot_contraction_theory,
    plot_loss_curves,
    plot_n_changed,
    plot_signed_errors,
    plot_trajectories_1d,
)
from .landscape import (
    plot_basins_1d,
    plot_centroid_landscape,
    plot_loss_regions_1d,
    plot_parabola_1d,
    plot_region_minimisers_1d,
    plot_slice_1d,
    plot_voronoi,
)
from .stochastic import plot_race

__all__ = [
    "plot_basins_1d",
    "plot_centroid_landscape",
    "plot_contraction_theory",
    "plot_loss_curves",
    "plot_loss_regions_1d",
    "plot_n_changed",
    "plot_parabola_1d",
    "plot_race",
    "plot_region_minimisers_1d",
    "plot_signed_errors",
    "plot_slice_1d",
    "plot_trajectories_1d",
    "plot_voronoi",
]
