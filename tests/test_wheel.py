"""The wheel a student installs: no worked solutions, no reference-answer helpers, one version.

``pip wheel --no-deps`` builds the project as pip would install it (from a copy of the files a
build reads, so the checkout is not touched), and the tests read the wheel's file list and its
check modules. The worked solutions live in ``instructor/`` (not a package of the project);
the check modules verify answers by properties or experiments inside the checks, or by a hash.
"""

from __future__ import annotations

import ast
import email
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import argmin_kmeans

ROOT = Path(__file__).resolve().parents[1]

#: every test here reads the built wheel: `make test` runs them, the unit loop (`make unit`) not
pytestmark = pytest.mark.packaging

#: Helpers that once returned a reference answer from a check module (issue 21 and the lessons
#: as they were): none may come back, under any lesson.
REFERENCE_HELPERS = {
    "_threshold", "_tie_truth", "true_categories", "_steps_with_point", "_local_minima",
    "_region_minimiser", "_one_sided", "_lloyd_ends", "_contraction", "_hot_em_step",
    "_smallest_lr", "_newton", "_memory_shares", "_samples_needed", "_exact", "_reference",
    "_answer", "_solution", "reference_answer", "solution", "_ends", "_rho_mean",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "LICENSE",
                 "LICENSE-CONTENT"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns(
        "__pycache__", "*.so", "*.egg-info", "_fastpass.skipped"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(src)],
                   check=True, timeout=900, capture_output=True)
    (whl,) = out.glob("*.whl")
    return whl


def test_wheel_holds_no_solutions(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "argmin_kmeans/exercises/__init__.py" in names  # the checks ship ...
    assert [n for n in names if re.fullmatch(r"argmin_kmeans/exercises/lesson\d\d\.py", n)]
    leaks = [n for n in names if "solution" in n.lower() or "instructor" in n.lower()]
    assert not leaks, f"the wheel ships instructor material: {leaks}"  # ... the answers don't


def test_check_modules_hold_no_reference_helpers(wheel: Path) -> None:
    """No check module defines (or imports) a helper that returns a reference answer."""
    with zipfile.ZipFile(wheel) as z:
        modules = {n: z.read(n).decode() for n in z.namelist()
                   if re.fullmatch(r"argmin_kmeans/exercises/\w+\.py", n)}
    found = {}
    for name, text in modules.items():
        tree = ast.parse(text)
        defined = {n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.col_offset == 0}
        imported = {a.asname or a.name for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        imports_solutions = any("solution" in (getattr(n, "module", "") or "")
                                for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
        bad = (defined | imported) & REFERENCE_HELPERS
        if bad or imports_solutions:
            found[name] = sorted(bad) + (["imports solutions"] if imports_solutions else [])
    assert not found, f"reference-answer helpers in the wheel's check modules: {found}"


def test_one_version(wheel: Path) -> None:
    """The version is defined once, in argmin_kmeans/__init__.py; the build reads it there."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    init = (ROOT / "src" / "argmin_kmeans" / "__init__.py").read_text()
    assert len(re.findall(r"^__version__ = ", init, flags=re.MULTILINE)) == 1
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(z.read(meta_name))
        licences = [n for n in z.namelist() if ".dist-info/licenses/" in n]
    assert meta["Version"] == argmin_kmeans.__version__ == "0.3.0"
    assert wheel.name.startswith(f"argmin_kmeans-{argmin_kmeans.__version__}-")
    assert meta["License-Expression"] == "MIT" and any(n.endswith("/LICENSE") for n in licences)
