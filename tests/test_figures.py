"""`make figures` regenerates every committed figure, and nothing else."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from argmin_kmeans import figures

ROOT = Path(__file__).resolve().parents[1]


def test_make_figures_writes_every_registered_figure(tmp_path: Path) -> None:
    written = figures.main(str(tmp_path))
    stems = {p.stem for p in written}
    assert stems == set(figures.registry()), "a builder did not write its file"
    committed = {p.stem for p in (ROOT / "figures").glob("*.png")}
    assert committed == stems, (
        f"figures/ and the registry disagree: only committed {sorted(committed - stems)}, "
        f"only registered {sorted(stems - committed)}; run `make figures`"
    )
    for p in written:
        with Image.open(p) as im:
            w, h = im.size
            assert w >= 400 and h >= 250, f"{p.name} is only {w}x{h}"
            # not a blank canvas: a real plot has many distinct colours
            assert len(im.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50, p.name
