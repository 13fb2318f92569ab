"""`make figures` regenerates every committed figure, and nothing else.

Every builder runs here once, with ``small=True`` (the same drawing code on coarse grids and
small data: the full sizes are ``make figures``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from argmin_kmeans.plotting import figures

ROOT = Path(__file__).resolve().parents[1]


def test_the_list_is_the_committed_figures() -> None:
    committed = {p.stem for p in (ROOT / "figures").glob("*.png")}
    assert committed == set(figures.FIGURES), (
        f"figures/ and the list disagree: only committed {sorted(committed - set(figures.FIGURES))}, "
        f"only listed {sorted(set(figures.FIGURES) - committed)}; run `make figures`"
    )


@pytest.mark.parametrize("stem", list(figures.FIGURES))
def test_every_figure_is_built_labelled_and_written(
    stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fig = figures.FIGURES[stem](small=True)
    main = [a for a in fig.axes if a.get_label() != "<colorbar>" and a.get_visible()]
    plots = [a for a in main if a.get_xlabel() or a.get_ylabel() or a.get_title()]
    assert plots and all(a.get_xlabel() and a.get_ylabel() for a in plots), stem
    assert any(a.get_title() for a in plots) or fig._suptitle is not None, stem
    # `main` writes the figure just checked: the registered builder is swapped for one that
    # returns it (a second build would cost as much again and draw the same), and records the
    # arguments `main` builds with; `main` still picks the stem, makes the folder and saves
    calls: list[dict] = []

    def built(**kwargs: object) -> Figure:
        calls.append(kwargs)
        return fig

    monkeypatch.setitem(figures.FIGURES, stem, built)
    (path,) = figures.main(str(tmp_path), [stem], small=True)
    assert calls == [{"small": True}], calls
    assert path == tmp_path / f"{stem}.png"
    with Image.open(path) as im:
        w, h = im.size
        assert w >= 400 and h >= 250, f"{path.name} is only {w}x{h}"
        # not a blank canvas: a real plot has many distinct colours
        assert len(im.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50, path.name


def test_unknown_stems_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown figures \\['nope'\\]"):
        figures.main(str(tmp_path), ["nope"])
