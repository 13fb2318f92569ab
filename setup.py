"""Build the optional compiled pass (``src/argmin_kmeans/_fastpass.c``); everything else is in
pyproject.toml. ``pip install -e .`` (run by ``make venv``) compiles it; without a working C
compiler the install still succeeds and the package uses its pure-torch loop (same labels)."""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

# Tried in order: the first set of flags that compiles wins; [] is the compiler's defaults.
# No -march=native: on x86-64 Linux the C file compiles itself for AVX-512, AVX2 and SSE2 and
# picks at load time, so the build also runs on other CPUs than the one that compiled it.
FLAGS = [["-O3"], []]


class OptionalBuildExt(build_ext):
    def build_extension(self, ext: Extension) -> None:
        for flags in FLAGS if self.compiler.compiler_type != "msvc" else [["/O2"], []]:
            ext.extra_compile_args = flags
            try:
                super().build_extension(ext)
                return
            except (CCompilerError, ExecError, PlatformError, OSError) as exc:  # try the next flags
                last = exc
        print(
            f"argmin_kmeans: the optional compiled pass was not built ({last}); "
            "the pure-torch loop will be used",
            file=sys.stderr,
        )


setup(
    ext_modules=[
        Extension("argmin_kmeans._fastpass", ["src/argmin_kmeans/_fastpass.c"], optional=True)
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
