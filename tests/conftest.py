"""Hypothesis profiles: explore fresh random examples while developing; under CI (CI=true), use
a fixed seed per test so a run is reproducible and a landing never hinges on a new example."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
