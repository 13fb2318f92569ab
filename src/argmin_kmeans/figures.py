"""Regenerate every figure in ``figures/`` (``make figures``).

Each lesson module that draws figures for the README exposes ``FIGURES``: a dict from a file
stem to a zero-argument function that returns a ``matplotlib.figure.Figure`` built at fixed
seeds. This script collects them all and writes ``figures/<stem>.png``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Callable

#: Modules searched for a ``FIGURES`` registry, in order.
FIGURE_MODULES = (
    "argmin_kmeans.landscape",
    "argmin_kmeans.compare",
    "argmin_kmeans.stochastic",
)


def registry() -> dict[str, Callable[[], object]]:
    """All figure builders, by file stem."""
    out: dict[str, Callable[[], object]] = {}
    for name in FIGURE_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        for stem, fn in getattr(mod, "FIGURES", {}).items():
            if stem in out:
                raise ValueError(f"figure {stem!r} is defined twice (second time in {name})")
            out[stem] = fn
    return out


def main(outdir: str = "figures", only: list[str] | None = None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # this script only writes files
    import matplotlib.pyplot as plt

    paths = []
    Path(outdir).mkdir(parents=True, exist_ok=True)
    for stem, build in registry().items():
        if only and stem not in only:
            continue
        fig = build()
        path = Path(outdir) / f"{stem}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        paths.append(path)
        print(f"wrote {path}")
    return paths


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["figures"]))
