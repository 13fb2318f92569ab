"""Every lesson in a real JupyterLab, in headless Chromium: Run All shows no error, lesson 03's
sliders move its loss readout and its figure, and its step buttons move the centres exactly as the
package's step rules predict (a Newton step lands on the minimiser of its region) and Reset
restores the start.

One JupyterLab server (127.0.0.1, free port, random token, throw-away Jupyter directories) serves
a temporary *copy* of ``notebooks/`` for the whole module; each notebook gets its own page and
kernel. Chromium is Debian's ``chromium`` driven by Playwright (no browser download). Without
Chromium these tests skip, except under ``CI=true``, where they fail. Helpers: ``browser_support``.
On failure the message names a screenshot under pytest's temporary directory.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import browser_support as bs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("0*.ipynb"))
LESSON03 = "03_piecewise_quadratic_loss.ipynb"
# Notebooks whose page (and kernel) stays open after Run All, for the widget tests.
KEEP_OPEN = {LESSON03}
SLIDER_KEYS = ("ArrowRight",) * 4  # four steps: a clear change, far from the slider's ends


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _first_number(text: str) -> float | None:
    """The first number in a readout such as ``loss = 407.8480 (samples per centre: 22, 15)``."""
    match = re.search(r"[-+\u2212]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", text)
    return float(match.group().replace("\u2212", "-")) if match else None


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-screenshots")


@pytest.fixture(scope="module")
def committed() -> dict[str, str]:
    """The committed notebooks' digests before any browser test ran."""
    return {name: _digest(NOTEBOOK_DIR / name) for name in NOTEBOOKS}


@pytest.fixture(scope="module")
def lab(chromium: str, committed: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.LabServer]:
    server = bs.LabServer.start(NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab"),
                                also_copy=(ROOT / "figures",))
    try:
        yield server
    finally:
        server.stop()


class Runs:
    """Each notebook opened and run once per module, shared by the tests that need it."""

    def __init__(self, lab: bs.LabServer, browser: Any, shots: Path) -> None:
        self.lab, self.browser, self.shots = lab, browser, shots
        self.done: dict[str, bs.NotebookRun] = {}
        self.failed: dict[str, AssertionError] = {}  # not retried: a timeout costs minutes

    def get(self, name: str) -> bs.NotebookRun:
        if name in self.failed:
            raise self.failed[name]
        if name not in self.done:
            try:
                self.done[name] = bs.run_notebook(self.browser, self.lab, f"notebooks/{name}",
                                                  self.shots)
            except AssertionError as exc:
                self.failed[name] = exc
                raise
        return self.done[name]

    def close(self, name: str) -> None:
        if name in self.done:
            bs.close_notebook(self.done[name])


@pytest.fixture(scope="module")
def runs(lab: bs.LabServer, browser: Any, shots: Path) -> Iterator[Runs]:
    store = Runs(lab, browser, shots)
    yield store
    for name in list(store.done):
        store.close(name)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_in_jupyterlab_shows_no_error(runs: Runs, name: str) -> None:
    run = runs.get(name)
    try:
        assert not run.problems, run.report()
    finally:
        if name not in KEEP_OPEN:
            runs.close(name)


def test_lesson03_slider_moves_loss_readout_and_figure(runs: Runs, shots: Path) -> None:
    run = runs.get(LESSON03)
    assert not run.problems, "Run All failed before the widgets could be tried:\n" + run.report()
    cells = bs.widget_cells(run.page)
    n_cells = cells.count()
    if n_cells == 0:
        shot = bs.screenshot(run.page, shots, "lesson03-no-widgets")
        pytest.fail(f"{LESSON03}: no cell output holds .ak-slider, .ak-loss-readout and "
                    f".ak-figure together after Run All; screenshot: {shot}")
    for i in range(n_cells):
        cell = cells.nth(i)
        move = bs.move_slider(run.page, cell, run.name, SLIDER_KEYS)
        output = cell.locator(".jp-Cell-outputArea").first
        shot = shots / f"lesson03-widget{i}-after-slider.png"
        output.screenshot(path=str(shot), timeout=30_000)
        what = f"widget cell {i}: {move}; screenshot: {shot}"
        assert move.slider[0] != move.slider[1], f"the slider did not move on {SLIDER_KEYS}; {what}"
        loss_before, loss_after = _first_number(move.readout[0]), _first_number(move.readout[1])
        assert loss_after is not None, f"the loss readout shows no number; {what}"
        assert loss_after != loss_before, f"the loss in the readout did not change; {what}"
        assert move.figure_changed, f"the figure did not change; {what}"
        errors = [t for t in cell.locator(
            '[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
            if "Traceback" in t or "Error" in t]
        assert not errors, f"moving the slider printed an error: {errors[0][:500]}; {what}"


def _readout(text: str) -> tuple[float, np.ndarray]:
    """The loss and the centres in a readout such as ``loss = 45.5000  c = (-5.0000, 5.0000)``."""
    loss = re.search(r"loss = (-?\d+\.\d+)", text)
    centres = re.search(r"c = \(([^)]*)\)", text)
    assert loss and centres, f"the readout shows no loss and centres: {text!r}"
    return float(loss.group(1)), np.array([float(v) for v in centres.group(1).split(",")])


def test_lesson03_step_buttons_move_the_readout_as_the_core_predicts(
        runs: Runs, shots: Path) -> None:
    """In lesson 03's (c1, c2) explorer (built on ``datasets.example_data_1d()``): Reset, then
    Newton lands on the minimiser of the region it starts in, ``landscape.region_quadratic``'s
    means, with its minimum loss; GD and Lloyd move as ``gd_step``/``lloyd_step`` say; Reset
    restores the readout and the figure."""
    import argmin_kmeans as ak
    from argmin_kmeans import datasets
    from argmin_kmeans import landscape as ls

    run = runs.get(LESSON03)
    assert not run.problems, "Run All failed before the buttons could be tried:\n" + run.report()
    page, name = run.page, run.name
    cells = bs.step_cell(page, "regions-1d")
    if cells.count() != 1:
        shot = bs.screenshot(page, shots, "lesson03-no-step-explorer")
        pytest.fail(f"{LESSON03}: {cells.count()} cells hold the (c1, c2) explorer with step "
                    f"buttons, expected 1; screenshot: {shot}")
    cell = cells.first
    X = datasets.example_data_1d()[:, None]
    where = f"screenshot: {shots / 'lesson03-steps.png'}"

    def shot() -> None:
        cell.screenshot(path=str(shots / "lesson03-steps.png"), timeout=30_000)

    _, start_text = bs.press(page, cell, "ak-reset", name)  # the slider test may have moved it
    start_png = bs.figure_pixels(cell)
    loss0, c0 = _readout(start_text)
    C0 = c0[:, None]
    assert loss0 == pytest.approx(float(ak.kmeans_loss(X, C0)), abs=6e-5), start_text
    q = ls.region_quadratic(X, ak.assign(X, C0), 2)
    assert ls.inside_own_region(X, q.means), "the lesson's start must sit in a fixed point's region"

    _, text = bs.press(page, cell, "ak-step-newton", name)
    shot()
    loss, c = _readout(text)
    assert np.abs(c - q.means[:, 0]).max() < 6e-5, f"Newton went to {c}, not {q.means[:, 0]}; {where}"
    assert loss == pytest.approx(q.within, abs=6e-5), f"{text!r} vs W_P = {q.within}; {where}"

    bs.press(page, cell, "ak-reset", name)
    lr = 1.0 / (2 * X.shape[0])  # the explorer's default learning rate
    C_gd = ak.gd_step(X, C0, lr)
    _, text = bs.press(page, cell, "ak-step-gd", name)
    loss, c = _readout(text)
    assert np.abs(c - C_gd[:, 0]).max() < 6e-5, f"GD went to {c}, not {C_gd[:, 0]}; {where}"
    assert loss == pytest.approx(float(ak.kmeans_loss(X, C_gd)), abs=6e-5), text
    C_ll = ak.lloyd_step(X, C_gd)
    _, text = bs.press(page, cell, "ak-step-lloyd", name)
    loss, c = _readout(text)
    assert np.abs(c - C_ll[:, 0]).max() < 6e-5, f"Lloyd went to {c}, not {C_ll[:, 0]}; {where}"
    moved_png = bs.figure_pixels(cell)
    assert moved_png != start_png, f"the figure did not change after two steps; {where}"

    _, text = bs.press(page, cell, "ak-reset", name)
    shot()
    assert text == start_text, f"Reset shows {text!r}, the start was {start_text!r}; {where}"
    assert bs.figure_pixels(cell) == start_png, f"Reset did not restore the figure; {where}"
    errors = [t for t in cell.locator(
        '[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
        if "Traceback" in t or "Error" in t]
    assert not errors, f"pressing the buttons printed an error: {errors[0][:500]}"


def test_saves_went_to_the_copy_and_notebooks_are_untouched(
        runs: Runs, lab: bs.LabServer, committed: dict[str, str]) -> None:
    """JupyterLab saved every notebook it ran into the served copy, never into ``notebooks/``.

    A committed notebook may change during the run only if someone else rewrote it: then it
    differs from what JupyterLab saved.
    """
    if not runs.done:
        pytest.skip("no notebook was run in this session")
    for name in runs.done:
        copy = lab.root / "notebooks" / name
        assert _digest(copy) != committed[name], f"JupyterLab's save did not reach {copy}"
        now = _digest(NOTEBOOK_DIR / name)
        assert now == committed[name] or now != _digest(copy), (
            f"the browser tests wrote JupyterLab's save into notebooks/{name}")


# --------------------------------------------------------------------------- `make lab-zh`

LESSON00_ZH = "notebooks/zh/00_start_here.ipynb"


def _zh_heading() -> str:
    """The first line of the Chinese lesson 00 (its title), as stored in notebooks/zh/."""
    nb = json.loads((ROOT / LESSON00_ZH).read_text(encoding="utf-8"))
    return "".join(nb["cells"][0]["source"]).splitlines()[0].lstrip("# ").strip()


def test_make_lab_zh_opens_the_chinese_lesson00_in_a_chinese_jupyterlab(
        browser: Any, shots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`make lab-zh`: the language pack selected by jupyter/settings-zh/overrides.json (menus in
    Chinese), the Chinese lesson 00 open and its kernel idle, nothing installed at run time."""
    assert (ROOT / LESSON00_ZH).exists(), "notebooks/zh/ is missing: run `make zh`"
    server, url = bs.start_make_target("lab-zh", tmp_path_factory.mktemp("make-lab-zh"))
    try:
        assert f"/lab/tree/{LESSON00_ZH}?token=" in url, f"make lab-zh printed {url}"
        setting = server.api("/lab/api/settings/@jupyterlab/translation-extension:plugin")
        assert setting["schema"]["properties"]["locale"]["default"] == "zh_CN", setting["schema"]
        page = bs.open_lab(browser, url, LESSON00_ZH, shots, "make-lab-zh")
        assert page.evaluate(bs.JS_CURRENT_PATH) == LESSON00_ZH
        page.wait_for_function("() => document.querySelectorAll('.lm-MenuBar-itemLabel').length"
                               " > 0", timeout=60 * bs.MS, polling=250)
        menus = page.evaluate(bs.JS_MENU_LABELS)
        shot = bs.screenshot(page, shots, "make-lab-zh-lesson00")
        assert "文件" in menus and "File" not in menus, f"menus {menus} ({shot})"
        heading = _zh_heading()
        page.wait_for_function(f"() => document.body.innerText.includes({json.dumps(heading)})",
                               timeout=60 * bs.MS, polling=250)
        bs._safe_eval(page, bs.JS_SHUTDOWN, LESSON00_ZH)
        page.close()
    finally:
        server.stop()


def test_make_lab_stays_english_with_the_language_pack_installed(
        browser: Any, shots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    server, url = bs.start_make_target("lab", tmp_path_factory.mktemp("make-lab-en"))
    try:
        page = bs.open_lab(browser, url, "notebooks/00_start_here.ipynb", shots, "make-lab-en")
        page.wait_for_function("() => document.querySelectorAll('.lm-MenuBar-itemLabel').length"
                               " > 0", timeout=60 * bs.MS, polling=250)
        menus = page.evaluate(bs.JS_MENU_LABELS)
        assert "File" in menus and "文件" not in menus, menus
        bs._safe_eval(page, bs.JS_SHUTDOWN, "notebooks/00_start_here.ipynb")
        page.close()
    finally:
        server.stop()
