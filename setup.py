"""Build the compiled E-step (``src/argmin_kmeans/kernel/_fastpass.c``); everything else is in
pyproject.toml. ``pip install -e .`` (run by ``make venv``) compiles it.

Without a working C compiler the install **fails**, with a message that says what to do (pip
shows a failed build's output; a note printed by a successful build is hidden unless ``-v``).
To install without the compiled pass on purpose, set ``ARGMIN_KMEANS_PURE_TORCH=1``: the
package then runs its torch loop (the same labels, slower on CPU at small d), leaves a note
next to where the module would be (``kernel/_fastpass.skipped``), and
``argmin_kmeans.show_config()`` reports it.
"""

import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

# Tried in order: the first set of flags that compiles wins; [] is the compiler's defaults.
# No -march=native: on x86-64 the C file compiles itself for AVX-512, AVX2 and SSE2 and picks
# at load time, so the build also runs on other CPUs than the one that compiled it.
FLAGS = [["-O3"], []]
SOURCES = "src/argmin_kmeans/kernel"
MARKER = "_fastpass.skipped"


class CheckedBuildExt(build_ext):
    def build_extension(self, ext: Extension) -> None:
        marker = Path(self.get_ext_fullpath(ext.name)).with_name(MARKER)
        errors = []
        for flags in FLAGS if self.compiler.compiler_type != "msvc" else [["/O2"], []]:
            ext.extra_compile_args = flags
            try:
                super().build_extension(ext)
                marker.unlink(missing_ok=True)  # built: no stale note
                return
            except (CCompilerError, ExecError, PlatformError, OSError) as exc:  # the next flags
                errors.append(f"{' '.join(flags) or 'default flags'}: {exc}")
        if os.environ.get("ARGMIN_KMEANS_PURE_TORCH", "") == "1":
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(f"ARGMIN_KMEANS_PURE_TORCH=1 at install; the build failed: "
                              f"{errors[-1][:300]}\n")
            print(f"argmin_kmeans: installed WITHOUT the compiled E-step ({errors[-1]}); "
                  "ARGMIN_KMEANS_PURE_TORCH=1 was set, so the torch loop will run")
            return
        raise SystemExit(
            "\nargmin_kmeans: the compiled E-step (src/argmin_kmeans/kernel/_fastpass.c) did not "
            "build:\n  " + "\n  ".join(errors) + "\n"
            "Install a C compiler (Debian/Ubuntu: `sudo apt install build-essential`; Fedora: "
            "`sudo dnf install gcc`; macOS: `xcode-select --install`) and run the install again, "
            "or install without it on purpose with ARGMIN_KMEANS_PURE_TORCH=1 (the package then "
            "runs its torch loop: the same labels, slower on CPU at small d; "
            "argmin_kmeans.show_config() says which E-step runs).\n"
        )


setup(
    ext_modules=[
        Extension(
            "argmin_kmeans.kernel._fastpass",
            [f"{SOURCES}/_fastpass.c"],
            depends=[f"{SOURCES}/_fastpass_simd.h", f"{SOURCES}/_fastpass_impl.h",
                     f"{SOURCES}/_fastpass_pool.h"],
        )
    ],
    cmdclass={"build_ext": CheckedBuildExt},
)
