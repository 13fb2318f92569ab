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


def test_project_matches_the_formula() -> None:
    kw = {"n_samples": 1000, "t_row": 1e-6, "t_call": 5e-5, "t_allreduce": 1e-4}
    t = sc.project([1, 2, 3, 8], **kw)
    assert t["comm"][0] == 0 and t["speedup"][0] == 1.0 and t["efficiency"][0] == 1.0
    assert t["total"][1] == pytest.approx(5e-5 + 500e-6 + 1e-4)  # p = 2: one measured exchange
    assert t["compute"][2] == pytest.approx(5e-5 + 334e-6)  # ceil(1000 / 3) rows
    assert t["comm"][2] == pytest.approx(2e-4) and t["comm"][3] == pytest.approx(3e-4)
    w = sc.project([1, 4], weak=True, **kw)
    assert np.allclose(w["compute"], 5e-5 + 1e-3)
    assert w["efficiency"][1] == pytest.approx(w["total"][0] / w["total"][1])
    assert w["speedup"][1] == pytest.approx(4 * w["efficiency"][1])


def test_crossover_and_best_speedup_read_the_table() -> None:
    kw = {"n_samples": 10**6, "t_row": 1e-7, "t_call": 1e-4, "t_allreduce": 1e-4}
    t = sc.project([2**i for i in range(14)], **kw)
    p = sc.crossover(t)
    assert p is not None
    i = int(np.log2(p))
    assert t["comm"][i] >= t["compute"][i] and t["comm"][i - 1] < t["compute"][i - 1]
    assert sc.crossover(sc.project([1, 2], **kw)) is None
    best, speedup = sc.best_speedup(t)
    assert speedup == t["speedup"].max() and t["speedup"][int(np.log2(best))] == speedup
    assert 1 < best < 2**13  # the model's speed-up rises, then falls


def test_measurements_round_trip_through_json(tmp_path) -> None:
    m = sc.Measurements(sc.machine("a note"), 4, 3, [10, 100], {1: [1e-5, 1e-4], 2: [1e-5, 6e-5]},
                        {1: 2e-4, 34: 3e-4})
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


def test_model_numbers_use_the_buffer_timing_and_one_thread() -> None:
    B = sc.allreduce_bytes(4, 3) // 8
    rows = [1000, 10_000, 100_000]
    m = sc.Measurements(sc.machine(), 4, 3, rows,
                        {1: [1e-4 + n * 1e-7 for n in rows], 2: [1.0, 1.0, 1.0]},
                        {1: 1e-5, B: 2e-4})
    r = sc.model_numbers(m, n_strong=10**6, n_weak=10**5, workers=[1, 2, 4])
    assert r["t_call"] == pytest.approx(1e-4) and r["t_row"] == pytest.approx(1e-7)
    assert r["t_allreduce"] == 2e-4  # the buffer's own timing, not the 1-number one
    strong = sc.project([1, 2, 4], n_samples=10**6, t_call=1e-4, t_row=1e-7, t_allreduce=2e-4)
    assert r["best_speedup"] == pytest.approx(strong["speedup"].max())
    assert r["weak_efficiency"][1] == pytest.approx(1.0) and set(r["weak_efficiency"]) == {1, 2, 4}
