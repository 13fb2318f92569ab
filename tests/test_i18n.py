"""The Chinese edition's machinery (``i18n/build.py``): stale and missing translations fail with
the lesson and cell named, code cells and outputs are copied byte for byte, links are localised.

The tests run the tool on a temporary copy of two lessons with made-up translations, so they
check the rules themselves, whatever state the committed translations are in.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``i18n/build.py`` pointed at a copy of lessons 00 and 01 under ``tmp_path``."""
    spec = importlib.util.spec_from_file_location("i18n_build", ROOT / "i18n" / "build.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    en = tmp_path / "notebooks"
    en.mkdir()
    for nb in sorted((ROOT / "notebooks").glob("0[01]_*.ipynb")):
        shutil.copy(nb, en / nb.name)
    monkeypatch.setattr(mod, "EN", en)
    monkeypatch.setattr(mod, "ZH", en / "zh")
    monkeypatch.setattr(mod, "STORE", tmp_path / "i18n" / "zh")
    return mod


def translate_all(tool: ModuleType) -> None:
    """Fill every entry with a stand-in translation that keeps the English links."""
    tool.sync()
    for path in tool.STORE.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["cells"].values():
            entry["zh"] = "中文：" + entry["en"]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def test_missing_translations_are_named(tool: ModuleType) -> None:
    tool.sync()
    errors = tool.check()
    assert errors and all("empty translation" in e for e in errors)
    assert any(e.startswith("00_start_here.ipynb cell ") for e in errors)
    assert tool.build() == errors  # build refuses, with the same list
    assert not tool.ZH.exists()


def test_a_changed_english_cell_makes_its_translation_stale(tool: ModuleType) -> None:
    translate_all(tool)
    assert tool.check() == []
    lesson = tool.EN / "01_argmax_has_zero_gradient.ipynb"
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    cell["source"] = ["A changed sentence."]
    lesson.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    errors = tool.check()
    assert errors == [(f"01_argmax_has_zero_gradient.ipynb cell {cell['id']}: stale translation, "
                      "the English changed ('A changed sentence.')")]
    tool.sync()  # keeps the old translation, shows the new English beside it
    entry = json.loads((tool.STORE / "01_argmax_has_zero_gradient.json").read_text())["cells"][
        cell["id"]]
    assert entry["en_new"] == "A changed sentence." and entry["zh"].startswith("中文")
    tool.accept("01_argmax_has_zero_gradient", cell["id"])
    assert tool.check() == []


def test_code_cells_and_outputs_are_copied_exactly(tool: ModuleType) -> None:
    translate_all(tool)
    assert tool.build() == []
    for lesson in tool.lessons():
        en = json.loads(lesson.read_text(encoding="utf-8"))
        zh = json.loads((tool.ZH / lesson.name).read_text(encoding="utf-8"))
        assert len(en["cells"]) == len(zh["cells"])
        for a, b in zip(en["cells"], zh["cells"], strict=True):
            assert a["id"] == b["id"] and a["cell_type"] == b["cell_type"]
            if a["cell_type"] == "code":
                assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
            else:
                assert "".join(b["source"]).startswith("中文")
        assert zh["metadata"]["kernelspec"] == en["metadata"]["kernelspec"]
    assert tool.build(verify=True) == []
    # a hand edit of a generated notebook is caught
    target = tool.ZH / "00_start_here.ipynb"
    target.write_text(target.read_text(encoding="utf-8").replace("中文", "中", 1), encoding="utf-8")
    assert tool.build(verify=True) == [("notebooks/zh/00_start_here.ipynb differs from a fresh "
                                       "build (make zh)")]


def test_links_out_of_notebooks_get_one_more_level(tool: ModuleType) -> None:
    text = "见 [README](../README.md)、![图](../figures/a.png)、[01](01_x.ipynb)、<img src=\"../f.png\">"
    assert tool.localise(text) == ("见 [README](../../README.md)、![图](../../figures/a.png)、"
                                   "[01](01_x.ipynb)、<img src=\"../../f.png\">")


def test_an_orphaned_translation_is_reported(tool: ModuleType) -> None:
    translate_all(tool)
    path = tool.STORE / "00_start_here.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cells"]["no-such-cell"] = {"en_sha256": "0", "en": "x", "zh": "x"}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert tool.check() == [("00_start_here.ipynb cell no-such-cell: translation of a cell the "
                            "lesson no longer has")]


# --------------------------------------------------------------------------- the glossary


def test_the_glossary_gives_each_english_term_one_chinese_term(tool: ModuleType) -> None:
    seen: dict[str, str] = {}
    for term in tool.glossary():
        assert term["zh"].strip(), term
        assert term["zh"] not in term["avoid"], term
        for form in [term["en"], *term.get("also", [])]:
            assert form.lower() not in seen, f"{form!r} is in the glossary twice"
            seen[form.lower()] = term["zh"]


def test_chinese_lesson00_shows_the_glossary(tool: ModuleType) -> None:
    translate_all(tool)
    assert tool.build() == []
    nb = json.loads((tool.ZH / "00_start_here.ipynb").read_text(encoding="utf-8"))
    _, cid = tool.GLOSSARY_CELL
    cell = next(c for c in nb["cells"] if c["id"] == cid)
    text = "".join(cell["source"])
    assert text.startswith("中文：") and text.endswith(tool.glossary_table())
    for term in tool.glossary():
        assert f"| {term['zh']} |" in text, term


def test_term_problems_name_lesson_and_cell(tool: ModuleType) -> None:
    translate_all(tool)  # stand-ins keep the English, so every term is "untranslated"
    errors = tool.term_problems(["01"])
    assert errors and all(e.startswith("01_argmax_has_zero_gradient.ipynb cell ") for e in errors)
    assert any("the translation lacks '梯度下降'" in e for e in errors), errors[:5]
    path = tool.STORE / "00_start_here.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    cid = next(iter(data["cells"]))
    data["cells"][cid]["zh"] = "质心"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert (f"00_start_here.ipynb cell {cid}: '质心' is not the course's term; use '聚类中心' "
            "(centre)") in tool.term_problems(["00"])
    # code, math and link targets are not prose: no term is asked for there
    assert tool.prose("`centres` $c_k$ [x](../cluster.md) <a href='loss'>").strip() == "[x"


def test_a_dropped_or_changed_link_is_reported(tool: ModuleType) -> None:
    translate_all(tool)
    assert tool.link_problems() == []
    path = tool.STORE / "00_start_here.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    cid, entry = next((k, v) for k, v in data["cells"].items() if "01_argmax" in v["zh"])
    entry["zh"] = entry["zh"].replace("01_argmax_has_zero_gradient.ipynb", "01.ipynb")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    errors = tool.link_problems(["00"])
    assert len(errors) == 1 and errors[0].startswith(f"00_start_here.ipynb cell {cid}: links ")


def test_lesson09_data_is_found_from_the_chinese_edition(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """notebooks/zh/ runs the English code cells: ``data/…`` is found one folder up."""
    from argmin_kmeans.distributed import scaling as sc

    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks" / "data", tmp_path / "notebooks" / "data")
    monkeypatch.chdir(tmp_path / "notebooks" / "zh")
    m = sc.Measurements.load("data/09_measurements.json")
    monkeypatch.chdir(tmp_path / "notebooks")
    assert sc.Measurements.load("data/09_measurements.json") == m


# --------------------------------------------------------------------------- the committed edition
# These read the real i18n/zh/ and notebooks/zh/: they fail, naming lesson and cell, until every
# lesson is translated, current and built. One lesson: `pytest tests/test_i18n.py -k 03_`, or
# `python i18n/build.py check 03`, `... terms 03`, `... build --verify 03`.


def _real_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_build_real", ROOT / "i18n" / "build.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REAL = _real_tool()
LESSONS = [lesson.stem for lesson in REAL.lessons()]


def _report(errors: list[str], limit: int = 30) -> str:
    more = f"\n  ... and {len(errors) - limit} more" if len(errors) > limit else ""
    return "\n  " + "\n  ".join(errors[:limit]) + more


@pytest.mark.parametrize("stem", LESSONS)
def test_every_markdown_cell_has_a_current_translation(stem: str) -> None:
    errors = REAL.check([stem])
    assert not errors, f"{len(errors)} missing or stale translation(s):{_report(errors)}"


@pytest.mark.parametrize("stem", LESSONS)
def test_translations_use_the_glossary(stem: str) -> None:
    errors = REAL.term_problems([stem])
    assert not errors, f"{len(errors)} glossary violation(s):{_report(errors)}"


@pytest.mark.parametrize("stem", LESSONS)
def test_committed_chinese_notebook_is_a_fresh_build(stem: str) -> None:
    errors = REAL.build(verify=True, stems=[stem])
    assert not errors, f"`make zh` would change notebooks/zh:{_report(errors)}"
    en = json.loads((REAL.EN / f"{stem}.ipynb").read_text(encoding="utf-8"))
    zh = json.loads((REAL.ZH / f"{stem}.ipynb").read_text(encoding="utf-8"))
    for a, b in zip(en["cells"], zh["cells"], strict=True):
        if a["cell_type"] == "code":
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), a["id"]


def test_no_chinese_notebook_without_an_english_one() -> None:
    extra = sorted(p.name for p in REAL.ZH.glob("*.ipynb")
                   if not (REAL.EN / p.name).exists())
    assert not extra, f"notebooks/zh has lessons that notebooks/ lacks: {extra}"


def test_lab_zh_settings_are_the_english_ones_plus_the_chinese_locale() -> None:
    en = json.loads((ROOT / "jupyter" / "settings" / "overrides.json").read_text())
    zh = json.loads((ROOT / "jupyter" / "settings-zh" / "overrides.json").read_text())
    locale = "@jupyterlab/translation-extension:plugin"
    assert zh.pop(locale) == {"locale": "zh_CN"} and locale not in en
    assert zh == en
    makefile = (ROOT / "Makefile").read_text()
    assert "notebooks/zh/00_start_here.ipynb" in makefile and "jupyter/settings-zh" in makefile
    from importlib.metadata import version

    assert version("jupyterlab-language-pack-zh-cn")  # installed by `make venv`, never at run time


@pytest.mark.parametrize("stem", LESSONS)
def test_translations_keep_every_link(stem: str) -> None:
    """Links between lessons stay as they are, so in notebooks/zh they open the Chinese lesson."""
    errors = REAL.link_problems([stem])
    assert not errors, f"{len(errors)} cell(s) with other links than the English:{_report(errors)}"
