"""The lesson-03 widgets, driven from Python: move a slider, the readout and figure follow; press
a step button, the centres move exactly as the core's step functions say."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import ipywidgets as W
import numpy as np
import pytest

import argmin_kmeans as ak
from argmin_kmeans import datasets
from argmin_kmeans import landscape as ls
from argmin_kmeans import widgets as wg
from argmin_kmeans.plotting import plot_loss_regions_1d

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
    """A fresh explorer, for a test that moves it."""
    return BUILDERS[request.param]()


@pytest.fixture(scope="module")
def _built() -> dict:
    return {}


@pytest.fixture
def unmoved(_built: dict) -> Iterator[Callable[[Callable[[], wg.Explorer]], wg.Explorer]]:
    """``unmoved(build)``: one explorer per builder for this module's tests that only look at it
    (a build draws the whole figure, ~0.4 s). After each test, each explorer it got must still
    be as built, or the test fails: a test that moves one builds its own."""
    used: list[wg.Explorer] = []

    def get(build: Callable[[], wg.Explorer]) -> wg.Explorer:
        if build not in _built:
            _built[build] = build()
        used.append(_built[build])
        return _built[build]

    yield get
    for w in used:
        assert w.state["n_redraws"] == 1 and w.state["n_steps"] == 0, "a shared explorer moved"
        np.testing.assert_array_equal(w.centers, w._start)
        assert [s.value for s in w.sliders] == [w._start[k, d] for k, d in w._movable]


@pytest.fixture(params=sorted(BUILDERS))
def unmoved_explorer(request, unmoved) -> wg.Explorer:
    return unmoved(BUILDERS[request.param])


def test_builders_return_a_vbox_with_the_browser_hooks(unmoved_explorer: wg.Explorer) -> None:
    explorer = unmoved_explorer
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


def test_plain_text_says_what_the_view_is(unmoved_explorer: wg.Explorer) -> None:
    # where widgets are not drawn, the output's text/plain is shown instead of the view
    explorer = unmoved_explorer
    text = explorer._repr_mimebundle_()["text/plain"]
    assert text == repr(explorer) and "interactive view" in text and "Explorer(" not in text


def test_readout_is_the_loss_of_the_slider_positions(unmoved_explorer: wg.Explorer) -> None:
    explorer = unmoved_explorer
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
    np.testing.assert_array_equal(w.centers, target)
    assert [s.value for s in w.sliders] == target.ravel().tolist()
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        w.set_centers(np.zeros((2, 2)))


def test_set_centers_refuses_a_value_its_slider_would_clamp(unmoved) -> None:
    """Issue 9: (100, 100) used to be clamped silently to the slider's range."""
    w = BUILDERS["regions_1d"]()
    lo, hi = w.sliders[0].min, w.sliders[0].max
    with pytest.raises(ValueError, match=rf"centers\[0, 0\] = 100 is outside .*\[{lo:g}, {hi:g}\]"):
        w.set_centers([[100.0], [100.0]])
    with pytest.raises(ValueError, match="finite"):
        w.set_centers([[np.nan], [0.0]])
    np.testing.assert_array_equal(w.centers, [[-3.0], [1.0]])  # nothing moved
    assert w.state["n_redraws"] == 1
    land = unmoved(BUILDERS["landscape"])  # and it must not move (checked after the test)
    moved = C2.copy()
    moved[0, 0] += 0.5  # centre 0 has no slider in an explorer of centre 1
    with pytest.raises(ValueError, match="no slider"):
        land.set_centers(moved)


def test_plot_loss_regions_1d_with_identical_samples_draws_without_minima() -> None:
    """Issue 9: all-identical samples raised IndexError (no fixed point with two clusters)."""
    from matplotlib.figure import Figure

    ax = plot_loss_regions_1d(Figure().add_subplot(), np.ones(5), resolution=40)
    labels = ax.get_legend_handles_labels()[1]
    assert not any("minimum" in t for t in labels)
    # a tied fixed point is drawn apart from the minima
    ax = plot_loss_regions_1d(Figure().add_subplot(), np.array([0.0, 3.0, 4.0, 5.0]),
                               resolution=40)
    assert "fixed point with a tied sample (a kink, not a minimum)" in (
        ax.get_legend_handles_labels()[1])


def test_boundary_radii_refuses_a_fractional_index() -> None:
    """Issue 9: which=0.5 must not be truncated to 0."""
    with pytest.raises(TypeError, match=r"which=0\.5"):
        ls.boundary_radii(X2, C2, 0.5)


# --------------------------------------------------------------------------- step buttons

STEPPERS = {
    "regions_1d": lambda: wg.regions_1d_explorer(X1, -5.0, 5.0, resolution=60),
    "voronoi": BUILDERS["voronoi"],  # the same explorer: `unmoved` builds it once for both
}


@pytest.fixture(params=sorted(STEPPERS))
def stepper(request) -> wg.Explorer:
    """A fresh explorer with step buttons, for a test that moves it."""
    return STEPPERS[request.param]()


@pytest.fixture(params=sorted(STEPPERS))
def unmoved_stepper(request, unmoved) -> wg.Explorer:
    return unmoved(STEPPERS[request.param])


def click(w: wg.Explorer, key: str) -> None:
    w.buttons[key].click()  # the same callback a browser click reaches


def test_step_buttons_have_the_browser_hooks(unmoved_stepper: wg.Explorer) -> None:
    stepper = unmoved_stepper
    parts = list(walk(stepper))
    for key, cls in [("gd", "ak-step-gd"), ("lloyd", "ak-step-lloyd"),
                     ("newton", "ak-step-newton"), ("reset", "ak-reset")]:
        found = [p for p in parts if cls in p._dom_classes]
        assert found == [stepper.buttons[key]] and isinstance(found[0], W.Button)
    assert [p for p in parts if "ak-lr" in p._dom_classes] == [stepper.lr]
    assert stepper.lr not in stepper.sliders
    assert stepper.lr.value == pytest.approx(1 / (2 * stepper._X.shape[0]))


def test_each_button_is_the_core_step_and_extends_the_trail(stepper: wg.Explorer) -> None:
    X, c = stepper._X, stepper.centers
    stepper.lr.value = 3 * stepper.lr.min
    want = {"gd": lambda c: ak.gd_step(X, c, stepper.lr.value),
            "lloyd": lambda c: ak.lloyd_step(X, c), "newton": lambda c: ak.newton_step(X, c)}
    path = [c]
    for key in ("gd", "gd", "lloyd", "newton"):
        png = bytes(stepper.figure.value)
        click(stepper, key)
        moved = not np.allclose(want[key](c), c, atol=1e-9)  # Newton after Lloyd stays put
        c = want[key](c)
        path.append(c)
        np.testing.assert_array_equal(stepper.centers, c)
        assert stepper.loss == pytest.approx(float(ak.kmeans_loss(X, c)), rel=1e-12)
        assert readout_loss(stepper) == pytest.approx(stepper.loss, abs=6e-5)
        assert (bytes(stepper.figure.value) != png) == moved
    np.testing.assert_array_equal(stepper.trail, np.stack(path))
    assert stepper.state["n_steps"] == 4
    assert [s.value for s in stepper.sliders] == stepper.centers.ravel().tolist()


def test_newton_lands_on_the_minimiser_of_the_region_it_starts_in(stepper: wg.Explorer) -> None:
    X, c = stepper._X, stepper.centers
    q = ls.region_quadratic(X, ak.assign(X, c), c.shape[0])
    click(stepper, "newton")
    np.testing.assert_allclose(stepper.centers, q.means, atol=1e-12)
    if ls.inside_own_region(X, q.means):  # then the loss there is the quadratic's minimum
        assert stepper.loss == pytest.approx(q.within, rel=1e-12)
    assert stepper.loss <= q(stepper.centers) + 1e-9  # L = min over patterns <= Q_P


def test_newton_from_the_lesson_start_reaches_the_5_5_minimum() -> None:
    w = STEPPERS["regions_1d"]()
    click(w, "newton")
    q = ls.region_quadratic(X1, ak.assign(X1[:, None], np.array([[-5.0], [5.0]])), 2)
    assert q.counts.tolist() == [5, 5] and ls.inside_own_region(X1[:, None], q.means)
    assert readout_loss(w) == pytest.approx(q.within, abs=6e-5)
    assert "region 1111122222" in w.readout.value


def test_reset_restores_centres_sliders_readout_and_figure(stepper: wg.Explorer) -> None:
    start = stepper.state
    text, png = stepper.readout.value, stepper.figure.value
    ranges = [(s.min, s.max) for s in stepper.sliders]
    stepper.lr.value = stepper.lr.max  # overshoots every cluster: the centres fly out
    for _ in range(6):  # out of the sliders' ranges within 6 steps, on both (asserted next)
        click(stepper, "gd")
    assert np.abs(stepper.centers).max() > max(abs(v) for r in ranges for v in r)
    assert [(s.min, s.max) for s in stepper.sliders] != ranges  # widened, never clamped
    assert [s.value for s in stepper.sliders] == stepper.centers.ravel().tolist()
    click(stepper, "reset")
    np.testing.assert_array_equal(stepper.centers, start["centers"])
    np.testing.assert_array_equal(stepper.trail, start["centers"][None])
    assert [(s.min, s.max) for s in stepper.sliders] == ranges
    assert stepper.readout.value == text and stepper.figure.value == png
    assert stepper.state["n_steps"] == 0


def test_the_lr_slider_makes_creep_zigzag_two_cycle_and_blow_up() -> None:
    """From (-5, 5) the 5|5 split keeps its labels for these steps: centre k moves by the factor
    1 - 2 lr n_k = 1 - 10 lr towards its mean (-3.04, 2.92)."""
    w = STEPPERS["regions_1d"]()
    target = np.array([-3.04, 2.92])
    for lr, factor in [(0.01, 0.9), (0.15, -0.5), (0.2, -1.0)]:
        click(w, "reset")
        w.lr.value = lr
        for _ in range(2):
            click(w, "gd")
        gaps = w.trail[:, :, 0] - target
        np.testing.assert_allclose(gaps[1:], factor * gaps[:-1], atol=1e-12)
    np.testing.assert_allclose(w.trail[2], w.trail[0], atol=1e-12)  # lr = 0.2: a 2-cycle
    click(w, "reset")
    w.lr.value = 0.4
    for _ in range(10):
        click(w, "gd")
    assert np.abs(w.centers).max() > 100  # blow-up


def test_a_manual_move_starts_a_new_trail_and_a_slider_drag_is_cheap(unmoved) -> None:
    w = STEPPERS["regions_1d"]()
    click(w, "lloyd")
    assert len(w.trail) == 2
    w.sliders[1].value = 4.0
    np.testing.assert_array_equal(w.trail, w.centers[None])
    for blitted in (w, unmoved(BUILDERS["landscape"])):  # a static background: redraws while
        assert all(s.continuous_update for s in blitted.sliders)  # dragging
    assert not any(s.continuous_update for s in unmoved(BUILDERS["voronoi"]).sliders)


def test_a_slider_snapping_a_stepped_value_to_its_grid_is_not_a_move() -> None:
    """The browser's slider rounds a value set from Python to its step grid and sends it back;
    that echo must not overwrite the exact centres of a step (nor restart the trail)."""
    w = STEPPERS["regions_1d"]()
    click(w, "newton")
    exact, redraws = w.centers, w.state["n_redraws"]
    s = w.sliders[0]
    s.value = s.min + round((s.value - s.min) / s.step) * s.step  # what the browser sends back
    np.testing.assert_array_equal(w.centers, exact)
    assert len(w.trail) == 2 and w.state["n_redraws"] == redraws
    s.value = s.value + s.step  # one arrow key: a move
    assert w.centers[0, 0] == s.value and len(w.trail) == 1


def test_an_overflowing_step_is_refused_with_a_note() -> None:
    # lr = 1e20 (was 1e6: 40 clicks, each a redraw): the centres grow ~1e21-fold every other
    # step; the 14th click would take them past 1e150 and is refused, after the 13th they are
    # ~1e149 (a loss of ~1e299, nearer the largest float than 1e6 got: ~1e293), and that loss
    # must still be finite; the two clicks after the refusal are refused too
    w = wg.regions_1d_explorer(X1, -5.0, 5.0, resolution=40, lr=1e20)
    w.lr.max = 1e20
    w.lr.value = 1e20
    for _ in range(16):
        click(w, "gd")
    assert np.all(np.isfinite(w.centers)) and np.isfinite(w.loss)
    assert np.abs(w.centers).max() > 1e148 and w.state["n_steps"] == 13
    assert "refused" in w.readout.value


def test_step_needs_buttons_and_a_known_kind(unmoved) -> None:
    # refused before anything moves (`unmoved` checks that after the test)
    with pytest.raises(ValueError, match="no step buttons"):
        unmoved(BUILDERS["landscape"]).step("gd")
    with pytest.raises(ValueError, match="kind='adam'"):
        unmoved(STEPPERS["regions_1d"]).step("adam")


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
