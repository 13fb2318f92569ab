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

#: the kernel's backends (``argmin_kmeans.kernel``): "auto" (as shipped: small problems take
#: the small path), the compiled pass on every size, the torch loop on every size
BACKENDS = ["auto", "compiled", "torch"]


def require_compiled() -> None:
    """The compiled pass (``kernel/_fastpass``, built by ``make venv``), or a skip (a failure
    under CI=true: the course machines have a C compiler, so a missing build is a bug there)."""
    from argmin_kmeans import kernel

    st = kernel.compiled_state()
    if not st.available:
        message = f"the compiled pass is {st.reason}: the torch loop is used"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def kernel_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test on each backend of the kernel: every pass inside the test (public functions
    included) runs on it (``kernel.use_backend``), whatever the problem's size."""
    from argmin_kmeans import kernel

    if request.param == "compiled":
        require_compiled()
    with kernel.use_backend(request.param):
        yield request.param


# --------------------------------------------------------------------------- xdist


#: test files whose tests must run on one worker under ``pytest -n N``: they share expensive
#: module-scoped launches (tests/test_distributed.py: real processes)
ONE_WORKER = ("tests/test_distributed.py",)


@pytest.hookimpl(optionalhook=True)  # called only where pytest-xdist is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``pytest -n N``: the tests of each :data:`ONE_WORKER` file go to one worker; every
    other test is scheduled on its own, as with ``--dist load``. (xdist's ``loadgroup`` would do
    this with marks, but its test-id rewriting does not work with pytest 9's node ids.)"""
    if config.getvalue("dist") != "load":
        return None  # the user asked for another mode
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerFiles(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path in ONE_WORKER else nodeid

    return OneWorkerFiles(config, log)
