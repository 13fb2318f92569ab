"""The Chinese edition, generated from the English lessons: ``make zh``.

English is the source. Each lesson's translation is one JSON file, ``i18n/zh/NN_name.json``::

    {"lesson": "NN_name.ipynb",
     "cells": {"<markdown cell id>": {"en_sha256": "...", "en": "...", "zh": "..."}}}

keyed by the id of the English markdown cell it translates, with the SHA-256 of the English text
it was made from (and that text, so a reviewer sees both). Why JSON and not gettext ``.po``: a
lesson's unit of translation is a whole markdown cell (tables, display math and lists inside),
and cells already have stable ids (nbformat 4.5); one JSON object per lesson maps id -> text
one to one, diffs cleanly, and needs nothing beyond the standard library. Sphinx's gettext
tooling would split cells into paragraphs of the *built site*, not of the notebooks.

Commands (run from the repository root)::

    python i18n/build.py check [NN ...]  # every English markdown cell has a current translation
    python i18n/build.py sync [NN ...]   # add entries for new cells; flag changed ones (en_new)
    python i18n/build.py accept NN_name CELL_ID   # the zh text now translates the new English
    python i18n/build.py build [NN ...]   # write notebooks/zh/NN_name.ipynb (fails on check errors)
    python i18n/build.py build --verify   # the committed notebooks/zh equal a fresh build
    python i18n/build.py terms [NN ...]   # glossary terms used as glossary.json says; links kept

``build`` copies each English notebook and replaces only the markdown cells' sources: code cells,
their outputs, ids and metadata stay byte-identical (``tests/test_i18n.py`` checks it). Relative
links that leave ``notebooks/`` (``../README.md``, ``../figures/…``) get one more ``../``;
links between lessons stay as they are and so point at the Chinese lessons next to them.

The glossary (术语表, ``i18n/glossary.json``) is the one place that says how each English term is
rendered. ``build`` appends it as a table to lesson 00's notation cell (``GLOSSARY_CELL``), so the
Chinese lesson 00 always shows the glossary the tests enforce: ``terms`` reports, by lesson and
cell, every translation of a cell whose English prose (outside code, math and link targets) uses
a term without its Chinese rendering, and every translation that uses an ``avoid`` rendering.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "notebooks"
ZH = EN / "zh"
STORE = ROOT / "i18n" / "zh"
GLOSSARY = ROOT / "i18n" / "glossary.json"
# the Chinese lesson 00's notation cell ends with the glossary table
GLOSSARY_CELL = ("00_start_here", "8eb1187f")

# a markdown link or image target that starts with ../ (outside notebooks/)
UP_LINK = re.compile(r"(\]\()(\.\./)")
UP_HTML = re.compile(r"""((?:src|href)=["'])(\.\./)""")


def lessons() -> list[Path]:
    """The English lessons, in order."""
    return sorted(EN.glob("[0-9][0-9]_*.ipynb"))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source(cell: dict[str, Any]) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def load_store(lesson: Path) -> dict[str, Any]:
    path = STORE / f"{lesson.stem}.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return {"lesson": lesson.name, "cells": {}}


def save_store(lesson: Path, data: dict[str, Any]) -> None:
    STORE.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (STORE / f"{lesson.stem}.json").write_text(text, encoding="utf-8")


def markdown_cells(lesson: Path) -> list[dict[str, Any]]:
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


def problems(lesson: Path) -> list[str]:
    """What keeps ``lesson`` from being built: missing, empty, stale or orphaned translations."""
    store = load_store(lesson)["cells"]
    out = []
    ids = set()
    for cell in markdown_cells(lesson):
        cid, text = cell.get("id"), source(cell)
        ids.add(cid)
        first = text.strip().splitlines()[0][:60] if text.strip() else ""
        entry = store.get(cid)
        if entry is None:
            out.append(f"{lesson.name} cell {cid}: no translation ({first!r})")
        elif not entry.get("zh", "").strip():
            out.append(f"{lesson.name} cell {cid}: empty translation ({first!r})")
        elif entry.get("en_sha256") != sha(text):
            out.append(f"{lesson.name} cell {cid}: stale translation, the English changed "
                       f"({first!r})")
    for cid in sorted(set(store) - ids):
        out.append(f"{lesson.name} cell {cid}: translation of a cell the lesson no longer has")
    return out


def selected(stems: list[str] | None = None) -> list[Path]:
    """The lessons named by ``stems`` (e.g. ``["03_piecewise_quadratic_loss"]``), or all."""
    if not stems:
        return lessons()
    return [lesson for lesson in lessons() if lesson.stem in stems or lesson.stem[:2] in stems]


def check(stems: list[str] | None = None) -> list[str]:
    return [p for lesson in selected(stems) for p in problems(lesson)]


def sync(stems: list[str] | None = None) -> None:
    """Add an entry for every new markdown cell; put changed English under ``en_new``."""
    for lesson in selected(stems):
        data = load_store(lesson)
        store = data["cells"]
        cells = {}
        for cell in markdown_cells(lesson):
            cid, text = cell["id"], source(cell)
            entry = store.get(cid) or {"en_sha256": sha(text), "en": text, "zh": ""}
            if entry["en_sha256"] != sha(text):
                entry["en_new"] = text
            else:
                entry.pop("en_new", None)
            cells[cid] = entry
        data["cells"] = cells  # in lesson order; orphans dropped
        save_store(lesson, data)


def accept(stem: str, cid: str) -> None:
    """Record that the ``zh`` text of ``stem``/``cid`` translates the current English."""
    lesson = EN / f"{stem}.ipynb"
    data = load_store(lesson)
    text = next(source(c) for c in markdown_cells(lesson) if c["id"] == cid)
    entry = data["cells"][cid]
    entry.update(en_sha256=sha(text), en=text)
    entry.pop("en_new", None)
    save_store(lesson, data)


def localise(text: str) -> str:
    """Links that leave notebooks/ need one more ``../`` from notebooks/zh/."""
    return UP_HTML.sub(r"\1../\2", UP_LINK.sub(r"\1../\2", text))


def as_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return lines


def glossary() -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = json.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return terms


def glossary_table() -> str:
    """The glossary as the markdown section appended to the Chinese lesson 00."""
    rows = ["### 术语表", "",
            "全课程的译名：每个英文术语只用一个中文译法（`i18n/glossary.json`，测试逐课检查）。", "",
            "| English | 中文 | 不用 |", "|---|---|---|"]
    for term in glossary():
        english = ", ".join([term["en"], *term.get("also", [])])
        rows.append(f"| {english} | {term['zh']} | {'、'.join(term['avoid']) or '—'} |")
    return "\n".join(rows)


# what the term check ignores in a cell: code, math, link targets, HTML tags
PROSE_SKIP = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]+>",
                        re.DOTALL)


def prose(text: str) -> str:
    return PROSE_SKIP.sub(" ", text)


def term_problems(stems: list[str] | None = None) -> list[str]:
    """Glossary violations in the translations of the selected lessons, by lesson and cell."""
    terms = glossary()
    out = []
    for lesson in selected(stems):
        for cid, entry in load_store(lesson)["cells"].items():
            zh = entry.get("zh", "")
            if not zh.strip():
                continue  # a missing translation is ``check``'s to report
            en = prose(entry.get("en_new", entry.get("en", "")))
            for term in terms:
                forms = [term["en"], *term.get("also", [])]
                used = [f for f in forms
                        if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", en, re.IGNORECASE)]
                if used and term["zh"] not in zh:
                    out.append(f"{lesson.name} cell {cid}: the English says {used[0]!r}, the "
                               f"translation lacks {term['zh']!r}")
                for bad in term["avoid"]:
                    if bad in zh:
                        out.append(f"{lesson.name} cell {cid}: {bad!r} is not the course's "
                                   f"term; use {term['zh']!r} ({term['en']})")
    return out


LINK = re.compile(r"\]\(([^)\s]+)\)")


def link_problems(stems: list[str] | None = None) -> list[str]:
    """Translations whose link and image targets differ from their English cell's."""
    out = []
    for lesson in selected(stems):
        for cid, entry in load_store(lesson)["cells"].items():
            if not entry.get("zh", "").strip():
                continue
            en = sorted(LINK.findall(entry.get("en_new", entry.get("en", ""))))
            zh = sorted(LINK.findall(entry["zh"]))
            if en != zh:
                out.append(f"{lesson.name} cell {cid}: links {zh} in the translation, "
                           f"{en} in the English")
    return out


def render(lesson: Path) -> str:
    """The Chinese notebook for ``lesson`` as the exact text ``build`` writes."""
    raw = lesson.read_text(encoding="utf-8")
    nb = json.loads(raw)
    store = load_store(lesson)["cells"]
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = store[cell["id"]]["zh"]
            if (lesson.stem, cell["id"]) == GLOSSARY_CELL:
                text = text.rstrip("\n") + "\n\n" + glossary_table()
            cell["source"] = as_lines(localise(text))
    nb["metadata"]["language_info_course"] = {"edition": "zh", "source": f"../{lesson.name}"}
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def build(verify: bool = False, stems: list[str] | None = None) -> list[str]:
    """Write (or with ``verify``, compare) the Chinese notebooks of the selected lessons (all by
    default); nothing is written while any selected lesson has a ``check`` problem."""
    errors = check(stems)
    if errors:
        return errors
    stem, cid = GLOSSARY_CELL
    if not any(c["id"] == cid for c in markdown_cells(EN / f"{stem}.ipynb")):
        return [f"{stem}.ipynb has no markdown cell {cid} for the glossary (GLOSSARY_CELL)"]
    ZH.mkdir(exist_ok=True)
    out = []
    for lesson in selected(stems):
        text = render(lesson)
        target = ZH / lesson.name
        if verify:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                out.append(f"notebooks/zh/{lesson.name} differs from a fresh build (make zh)")
        else:
            target.write_text(text, encoding="utf-8")
    if verify and not stems:
        expected = {lesson.name for lesson in lessons()}
        extra = sorted(p.name for p in ZH.glob("*.ipynb") if p.name not in expected)
        out += [f"notebooks/zh/{name} has no English source" for name in extra]
    return out


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "build"
    if cmd == "check":
        errors = check(argv[2:])
    elif cmd == "sync":
        sync(argv[2:])
        errors = []
    elif cmd == "accept":
        accept(argv[2], argv[3])
        errors = []
    elif cmd == "build":
        errors = build(verify="--verify" in argv, stems=[a for a in argv[2:] if a != "--verify"])
    elif cmd == "terms":
        errors = term_problems(argv[2:]) + link_problems(argv[2:])
    else:
        print(__doc__)
        return 2
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s); see i18n/build.py's docstring", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
