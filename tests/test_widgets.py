"""The lesson-03 widgets, driven from Python: move a slider, the readout and figure follow."""

from __future__ import annotations

import re

import ipywidgets as W
import numpy as np
import pytest

import argmin_kmeans as ak
from argmin_kmeans import datasets
from argmin_kmeans import widgets as wg

X2 = datasets.example_data_2d()
C2 = np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])
X1 = datasets.example_data_1d()

BUILDERS = {
    "voronoi": lambda: wg.voronoi_explorer(X2, C2, resolution=60),
    "landscape": lambda: wg.centroid_landscape_explorer(X2, C2, which=1, resolution=50),
    "regions_1d": lambda: wg.regions_1d_explorer(X1, -3.0, 1.0, resolution=60),
}


def readout_loss(w: wg.Explorer) -> float:
    m = re.search(r"loss = (-?[0-9.]+)", w.readout.value)
    assert m, w.readout.value
    return float(m.group(1))


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.fixture(params=sorted(BUILDERS))
def explorer(request) -> wg.Explorer:
    return BUILDERS[request.param]()


def test_builders_return_a_vbox_with_the_browser_hooks(explorer: wg.Explorer) -> None:
    assert isinstance(explorer, W.VBox)
    parts = list(walk(explorer))
    sliders = [p for p in parts if "ak-slider" in p._dom_classes]
    assert sliders == explorer.sliders and all(isinstance(s, W.FloatSlider) for s in sliders)
    readouts = [p for p in parts if "ak-loss-readout" in p._dom_classes]
    assert readouts == [explorer.readout] and isinstance(explorer.readout, W.HTML)
    figures = [p for p in parts if "ak-figure" in p._dom_classes]
    assert figures == [explorer.figure] and isinstance(explorer.figure, W.Image)
    assert explorer.figure.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.state["n_redraws"] == 1


def test_readout_is_the_loss_of_the_slider_positions(explorer: wg.Explorer) -> None:
    X = explorer._X
    want = float(ak.kmeans_loss(X, explorer.centers))
    assert readout_loss(explorer) == pytest.approx(want, abs=6e-5)
    assert explorer.loss == pytest.approx(want, rel=1e-12)


def test_moving_a_slider_updates_state_readout_and_figure(explorer: wg.Explorer) -> None:
    before = explorer.state
    text, png = explorer.readout.value, explorer.figure.value
    s = explorer.sliders[0]
    s.value = s.value + 40 * s.step
    after = explorer.state
    assert after["n_redraws"] == before["n_redraws"] + 1
    k, d = explorer._movable[0]
    assert after["centers"][k, d] == pytest.approx(s.value)
    want = float(ak.kmeans_loss(explorer._X, after["centers"]))
    assert after["loss"] == pytest.approx(want, rel=1e-12)
    assert after["loss"] != pytest.approx(before["loss"])
    assert explorer.readout.value != text
    assert readout_loss(explorer) == pytest.approx(after["loss"], abs=6e-5)
    assert explorer.figure.value != png


def test_set_centers_redraws_once() -> None:
    w = BUILDERS["voronoi"]()
    target = C2 + 0.5
    w.set_centers(target)
    assert w.state["n_redraws"] == 2
    np.testing.assert_allclose(w.centers, target, atol=max(s.step for s in w.sliders))
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        w.set_centers(np.zeros((2, 2)))


def test_landscape_explorer_moves_only_its_centre() -> None:
    w = BUILDERS["landscape"]()
    assert [s.description for s in w.sliders] == ["c1 x1", "c1 x2"]
    w.sliders[1].value = 0.0
    np.testing.assert_array_equal(w.centers[[0, 2]], C2[[0, 2]])
    assert w.centers[1, 1] == 0.0


def test_render_png_draws_a_figure() -> None:
    png = wg.render_png(lambda fig: fig.add_subplot().plot([0, 1]), (2.0, 2.0))
    assert png[:4] == b"\x89PNG"


def test_builders_validate() -> None:
    with pytest.raises(ValueError, match="2 features"):
        wg.voronoi_explorer(np.zeros((5, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="which=3"):
        wg.centroid_landscape_explorer(X2, C2, which=3)
    with pytest.raises(TypeError, match="int64"):
        wg.voronoi_explorer(np.zeros((5, 2), dtype=np.int64), np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="n_samples=1"):
        wg.regions_1d_explorer(np.array([1.0]), 0.0, 1.0)
