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
