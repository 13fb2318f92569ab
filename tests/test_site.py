"""`make site`: the course as a static HTML site that works offline, checked in a real browser.

The site is built once per module with the Makefile's command (jupyter-book 1.x, warnings are
errors) into a temporary directory, so the test never touches the checkout's ``_build/``. It is
served by ``http.server`` on a free 127.0.0.1 port and every page is opened in headless Chromium
(Debian's ``chromium`` through Playwright, launched by ``browser_support``), with every request
to another host aborted and recorded. Each page must show no console error, load nothing from
the network, load every image, typeset its math, and leave no output box empty; lesson 03 must
show its figures and its widgets as static views.

The Chinese edition is a second book in ``zh/`` (``site/zh/``, built from ``notebooks/zh/``, the
output of ``make zh``): its pages pass the same checks, and every page of both books carries a
language switch (``site/_ext/language_switch.py``) to the same page in the other language, so
that every page of one book is reachable from the other's switch. Without Chromium the browser
tests skip, except under ``CI=true``, where they fail (``browser_support.require_chromium``).
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import browser_support as bs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("0*.ipynb"))
LESSON03 = "notebooks/03_piecewise_quadratic_loss.html"
LESSON03_ZH = "zh/notebooks/zh/03_piecewise_quadratic_loss.html"
# every page of the site: the redirect at the top, the landing page, one page per lesson, and
# Sphinx's search and index pages; then the same for the Chinese book under zh/
EN_PAGES = (["index.html", "site/index.html", "INSTRUCTORS.html"]
            + [f"notebooks/{nb}.html" for nb in NOTEBOOKS]
            + ["search.html", "genindex.html"])
ZH_PAGES = (["zh/index.html", "zh/site/zh/index.html"]
            + [f"zh/notebooks/zh/{nb}.html" for nb in NOTEBOOKS]
            + ["zh/search.html", "zh/genindex.html"])
PAGES = EN_PAGES + ZH_PAGES
REDIRECTS = {"index.html": "site/index.html", "zh/index.html": "zh/site/zh/index.html"}
# the page each switch must open: a lesson its translation, a landing page the other one, any
# other page the other book's landing page
SWITCH = {**{rel: "zh/site/zh/index.html" for rel in EN_PAGES if rel not in REDIRECTS},
          **{rel: "site/index.html" for rel in ZH_PAGES if rel not in REDIRECTS},
          **{f"notebooks/{nb}.html": f"zh/notebooks/zh/{nb}.html" for nb in NOTEBOOKS},
          **{f"zh/notebooks/zh/{nb}.html": f"notebooks/{nb}.html" for nb in NOTEBOOKS}}
BUILD_TIMEOUT_S = 300
MS = bs.MS
LOCAL_HOSTS = {"127.0.0.1"}

# After "load": MathJax's first typesetting pass, then every widget view drawn (the manager
# inserts a .widget-subarea before each view's <script>), then every image decoded.
JS_SETTLE = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  const views = () => document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const drawn = () => Array.from(document.querySelectorAll('.widget-subarea'))
      .filter((el) => el.childElementCount > 0).length;
  for (let i = 0; i < 200 && drawn() < views(); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(Array.from(document.images).map((img) => img.decode().catch(() => null)));
}
"""

# What the page shows, read once it has settled.
JS_STATE = """
() => {
  const visible = (el) => el.innerText.trim().length > 0
      || el.querySelector('img, svg, canvas, mjx-container') !== null;
  return {
    images: Array.from(document.images).map((img) => ({
      src: img.currentSrc.slice(0, 120), complete: img.complete, width: img.naturalWidth,
      inWidget: img.closest('.widget-subarea') !== null})),
    mathSource: document.querySelectorAll('.math').length,
    mathTypeset: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    widgetViews: document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]').length,
    widgetsDrawn: Array.from(document.querySelectorAll('.widget-subarea'))
        .filter((el) => el.childElementCount > 0).length,
    emptyOutputs: Array.from(document.querySelectorAll('.cell_output'))
        .filter((el) => !visible(el)).map((el) => el.innerHTML.slice(0, 200)),
    explorers: Array.from(document.querySelectorAll('.ak-explorer')).map((el) => ({
      sliders: el.querySelectorAll('.ak-slider').length,
      readout: (el.querySelector('.ak-loss-readout') || {innerText: ''}).innerText,
      figureWidth: Math.max(0, ...Array.from(el.querySelectorAll('img.ak-figure, .ak-figure img'))
          .map((img) => img.naturalWidth))})),
    title: document.title,
  };
}
"""


# --------------------------------------------------------------------------- build and serve


def _jupyter_book(config: str, toc: str, out: Path) -> Path:
    """One ``jupyter-book build`` of ``make site`` into ``out/_build/html``; that path."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    if not jupyter_book.exists():
        pytest.fail(f"{jupyter_book} not found: jupyter-book is pinned in requirements.lock "
                    "(run `make venv`)", pytrace=False)
    cmd = [str(jupyter_book), "build", ".", "--config", config, "--toc", toc, "-W",
           "--path-output", str(out)]
    try:
        proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`make site`'s build took over {BUILD_TIMEOUT_S} s: {' '.join(cmd)}")
    log = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, f"the site build failed (warnings are errors):\n{log}"
    html_dir = out / "_build" / "html"
    assert (html_dir / "index.html").is_file(), f"no index.html in {html_dir}:\n{log}"
    return html_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site as ``make site`` does (the English book, then the Chinese one moved into
    its ``zh/``), into a temporary ``_build/html``; its path."""
    missing = [nb for nb in NOTEBOOKS if not (ROOT / "notebooks" / "zh" / f"{nb}.ipynb").exists()]
    assert not missing, (f"notebooks/zh/ lacks {missing}: `make zh` writes them once every "
                         "lesson is translated (python i18n/build.py check)")
    out = tmp_path_factory.mktemp("site")
    html_dir = _jupyter_book("site/_config.yml", "site/_toc.yml", out)
    zh_dir = _jupyter_book("site/zh/_config.yml", "site/zh/_toc.yml", out / "_build" / "zh")
    shutil.move(zh_dir, html_dir / "zh")
    return html_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """``site`` served on 127.0.0.1 (a port the OS picks); the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@dataclass
class Offline:
    """Every request of the browser context: local ones go through, others are aborted."""

    blocked: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Offline]]:
    chromium = bs.require_chromium()
    from playwright.sync_api import sync_playwright

    offline = Offline()
    with sync_playwright() as pw:
        context = bs.launch_chromium(pw, chromium, tmp_path_factory.mktemp("site-chromium"))
        try:
            context.set_default_timeout(60 * MS)
            context.route("**/*", offline.route)
            yield context, offline
        finally:
            context.close()


# --------------------------------------------------------------------------- one page


@dataclass
class PageVisit:
    url: str
    state: dict[str, Any]
    console_errors: list[str]
    failed: list[str]
    blocked: list[str]
    screenshot: Path | None = None

    def where(self) -> str:
        return f"{self.url} (screenshot: {self.screenshot})"


class Visits:
    """Each page opened once per module and shared by the tests that read it."""

    def __init__(self, server: str, browser: tuple[Any, Offline], shots: Path) -> None:
        self.server, (self.context, self.offline), self.shots = server, browser, shots
        self.done: dict[str, PageVisit] = {}

    def get(self, rel: str) -> PageVisit:
        if rel not in self.done:
            self.done[rel] = self._visit(rel)
        return self.done[rel]

    def _visit(self, rel: str) -> PageVisit:
        from playwright.sync_api import Error as PlaywrightError

        url = f"{self.server}/{rel}"
        page = self.context.new_page()
        errors: list[str] = []
        failed: list[str] = []
        page.on("console", lambda m: errors.append(m.text[:300]) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {str(exc)[:300]}"))
        page.on("requestfailed", lambda r: failed.append(f"{r.url[:150]} ({r.failure})"))
        page.on("response", lambda r: failed.append(f"{r.url[:150]} (HTTP {r.status})")
                if r.status >= 400 else None)
        n_blocked = len(self.offline.blocked)
        shot = self.shots / (rel.replace("/", "_").removesuffix(".html") + ".png")
        try:
            page.goto(url, wait_until="load", timeout=60 * MS)
            if rel in REDIRECTS:  # jupyter-book's redirect to the landing page
                page.wait_for_url(f"{self.server}/{REDIRECTS[rel]}", timeout=30 * MS)
                page.wait_for_load_state("load", timeout=60 * MS)
            page.evaluate(JS_SETTLE)
            page.wait_for_load_state("networkidle", timeout=30 * MS)
            state = page.evaluate(JS_STATE)
            page.screenshot(path=str(shot), full_page=True, timeout=30 * MS)
        except PlaywrightError as exc:
            page.screenshot(path=str(shot), timeout=30 * MS)
            raise AssertionError(f"{url}: {str(exc).splitlines()[0]}; console errors: "
                                 f"{errors[:5]}; screenshot: {shot}") from exc
        finally:
            page.close()
        return PageVisit(url, state, errors, failed, self.offline.blocked[n_blocked:], shot)


@pytest.fixture(scope="module")
def visits(server: str, browser: tuple[Any, Offline],
           tmp_path_factory: pytest.TempPathFactory) -> Visits:
    return Visits(server, browser, tmp_path_factory.mktemp("site-screenshots"))


# --------------------------------------------------------------------------- tests


class _Assets(html.parser.HTMLParser):
    """The URLs of the scripts, stylesheets, images and icons a page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.urls.append(str(a["src"]))
        if tag == "link" and a.get("href") and {"stylesheet", "icon", "preload"} & set(
                str(a.get("rel", "")).split()):
            self.urls.append(str(a["href"]))


def test_every_page_is_built_and_loads_no_asset_from_another_host(site: Path) -> None:
    """The built HTML itself (no browser): the expected pages, and no remote asset URL."""
    built = sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                   if "_static" not in p.relative_to(site).parts)
    assert built == sorted(PAGES), f"pages built {built}, pages tested {sorted(PAGES)}"
    for rel in PAGES:
        parser = _Assets()
        parser.feed((site / rel).read_text(encoding="utf-8"))
        remote = [u for u in parser.urls if urlsplit(u).scheme in ("http", "https")
                  or u.startswith("//")]
        assert not remote, f"{rel} would load from the network: {remote}"


def test_widget_state_is_embedded_in_lesson03(site: Path) -> None:
    nb = json.loads((ROOT / "notebooks" / "03_piecewise_quadratic_loss.ipynb").read_text())
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    text = (site / LESSON03).read_text(encoding="utf-8")
    assert 'type="application/vnd.jupyter.widget-state+json"' in text
    views = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in nb["cells"] for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "lesson 03 stores no widget view"
    for model_id in views:
        assert model_id in state, f"widget view {model_id} has no stored state"
        assert model_id in text, f"widget view {model_id} is not on the page"


@pytest.mark.parametrize("rel", PAGES)
def test_page_works_offline(visits: Visits, rel: str) -> None:
    visit = visits.get(rel)
    s = visit.state
    assert not visit.blocked, f"{visit.where()} asked another host for {visit.blocked[:5]}"
    assert not visit.console_errors, f"{visit.where()}: console errors {visit.console_errors[:5]}"
    assert not visit.failed, f"{visit.where()}: failed requests {visit.failed[:5]}"
    bad = [img for img in s["images"] if not img["complete"] or img["width"] == 0]
    assert not bad, f"{visit.where()}: images that did not load: {bad[:5]}"
    if s["mathSource"]:
        assert s["mathTypeset"] >= s["mathSource"], (
            f"{visit.where()}: {s['mathSource']} math elements, {s['mathTypeset']} typeset")
        assert s["mathErrors"] == 0, f"{visit.where()}: {s['mathErrors']} MathJax errors"
    assert s["widgetsDrawn"] == s["widgetViews"], (
        f"{visit.where()}: {s['widgetViews']} widget views, {s['widgetsDrawn']} drawn")
    assert not s["emptyOutputs"], f"{visit.where()}: empty output boxes {s['emptyOutputs'][:3]}"


@pytest.mark.parametrize("folder", ["notebooks", "zh/notebooks/zh"])
def test_lessons_have_their_math_typeset(visits: Visits, folder: str) -> None:
    """The per-page check only applies where there is math; the lessons must have some."""
    for nb in NOTEBOOKS[1:]:
        s = visits.get(f"{folder}/{nb}.html").state
        assert s["mathSource"] > 0 and s["mathTypeset"] >= s["mathSource"], (nb, s["mathSource"],
                                                                              s["mathTypeset"])


@pytest.mark.parametrize("rel", [LESSON03, LESSON03_ZH])
def test_lesson03_shows_its_figures_and_static_widgets(visits: Visits, rel: str) -> None:
    visit = visits.get(rel)
    s = visit.state
    nb = json.loads((ROOT / "notebooks" / "03_piecewise_quadratic_loss.ipynb").read_text())
    n_png = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    stored = [img for img in s["images"] if not img["inWidget"] and img["width"] > 0]
    assert len(stored) >= n_png, (
        f"{visit.where()}: {len(stored)} figures shown, the notebook stores {n_png}")
    assert len(s["explorers"]) == s["widgetViews"] == 3, f"{visit.where()}: {s['explorers']}"
    for i, explorer in enumerate(s["explorers"]):
        assert explorer["sliders"] >= 1, f"{visit.where()}: explorer {i} has no slider"
        assert "loss =" in explorer["readout"], f"{visit.where()}: explorer {i} readout"
        assert explorer["figureWidth"] > 0, f"{visit.where()}: explorer {i} shows no figure"


# --------------------------------------------------------------------------- the language switch


class _Switch(html.parser.HTMLParser):
    """The ``href`` of the language switch's link (``a.ak-lang-other``), if the page has one."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and "ak-lang-other" in str(a.get("class", "")).split():
            self.hrefs.append(str(a.get("href")))


def switch_target(site: Path, rel: str) -> str | None:
    """The page (relative to the site root) that ``rel``'s language switch opens."""
    parser = _Switch()
    parser.feed((site / rel).read_text(encoding="utf-8"))
    if not parser.hrefs:
        return None
    assert len(set(parser.hrefs)) == 1, f"{rel}: several language switches {parser.hrefs}"
    target = (site / rel).parent / parser.hrefs[0]
    return str(target.resolve().relative_to(site.resolve()))


@pytest.mark.parametrize("rel", sorted(SWITCH))
def test_every_page_has_a_language_switch_to_its_counterpart(site: Path, rel: str) -> None:
    target = switch_target(site, rel)
    assert target == SWITCH[rel], f"{rel}: the switch opens {target}, expected {SWITCH[rel]}"
    assert (site / target).is_file(), f"{rel}: the switch opens {target}, which is not built"


def test_every_page_is_reachable_from_the_other_languages_switch(site: Path) -> None:
    """Each lesson and landing page of one book is the switch target of a page of the other."""
    reached = {switch_target(site, rel) for rel in SWITCH}
    content = [rel for rel in PAGES if rel not in REDIRECTS
               and not rel.endswith(("search.html", "genindex.html", "INSTRUCTORS.html"))]
    missing = sorted(set(content) - reached)
    assert not missing, f"pages no language switch leads to: {missing}"


def test_the_chinese_book_is_in_chinese(site: Path) -> None:
    for rel in ZH_PAGES:
        text = (site / rel).read_text(encoding="utf-8")
        if rel not in REDIRECTS:
            assert '<html lang="zh-CN"' in text, rel
    for rel in EN_PAGES:
        if rel not in REDIRECTS:
            assert '<html lang="en"' in (site / rel).read_text(encoding="utf-8"), rel


def test_clicking_the_switch_opens_the_same_lesson_in_chinese_and_back(
        server: str, browser: tuple[Any, Offline]) -> None:
    context, _ = browser
    page = context.new_page()
    try:
        page.goto(f"{server}/{LESSON03}", wait_until="load", timeout=60 * MS)
        page.click("a.ak-lang-other", timeout=30 * MS)
        page.wait_for_url(f"{server}/{LESSON03_ZH}", timeout=30 * MS)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        page.click("a.ak-lang-other", timeout=30 * MS)
        page.wait_for_url(f"{server}/{LESSON03}", timeout=30 * MS)
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        page.close()
