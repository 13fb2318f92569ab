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

import torch
from hypothesis import settings

if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // _workers))

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
