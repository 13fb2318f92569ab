"""The first minute of a new user, in a real JupyterLab and headless Chromium: the URL that
``make lab`` prints opens lesson 00 (not the Launcher), with no "Jupyter news?" pop-up on top.

The server is started with the ``lab`` recipe of the Makefile itself (read from the Makefile, with
``$(CURDIR)`` a throw-away copy of the project's ``notebooks/`` and ``jupyter/``), plus only what
a test needs: a free port, no browser of its own, and ``window.jupyterapp`` exposed to read the
open document. The token is the server's own random one: the test opens exactly the URL the
server printed. Every Jupyter directory (config, data, runtime, user settings, workspaces) is a
fresh empty one, so nothing of the machine's set-up helps or hinders. A control run with an
empty settings directory shows the pop-up, so the check can see it when it is there.
Helpers (Chromium, free port, server stop): ``browser_support``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import browser_support as bs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LESSON00 = "notebooks/00_start_here.ipynb"
NEWS = "get notified about official Jupyter news"
MS = bs.MS

JS_RESTORED = "async () => { await window.jupyterapp.restored; return true; }"
JS_APP_READY = "() => !!(window.jupyterapp && window.jupyterapp.shell)"
# The document in the main area's current tab, and what else the main area holds.
JS_MAIN_AREA = """
() => {
  const app = window.jupyterapp;
  const current = app.shell.currentWidget;
  return {
    current: current && current.context ? current.context.path : null,
    widgets: Array.from(app.shell.widgets('main')).map(
      (w) => (w.context ? w.context.path : w.id)),
    launchers: document.querySelectorAll('.jp-Launcher').length,
  };
}
"""
JS_TOASTS = "() => Array.from(document.querySelectorAll('.Toastify__toast')).map(t => t.innerText)"


def start_make_lab(base: Path, extra: tuple[str, ...] = ()) -> tuple[bs.LabServer, str]:
    """Start the ``make lab`` command line on a copy of the project under ``base/root``, with
    the options in ``extra`` replacing the recipe's own (``browser_support.start_make_target``).

    Returns the server and the URL it printed (with its token).
    """
    return bs.start_make_target("lab", base, extra)


def open_printed_url(browser: Any, url: str, shots: Path, stem: str) -> tuple[Any, dict]:
    """Open ``url`` in a new page; wait until JupyterLab is restored and lesson 00's kernel is
    idle; return the page and what the main area holds."""
    from playwright.sync_api import Error as PlaywrightError

    page = browser.new_page()
    step = "opening the printed URL"
    try:
        page.goto(url, wait_until="domcontentloaded", timeout=120 * MS)
        step = "waiting for JupyterLab to start"
        page.wait_for_function(JS_APP_READY, timeout=120 * MS, polling=250)
        step = "waiting for JupyterLab to restore its layout"
        page.evaluate(JS_RESTORED)
        step = "waiting for lesson 00's kernel"
        page.wait_for_function(bs.JS_KERNEL_IDLE, arg=LESSON00, timeout=120 * MS, polling=250)
        return page, page.evaluate(JS_MAIN_AREA)
    except PlaywrightError as exc:
        shot = bs.screenshot(page, shots, f"{stem}-failed")
        raise AssertionError(f"{step} failed: {str(exc).splitlines()[0]}\n  screenshot: {shot}"
                             ) from exc


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("first-minute-screenshots")


def test_printed_url_opens_lesson00_without_news_popup(
        browser: Any, shots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    server, url = start_make_lab(tmp_path_factory.mktemp("make-lab"))
    try:
        assert f"/lab/tree/{LESSON00}?token=" in url, f"make lab printed {url}"
        setting = server.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        assert setting["schema"]["properties"]["fetchNews"]["default"] == "false", setting
        page, main = open_printed_url(browser, url, shots, "make-lab")
        assert main["current"] == LESSON00, main
        assert main["widgets"] == [LESSON00] and main["launchers"] == 0, main
        # The pop-up comes right after JupyterLab is restored: give it time to show, then look.
        page.wait_for_timeout(5_000)
        toasts = page.evaluate(JS_TOASTS)
        shot = bs.screenshot(page, shots, "make-lab-lesson00")
        assert not any(NEWS in t for t in toasts), f"news pop-up shown: {toasts} ({shot})"
        assert NEWS not in page.inner_text("body", timeout=30 * MS)
        bs._safe_eval(page, bs.JS_SHUTDOWN, LESSON00)
        page.close()
    finally:
        server.stop()


def test_without_the_course_settings_the_news_popup_shows(
        browser: Any, shots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The control: the same command line with an empty settings folder shows the pop-up, so the
    test above would see it."""
    base = tmp_path_factory.mktemp("make-lab-control")
    empty = base / "no-settings"
    empty.mkdir()
    server, url = start_make_lab(base, (f"--LabApp.app_settings_dir={empty}",))
    try:
        page, main = open_printed_url(browser, url, shots, "control")
        assert main["current"] == LESSON00, main
        page.wait_for_function(f"() => document.body.innerText.includes({NEWS!r})",
                               timeout=60 * MS, polling=250)
        bs._safe_eval(page, bs.JS_SHUTDOWN, LESSON00)
        page.close()
    finally:
        server.stop()
