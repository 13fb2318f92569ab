"""Which implementation of the pass runs: the backend argument, the compiled pass's state, and
the measured rule that picks between the compiled pass and the torch loop, per build.

Backends
--------
``"compiled"``
    The compiled pass (``_fastpass.c``) on every problem size; a ``RuntimeError`` saying why
    when it is not available (not built, turned off), a ``ValueError`` for data it cannot take
    (a GPU tensor).
``"torch"``
    The torch chunk loop on every problem size (any device).
``"auto"`` (the default)
    Small problems (``n k d <= SMALL_ELEMENTS``, or ``d <= SMALL_LOOP_D`` and
    ``n k <= SMALL_PLANE``) take the small path (direct differences, a dozen torch ops); else
    the compiled pass where it is available and the measured rule of its build says it is
    faster (:data:`COMPILED_RULE`); else the torch loop.

The default for calls that pass no backend (every public function) is ``"auto"``; a
``with use_backend("torch"):`` block changes it for the calls made inside it, in that thread
(tests run every accuracy test on each backend this way). The choice never depends on a module
global that a test overwrites: :func:`plan` says which path a problem takes, and every
:class:`~argmin_kmeans.kernel.PassResult` records the path that ran.

The compiled pass is off when it was not built (no C compiler at install, allowed only with
``ARGMIN_KMEANS_PURE_TORCH=1``) or ``ARGMIN_KMEANS_PURE_TORCH=1`` is set when the package is
imported. ``ARGMIN_KMEANS_BUILD=<name>`` (one of ``_fastpass.builds()``, e.g. ``AVX2+FMA``)
makes "auto" and "compiled" use that build instead of the widest the CPU runs (benchmarks of
another CPU's build). ``show_config()`` prints all of it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Literal, NamedTuple

import torch

__all__ = [
    "Backend",
    "BACKENDS",
    "SMALL_ELEMENTS",
    "SMALL_LOOP_D",
    "SMALL_PLANE",
    "COMPILED_RULE",
    "CompiledState",
    "Plan",
    "rule_text",
    "compiled_state",
    "use_backend",
    "default_backend",
    "plan",
]

Backend = Literal["auto", "compiled", "torch"]
BACKENDS: tuple[Backend, ...] = ("auto", "compiled", "torch")

_fastpass: ModuleType | None
_import_error: str | None = None
try:  # the compiled pass (setup.py builds it)
    from . import _fastpass
except ImportError as exc:  # pragma: no cover - depends on the install
    _fastpass = None
    _import_error = f"{type(exc).__name__}: {exc}"

#: Problems with at most this many direct differences (``n * k * d``) take the small path
#: under "auto", and so do problems with at most :data:`SMALL_LOOP_D` features and
#: ``n * k <= SMALL_PLANE``.
SMALL_ELEMENTS = 2**12
SMALL_LOOP_D = 4
SMALL_PLANE = 2**14

#: Per build of the compiled pass, ``(max_d, wide_k)``: "auto" runs it when
#: ``d <= max_d or k >= wide_k`` and the torch loop otherwise. The compiled pass's cost per
#: sample is about ``d`` strided loads (the transposition into SIMD lanes) plus ``k d / lanes``
#: multiply-adds; with many features and few centres the loads dominate and BLAS's product
#: can win. Measured per build with ``benchmarks/bench_lloyd.py --only rule`` (ns per sample,
#: one thread, compiled / torch loop; tables in benchmarks/README.md): AVX-512 0.46 at
#: (1M, 16, 32), 0.68 at (100k, 64, 64), 0.90 at (200k, 200, 20), 1.23 at (100k, 128, 4);
#: AVX2+FMA (an AVX2-only CPU, Zen 3) 0.30-0.72 from d = 2 to 200 at every k measured (4 to 64;
#: from d = 96 its centres-across-lanes loop); SSE2 0.4-0.8 up to d = 32, 0.95-1.5 from d = 64. NEON has SSE2's width: its rule is SSE2's
#: (not measured on an ARM machine).
COMPILED_RULE: dict[str, tuple[int, int]] = {
    "AVX-512": (64, 16),
    "AVX2+FMA": (2**31, 1),  # every shape measured
    "SSE2": (32, 2**31),
    "NEON": (32, 2**31),
    "baseline": (32, 2**31),
}


def rule_text(build: str) -> str:
    """Where "auto" runs ``build`` (for show_config and the benchmarks' header)."""
    max_d, wide_k = COMPILED_RULE.get(build, (64, 16))
    if max_d >= 2**31 or wide_k <= 1:
        return "on every shape"
    if wide_k >= 2**31:
        return f"where d <= {max_d}"
    return f"where d <= {max_d} or k >= {wide_k}"


class CompiledState(NamedTuple):
    """The compiled pass in this process: whether "auto" may use it, and why (not)."""

    available: bool  # built, importable, not turned off
    reason: str  # one sentence: why it is (not) used
    builds: tuple[str, ...]  # the builds compiled into the .so, by level
    cpu_level: int  # the widest build this CPU runs (-1: not built)
    level: int  # the build "auto"/"compiled" run (ARGMIN_KMEANS_BUILD may pick a narrower one)


_state: CompiledState | None = None


def _skipped_marker() -> str | None:
    """The note setup.py leaves when it installed without the compiled pass, if any."""
    marker = Path(__file__).with_name("_fastpass.skipped")
    return marker.read_text().strip() if marker.is_file() else None


def compiled_state() -> CompiledState:
    """The compiled pass's state (computed once per process; the environment variables are read
    then). An unknown ``ARGMIN_KMEANS_BUILD`` is a ``ValueError``."""
    global _state
    if _state is not None:
        return _state
    if _fastpass is None:
        skipped = _skipped_marker()
        why = (f"not built at install ({skipped})" if skipped else
               f"not importable ({_import_error}); rebuild with `pip install -e .` (a C compiler "
               f"is needed) or set ARGMIN_KMEANS_PURE_TORCH=1 to run the torch loop on purpose")
        _state = CompiledState(False, why, (), -1, -1)
        return _state
    builds = tuple(_fastpass.builds())
    cpu = int(_fastpass.level())
    level = cpu
    forced = os.environ.get("ARGMIN_KMEANS_BUILD", "")
    if forced:
        if forced not in builds[: cpu + 1]:
            raise ValueError(
                f"ARGMIN_KMEANS_BUILD={forced!r} is not a build this CPU runs; "
                f"choose one of {list(builds[: cpu + 1])} or unset it"
            )
        level = builds.index(forced)
    if os.environ.get("ARGMIN_KMEANS_PURE_TORCH", "") == "1":
        _state = CompiledState(False, "built, but turned off by ARGMIN_KMEANS_PURE_TORCH=1",
                               builds, cpu, level)
    else:
        why = f"ARGMIN_KMEANS_BUILD={forced}" if forced else "the widest this CPU runs"
        _state = CompiledState(True, f"{builds[level]} build ({why})", builds, cpu, level)
    return _state


_default: ContextVar[Backend] = ContextVar("argmin_kmeans_backend", default="auto")


def default_backend() -> Backend:
    """The backend of calls that pass none: ``"auto"`` unless inside :func:`use_backend`."""
    return _default.get()


@contextmanager
def use_backend(backend: Backend) -> Iterator[None]:
    """Run the passes of the calls inside the ``with`` block (in this thread) on ``backend``.

    >>> import argmin_kmeans as ak, torch
    >>> with ak.kernel.use_backend("torch"):
    ...     labels = ak.assign(torch.zeros(3, 2), torch.ones(1, 2))
    """
    token = _default.set(check_backend(backend))
    try:
        yield
    finally:
        _default.reset(token)


def check_backend(backend: object) -> Backend:
    for b in BACKENDS:
        if backend == b and isinstance(backend, str):
            return b
    raise ValueError(f"backend must be one of {list(BACKENDS)}, got backend={backend!r}")


class Plan(NamedTuple):
    """Which path a pass takes: ``path`` is ``"small"``, ``"compiled"`` or ``"torch"``;
    ``level`` the compiled build (-1 for torch paths); ``why`` one sentence."""

    path: str
    level: int
    why: str


_warned = False


def _warn_missing_once() -> None:
    """A missing compiled pass is never silent: one warning per process, unless the install
    or the environment asked for the torch loop."""
    global _warned
    if _warned or _fastpass is not None or _skipped_marker() is not None:
        return
    if os.environ.get("ARGMIN_KMEANS_PURE_TORCH", "") == "1":
        return
    _warned = True
    warnings.warn(
        f"argmin_kmeans: the compiled pass is {compiled_state().reason}; the E-step runs the "
        f"torch loop "
        f"(same labels, slower on CPU at small d). argmin_kmeans.show_config() shows the setup.",
        RuntimeWarning,
        stacklevel=4,
    )


def plan(
    n: int, k: int, d: int, dtype: torch.dtype, device: torch.device,
    backend: Backend | None = None, level: int | None = None,
) -> Plan:
    """The path a pass over ``(n, d)`` data of ``dtype`` on ``device`` with ``k`` centres takes
    on ``backend`` (default: :func:`default_backend`). ``level`` picks a compiled build
    (tests compare them; default: the state's). Raises when ``"compiled"`` cannot run."""
    b = default_backend() if backend is None else check_backend(backend)
    if b == "torch":
        return Plan("torch", -1, "backend='torch'")
    if b == "compiled":
        st = compiled_state()
        if not st.available:
            raise RuntimeError(f"backend='compiled' cannot run: the compiled pass is {st.reason}")
        if device.type != "cpu" or dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"backend='compiled' takes float32/float64 CPU data, got {dtype} on {device}; "
                f"use backend='auto' or 'torch'"
            )
        return Plan("compiled", _level(st, level), "backend='compiled'")
    if n * k * d <= SMALL_ELEMENTS or (d <= SMALL_LOOP_D and n * k <= SMALL_PLANE):
        return Plan("small", -1, "a small problem: direct differences")
    if device.type != "cpu" or dtype not in (torch.float32, torch.float64):
        return Plan("torch", -1, f"{dtype} on {device}: the torch loop")
    st = compiled_state()
    if not st.available:
        _warn_missing_once()
        return Plan("torch", -1, f"the compiled pass is {st.reason}")
    lv = _level(st, level)
    max_d, wide_k = COMPILED_RULE.get(st.builds[lv], (64, 16))
    if d <= max_d or k >= wide_k:
        return Plan("compiled", lv, f"{st.builds[lv]} build, {rule_text(st.builds[lv])}")
    return Plan("torch", -1, f"the {st.builds[lv]} build is slower than BLAS here "
                f"(it runs {rule_text(st.builds[lv])})")


def _level(st: CompiledState, level: int | None) -> int:
    if level is None:
        return st.level
    if not 0 <= level <= st.cpu_level:
        raise ValueError(f"level={level}: this CPU runs compiled builds 0..{st.cpu_level}")
    return level
