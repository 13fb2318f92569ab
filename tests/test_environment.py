"""The set-up promises: pins agree everywhere, notebooks are stored executed, README commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# conda-forge names that differ from PyPI names
CONDA_TO_PIP = {"pytorch": "torch"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"requirements.lock line is not an exact pin: {line!r}"
        pins[norm(m.group(1))] = m.group(2)
    return pins


def env_yml_pins() -> dict[str, str]:
    """Parse the dependency lines of environment.yml (conda `name=ver` and pip `name==ver`)."""
    pins = {}
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#")[0].strip()
        m = re.fullmatch(r"-\s+([A-Za-z0-9_.\-]+)\s*={1,2}\s*([^\s=]+)", line)
        if m and m.group(1) != "python":
            pins[norm(CONDA_TO_PIP.get(m.group(1), m.group(1)))] = m.group(2)
    return pins


def test_every_lock_line_is_an_exact_pin_and_torch_is_2_13_0() -> None:
    pins = lock_pins()
    assert pins["torch"] == "2.13.0"
    required = {"torch", "numpy", "matplotlib", "jupyterlab", "ipywidgets", "scikit-learn", "nbval",
                "pytest", "hypothesis", "playwright"}
    assert required <= pins.keys(), required - pins.keys()


def test_environment_yml_mirrors_the_pins() -> None:
    lock, env = lock_pins(), env_yml_pins()
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and re.search(r"-\s+python\s*=\s*3\.11", text)
    required = {"torch", "numpy", "matplotlib", "jupyterlab", "ipywidgets", "scikit-learn", "nbval",
                "pytest", "hypothesis", "playwright"}
    assert required <= env.keys(), f"missing from environment.yml: {required - env.keys()}"
    wrong = {name: (ver, lock.get(name)) for name, ver in env.items() if lock.get(name) != ver}
    assert not wrong, f"environment.yml and requirements.lock disagree (yml, lock): {wrong}"


def test_installed_versions_are_the_pinned_ones() -> None:
    from importlib.metadata import version

    pins = lock_pins()
    for name in ("torch", "numpy", "scikit-learn", "matplotlib", "jupyterlab", "nbval"):
        assert version(name).split("+")[0] == pins[name], name


def test_readme_gives_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make lab" in text and "make test" in text


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS + [ROOT / "notebooks" / "00_start_here.ipynb"],
                         ids=lambda p: p.name)
def test_notebook_is_stored_executed_top_to_bottom(path: Path) -> None:
    """nbval skips cells stored without outputs, so a blank notebook would pass it."""
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, "no code cells"
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts[:10]}..."
    with_output = sum(bool(c.get("outputs")) for c in code)
    assert with_output >= len(code) // 3, f"only {with_output} of {len(code)} code cells have output"
    for c in code:
        src = "".join(c["source"])
        expected_error = "raises-exception" in c.get("metadata", {}).get("tags", []) or "NBVAL_RAISES_EXCEPTION" in src
        errors = [o for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert expected_error or not errors, f"stored error: {errors[:1]}"


def test_make_test_lints_and_type_checks_before_the_tests() -> None:
    """`make test` fails on any ruff or mypy finding, with the pinned tools."""
    recipe = (ROOT / "Makefile").read_text().split("\ntest: venv\n", 1)[1].split("\n\n", 1)[0]
    steps = [line.strip() for line in recipe.splitlines()]
    assert steps == ["$(PY) -m ruff check src tests benchmarks setup.py classroom instructor i18n", "$(PY) -m mypy src", "$(PY) -m pytest"]
    assert {"ruff", "mypy"} <= lock_pins().keys()
    assert "[tool.mypy]" in (ROOT / "pyproject.toml").read_text()


def test_lesson00_prints_which_estep_runs() -> None:
    """Issue 19: the environment check of lesson 00 shows `ak.show_config()` and its output."""
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"
             and "".join(c["source"]).strip() == "ak.show_config()"]
    assert len(cells) == 1
    text = "".join("".join(o.get("text", "")) for o in cells[0]["outputs"])
    assert "E-step (argmin_kmeans.kernel)" in text and "backend" in text
