"""``argmin_kmeans.show_config()``: versions, threads, and which E-step runs here and why (as
``numpy.show_config()`` and ``sklearn.show_versions()`` do for those packages)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from typing import Any, TextIO

import torch

from ._backend import (
    SMALL_ELEMENTS,
    SMALL_LOOP_D,
    SMALL_PLANE,
    compiled_state,
    default_backend,
    rule_text,
)

__all__ = ["config", "show_config"]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _package_version() -> str:
    from .. import __version__  # the package is imported by the time this is called

    return __version__


def _cpu() -> tuple[str, list[str]]:
    """The CPU's name and the vector instruction sets the kernel cares about."""
    name = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key = line.split(":", 1)[0].strip()
                if key == "model name" and name in ("", platform.machine()):
                    name = line.split(":", 1)[1].strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    wanted = [("avx512f", "AVX-512F"), ("avx2", "AVX2"), ("fma", "FMA"), ("sse2", "SSE2"),
              ("asimd", "NEON"), ("neon", "NEON")]
    return name, sorted({label for flag, label in wanted if flag in flags})


def _pool_started() -> int:
    from ._backend import _fastpass

    return int(_fastpass.pool()[0]) if _fastpass is not None else 0


def config() -> dict[str, Any]:
    """What :func:`show_config` prints, as a dict."""
    st = compiled_state()
    cpu, isa = _cpu()
    if st.available:
        build = st.builds[st.level]
        rule = rule_text(build)
        cpu_estep = f"compiled pass, {build} build, {rule}" + (
            "" if rule == "on every shape" else "; else the torch loop")
    else:
        build = None
        cpu_estep = "the torch loop (the compiled pass is not in use, see why)"
    return {
        "argmin_kmeans": _package_version(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu": cpu,
        "cpu_vector_isa": isa,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_parallel": torch.__config__.parallel_info().splitlines()[-1].strip()
        if "backend" in torch.__config__.parallel_info().splitlines()[-1] else "",
        "cuda": torch.version.cuda if torch.cuda.is_available() else None,
        "numpy": _version("numpy"),
        "scikit-learn": _version("scikit-learn"),
        "backend": default_backend(),
        "compiled_available": st.available,
        "compiled_reason": st.reason,
        "compiled_builds": list(st.builds),
        "compiled_cpu_build": st.builds[st.cpu_level] if st.cpu_level >= 0 else None,
        "compiled_build": build,
        "estep_cpu": cpu_estep,
        "estep_small": f"n k d <= {SMALL_ELEMENTS} or (d <= {SMALL_LOOP_D} and n k <= "
        f"{SMALL_PLANE}): direct differences (torch ops)",
        "estep_gpu": "the torch loop",
        "estep_threads": (
            f"up to {torch.get_num_threads()} (torch.get_num_threads()) on big problems: the "
            f"compiled pass runs the calling thread and its own POSIX worker threads in one C "
            f"call ({_pool_started()} started so far); the torch loop a Python thread pool"
        ),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith("ARGMIN_KMEANS_") or k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
    }


def show_config(file: TextIO | None = None) -> None:
    """Print versions, threads, and which E-step runs on this machine and why.

    The lines to paste into a bug report. "E-step" says whether the compiled pass is in use,
    which build (AVX-512, AVX2+FMA, SSE2, NEON), for which shapes, and why not when it is not
    (not built at install, turned off by ``ARGMIN_KMEANS_PURE_TORCH=1``).
    """
    c = config()
    out = file or sys.stdout
    isa = ", ".join(c["cpu_vector_isa"]) or "unknown"
    lines = [
        f"argmin_kmeans {c['argmin_kmeans']}",
        f"  python        {c['python']}",
        f"  platform      {c['platform']}; CPU: {c['cpu']} ({isa})",
        f"  torch         {c['torch']}; {c['torch_threads']} threads"
        + (f"; {c['torch_parallel']}" if c["torch_parallel"] else "")
        + (f"; CUDA {c['cuda']}" if c["cuda"] else "; no CUDA device"),
        f"  numpy         {c['numpy']}",
        f"  scikit-learn  {c['scikit-learn']} (imported only by argmin_kmeans.KMeans)",
        "E-step (argmin_kmeans.kernel)",
        f"  backend       {c['backend']}",
        f"  compiled pass {'in use' if c['compiled_available'] else 'NOT in use'}: "
        + c["compiled_reason"],
    ]
    if c["compiled_builds"]:
        lines.append(f"  builds        {', '.join(c['compiled_builds'])} compiled in; this CPU "
                     f"runs up to {c['compiled_cpu_build']}")
    lines += [
        f"  CPU data      {c['estep_cpu']}",
        f"  small         {c['estep_small']}",
        f"  GPU data      {c['estep_gpu']}",
        f"  threads       {c['estep_threads']}",
    ]
    if c["env"]:
        lines.append("  environment   " + ", ".join(f"{k}={v}" for k, v in c["env"].items()))
    print("\n".join(lines), file=out)
