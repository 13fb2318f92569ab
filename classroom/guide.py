"""The generated parts of INSTRUCTORS.md: objectives, time per lesson, the exercise table.

``python -m classroom guide`` rewrites the blocks between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->`` in INSTRUCTORS.md from the lessons and
``instructor/exercises.toml``; ``tests/test_release.py`` checks that they are up to date.

How time is measured (the guide says the same):

* **reading**: the words of a lesson's Markdown cells and of its code cells (split on white
  space), at 200 words per minute;
* **exercises**: the estimates of ``exercises.toml`` (minutes for a student who has read the
  lesson);
* **running**: the lesson's execution time as stored in the notebook by its last top-to-bottom
  run (``nbconvert --execute`` records when each cell started and ended), on the course's
  2-core machine.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

from .release import REPO, lesson_notebooks, load_spec

__all__ = [
    "WPM",
    "objectives",
    "reading_words",
    "execution_seconds",
    "exercise_table",
    "time_table",
    "objectives_section",
    "blocks",
    "write_guide",
]

WPM = 200
OPTIONAL = ("08", "09")  # the schedules' optional lessons
LEVEL = {1: "1 apply", 2: "2 extend", 3: "3 build"}
GUIDE = "INSTRUCTORS.md"


def _title(nb: Any) -> str:
    first = next(c for c in nb.cells if c.cell_type == "markdown").source.split("\n")[0]
    return re.sub(r"^#\s*(Lesson \d\d\s*[—-]\s*)?", "", first).strip()


def objectives(nb: Any) -> list[str]:
    """The numbered items of the lesson's "**Learning objectives.**" paragraph."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "**Learning objectives.**" not in cell.source:
            continue
        items: list[str] = []
        for line in cell.source.split("**Learning objectives.**", 1)[1].split("\n")[1:]:
            m = re.match(r"^\d+\.\s+(.*)", line)
            if m:
                items.append(m[1].strip())
            elif items and line.startswith(" ") and line.strip():
                items[-1] += " " + line.strip()
            elif items:
                break  # the end of the list
        return items
    return []


def reading_words(nb: Any) -> int:
    """Words of the Markdown and code cells (white-space separated)."""
    return sum(len(c.source.split()) for c in nb.cells if c.cell_type in ("markdown", "code"))


def execution_seconds(nb: Any) -> float | None:
    """Seconds from the first cell's start to the last cell's end, as the last run stored them
    in the cells' ``execution`` metadata; None if the notebook does not have them."""
    times = []
    for cell in nb.cells:
        e = cell.metadata.get("execution", {})
        if "iopub.execute_input" in e and "shell.execute_reply" in e:
            times.append((e["iopub.execute_input"], e["shell.execute_reply"]))
    if not times:
        return None

    def parse(s: str) -> datetime:
        return datetime.fromisoformat(s)  # Python 3.11 reads the trailing Z

    return (parse(times[-1][1]) - parse(times[0][0])).total_seconds()


def exercise_table(repo: Path = REPO) -> str:
    """One Markdown row per exercise: lesson, exercise, kind, minutes, difficulty, points."""
    spec = load_spec(repo)
    rows = ["| lesson | exercise | kind | minutes | difficulty | points |",
            "|---|---|---|---:|---|---:|"]
    for lesson, table in spec.items():
        for i, (name, e) in enumerate(table.items(), 1):
            rows.append(f"| {lesson[-2:]} | {i}. `{name}` | {e['kind']} | {e['minutes']} | "
                        f"{LEVEL[int(e['difficulty'])]} | {e['points']} |")
    return "\n".join(rows)


def misconception_table(repo: Path = REPO) -> str:
    """One row per exercise: what its check's feedback diagnoses."""
    spec = load_spec(repo)
    rows = ["| lesson | exercise | the misconception the check diagnoses |", "|---|---|---|"]
    for lesson, table in spec.items():
        for name, e in table.items():
            rows.append(f"| {lesson[-2:]} | `{name}` | {e['misconception']} |")
    return "\n".join(rows)


def time_table(repo: Path = REPO) -> str:
    """One row per lesson: words, reading, exercises, running time and the total."""
    spec = load_spec(repo)
    rows = ["| lesson | title | words | reading (min) | exercises (n, min) | running (s) "
            + "| total (min) |", "|---|---|---:|---:|---:|---:|---:|"]
    sums = {"core": [0.0, 0, 0], "optional": [0.0, 0, 0]}  # reading, exercises, total
    for path in lesson_notebooks(repo):
        nb = nbformat.read(path, as_version=4)
        lesson = path.name[:2]
        table = spec.get(f"lesson{lesson}", {})
        words = reading_words(nb)
        reading = words / WPM
        minutes = sum(int(e["minutes"]) for e in table.values())
        run = execution_seconds(nb)
        total = math.ceil((reading + minutes + (run or 0) / 60) / 5) * 5
        rows.append(f"| {lesson} | {_title(nb)} | {words} | {reading:.0f} | {len(table)}, "
                    f"{minutes} | {'n/a' if run is None else f'{run:.0f}'} | {total} |")
        part = sums["optional" if lesson in OPTIONAL else "core"]
        part[0] += reading
        part[1] += minutes
        part[2] += total
    for name, (reading, minutes, total) in sums.items():
        which = "00–07" if name == "core" else "08–09"
        rows.append(f"| {which} | **{name}** | | {reading:.0f} | {minutes} | | **{total}** |")
    return "\n".join(rows)


def objectives_section(repo: Path = REPO) -> str:
    """Each lesson's learning objectives, as the notebook states them."""
    parts = []
    for path in lesson_notebooks(repo):
        nb = nbformat.read(path, as_version=4)
        items = objectives(nb)
        head = f"**{path.name[:2]} — {_title(nb)}.**"
        if not items:
            parts.append(head + " (orientation: no objectives list; see the lesson.)")
            continue
        parts.append(head + " After it a student can\n\n"
                     + "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)))
    return "\n\n".join(parts)


def blocks(repo: Path = REPO) -> dict[str, str]:
    """The generated blocks of the guide, by name."""
    return {
        "objectives": objectives_section(repo),
        "times": time_table(repo),
        "exercises": exercise_table(repo),
        "misconceptions": misconception_table(repo),
    }


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(\n<!-- END GENERATED: "
                      rf"{name} -->)", re.DOTALL)


def write_guide(repo: Path = REPO, check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, only compare) the guide's generated blocks; returns the
    names of the blocks that were out of date."""
    path = repo / GUIDE
    text = path.read_text()
    stale = []
    for name, body in blocks(repo).items():
        pattern = _pattern(name)
        m = pattern.search(text)
        if m is None:
            raise KeyError(f"{GUIDE} has no block {name!r}")
        if m[2] != body:
            stale.append(name)
            text = pattern.sub(lambda m, body=body: m[1] + body + m[3], text)
    if stale and not check:
        path.write_text(text)
    return stale
