"""The measurement helpers and the scaling model of lesson 09 (``argmin_kmeans.distributed.scaling``)."""

from __future__ import annotations

import math
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


def test_gemm_rate_is_a_positive_rate() -> None:
    r = sc.gemm_rate(128, repeats=2)
    assert math.isfinite(r) and r > 1e6  # any machine multiplies faster than 1 MFLOP/s


def test_allreduce_bytes_has_no_n_samples() -> None:
    assert sc.allreduce_bytes(64, 64) == 8 * (64 * 65 + 2)
    with pytest.raises(ValueError, match="n_clusters"):
        sc.allreduce_bytes(0, 3)


def test_fit_allreduce_recovers_a_line() -> None:
    a, b = 40e-6, 2e9
    timings = {m: a + 8 * m / b for m in (1, 1000, 100_000)}
    fa, fb = sc.fit_allreduce(timings)
    assert fa == pytest.approx(a, rel=1e-9) and fb == pytest.approx(b, rel=1e-9)
    with pytest.raises(ValueError, match="at least 2 sizes"):
        sc.fit_allreduce({8: 1e-5})
    with pytest.raises(ValueError, match="do not grow"):
        sc.fit_allreduce({8: 2e-5, 8000: 1e-5})


def test_project_matches_the_formula() -> None:
    kw = {"n_samples": 1000, "t_row": 1e-6, "n_clusters": 4, "n_features": 3, "latency": 1e-4,
          "bandwidth": 1e8}
    t = sc.project([1, 2, 3, 8], **kw)
    B = sc.allreduce_bytes(4, 3)
    assert t["comm"][0] == 0 and t["speedup"][0] == 1.0 and t["efficiency"][0] == 1.0
    assert t["total"][1] == pytest.approx(500e-6 + 1e-4 + B / 1e8)  # p = 2: the fitted line
    assert t["compute"][2] == pytest.approx(334e-6)  # ceil(1000 / 3) rows
    assert t["comm"][3] == pytest.approx(3e-4 + 2 * 7 / 8 * B / 1e8)
    w = sc.project([1, 4], weak=True, **kw)
    assert np.allclose(w["compute"], 1e-3) and w["efficiency"][1] == pytest.approx(1e-3 / w["total"][1])
    assert w["speedup"][1] == pytest.approx(4 * w["efficiency"][1])


def test_crossover_is_the_first_worker_count_where_comm_wins() -> None:
    kw = {"n_samples": 10**6, "t_row": 1e-7, "n_clusters": 16, "n_features": 16,
          "latency": 1e-4, "bandwidth": 1e9}
    t = sc.project([2**i for i in range(14)], **kw)
    p = sc.crossover(t)
    i = int(np.log2(p))
    assert t["comm"][i] >= t["compute"][i] and t["comm"][i - 1] < t["compute"][i - 1]
    assert sc.crossover(sc.project([1, 2], **kw)) is None
