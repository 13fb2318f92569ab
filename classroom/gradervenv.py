"""``.venv-grader``: nbgrader in a venv of its own, on top of the course's ``.venv``.

nbgrader is not installed into the students' ``.venv``: its JupyterLab extensions would change
the students' JupyterLab. The grader venv is a plain ``python -m venv`` (without pip: the main
venv's pip runs in it) whose site-packages holds

* a ``.pth`` file that adds the main venv's site-packages *as a site directory* (so that its own
  ``.pth`` files, such as the editable install of ``argmin_kmeans``, are read too): the kernel
  nbgrader starts sees ``argmin_kmeans``, torch and the course's pins;
* exactly the pins of ``requirements-grader.lock`` (nbgrader and the four packages it adds),
  installed with ``--no-deps``; ``pip check`` then proves every other requirement is met by the
  main venv;
* a ``python3`` kernelspec for its own interpreter (found before any user or system one), and
  a link to the main venv's nbconvert templates (``nbgrader generate_feedback`` needs them).

nbgrader must run with ``.venv-grader/bin`` first on PATH: it calls ``alembic``.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

__all__ = ["GRADER", "grader_python", "nbgrader_bin", "purelib", "build_grader_venv"]

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / ".venv-grader"
PTH = "_argmin_kmeans_course_venv.pth"


def grader_python(root: Path = GRADER) -> Path:
    return root / "bin" / "python"


def nbgrader_bin(root: Path = GRADER) -> Path:
    return root / "bin" / "nbgrader"


def purelib(python: Path | str) -> str:
    return subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def build_grader_venv(root: Path = GRADER, lock: Path = REPO / "requirements-grader.lock",
                      timeout: float = 900) -> Path:
    """Create (or complete) the grader venv at ``root`` for the running interpreter's venv."""
    python = grader_python(root)
    if not python.exists():
        venv.EnvBuilder(with_pip=False, clear=False, symlinks=True).create(root)
    main_site = sysconfig.get_paths()["purelib"]
    (Path(purelib(python)) / PTH).write_text(f"import site; site.addsitedir({main_site!r})\n")
    # nbconvert's templates (for feedback) are data files of the main venv, not in site-packages
    templates = Path(sysconfig.get_paths()["data"]) / "share" / "jupyter" / "nbconvert"
    link = root / "share" / "jupyter" / "nbconvert"
    if templates.is_dir() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(templates, target_is_directory=True)

    def run(*args: str) -> None:
        subprocess.run([str(python), *args], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL)

    run("-m", "pip", "install", "--quiet", "--no-deps", "-r", str(lock))
    run("-m", "pip", "check")
    run("-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
        "--display-name", "Python 3")
    run("-c", "import argmin_kmeans, nbgrader, torch")
    return root


if __name__ == "__main__":
    print(build_grader_venv(Path(sys.argv[1]) if len(sys.argv) > 1 else GRADER))
