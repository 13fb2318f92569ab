"""``make release`` and nbgrader autograding of the student edition (INSTRUCTORS.md).

Fast tests, every lesson, no nbgrader: each exercise cell has a worked solution in
``instructor/solutions`` and a row in ``instructor/exercises.toml``; the instructor edition's
source notebook inlines the solution so that it runs on its own and the lesson's check accepts
it; widget cells are tagged for the grader to skip; INSTRUCTORS.md's exercise table is the
table of ``exercises.toml``.

End to end, with nbgrader (in ``.venv-grader``, built here if missing: outside CI a machine that
cannot build it skips with the reason; under ``CI=true`` that is a failure): ``make release``'s
code writes both editions for one lesson, and ``nbgrader autograde`` grades three submissions
of the student edition — the worked solutions filled in (full marks), nothing filled in (zero),
a typical wrong answer (partial marks) — without network and with time limits, then exports
the grades as CSV and writes feedback without the hidden tests.

One lesson by default, lesson 01: it runs fastest of the lessons with exercises (a submission
is graded in about 20 s on 2 cores, most of it starting the kernel and importing torch), and
it exercises every part of the pipeline. ``ARGMIN_RELEASE_LESSONS="all"`` (or e.g. ``"02 05"``)
grades those lessons instead, e.g.
``ARGMIN_RELEASE_LESSONS=all .venv/bin/python -m pytest -p no:nbval tests/test_release.py``.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from classroom import gradervenv, grading, release
from classroom.guide import time_table, write_guide

from argmin_kmeans.exercises import ExerciseError, NotAttempted, grade

ROOT = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() == "true"
SELECTED = os.environ.get("ARGMIN_RELEASE_LESSONS", "01").strip()
SPEC = release.load_spec(ROOT)


def _lessons_with_exercises() -> list[Path]:
    out = []
    for path in release.lesson_notebooks(ROOT):
        nb = nbformat.read(path, as_version=4)
        if any(release.STUB.match(line) for c in nb.cells if c.cell_type == "code"
               for line in c.source.split("\n")):
            out.append(path)
    return out


LESSONS = _lessons_with_exercises()
GRADED = LESSONS if SELECTED == "all" else release.lesson_notebooks(ROOT, SELECTED.split())


def _ids(paths: list[Path]) -> list[str]:
    return [p.name[:2] for p in paths]


# ---------------------------------------------------------------- every lesson, no nbgrader


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_exercise_has_solution_and_spec(path: Path) -> None:
    lesson = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    exercises = release.find_exercises(nb, lesson, SPEC)
    sol = release._solutions(ROOT, lesson)
    table = SPEC[f"lesson{lesson}"]
    assert [e.name for e in exercises] == list(table), "exercises.toml lists them in lesson order"
    assert sorted(sol.__all__) == sorted(table)
    for e in exercises:
        row = table[e.name]
        assert {"points", "minutes", "difficulty", "kind", "misconception"} <= set(row), e.name
        assert row["kind"] in ("prediction", "calculation", "code") and row["points"] >= 1
        assert (row["kind"] == "code") >= e.code, f"{e.name}: a code exercise is of kind code"


def _import_lines(nb: Any) -> str:
    """Every top-level import statement of the notebook's code cells, as source."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(ln for ln in cell.source.split("\n") if not ln.startswith("%"))
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        out += [ast.get_source_segment(src, n) or "" for n in tree.body
                if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join(out)


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_instructor_edition_runs_its_inlined_solutions(
        path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The source notebook: one solution cell and one locked, pointed test cell per exercise;
    each solution region, run after the notebook's imports only, gives an answer the lesson's
    check accepts (exercises whose check takes notebook state are run by the end-to-end test);
    widget cells carry the tag the grader skips."""
    lesson = path.name[:2]
    src = release.source_notebook(path, ROOT, SPEC)
    original = nbformat.read(path, as_version=4)
    exercises = release.find_exercises(original, lesson, SPEC)
    solutions = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("solution")]
    tests = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata.nbgrader.grade_id for c in solutions] == [e.name for e in exercises]
    assert [c.metadata.nbgrader.points for c in tests] == [e.points for e in exercises]
    assert all(c.metadata.nbgrader.locked for c in tests)
    assert len({c.id for c in src.cells}) == len(src.cells)
    imports = _import_lines(original)
    for e, cell in zip(exercises, solutions):
        lines = cell.source.split("\n")
        begin, end = lines.index(release.BEGIN), lines.index(release.END)
        assert release.STUB.match(lines[begin - 1]) and ".check_" in "\n".join(lines[end:])
        if e.args:
            continue
        namespace: dict[str, Any] = {}
        code = compile(imports + "\n" + "\n".join(lines[begin + 1:end]), path.name, "exec")
        exec(code, namespace)  # noqa: S102 (the instructor edition's own code, as a kernel would)
        check = getattr(namespace["ex"], f"check_{e.name}")
        assert check(namespace["answer"]) is True, f"{lesson} {e.name}"
    capsys.readouterr()
    for before, after in zip(original.cells, [c for c in src.cells if "nbgrader" not in
                                              c.metadata or c.metadata.nbgrader.solution]):
        if release.is_widget_cell(before):
            assert release.SKIP_TAG in after.metadata.get("tags", [])


CHECK_MODULES = sorted(p.stem for p in (ROOT / "src" / "argmin_kmeans" / "exercises").glob(
    "lesson[0-9][0-9].py"))

#: The issue's cases: these code exercises must refuse the package's own function.
MUST_FORBID = {("lesson02", "vectorized_loss"): "kmeans_loss",
               ("lesson04", "newton_by_hand"): "newton_step",
               ("lesson05", "online_update"): "online_step"}


@pytest.mark.parametrize("module", CHECK_MODULES)
def test_graded_mode_scores_none_zero_and_refuses_the_library(
        module: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every check, in graded mode, raises NotAttempted on None (before looking at its extra
    arguments); every code exercise that names package functions refuses each of them, handed
    in or wrapped in a line, with the "write it yourself" feedback."""
    checks = importlib.import_module(f"argmin_kmeans.exercises.{module}")
    names = [n for n in checks.__all__ if n.startswith("check_")]
    assert names
    for name in names:
        check = getattr(checks, name)
        with pytest.raises(NotAttempted, match="not attempted"):
            grade(check, None, object(), object())
        forbid = getattr(check, "forbid", ())
        if (module, name.removeprefix("check_")) in MUST_FORBID:
            assert MUST_FORBID[module, name.removeprefix("check_")] in [
                f.__name__ for f in forbid]
        for f in forbid:
            def default(*a: Any, f: Any = f, **k: Any) -> Any:  # a default argument ...
                return f(*a, **k)

            def wrapped(g: Any) -> Any:  # ... and a closure
                return lambda *a, **k: g(*a, **k)

            for answer in (f, default, wrapped(f)):
                with pytest.raises(ExerciseError, match="write it yourself"):
                    check(answer, object(), object())
    capsys.readouterr()


def _totals(table: str) -> dict[str, int]:
    """lesson -> total minutes, from the rows of a time table."""
    return {cells[0]: int(cells[-1]) for line in table.splitlines()
            if re.match(r"\| \d\d \|", line)
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}


def test_instructors_guide_is_up_to_date() -> None:
    """INSTRUCTORS.md's objectives, exercise and misconception tables are generated from the
    lessons and exercises.toml; `python -m classroom guide` rewrites them. The time table moves
    with every re-execution of a lesson (its running time) and every edit of its text (its
    words): it is stale only when a lesson's total is off by more than 10 minutes."""
    stale = write_guide(ROOT, check=True)
    assert set(stale) <= {"times"}, f"{stale}: run `.venv/bin/python -m classroom guide`"
    text = (ROOT / "INSTRUCTORS.md").read_text()
    stored = _totals(text.split("<!-- BEGIN GENERATED: times -->")[1].split("<!-- END")[0])
    fresh = _totals(time_table(ROOT))
    assert stored.keys() == fresh.keys(), "a lesson came or went: run `python -m classroom guide`"
    off = {k: (stored[k], fresh[k]) for k in fresh if abs(stored[k] - fresh[k]) > 10}
    assert not off, f"lesson totals (guide, now): {off}: run `python -m classroom guide`"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.+-]+)", line)
            assert m, f"{path.name}: not an exact pin: {line!r}"
            pins[m[1].lower().replace("_", "-")] = m[2]
    return pins


def test_grader_lock_pins_only_what_nbgrader_adds() -> None:
    """requirements-grader.lock: exact pins, nbgrader first, and nothing .venv already has
    (the grader venv installs them with --no-deps; `pip check` there proves the rest)."""
    grader = _pins(ROOT / "requirements-grader.lock")
    assert next(iter(grader)) == "nbgrader"
    assert not set(grader) & set(_pins(ROOT / "requirements.lock"))


# ---------------------------------------------------------------- end to end, with nbgrader


@pytest.fixture(scope="module")
def nbgrader() -> Path:
    exe = gradervenv.nbgrader_bin()
    if not exe.exists():
        try:
            gradervenv.build_grader_venv()
        except (OSError, subprocess.SubprocessError) as error:  # no package index, no venv, ...
            message = f"cannot build .venv-grader (make grader-venv): {error}"
            if CI:
                pytest.fail(message)
            pytest.skip(message)
    return exe


@pytest.mark.packaging
def test_grader_venv_holds_exactly_the_lock(nbgrader: Path) -> None:
    python = gradervenv.grader_python()
    purelib = gradervenv.purelib(python)
    listed = json.loads(subprocess.run(
        [str(python), "-m", "pip", "list", "--path", purelib, "--format", "json"],
        check=True, capture_output=True, text=True, timeout=120).stdout)
    have = {p["name"].lower().replace("_", "-"): p["version"] for p in listed}
    assert have == _pins(ROOT / "requirements-grader.lock")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory, nbgrader: Path) -> Iterator[dict]:
    start = time.perf_counter()
    paths = release.build(out=tmp_path_factory.mktemp("release"),
                          lessons=[p.name[:2] for p in GRADED], nbgrader=nbgrader)
    print(f"\nrelease of {_ids(GRADED)}: {time.perf_counter() - start:.1f} s")
    yield paths


@pytest.mark.packaging
def test_release_layout(released: dict) -> None:
    for path in GRADED:
        name = release.assignment_of(path)
        source = released["instructor"] / "source" / name / path.name
        student = released["student"] / name / path.name
        src_text, stu_text = source.read_text(), student.read_text()
        assert release.BEGIN in src_text and release.BEGIN_HIDDEN in src_text
        for marker in (release.BEGIN, release.END, release.BEGIN_HIDDEN, "_reference"):
            assert marker not in stu_text
        # no line of a worked solution (that the lesson itself does not contain) leaks
        lesson_text = path.read_text()
        for cell in nbformat.read(source, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                lines = cell.source.split("\n")
                region = lines[lines.index(release.BEGIN) + 1:lines.index(release.END)]
                for line in region:
                    text = line.strip()
                    if len(text) > 12 and json.dumps(text, ensure_ascii=False)[1:-1] not in lesson_text:
                        assert json.dumps(text, ensure_ascii=False)[1:-1] not in stu_text, f"leaked: {text}"
        # the student's exercise cells: the lesson's own lines, the solution region removed
        lesson_cells = {c.id: c.source for c in nbformat.read(path, as_version=4).cells}
        for cell in nbformat.read(student, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):  # the lesson's lines, an empty one where the solution was
                lines = lesson_cells[cell.id].split("\n")
                stub = next(i for i, ln in enumerate(lines) if release.STUB.match(ln))
                assert cell.source.split("\n") == [*lines[:stub + 1], "", *lines[stub + 1:]]
            if meta.get("grade"):
                assert meta["locked"] and "grade(" in cell.source
    assert (released["instructor"] / "gradebook.db").exists()
    assert (released["student"] / "README.md").exists()
    assert not list(released["student"].rglob("gradebook.db"))


@pytest.mark.packaging
def test_autograde_full_zero_partial(released: dict, nbgrader: Path, tmp_path: Path) -> None:
    """Full marks for the worked solutions, zero for an untouched copy, partial for a typical
    wrong answer (and 0 points for a code exercise answered with the package's own function)."""
    for path in GRADED:
        name, lesson = release.assignment_of(path), path.name[:2]
        source = released["instructor"] / "source" / name / path.name
        student = released["student"] / name / path.name
        table = SPEC[f"lesson{lesson}"]
        first = next(iter(table))
        wrong = {first: table[first]["wrong"]}
        lost = table[first]["points"]
        checks = __import__(f"argmin_kmeans.exercises.lesson{lesson}", fromlist=["x"])
        for n in table:
            forbid = getattr(getattr(checks, f"check_{n}"), "forbid", ())
            if n != first and forbid:  # the library's function, wrapped in one line
                wrong[n] = f"lambda *a, **k: ak.{forbid[0].__name__}(*a, **k)"
                lost += table[n]["points"]
        submissions = {
            "full": {path.name: grading.solved(student, source)},
            "none": {path.name: nbformat.read(student, as_version=4)},
            "wrong": {path.name: grading.answered(student, wrong,
                                                  base=grading.solved(student, source))},
        }
        start = time.perf_counter()
        scores, course, how = grading.autograde(released["instructor"], name, submissions,
                                                nbgrader, timeout=900,
                                                workdir=tmp_path / name)
        seconds = time.perf_counter() - start
        total = sum(row["points"] for row in table.values())
        print(f"\n{name}: {scores} in {seconds:.1f} s for 3 submissions ({how})")
        assert scores["full"] == (total, total)
        assert scores["none"] == (0, total)
        assert scores["wrong"] == (total - lost, total) and 0 < total - lost < total
        # the wrong answer's feedback is the lesson's own message; the grader skipped widgets
        graded = nbformat.read(course / "autograded" / "wrong" / name / path.name, 4)
        outputs = "\n".join(o.get("text", "") for c in graded.cells
                            for o in c.get("outputs", []))
        assert "not yet right" in outputs
        for cell in graded.cells:
            if release.SKIP_TAG in cell.metadata.get("tags", []):
                assert cell.execution_count is None and not cell.outputs
        # feedback for the students: their notebook, scored, without the hidden tests
        env = release.nbgrader_env(nbgrader)
        release._nbgrader(nbgrader, ["generate_feedback", name, "--student", "wrong"], course,
                          600, env=env)
        (html,) = (course / "feedback" / "wrong" / name).glob("*.html")
        text = html.read_text()
        assert "not yet right" in text and "_reference" not in text
        assert re.search(r"HIDDEN TESTS", text) is None
