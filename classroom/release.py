"""``make release``: the instructor and student editions of the lessons, for nbgrader.

From ``notebooks/NN_*.ipynb``, ``instructor/solutions/lessonNN.py`` and
``instructor/exercises.toml`` this writes, offline:

* ``release/instructor/`` — an nbgrader course directory: ``nbgrader_config.py``,
  ``source/lessonNN/NN_*.ipynb`` (the instructor edition) and, after nbgrader's
  ``generate_assignment``, ``release/lessonNN/`` and ``gradebook.db``. In the source notebooks
  every exercise cell is an nbgrader *solution* cell: the lesson's placeholder line, then the
  worked solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (inlined from
  ``instructor/solutions``), then the lesson's own check. After it comes a locked *autograder*
  test cell worth the exercise's points: the same check in graded mode
  (:func:`argmin_kmeans.exercises.grade`: ``None`` scores 0) and, between ``### BEGIN HIDDEN
  TESTS`` and ``### END HIDDEN TESTS``, the reference value computed from the solution.
  Interactive widget cells get the tag ``skip-execution``: the autograder does not run them.
* ``release/student/lessonNN/`` — nbgrader's generated assignment: the lessons as students
  know them (the exercise cells read ``answer = None  # your code here`` and the check), with
  the autograder cells visible and locked, and no solutions or hidden tests.

Outputs are cleared (students run the lessons; each runs in under a minute). Links between
lessons are rewritten to the one-folder-per-lesson layout, and a lesson's data files
(``notebooks/data/NN_*``) travel with it.
"""

from __future__ import annotations

import ast
import importlib
import os
import pprint
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .inline import inline_solution, notebook_imports

__all__ = [
    "REPO",
    "Exercise",
    "lesson_notebooks",
    "assignment_of",
    "load_spec",
    "find_exercises",
    "is_widget_cell",
    "source_notebook",
    "build",
]

REPO = Path(__file__).resolve().parents[1]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SKIP_TAG = "skip-execution"  # nbclient's default skip_cells_with_tag; nbgrader executes with it
STUB = re.compile(r"^answer = None\s*#")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_CALL = re.compile(r"\b(widgets\.\w+|interact(ive)?|explorer)\s*\(")
LESSON_LINK = re.compile(r"\]\((?:\./)?(\d\d)(_[\w-]+\.ipynb)(#[^)]*)?\)")


@dataclass(frozen=True)
class Exercise:
    """One exercise cell of a lesson: where it is and what the autograder needs."""

    lesson: str  # "01"
    name: str  # check_<name> / solutions.<name>
    cell_index: int
    stub_line: int  # index of the `answer = None  # ...` line in the cell
    args: tuple[str, ...]  # source of the check's extra arguments (after `answer`)
    code: bool
    points: int


def lesson_notebooks(repo: Path = REPO, lessons: Iterable[str] | None = None) -> list[Path]:
    """The lessons ``notebooks/NN_*.ipynb`` in order, or those whose number is in ``lessons``."""
    wanted = None if lessons is None else {f"{int(x):02d}" for x in lessons}
    found = sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if wanted is None or p.name[:2] in wanted]


def assignment_of(notebook: Path | str) -> str:
    """nbgrader's assignment name of a lesson: ``lesson01`` for ``01_argmax....ipynb``."""
    return f"lesson{Path(notebook).name[:2]}"


def load_spec(repo: Path = REPO) -> dict[str, dict[str, dict[str, Any]]]:
    """``instructor/exercises.toml``: ``spec["lesson01"]["threshold"]`` -> its table."""
    with open(repo / "instructor" / "exercises.toml", "rb") as f:
        return tomllib.load(f)


def _solutions(repo: Path, lesson: str) -> Any:
    path = str(repo / "instructor")
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(f"solutions.lesson{lesson}")


def _check_call(src: str) -> tuple[str, tuple[str, ...]] | None:
    """``(name, extra argument sources)`` of the ``<module>.check_<name>(answer, ...)`` call."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("check_") and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id == "answer"):
            extra = tuple(ast.get_source_segment(src, a) or "" for a in node.args[1:])
            return node.func.attr.removeprefix("check_"), extra
    return None


def find_exercises(nb: Any, lesson: str, spec: dict[str, Any] | None = None) -> list[Exercise]:
    """The exercise cells of a lesson notebook: a line ``answer = None  # ...`` followed by
    the call of ``ex.check_<name>(answer, ...)``."""
    table = (spec or {}).get(f"lesson{lesson}", {})
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        stubs = [j for j, line in enumerate(lines) if STUB.match(line)]
        call = _check_call(cell.source)
        if not stubs or call is None:
            continue
        name, args = call
        checks = importlib.import_module(f"argmin_kmeans.exercises.lesson{lesson}")
        check = getattr(checks, f"check_{name}")
        points = int(table.get(name, {}).get("points", 1))
        out.append(Exercise(lesson, name, i, stubs[0], args, bool(check.code), points))
    return out


def is_widget_cell(cell: Any) -> bool:
    """A code cell that shows an interactive widget (by its stored output or its source)."""
    if cell.cell_type != "code":
        return False
    if any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
        return True
    return bool(WIDGET_CALL.search(cell.source))


def _bound(src: str) -> set[str]:
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for t in targets:
            names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _used(src: str) -> set[str]:
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _literal(value: Any) -> str:
    """Python source for a reference value (tensors and arrays as nested lists)."""

    def plain(v: Any) -> Any:
        if hasattr(v, "detach"):
            v = v.detach().cpu()
        if hasattr(v, "tolist"):
            v = v.tolist()
        if isinstance(v, dict):
            return {k: plain(u) for k, u in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(plain(u) for u in v)
        return v

    v = plain(value)
    text = pprint.pformat(v, width=74, sort_dicts=False)  # + "_reference = " <= 88
    if ast.literal_eval(text) != v:
        raise ValueError(f"reference value {value!r} does not round-trip as a literal")
    return text


def _hidden_test(ex: Exercise, sol: Any, table: dict[str, Any]) -> str | None:
    """The hidden test of an exercise: its reference value from the worked solution.

    A value exercise without extra arguments compares the answer with the solution's value; a
    code exercise with ``hidden_args`` in ``exercises.toml`` compares the student's function
    and the solution on those arguments. Tolerances ``rtol``/``atol`` come from the table (no
    stricter than the check). ``hidden = false`` and other exercises rely on the check alone.
    """
    if table.get("hidden", True) is False:
        return None
    rtol, atol = float(table.get("rtol", 1e-6)), float(table.get("atol", 1e-9))
    tol = f"rtol={rtol!r}, atol={atol!r}"
    fn = getattr(sol, ex.name)
    if ex.code:
        args = table.get("hidden_args")
        if not args:
            return None
        namespace = {"np": importlib.import_module("numpy"),
                     "torch": importlib.import_module("torch")}
        ref = _literal(fn(*eval(args, namespace)))
        items = [ast.get_source_segment(args, e) for e in ast.parse(args, mode="eval").body.elts]
        setup = "_args = (\n" + "".join(f"    {item},\n" for item in items) + ")\n"
        call = "answer(*_args)"
    else:
        if ex.args:
            return None
        ref = _literal(fn())
        setup, call = "", "answer"
    ref = ref.replace("\n", "\n" + " " * len("_reference = "))
    return (
        "from argmin_kmeans.exercises import close_to\n"
        + ("import numpy as np\nimport torch\n" if ex.code else "")
        + setup
        + f"_reference = {ref}\n"
        + f"assert close_to({call}, _reference, {tol}), \"not the reference answer\""
    )


def _rewrite_links(text: str) -> str:
    """Links to another lesson point into its assignment folder (``../lessonNN/NN_x.ipynb``)."""
    return LESSON_LINK.sub(lambda m: f"](../lesson{m[1]}/{m[1]}{m[2]}{m[3] or ''})", text)


def source_notebook(path: Path, repo: Path = REPO, spec: dict[str, Any] | None = None) -> Any:
    """The instructor edition (nbgrader source notebook) of the lesson at ``path``."""
    spec = load_spec(repo) if spec is None else spec
    lesson = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    exercises = find_exercises(nb, lesson, spec)
    table = spec.get(f"lesson{lesson}", {})
    names = [e.name for e in exercises]
    missing = sorted(set(names) - set(table))
    if missing:
        raise KeyError(f"instructor/exercises.toml has no [lesson{lesson}.<name>] for {missing}")
    sol_path = repo / "instructor" / "solutions" / f"lesson{lesson}.py"
    sol = _solutions(repo, lesson) if exercises else None
    sol_src = sol_path.read_text() if exercises else ""
    have = notebook_imports(c.source for c in nb.cells if c.cell_type == "code")

    # clear what the students will compute themselves
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.source = _rewrite_links(cell.source)
        if cell.cell_type == "markdown" and "attachments" in cell and not cell.attachments:
            del cell["attachments"]

    # widget cells: not run by the grader, so they must not define anything later cells use
    for i, cell in enumerate(nb.cells):
        if is_widget_cell(cell):
            later = set().union(*(_used(c.source) for c in nb.cells[i + 1:]
                                  if c.cell_type == "code"))
            clash = _bound(cell.source) & later
            if clash:
                raise ValueError(f"{path.name} cell {i}: a widget cell defines {sorted(clash)}, "
                                 "used later; the autograder skips widget cells")
            tags = cell.metadata.setdefault("tags", [])
            if SKIP_TAG not in tags:
                tags.append(SKIP_TAG)

    for ex in reversed(exercises):  # from the end, so that the indices stay valid
        cell = nb.cells[ex.cell_index]
        code = inline_solution(sol_src, ex.name, skip=have)
        answer = ex.name if ex.code else f"{ex.name}({', '.join(ex.args)})"
        lines = cell.source.split("\n")
        lines[ex.stub_line + 1:ex.stub_line + 1] = [BEGIN, code, "", "", f"answer = {answer}", END]
        cell.source = "\n".join(lines)
        cell.metadata["nbgrader"] = {
            "grade": False, "grade_id": ex.name, "locked": False, "schema_version": 3,
            "solution": True, "task": False,
        }
        entry = table[ex.name]
        hidden = _hidden_test(ex, sol, entry)
        call = ", ".join(["answer", *ex.args])
        points = f"{ex.points} point" + ("s" if ex.points != 1 else "")
        test = [
            f"# Autograder ({points}): the lesson's check in graded mode (None scores 0).",
            f"from argmin_kmeans.exercises import grade, lesson{lesson}",
            "",
            f"grade(lesson{lesson}.check_{ex.name}, {call})",
        ]
        if hidden:
            test += [BEGIN_HIDDEN, hidden, END_HIDDEN]
        test_cell = nbformat.v4.new_code_cell("\n".join(test))
        test_cell.id = f"{cell.id}-autograde"[:64]
        test_cell.metadata["nbgrader"] = {
            "grade": True, "grade_id": f"{ex.name}_test", "locked": True, "points": ex.points,
            "schema_version": 3, "solution": False, "task": False,
        }
        nb.cells.insert(ex.cell_index + 1, test_cell)
    nbformat.validate(nb)
    return nb


def _student_readme(assignments: Sequence[str]) -> str:
    return (
        "# Backprop through argmin — the lessons, to work through\n\n"
        "One folder per lesson. Open a lesson in JupyterLab and run it top to bottom. Each\n"
        "exercise cell starts as `answer = None  # your code here`: replace `None` with your\n"
        "answer and run the cell; the check under it says whether it is right and, if not,\n"
        "what to look at. The locked cell after each exercise is what the autograder runs\n"
        "(worth the points it states); an exercise left at `None` scores 0.\n\n"
        "Submit the notebook as your instructor says (nbgrader's Assignments tab, or by\n"
        "handing in the .ipynb file). The course package must be installed in your Python\n"
        "(`pip install argmin-kmeans`, or `make venv` in the course repository).\n\n"
        "Lessons: " + ", ".join(assignments) + ".\n\n"
        "Text and figures: CC BY 4.0; code: MIT (see LICENSE-CONTENT and LICENSE).\n"
    )


def nbgrader_env(nbgrader: Path) -> dict[str, str]:
    """The environment for nbgrader: its venv's bin first on PATH (it calls ``alembic``)."""
    env = dict(os.environ)
    env["PATH"] = f"{nbgrader.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _nbgrader(nbgrader: Path, args: list[str], cwd: Path, timeout: float,
              prefix: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
    """Run ``nbgrader *args`` in ``cwd``; its log is shown only if it fails."""
    done = subprocess.run([*prefix, str(nbgrader), *args], cwd=cwd,
                          env=env or nbgrader_env(nbgrader), timeout=timeout,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


def build(
    out: Path | None = None,
    lessons: Iterable[str] | None = None,
    nbgrader: Path | None = None,
    repo: Path = REPO,
    timeout: float = 600,
) -> dict[str, Path]:
    """Write both editions under ``out`` (default ``release/``); returns their folders.

    ``nbgrader`` is the nbgrader executable (default: ``.venv-grader/bin/nbgrader``); ``None``
    there and no such file means only the instructor edition's source notebooks are written.
    """
    out = repo / "release" if out is None else Path(out)
    course = out / "instructor"
    student = out / "student"
    spec = load_spec(repo)
    notebooks = lesson_notebooks(repo, lessons)
    if not notebooks:
        raise SystemExit(f"no lesson matches {lessons}")
    for d in (course, student):
        if d.exists():
            shutil.rmtree(d)
    course.mkdir(parents=True)
    shutil.copy(repo / "instructor" / "nbgrader_config.py", course / "nbgrader_config.py")
    assignments = []
    for path in notebooks:
        name = assignment_of(path)
        assignments.append(name)
        folder = course / "source" / name
        folder.mkdir(parents=True)
        nbformat.write(source_notebook(path, repo, spec), folder / path.name)
        for data in sorted((repo / "notebooks" / "data").glob(f"{path.name[:2]}_*")):
            (folder / "data").mkdir(exist_ok=True)
            shutil.copy(data, folder / "data" / data.name)

    nbgrader = nbgrader or repo / ".venv-grader" / "bin" / "nbgrader"
    if not nbgrader.exists():
        print(f"{nbgrader} not found: wrote only {course / 'source'} (run `make grader-venv`)")
        return {"instructor": course}
    for name in assignments:
        _nbgrader(nbgrader, ["generate_assignment", name, "--force"], course, timeout)
    shutil.copytree(course / "release", student)
    (student / "README.md").write_text(_student_readme(assignments))
    for licence in ("LICENSE", "LICENSE-CONTENT"):
        if (repo / licence).exists():
            shutil.copy(repo / licence, student / licence)
    return {"instructor": course, "student": student}
