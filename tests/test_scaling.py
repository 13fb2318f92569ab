"""The measurement helpers and the scaling model of lesson 09 (``argmin_kmeans.distributed.scaling``)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from argmin_kmeans.distributed import scaling as sc

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")


@linux
def test_peak_memory_sees_a_touched_allocation_and_not_a_no_op() -> None:
    grown = sc.peak_memory(lambda: torch.ones(16 * 2**20))  # 64 MiB, written, then freed
    assert 60 * 2**20 <= grown < 100 * 2**20, grown / 2**20
    assert sc.peak_memory(lambda: None) < 4 * 2**20


def test_seconds_per_call_is_the_fastest_of_the_repeats() -> None:
    calls = []
    t = sc.seconds_per_call(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and 0 < t < 0.1
    with pytest.raises(ValueError, match="repeats"):
        sc.seconds_per_call(lambda: None, repeats=0)


def test_allreduce_bytes_has_no_n_samples() -> None:
    assert sc.allreduce_bytes(64, 64) == 8 * (64 * 65 + 2)
    with pytest.raises(ValueError, match="n_clusters"):
        sc.allreduce_bytes(0, 3)


def test_fit_compute_recovers_a_line_and_weighs_small_sizes() -> None:
    rows = [1_000, 10_000, 100_000, 1_000_000]
    t_call, t_row = 150e-6, 160e-9
    fc, fr = sc.fit_compute(rows, [t_call + n * t_row for n in rows])
    assert fc == pytest.approx(t_call, rel=1e-9) and fr == pytest.approx(t_row, rel=1e-9)
    # 10 % noise on the largest size must not wipe out the fixed cost that the smallest shows
    noisy = [t_call + n * t_row for n in rows[:-1]] + [1.1 * (t_call + rows[-1] * t_row)]
    assert sc.fit_compute(rows, noisy)[0] > 50e-6
    # a line through the origin is returned as t_call = 0, not a negative fixed cost
    assert sc.fit_compute([10, 100], [1e-6, 20e-6])[0] == 0.0
    with pytest.raises(ValueError, match="at least 2 different"):
        sc.fit_compute([10, 10], [1e-6, 2e-6])
    with pytest.raises(ValueError, match="do not grow"):
        sc.fit_compute([10, 100], [2e-5, 1e-5])


def test_allreduce_seconds_ring_and_tree() -> None:
    p = [1, 2, 3, 4, 8]
    ring = sc.allreduce_seconds(p, alpha=1e-4, beta=1e-9, nbytes=8000)
    # 2(p - 1) steps of alpha + B/p * beta: p = 2 is 2 * (1e-4 + 4000e-9)
    assert ring[0] == 0 and ring[1] == pytest.approx(2 * (1e-4 + 4e-6))
    assert ring[2] == pytest.approx(4 * (1e-4 + 8000e-9 / 3))
    tree = sc.allreduce_seconds(p, alpha=1e-4, beta=1e-9, nbytes=8000, algorithm="tree")
    assert tree[0] == 0 and tree[3] == pytest.approx(2 * (1e-4 + 8e-6))
    assert tree[4] == pytest.approx(3 * (1e-4 + 8e-6))
    with pytest.raises(ValueError, match="algorithm"):
        sc.allreduce_seconds(p, alpha=1e-4, algorithm="star")


def test_fit_allreduce_recovers_the_ring() -> None:
    alpha, beta = 2e-4, 3e-10
    ring = {p: {m: float(sc.allreduce_seconds([p], alpha=alpha, beta=beta, nbytes=8 * m)[0])
                for m in (64, 4162, 33296)} for p in (2, 3, 4)}
    assert sc.fit_allreduce(ring) == pytest.approx((alpha, beta), rel=1e-9)
    assert sc.fit_allreduce(ring, (2,)) == pytest.approx((alpha, beta), rel=1e-9)
    flat = {2: {64: 5e-4, 4162: 4e-4}}  # larger buffers faster: no cost per byte
    a, b = sc.fit_allreduce(flat)
    assert b == 0.0 and 2e-4 < a < 2.5e-4
    with pytest.raises(ValueError, match="no all_reduce timings for 5"):
        sc.fit_allreduce(ring, (5,))
    with pytest.raises(ValueError, match="2 different message sizes"):
        sc.fit_allreduce({2: {64: 1e-4}})


def test_project_matches_the_formula() -> None:
    kw = {"n_samples": 1000, "t_row": 1e-6, "t_call": 5e-5, "alpha": 1e-4}
    t = sc.project([1, 2, 3, 8], **kw)
    assert t["comm"][0] == 0 and t["speedup"][0] == 1.0 and t["efficiency"][0] == 1.0
    assert t["total"][1] == pytest.approx(5e-5 + 500e-6 + 2e-4)  # p = 2: two ring steps
    assert t["compute"][2] == pytest.approx(5e-5 + 334e-6)  # ceil(1000 / 3) rows
    assert t["comm"][2] == pytest.approx(4e-4) and t["comm"][3] == pytest.approx(14e-4)
    tree = sc.project([1, 2, 3, 8], algorithm="tree", **kw)
    assert tree["comm"][2] == pytest.approx(2e-4) and tree["comm"][3] == pytest.approx(3e-4)
    w = sc.project([1, 4], weak=True, **kw)
    assert np.allclose(w["compute"], 5e-5 + 1e-3)
    assert w["efficiency"][1] == pytest.approx(w["total"][0] / w["total"][1])
    assert w["speedup"][1] == pytest.approx(4 * w["efficiency"][1])


def test_crossover_and_best_speedup_read_the_table() -> None:
    kw = {"n_samples": 10**6, "t_row": 1e-7, "t_call": 1e-4, "alpha": 1e-5}
    t = sc.project([2**i for i in range(14)], **kw)
    p = sc.crossover(t)
    assert p is not None
    i = int(np.log2(p))
    assert t["comm"][i] >= t["compute"][i] and t["comm"][i - 1] < t["compute"][i - 1]
    assert sc.crossover(sc.project([1, 2], **kw)) is None
    best, speedup = sc.best_speedup(t)
    assert speedup == t["speedup"].max() and t["speedup"][int(np.log2(best))] == speedup
    assert 1 < best < 2**13  # the model's speed-up rises, then falls


def _measurements(rows=(1000, 10_000, 100_000)) -> sc.Measurements:
    B = sc.allreduce_numbers(4, 3)
    ring = {p: {m: float(sc.allreduce_seconds([p], alpha=1e-4, beta=1e-9, nbytes=8 * m)[0])
                for m in (64, B)} for p in (2, 3)}
    ring[3] = {m: 2 * s for m, s in ring[3].items()}  # 3 processes slowed down
    return sc.Measurements(sc.machine("a note"), 4, 3, list(rows),
                           {1: [1e-4 + n * 1e-7 for n in rows], 2: [1.0] * len(rows)}, ring)


def test_measurements_round_trip_through_json(tmp_path) -> None:
    m = _measurements()
    path = tmp_path / "m.json"
    path.write_text(m.to_json())
    assert sc.Measurements.load(path) == m
    assert {"date", "cpu", "cores", "gpus", "torch"} <= set(m.machine)


def test_measure_compute_times_every_setting_and_restores_threads() -> None:
    before = torch.get_num_threads()
    out = sc.measure_compute([50, 200], n_clusters=4, n_features=3, threads=(1,), rounds=1,
                             repeats=1)
    assert set(out) == {1} and len(out[1]) == 2 and all(0 < s < 1 for s in out[1])
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="fewer than n_clusters"):
        sc.measure_compute([3], n_clusters=4, n_features=3)


def test_seconds_per_iteration_counts_one_iteration() -> None:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(2000, 3, generator=g)
    per = sc.seconds_per_iteration(X, X[:4].clone(), iterations=2, repeats=2)
    assert 0 < per < 0.5


def test_model_numbers_use_one_thread_and_the_ring_of_the_chosen_counts() -> None:
    m = _measurements()
    r = sc.model_numbers(m, n_strong=10**6, n_weak=10**5, workers=[1, 2, 4])
    assert r["t_call"] == pytest.approx(1e-4) and r["t_row"] == pytest.approx(1e-7)
    assert r["alpha"] == pytest.approx(1e-4) and r["beta"] == pytest.approx(1e-9)
    assert r["nbytes"] == sc.allreduce_bytes(4, 3)
    strong = sc.project([1, 2, 4], n_samples=10**6, t_call=1e-4, t_row=1e-7, alpha=1e-4,
                        beta=1e-9, nbytes=r["nbytes"])
    assert r["best_speedup"] == pytest.approx(strong["speedup"].max())
    assert r["weak_efficiency"][1] == pytest.approx(1.0) and set(r["weak_efficiency"]) == {1, 2, 4}
    slow = sc.model_numbers(m, workers=[1, 2, 4], processes=None)  # p = 3 too: pessimistic
    assert slow["alpha"] > r["alpha"]


# sc.measure_allreduce, which starts real processes, is tested in tests/test_distributed.py
# (test_measure_allreduce_times_real_processes): under pytest -n N that file's tests share one
# worker and its forkserver, where a launch from here would start (and import torch in) another.


def _lesson_text() -> str:
    """Lesson 09's prose: its markdown and the alt texts of its figures, whitespace collapsed."""
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "notebooks/09_scaling_kmeans.ipynb").read_text())
    parts = []
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            parts.append("".join(c["source"]))
        alt = c["metadata"].get("mystnb", {}).get("image", {}).get("alt")
        if alt:
            parts.append(alt)
    return " ".join(" ".join(parts).split())


def test_lesson09_quotes_the_stored_measurements() -> None:
    """Every number lesson 09's text quotes from data/09_measurements.json is the file's (the
    text is written by hand; regenerate the file and this test says which sentence to update)."""
    from pathlib import Path

    m = sc.Measurements.load(Path(__file__).parents[1] / "notebooks/data/09_measurements.json")
    text = _lesson_text()
    t_call, t_row = sc.fit_compute(m.rows, m.seconds[1])
    dev = max(abs((t_call + n * t_row) / s - 1) for n, s in zip(m.rows, m.seconds[1]))
    sec1, sec2 = dict(zip(m.rows, m.seconds[1])), dict(zip(m.rows, m.seconds[2]))
    sp = {n: f"{sec1[n] / sec2[n]:.2f}" for n in m.rows}
    B = sc.allreduce_numbers(m.n_clusters, m.n_features)
    alpha, beta = sc.fit_allreduce(m.allreduce, (2,))
    alpha_all, _ = sc.fit_allreduce(m.allreduce)
    ring = {p: float(sc.allreduce_seconds([p], alpha=alpha, beta=beta, nbytes=8 * B)[0])
            for p in m.allreduce}
    kw = {"t_call": t_call, "t_row": t_row, "alpha": alpha, "beta": beta, "nbytes": 8 * B}
    w = list(sc.MODEL_WORKERS)
    strong = sc.project(w, n_samples=10**6, **kw)
    weak = sc.project(w, n_samples=10**5, weak=True, **kw)
    tree = sc.project(w, n_samples=10**6, algorithm="tree", **kw)
    tree_weak = sc.project(w, n_samples=10**5, weak=True, algorithm="tree", **kw)
    cross, (p_best, s_best) = sc.crossover(strong), sc.best_speedup(strong)
    i = w.index(cross)
    pess = sc.model_numbers(m, processes=None)
    tc, tr = f"{t_call * 1e6:.0f}", f"{t_row * 1e9:.0f}"
    quoted = [
        f"$t_\\text{{call}}$ = {tc} µs and $t_\\text{{row}}$ = {tr} ns, within {dev:.0%}",
        f"which cost {sec1[64] * 1e3:.2f} and {sec1[256] * 1e3:.2f} ms",
        (f"{t_call / (t_call + 1e3 * t_row):.0%} of an iteration on $10^3$ rows and "
        f"{t_call / (t_call + 1e6 * t_row):.1%} on $10^6$"),
        (f"2 threads were {sp[10**6]} x faster at $10^6$ rows and {sp[10**5]} x at $10^5$, and "
        f"{sp[10**3]} x and {sp[10**4]} x at $10^3$ and $10^4$ rows"),
        f"$K(d+1)+2 = {B}$",
        f"({8 * B:,} bytes)",
        f"$\\alpha$ = {alpha * 1e6:.0f} µs per step and $\\beta$ = {beta * 1e9:.2f} ns per byte",
        (f"model's {ring[2] * 1e6:.0f} µs for the buffer (measured: {m.allreduce[2][B] * 1e6:.0f}"
        f" µs) is {2 * alpha / ring[2]:.0%} latency"),
        (f"takes {m.allreduce[3][B] / ring[3]:.1f} and {m.allreduce[4][B] / ring[4]:.1f} times "
        f"the model's time"),
        f"$\\alpha$ would be {alpha_all * 1e6:.0f} µs",
        (f"about {(t_call + 1e6 * t_row) * 1e3:.0f} ms per iteration on one worker by the model; "
        f"measured: {sec1[10**6] * 1e3:.0f} ms"),
        (f"at $p$ = {cross} (compute {strong['compute'][i] * 1e3:.2f} ms, reduction "
        f"{strong['comm'][i] * 1e3:.2f} ms); the best speed-up is {s_best:.1f}, at "
        f"$p$ = {p_best}"),
        f"speed-up of {strong['speedup'][-1]:.1f} at $p$ = 1024",
        f"{weak['efficiency'][2]:.0%} at $p$ = 4, {weak['efficiency'][-1]:.0%} at $p$ = 1024",
        (f"fall only to {tree_weak['efficiency'][-1]:.0%}; its strong-scaling crossover would be "
        f"at $p$ = {sc.crossover(tree)}"),
        f"still be growing at $p$ = 1024 ({tree['speedup'][-1]:.1f})",
        (f"$p$ = {pess['crossover']} and the best speed-up {pess['best_speedup']:.1f} at "
        f"$p$ = {pess['best_p']}"),
        f"({tc} µs + {tr} ns per row",
        f"made it {sp[10**6]} x faster at $10^6$ rows",
        (f"best speed-up of {s_best:.1f} at $p$ = {p_best}, the reduction catching up with the "
        f"compute at $p$ = {cross}"),
        (f"falling to {weak['efficiency'][-1]:.0%} at $p$ = 1024 (an ideal tree: "
        f"{tree_weak['efficiency'][-1]:.0%})"),
        f"fitted line {tc} us + rows x {tr} ns",  # alt text of the compute figure
        f"make 10^6 rows {sp[10**6]} times faster",
        f"at least the compute from p = {cross} on",  # alt text of the projection
        f"the curves cross between p = {w[i - 1]} and {cross}",
        f"lowest at p = {p_best}",
        (f"to {weak['efficiency'][-1]:.0%} at p = 1024, with an ideal tree (grey triangles) only "
        f"to {tree_weak['efficiency'][-1]:.0%}"),
    ]
    missing = [q for q in quoted if q not in text]
    assert not missing, missing
    # what the text says in words about these numbers
    assert strong["speedup"][-1] < 1  # "slower than one worker"
    assert tree["speedup"][-1] == tree["speedup"].max()  # "still be growing at p = 1024"
    assert max(sec1[n] / sec2[n] for n in (10**3, 10**4)) < 1.05  # "changed nothing"
    assert sec1[64] < sec1[256] < 1.2 * sec1[64]  # "about as much"
