"""The README figures: one list, and ``make figures`` to regenerate them all.

:data:`FIGURES` maps a file stem to a builder ``build(small=False) -> Figure`` at fixed seeds.
``python -m argmin_kmeans.plotting.figures [outdir]`` writes ``<outdir>/<stem>.png`` for each
(``outdir`` defaults to ``figures``). ``small=True`` runs the same drawing code on small sizes
(coarse grids, few iterations, a small data set): the tests build every figure that way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from . import compare, landscape, relax, scaling, stochastic

__all__ = ["FIGURES", "main"]

#: Every README figure, by file stem, in the order of the lessons.
FIGURES: dict[str, Callable[..., Figure]] = {
    "loss_regions_1d": landscape.loss_regions_1d_figure,
    "region_minimisers_1d": landscape.region_minimisers_1d_figure,
    "loss_slice_1d": landscape.loss_slice_1d_figure,
    "lloyd_basins_1d": landscape.lloyd_basins_1d_figure,
    "voronoi_2d": landscape.voronoi_2d_figure,
    "centroid_landscape_2d": landscape.centroid_landscape_2d_figure,
    "gd_newton_trajectories": compare.gd_newton_trajectories_figure,
    "gd_step_size_regimes": compare.gd_step_size_regimes_figure,
    "method_comparison": compare.method_comparison_figure,
    "stochastic_race": stochastic.stochastic_race_figure,
    "relax_soft_kmeans": relax.soft_kmeans_figure,
    "relax_bias_variance": relax.bias_variance_figure,
    "scaling_projection": scaling.scaling_projection_figure,
}


def main(outdir: str = "figures", only: list[str] | None = None, *, small: bool = False) -> list[Path]:
    """Build the figures (all, or the stems in ``only``) and write ``outdir/<stem>.png``."""
    unknown = sorted(set(only or ()) - set(FIGURES))
    if unknown:
        raise ValueError(f"unknown figures {unknown}; choose from {list(FIGURES)}")
    paths = []
    Path(outdir).mkdir(parents=True, exist_ok=True)
    for stem, build in FIGURES.items():
        if only and stem not in only:
            continue
        path = Path(outdir) / f"{stem}.png"
        build(small=small).savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        paths.append(path)
        print(f"wrote {path}")
    return paths


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")
