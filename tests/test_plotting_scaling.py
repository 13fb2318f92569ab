"""The figures of lesson 09 build from plain numbers and carry titles, labels and legends."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from argmin_kmeans.distributed import scaling as sc
from argmin_kmeans.plotting import scaling as plots

KW = {"t_row": 1e-7, "t_call": 1e-5, "alpha": 1e-4, "beta": 1e-9, "nbytes": 1000}

#: each figure from plain numbers; "registered" is :func:`plots.scaling_projection_figure`, from
#: the ``registered`` fixture (the two tests below only read it: it is built once)
BUILDS = {
    "memory": lambda: plots.memory_figure([10, 100], [5e6, 5e7], [1e6, 1e6], [4e6, 4e7]),
    "compute": lambda: plots.compute_figure([10, 100], {1: [1e-3, 1e-2], 2: [1e-3, 6e-3]},
                                            1e-4, 1e-4),
    "reduction": lambda: plots.reduction_figure(3),
    "projection": lambda: plots.projection_figure(
        sc.project([1, 2, 4], n_samples=1000, **KW),
        sc.project([1, 2, 4], n_samples=100, weak=True, **KW), "stated inputs"),
    "projection_with_tree": lambda: plots.projection_figure(
        sc.project([1, 2, 4], n_samples=1000, **KW),
        sc.project([1, 2, 4], n_samples=100, weak=True, **KW), "stated inputs",
        tree_strong=sc.project([1, 2, 4], n_samples=1000, algorithm="tree", **KW),
        tree_weak=sc.project([1, 2, 4], n_samples=100, weak=True, algorithm="tree", **KW)),
    "inits": lambda: plots.inits_figure({"a": [1.0, 2.0], "b": [0.5]}, {"a": 0, "b": 3}),
    "registered": None,
}


@pytest.fixture(scope="module")
def registered() -> Iterator[Figure]:
    fig = plots.scaling_projection_figure()
    yield fig
    plt.close(fig)


@pytest.mark.parametrize("name", list(BUILDS))
def test_figures_have_titles_and_labels(name: str, request: pytest.FixtureRequest) -> None:
    build = BUILDS[name]
    fig = request.getfixturevalue("registered") if build is None else build()
    try:
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_title()
            if ax.axison:
                assert ax.get_xlabel() or ax.get_xticklabels()
                assert ax.get_ylabel()
                assert ax.get_legend() is not None
    finally:
        if build is not None:
            plt.close(fig)


def test_the_registered_figure_is_labelled_a_projection_from_stated_inputs(
    registered: Figure,
) -> None:
    fig = registered
    assert all("PROJECTION" in ax.get_title() for ax in fig.axes)
    assert "not measurements" in fig._suptitle.get_text()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("ring" in t for t in labels) and any("ideal tree" in t for t in labels)
