"""Helpers for ``tests/test_browser.py``: a throw-away JupyterLab server and headless Chromium.

The server serves a *copy* of ``notebooks/`` from a temporary root, with temporary config, data,
runtime, settings and workspace directories, so autosave and checkpoints never touch the
committed notebooks and nothing of the user's set-up leaks in. The browser is Debian's
``chromium`` driven by Playwright (``executable_path``, never a downloaded browser), with the
background-networking features switched off because the test machines have no internet.

What Run All produced (execution counts, outputs, tags) is read from JupyterLab's own notebook
model through ``window.jupyterapp`` (exposed with ``--LabApp.expose_app_in_browser``), not
scraped from the page; the widgets are driven like a student would, by keyboard, and read back
through the CSS classes agreed with ``argmin_kmeans.widgets`` (``ak-slider``, ``ak-loss-readout``,
``ak-figure``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium",)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# JupyterLab user settings for the throw-away settings dir: every cell in the DOM (no windowing,
# so widgets below the fold exist and can be driven), and no news/update checks (no internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
SERVER_START_TIMEOUT_S = 180.0
MS = 1000  # Playwright timeouts are in milliseconds
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in kernel tracebacks


# --------------------------------------------------------------------------- Chromium


def find_chromium() -> str | None:
    """The path of Debian's Chromium, or ``None`` where it is not installed."""
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Chromium's path; skip the calling test where it is missing, but fail under ``CI=true``.

    Playwright (the Python package) is required the same way.
    """
    in_ci = os.environ.get("CI", "").lower() == "true"
    path = find_chromium()
    problem = None
    if path is None:
        problem = ("Chromium not found (looked for /usr/bin/chromium and `chromium` on PATH); "
                   "install it with `apt-get install chromium` to run the browser tests")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the Python package playwright is not installed (pinned in requirements.lock)"
    if problem is None:
        assert path is not None
        return path
    if in_ci:
        pytest.fail(f"CI=true and {problem}", pytrace=False)
    pytest.skip(problem)


def launch_chromium(playwright: Any, executable: str, profile_dir: Path) -> Any:
    """A persistent headless Chromium context on a throw-away profile directory."""
    return playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1600}, timeout=120 * MS)


# --------------------------------------------------------------------------- JupyterLab server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A JupyterLab server started by the tests, on 127.0.0.1 with a random token.

    ``root`` is the temporary root it serves (``root / "notebooks"`` holds the copied notebooks).
    """

    proc: subprocess.Popen[bytes]
    port: int
    token: str
    root: Path
    base: Path
    log_path: Path
    _log_file: Any = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, rel_path: str) -> str:
        """The URL that opens ``rel_path`` alone (``?reset`` drops any saved workspace)."""
        return f"{self.url}/lab/tree/{rel_path}?reset&token={self.token}"

    @classmethod
    def start(cls, notebooks: Path, base: Path, also_copy: tuple[Path, ...] = ()) -> LabServer:
        """Copy ``notebooks`` (and ``also_copy``) under ``base/root`` and serve that root.

        Parameters
        ----------
        notebooks : Path
            The committed ``notebooks/`` folder; only its copy is served.
        base : Path
            An empty temporary directory for the copy and every Jupyter directory.
        also_copy : tuple of Path
            Sibling folders the notebooks may read by relative path (e.g. ``figures/``).
        """
        root = base / "root"
        shutil.copytree(notebooks, root / notebooks.name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for extra in also_copy:
            if extra.is_dir():
                shutil.copytree(extra, root / extra.name)
        dirs = {name: base / name for name in
                ("config", "data", "runtime", "settings", "workspaces", "ipython", "home")}
        for path in dirs.values():
            path.mkdir()
        for rel, value in LAB_SETTINGS.items():
            target = dirs["settings"] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # kernels pick their own backend, as for a student
        env.update({
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "IPYTHONDIR": str(dirs["ipython"]),
            "PYTHONUNBUFFERED": "1",
        })
        port, token = free_port(), secrets.token_hex(16)
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.terminals_enabled=False",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",  # no PyPI look-ups: there is no internet
        ]
        if os.geteuid() == 0:  # CI containers run as root
            cmd.append("--ServerApp.allow_root=True")
        log_path = base / "jupyterlab.log"
        log_file = log_path.open("wb")
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)  # noqa: PLW1509 (one prctl call)
        server = cls(proc, port, token, root, base, log_path, log_file)
        try:
            server.wait_ready(SERVER_START_TIMEOUT_S)
        except BaseException:
            server.stop()
            raise
        return server

    def api(self, path: str, method: str = "GET", timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; the decoded JSON (``None`` if empty)."""
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n_chars: int = 3000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-n_chars:]

    def wait_ready(self, timeout: float) -> None:
        """Poll ``/api/status`` until the server answers; fail with its log if it dies or hangs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode} before "
                                   f"answering; log {self.log_path}:\n{self.log_tail()}")
            try:
                self.api("/api/status", timeout=5.0)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer on {self.url} within {timeout:.0f} s; "
                           f"log {self.log_path}:\n{self.log_tail()}")

    def shutdown_kernels(self) -> None:
        """Shut down every kernel this server runs (best effort)."""
        try:
            for kernel in self.api("/api/kernels"):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=30.0)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            pass

    def stop(self) -> None:
        """Stop the server and every kernel it started; safe to call twice.

        Kernels run in their own sessions (``jupyter_client`` starts them with
        ``start_new_session``), so they are shut down through the API first, and any that
        survive are found by their connection file in this server's own runtime directory.
        """
        if self.proc.poll() is None:
            self.shutdown_kernels()
            for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for pid in _pids_mentioning(str(self.base / "runtime")):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self._log_file.closed:
            self._log_file.close()


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGTERM if pytest dies without its finalizers
    (e.g. killed by a CI timeout), so the server (which then stops its kernels) never outlives it.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _pids_mentioning(needle: str) -> list[int]:
    """Processes whose command line contains ``needle`` (our unique runtime dir), not ourselves."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline:
            pids.append(int(entry.name))
    return pids


# --------------------------------------------------------------------------- notebook in the page

# JavaScript run in the page. Each function finds the notebook panel by its path.
_FIND_PANEL = """
const findPanel = (path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
};
"""

JS_KERNEL_IDLE = _FIND_PANEL + """
(path) => {
  const panel = findPanel(path);
  if (!panel || !panel.context.isReady || !panel.sessionContext.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}
"""

JS_KERNEL_STATUS = _FIND_PANEL + """
(path) => {
  const panel = findPanel(path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return kernel ? kernel.status : 'no kernel';
}
"""

JS_CLEAR_AND_RUN_ALL = _FIND_PANEL + """
async (path) => {
  const app = window.jupyterapp;
  const panel = findPanel(path);
  app.shell.activateById(panel.id);
  await app.commands.execute('notebook:clear-all-cell-outputs');
  window.__akRun = {done: false, error: null};
  app.commands.execute('runmenu:run-all').then(
    () => { window.__akRun.done = true; },
    (err) => { window.__akRun.done = true; window.__akRun.error = String(err); });
  return panel.id;
}
"""

# Finished: the Run All promise settled, the kernel is idle, and either every non-empty code
# cell has an execution count or some cell shows an *unexpected* error (the kernel then aborts
# the rest). An error in a cell tagged raises-exception is expected: Run All goes on past it,
# so it must not end the wait (the kernel is briefly idle between cells).
JS_RUN_FINISHED = _FIND_PANEL + """
(path) => {
  const panel = findPanel(path);
  if (!panel || !window.__akRun || !window.__akRun.done) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.model.cells;
  let allRan = true, anyError = false;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    if (c.sharedModel.getSource().trim() && c.executionCount === null) allRan = false;
    const tags = (c.getMetadata && c.getMetadata('tags')) || [];
    if (tags.includes('raises-exception')) continue;
    for (let j = 0; j < c.outputs.length; j++) {
      if (c.outputs.get(j).type === 'error') anyError = true;
    }
  }
  return allRan || anyError;
}
"""

# Widget views render asynchronously: "Loading widget..." until the view or an error replaces it.
JS_WIDGETS_SETTLED = _FIND_PANEL + """
(path) => {
  const panel = findPanel(path);
  for (const node of panel.content.node.querySelectorAll('.jp-OutputArea-output')) {
    if (node.childElementCount === 0 && node.textContent.includes('Loading widget')) return false;
  }
  return true;
}
"""

JS_CELLS = _FIND_PANEL + """
(path) => {
  const panel = findPanel(path);
  const cells = panel.content.model.cells;
  const text = (t) => (Array.isArray(t) ? t.join('') : String(t || '')).slice(0, 4000);
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    const entry = {index: i, type: c.type, tags: c.getMetadata('tags') || [],
                   source: c.sharedModel.getSource().slice(0, 300),
                   execution_count: c.type === 'code' ? c.executionCount : null, outputs: []};
    if (c.type === 'code') {
      for (let j = 0; j < c.outputs.length; j++) {
        const o = c.outputs.get(j).toJSON();
        entry.outputs.push({
          output_type: o.output_type, name: o.name || null, text: text(o.text),
          ename: o.ename || null, evalue: o.evalue || null,
          traceback: (o.traceback || []).join('\\n').slice(-1500),
          mimes: o.data ? Object.keys(o.data) : []});
      }
    }
    out.push(entry);
  }
  return {cells: out, runError: window.__akRun ? window.__akRun.error : null,
          domText: panel.content.node.innerText.slice(0, 200000)};
}
"""

JS_SAVE = _FIND_PANEL + """
async (path) => { await findPanel(path).context.save(); return true; }
"""

JS_SHUTDOWN = _FIND_PANEL + """
async (path) => {
  const panel = findPanel(path);
  if (panel) { await panel.sessionContext.shutdown(); }
  return true;
}
"""


@dataclass
class NotebookRun:
    """A notebook opened in JupyterLab and run with Run All, and what the page showed."""

    name: str
    page: Any
    cells: list[dict[str, Any]]
    problems: list[str]
    seconds: float
    page_errors: list[str]
    screenshot: Path | None = None

    def report(self) -> str:
        lines = [f"{self.name}: {len(self.problems)} problem(s) after Run All in JupyterLab:"]
        lines += [f"  - {p}" for p in self.problems]
        if self.page_errors:
            lines.append("  JavaScript errors in the page: " + " | ".join(self.page_errors[:5]))
        if self.screenshot:
            lines.append(f"  screenshot: {self.screenshot}")
        return "\n".join(lines)


def screenshot(page: Any, shots: Path, stem: str) -> Path | None:
    """Save a full-page screenshot as ``shots/stem.png``; ``None`` if the page cannot."""
    path = shots / f"{stem}.png"
    try:
        page.screenshot(path=str(path), full_page=True, timeout=30 * MS)
    except Exception:  # noqa: BLE001 - a screenshot is a courtesy, never the failure itself
        return None
    return path


def find_problems(cells: list[dict[str, Any]], dom_text: str) -> list[str]:
    """What went wrong in an executed notebook model, one line each (empty when all is well).

    A cell tagged ``raises-exception`` may show an error, exactly as under nbconvert and nbval.
    """
    problems = []
    counts = []
    for cell in cells:
        if cell["type"] != "code":
            continue
        where = f"cell {cell['index']} ({cell['source'][:60]!r})"
        expected = "raises-exception" in cell["tags"]
        if cell["source"].strip():
            if cell["execution_count"] is None:
                problems.append(f"{where} never ran (no execution count)")
            else:
                counts.append(cell["execution_count"])
        for out in cell["outputs"]:
            if out["output_type"] == "error" and not expected:
                tail = _ANSI.sub("", out["traceback"])[-600:]
                problems.append(f"{where} raised {out['ename']}: {out['evalue']}\n"
                                + textwrap.indent(tail, "      | "))
            elif (out["output_type"] == "stream" and out["name"] == "stderr" and not expected
                  and ("Traceback" in out["text"] or "Error" in out["text"])):
                problems.append(f"{where} wrote an error to stderr: {out['text'][:300]!r}")
    if counts != sorted(counts) or len(set(counts)) != len(counts):
        problems.append(f"execution counts are not increasing: {counts}")
    if "Error displaying widget" in dom_text:
        problems.append("a widget failed to display ('Error displaying widget' in the page)")
    return problems


def run_notebook(context: Any, server: LabServer, rel_path: str, shots: Path,
                 run_timeout_s: float = 420.0) -> NotebookRun:
    """Open ``rel_path`` in a new page, wait for an idle kernel, clear outputs, Run All, read back
    the model, and save it (the server serves a copy, so this writes only the copy).

    Raises ``AssertionError`` (naming a screenshot) if a step fails or times out; problems seen
    in the executed notebook are returned in ``NotebookRun.problems`` instead.
    """
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)[:300]))
    stem = rel_path.replace("/", "_").removesuffix(".ipynb")
    step = "opening JupyterLab"
    start = time.monotonic()
    try:
        page.goto(server.notebook_url(rel_path), wait_until="domcontentloaded", timeout=120 * MS)
        step = "waiting for the kernel to be idle"
        page.wait_for_function(JS_KERNEL_IDLE, arg=rel_path, timeout=180 * MS, polling=250)
        step = "Run All"
        page.evaluate(JS_CLEAR_AND_RUN_ALL, rel_path)
        step = "waiting for Run All to finish"
        page.wait_for_function(JS_RUN_FINISHED, arg=rel_path, timeout=run_timeout_s * MS,
                               polling=500)
        seconds = time.monotonic() - start
        step = "waiting for the widgets to render"
        settled = _wait_quietly(page, JS_WIDGETS_SETTLED, rel_path, 60.0)
        state = page.evaluate(JS_CELLS, rel_path)
        step = "saving the notebook (into the server's copy)"
        page.evaluate(JS_SAVE, rel_path)
    except PlaywrightError as exc:
        shot = screenshot(page, shots, f"{stem}-failed")
        status = _safe_eval(page, JS_KERNEL_STATUS, rel_path)
        raise AssertionError(
            f"{rel_path}: {step} failed after {time.monotonic() - start:.0f} s "
            f"(kernel status: {status}): {str(exc).splitlines()[0]}\n  screenshot: {shot}\n"
            f"  JavaScript errors: {page_errors[:5]}\n  server log tail:\n{server.log_tail(1500)}"
        ) from exc
    problems = find_problems(state["cells"], state["domText"])
    if not settled:
        problems.append("a widget still showed 'Loading widget...' 60 s after Run All finished")
    if state["runError"]:
        problems.append(f"the Run All command failed: {state['runError']}")
    run = NotebookRun(rel_path, page, state["cells"], problems, seconds, page_errors)
    if problems:
        run.screenshot = screenshot(page, shots, f"{stem}-failed")
    return run


def _wait_quietly(page: Any, script: str, arg: Any, timeout_s: float) -> bool:
    """Wait for ``script(arg)`` to be truthy; ``False`` on timeout instead of raising."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout_s * MS, polling=250)
    except PlaywrightTimeout:
        return False
    return True


def close_notebook(run: NotebookRun) -> None:
    """Shut down the notebook's kernel and close its page (best effort)."""
    _safe_eval(run.page, JS_SHUTDOWN, run.name)
    with contextlib.suppress(Exception):  # best effort: the page may be gone already
        run.page.close()


def _safe_eval(page: Any, script: str, arg: Any) -> Any:
    try:
        return page.evaluate(script, arg)
    except Exception as exc:  # noqa: BLE001
        return f"<unavailable: {str(exc).splitlines()[0][:120]}>"


# --------------------------------------------------------------------------- widgets

JS_FIGURE_FINGERPRINT = """
(el) => {
  const parts = [];
  const all = (sel) => (el.matches(sel) ? [el] : []).concat(Array.from(el.querySelectorAll(sel)));
  for (const img of all('img')) parts.push('img:' + img.src);
  for (const c of all('canvas')) {
    try { parts.push('canvas:' + c.toDataURL()); } catch (e) { parts.push('canvas:?'); }
  }
  for (const s of all('svg')) parts.push('svg:' + s.outerHTML);
  return parts.join('|');
}
"""


def figure_fingerprint(locator: Any) -> str:
    """A string that changes when the figure inside ``locator`` is redrawn with other content
    (image sources, canvas pixels, SVG markup; a screenshot hash when it holds none of those).
    """
    print_ = locator.evaluate(JS_FIGURE_FINGERPRINT)
    if print_:
        return str(print_)
    import hashlib

    return "png:" + hashlib.sha256(locator.screenshot(timeout=30 * MS)).hexdigest()


@dataclass
class SliderMove:
    """What one keyboard move of an ``ak-slider`` changed in its cell's widget."""

    slider: tuple[str, str]
    readout: tuple[str, str]
    figure_changed: bool
    seconds: float


def widget_cells(page: Any) -> Any:
    """The code cells whose output holds the agreed hooks: ``.ak-slider``, ``.ak-loss-readout``
    and ``.ak-figure`` (see ``argmin_kmeans.widgets``).
    """
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    for cls in (".ak-slider", ".ak-loss-readout", ".ak-figure"):
        cells = cells.filter(has=page.locator(cls))
    return cells


def _slider_value(slider: Any) -> str:
    handle = slider.locator(".noUi-handle").first
    value = handle.get_attribute("aria-valuenow") or ""
    readout = slider.locator(".widget-readout")
    text = readout.first.inner_text() if readout.count() else ""
    return f"{value} {text}".strip()


def move_slider(page: Any, cell: Any, rel_path: str, keys: tuple[str, ...],
                timeout_s: float = 120.0, settle_s: float = 2.0) -> SliderMove:
    """Focus the first ``.ak-slider`` handle in ``cell``, press ``keys``, and wait until the widget
    has settled: the kernel idle and slider, readout and figure unchanged for ``settle_s`` seconds,
    with readout and figure both different from before (or ``timeout_s`` has passed).

    Each key press is one value change and one redraw in the kernel; the readout is rewritten
    before the figure, so a snapshot taken between two redraws can pair a new readout with an
    older figure. Waiting for a settled state avoids judging (or photographing) such a moment.
    """
    slider = cell.locator(".ak-slider").first
    readout = cell.locator(".ak-loss-readout").first
    figure = cell.locator(".ak-figure").first
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed(timeout=30 * MS)
    page.wait_for_function(JS_KERNEL_IDLE, arg=rel_path, timeout=120 * MS, polling=250)
    before = (_slider_value(slider), readout.inner_text(), figure_fingerprint(figure))
    start = time.monotonic()
    handle.focus()
    for key in keys:
        handle.press(key)
    now, last, same_since = before, None, time.monotonic()
    while time.monotonic() < start + timeout_s:
        page.wait_for_timeout(250)
        if page.evaluate(JS_KERNEL_STATUS, rel_path) != "idle":
            last = None
            continue
        now = (_slider_value(slider), readout.inner_text(), figure_fingerprint(figure))
        if now != last:
            last, same_since = now, time.monotonic()
            continue
        changed = now[1] != before[1] and now[2] not in ("", before[2])
        if changed and time.monotonic() - same_since >= settle_s:
            break
    return SliderMove((before[0], now[0]), (before[1], now[1]),
                      now[2] not in ("", before[2]), time.monotonic() - start)


# --------------------------------------------------------------------------- step buttons


def step_cell(page: Any, kind: str) -> Any:
    """The code cell whose output holds the explorer with the CSS class ``ak-explorer-<kind>``
    and its step buttons (``ak-step-gd``, ``ak-step-lloyd``, ``ak-step-newton``, ``ak-reset``)."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    for cls in (f".ak-explorer-{kind}", ".ak-step-gd", ".ak-step-lloyd", ".ak-step-newton",
                ".ak-reset", ".ak-loss-readout"):
        cells = cells.filter(has=page.locator(cls))
    return cells


def press(page: Any, cell: Any, button_class: str, rel_path: str,
          timeout_s: float = 60.0) -> tuple[str, str]:
    """Click the button with ``button_class`` in ``cell`` and wait until the kernel is idle and
    the readout has changed and stayed the same for half a second (or ``timeout_s`` passed).
    Reset (``ak-reset``) may leave the readout as it was: then 1.5 s of a quiet kernel suffice.

    Returns the readout's text before and after the click.
    """
    may_stay = button_class == "ak-reset"
    readout = cell.locator(".ak-loss-readout").first
    page.wait_for_function(JS_KERNEL_IDLE, arg=rel_path, timeout=timeout_s * MS, polling=100)
    before = readout.inner_text(timeout=10 * MS)
    button = cell.locator(f".{button_class}").first
    button.scroll_into_view_if_needed(timeout=10 * MS)
    button.click(timeout=10 * MS)
    deadline = time.monotonic() + timeout_s
    now, same_since = before, time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if page.evaluate(JS_KERNEL_STATUS, rel_path) != "idle":
            continue
        text = readout.inner_text(timeout=10 * MS)
        if text != now:
            now, same_since = text, time.monotonic()
        elif (now != before or may_stay) and time.monotonic() - same_since >= (
                1.5 if now == before else 0.5):
            break
    return before, now


def figure_pixels(cell: Any) -> str:
    """A hash of the explorer figure's rendered pixels (an ``<img>``'s blob URL changes on every
    redraw, even to the same picture; the pixels do not)."""
    import hashlib

    figure = cell.locator(".ak-figure").first
    return hashlib.sha256(figure.screenshot(timeout=30 * MS, animations="disabled")).hexdigest()


# --------------------------------------------------------------------------- `make lab`, `make lab-zh`

_PRINTED_URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/\S*)\?token=([0-9a-f]+)")
JS_MENU_LABELS = ("() => Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel'))"
                  ".map((el) => el.innerText.trim())")
JS_CURRENT_PATH = ("() => { const w = window.jupyterapp.shell.currentWidget; "
                   "return w && w.context ? w.context.path : null; }")


def make_recipe_command(target: str, curdir: Path) -> list[str]:
    """The Makefile's JupyterLab recipe for ``target`` (``lab``, ``lab-zh``) as an argument list.

    ``$(VENV)/bin/jupyter`` becomes the ``jupyter`` next to ``sys.executable``, ``$(CURDIR)`` the
    given directory and ``$(ALLOW_ROOT)`` what the Makefile gives for the current user; any other
    Make variable fails (it would be a recipe this function does not reproduce).
    """
    import shlex

    text = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = text.split(f"\n{target}: venv\n", 1)[1].split("\n\n", 1)[0]
    line = " ".join(part.strip() for part in recipe.replace("\\\n", " ").splitlines())
    line = line.replace("$(CURDIR)", str(curdir))
    line = line.replace("$(ALLOW_ROOT)", "--allow-root" if os.geteuid() == 0 else "")
    words = shlex.split(line)
    assert words[:2] == ["$(VENV)/bin/jupyter", "lab"], f"unexpected {target} recipe: {line}"
    left = [w for w in words[2:] if "$(" in w]
    assert not left, f"Make variables this test does not know in the {target} recipe: {left}"
    return [str(Path(sys.executable).with_name("jupyter")), "lab", *words[2:]]


def start_make_target(target: str, base: Path,
                      extra: tuple[str, ...] = ()) -> tuple[LabServer, str]:
    """Start ``make <target>``'s command line on a copy of the project's ``notebooks/`` and
    ``jupyter/`` under ``base/root``, every Jupyter directory fresh and empty, with the options
    in ``extra`` (``--Class.trait=value``) replacing the recipe's own; the server and the URL it
    printed (with its token)."""
    project = Path(__file__).resolve().parents[1]
    root = base / "root"
    for folder in ("notebooks", "jupyter"):
        shutil.copytree(project / folder, root / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copy(project / "requirements.lock", root / "requirements.lock")
    dirs = {name: base / name for name in
            ("config", "data", "runtime", "settings", "workspaces", "ipython")}
    for path in dirs.values():
        path.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPLBACKEND"))}
    env.update({
        "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]), "IPYTHONDIR": str(dirs["ipython"]),
        "PYTHONUNBUFFERED": "1",
    })
    port = free_port()
    cmd = make_recipe_command(target, root) + [
        "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True"]
    for arg in extra:  # replace, never repeat, an option: traitlets drops repeated ones
        key = arg.split("=", 1)[0] + "="
        cmd = [a for a in cmd if not a.startswith(key)] + [arg]
    log_path = base / "jupyterlab.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_die_with_parent)  # noqa: PLW1509 (one prctl call)
    server = LabServer(proc, port, "", root, base, log_path, log_file)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while (match := _PRINTED_URL.search(server.log_tail(20_000))) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`make {target}` printed no URL with a token (exit code "
                                   f"{proc.poll()}); log:\n{server.log_tail()}")
            time.sleep(0.5)
        assert int(match.group(1)) == port, match.group()
        server.token = match.group(3)
        server.wait_ready(SERVER_START_TIMEOUT_S)
    except BaseException:
        server.stop()
        raise
    return server, match.group()


def open_lab(browser: Any, url: str, path: str, shots: Path, stem: str) -> Any:
    """Open ``url``; wait until JupyterLab has restored its layout and ``path``'s kernel is idle;
    the page (a screenshot is named in the error if a step fails)."""
    from playwright.sync_api import Error as PlaywrightError

    page = browser.new_page()
    step = "opening the printed URL"
    try:
        page.goto(url, wait_until="domcontentloaded", timeout=120 * MS)
        step = "waiting for JupyterLab to start"
        page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)",
                               timeout=120 * MS, polling=250)
        step = "waiting for JupyterLab to restore its layout"
        page.evaluate("async () => { await window.jupyterapp.restored; return true; }")
        step = f"waiting for {path}'s kernel"
        page.wait_for_function(JS_KERNEL_IDLE, arg=path, timeout=120 * MS, polling=250)
        return page
    except PlaywrightError as exc:
        shot = screenshot(page, shots, f"{stem}-failed")
        raise AssertionError(f"{step} failed: {str(exc).splitlines()[0]}\n  screenshot: {shot}"
                             ) from exc
