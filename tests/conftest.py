"""Test-run settings.

* Hypothesis profiles: explore fresh random examples while developing; under CI (CI=true), use a
  fixed seed per test so a run is reproducible and a landing never hinges on a new example.
* Under pytest-xdist (``-n N``), each worker gets its share of the cores for torch's intra-op
  threads: N workers times the default thread count would oversubscribe the machine, and small
  threaded ops then wait on each other (measured: a figure test 2.1 s alone, 12 s contended).
  Tests of the threaded kernel pass their thread counts explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import torch
from hypothesis import settings

if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // _workers))

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


# --------------------------------------------------------------------------- browser fixtures
# (the real-browser tests: tests/test_browser.py, tests/test_first_minute.py; helpers in
# tests/browser_support.py)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, or a skip (a failure under CI=true)."""
    import browser_support as bs

    return bs.require_chromium()


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium context with a throw-away profile."""
    from playwright.sync_api import sync_playwright

    import browser_support as bs

    with sync_playwright() as pw:
        context = bs.launch_chromium(pw, chromium, tmp_path_factory.mktemp("chromium-profile"))
        try:
            yield context
        finally:
            context.close()


# --------------------------------------------------------------------------- the kernel's paths


def require_compiled() -> None:
    """The compiled pass (``_fastpass``, built by ``make venv``), or a skip (a failure under
    CI=true: the course machines have a C compiler, so a missing build is a bug there)."""
    from argmin_kmeans import _kernel

    if _kernel._fastpass is None:
        message = "the compiled pass was not built (no C compiler?): the torch loop is used"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def kernel_settings(**values: Any) -> Iterator[None]:
    """Set ``argmin_kmeans._kernel`` module settings (``SMALL_ELEMENTS``, ``use_compiled``,
    ``simd_level``, ...) for the duration of a ``with`` block, then restore them."""
    from argmin_kmeans import _kernel

    saved = {name: getattr(_kernel, name) for name in values}
    for name, value in values.items():
        setattr(_kernel, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(_kernel, name, value)


#: the settings that send every problem down the general path (no small path)
GENERAL_PATH = {"SMALL_ELEMENTS": 0, "SMALL_PLANE": 0}


@pytest.fixture(scope="module", params=["default", "compiled", "torch"])
def kernel_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test on each path of the kernel: as shipped (small problems take the small
    path), the general path by the compiled loop, and the general path by the torch loop.
    Module-scoped (hypothesis tests may use it); restores the settings it changes."""
    if request.param == "compiled":
        require_compiled()
    if request.param == "default":
        yield request.param
        return
    with kernel_settings(**GENERAL_PATH, use_compiled=request.param == "compiled"):
        yield request.param
