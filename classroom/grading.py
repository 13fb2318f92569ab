"""Autograde submissions with nbgrader, offline, and read the grades back (tests, rehearsal).

An instructor grades with nbgrader's own commands in ``release/instructor`` (see
INSTRUCTORS.md). This module does the same steps for ``tests/test_release.py``: it makes
submissions from the student edition — the worked solutions filled in, nothing filled in, or
given answers — puts them in a throw-away copy of the course directory, runs ``nbgrader
autograde`` and ``nbgrader export`` without network, with a time limit, and returns the scores
from the exported CSV.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from .release import BEGIN, END, STUB, _nbgrader, nbgrader_env

__all__ = ["solved", "answered", "isolation", "autograde"]

#: Python run at start-up by every process of the grading run (``sitecustomize``): a socket
#: may connect to loopback addresses only (nbgrader talks to its kernel over 127.0.0.1).
GUARD = '''\
import ipaddress, socket

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"no network while grading (tried {host})")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
'''


def _solution_cells(nb: Any) -> dict[str, Any]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def solved(student: Path, source: Path) -> Any:
    """The student notebook with every exercise answered by the worked solution (the source
    notebook's solution region, delimiters removed)."""
    nb = nbformat.read(student, as_version=4)
    src = _solution_cells(nbformat.read(source, as_version=4))
    for grade_id, cell in _solution_cells(nb).items():
        lines = src[grade_id].source.split("\n")
        cell.source = "\n".join(ln for ln in lines if ln.strip() not in (BEGIN, END))
    return nb


def answered(student: Path, answers: Mapping[str, str], base: Any = None) -> Any:
    """The student notebook (or ``base``, e.g. a :func:`solved` one) with exercise ``name``
    answered by ``answer = answers[name]`` (Python source) instead of its placeholder (and
    solution) lines."""
    nb = base if base is not None else nbformat.read(student, as_version=4)
    cells = _solution_cells(nb)
    for name, code in answers.items():
        lines = cells[name].source.split("\n")
        i = next(j for j, ln in enumerate(lines) if STUB.match(ln))
        k = next(j for j in range(i + 1, len(lines)) if ".check_" in lines[j])
        cells[name].source = "\n".join([*lines[:i], f"answer = {code}", *lines[k:]])
    return nb


def isolation(guard_dir: Path) -> tuple[list[str], str]:
    """A command prefix and its name that cut the grading run off the network.

    As root where ``unshare`` and ``ip`` work: a new network namespace with only loopback up
    (``unshare -n``). Otherwise no prefix: the socket guard (:data:`GUARD`, loaded through
    ``PYTHONPATH`` by :func:`autograde`) still refuses every non-loopback connection.
    """
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    prefix = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    if shutil.which("unshare") and shutil.which("ip"):
        try:
            ok = subprocess.run([*prefix, "true"], check=False, capture_output=True,
                                timeout=30)
            if ok.returncode == 0:
                return prefix, "network namespace (unshare -n) + socket guard"
        except (OSError, subprocess.SubprocessError):
            pass
    return [], "socket guard"


def autograde(
    course: Path,
    assignment: str,
    submissions: Mapping[str, Mapping[str, Any]],
    nbgrader: Path,
    timeout: float = 600,
    workdir: Path | None = None,
) -> tuple[dict[str, tuple[float, float]], Path, str]:
    """Grade ``submissions[student][notebook file name] = notebook`` for ``assignment``.

    ``course`` is a course directory made by :func:`classroom.release.build` (it is copied,
    not changed). Returns ``({student: (score, max_score)}, the copy, the isolation used)``.
    """
    work = Path(workdir or tempfile.mkdtemp(prefix="autograde-"))
    copy = work / "course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("submitted", "autograded",
                                                                "feedback", "grades.csv"))
    for student, notebooks in submissions.items():
        folder = copy / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / name)
    guard = work / "guard"
    guard.mkdir(exist_ok=True)
    prefix, how = isolation(guard)
    env = nbgrader_env(nbgrader)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(guard), env.get("PYTHONPATH")) if p)
    for args in (["autograde", assignment, "--force"], ["export", "--to", "grades.csv"]):
        _nbgrader(nbgrader, args, copy, timeout, prefix, env)
    scores = {}
    with open(copy / "grades.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["assignment"] == assignment:
                scores[row["student_id"]] = (float(row["score"]), float(row["max_score"]))
    return scores, copy, how
