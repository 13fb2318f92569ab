"""Data-parallel Lloyd and k-means‖ on real ``torch.distributed`` processes (gloo, 127.0.0.1).

One launch of 4 processes serves every world size 1–4: the groups of ranks ``[0]``, ``[0, 1]``,
``[0, 1, 2]`` and all four each run every check (``every_world`` and ``suite`` in
``tests/distributed_workers.py``). The workers are forked from one forkserver that imported torch
once (``run_workers`` on Linux/macOS), so every further launch takes a fraction of a second
(measured: the raise and segfault launches 23-28 s each spawned under load, 0.5-1.1 s forked).
``run_local`` is launched once more (and compared with that launch: a rerun in other processes); the faults once
each; lesson 09's ``measure_allreduce`` once; ``torchrun`` once (its launcher in a thread of
this process, its 2 workers fresh interpreters). Every launch has a timeout; under
``pytest -n N`` the tests of this file run on one worker (``ONE_WORKER`` in conftest.py), so
nothing is launched twice and one forkserver serves every launch. The reference is the serial
``argmin_kmeans.fit(X, init, method="lloyd")``.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from tests import distributed_workers as workers
from tests.helpers import blobs

import argmin_kmeans as ak
from argmin_kmeans.distributed import (
    WorkerError,
    counter_uniforms,
    kmeans_parallel_init,
    lloyd_distributed,
    row_range,
    run_local,
    run_workers,
    scaling,
)
from argmin_kmeans.distributed.__main__ import main as cli_main
from argmin_kmeans.initialization import kmeans_plusplus

ROOT = Path(__file__).resolve().parents[1]
K, SEED = 5, 3
LAUNCH_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    X = blobs(11, n=240, d=3, k=K, spread=1.6)  # overlapping blobs: several iterations
    # mirrored blobs, centres (+-5, 0) and 40 points at x = +-1e-8: float64 splits them by sign
    rng = np.random.default_rng(0)
    A = rng.normal(size=(100, 2)) + [-5.0, 0.0]
    ties = np.column_stack([np.repeat([1e-8, -1e-8], 20), rng.normal(size=40)])
    return {"X64": X, "C64": X[:K].copy(), "tiny": np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]),
            "ties": np.vstack([A, A * [-1.0, 1.0], ties]),
            "ties_init": np.array([[-5.0, 0.0], [5.0, 0.0]])}


@pytest.fixture(scope="module")
def serial(data):
    X, C = data["X64"], data["C64"]
    return {"ties": ak.fit(data["ties"], data["ties_init"], "lloyd", max_iter=0),
            "f64": ak.fit(X, C, "lloyd", max_iter=50),
            "f32": ak.fit(X.astype(np.float32), C.astype(np.float32), "lloyd", max_iter=50),
            "tiny": ak.fit(data["tiny"], data["tiny"][:2], "lloyd", max_iter=10)}


_launches: list[dict[int, dict]] = []


def _launch(world_size: int, data) -> list[dict]:
    """Every rank's results for the group of ``world_size`` ranks, from the one launch."""
    if not _launches:
        _launches.extend(run_workers(workers.every_world, 4, (data, K, SEED),
                                     timeout=LAUNCH_TIMEOUT))
    return [_launches[r][world_size] for r in range(world_size)]


@pytest.fixture(scope="module", params=[1, 2, 3, 4], ids=lambda w: f"world{w}")
def launched(request, data) -> list[dict]:
    return _launch(request.param, data)


@pytest.fixture(scope="module")
def launched2(data) -> list[dict]:
    return _launch(2, data)


def _close(a, b, rtol: float) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and float(np.abs(a - b).max()) <= rtol * float(np.abs(b).max())


# ----------------------------------------------------------------------------- exactness


def test_float64_equals_serial_fit_at_every_iteration(launched, serial) -> None:
    ref = serial["f64"]
    assert ref.n_iter >= 4 and ref.converged  # a run with something to compare
    for res in launched:
        h = res["f64"]
        assert h["n_iter"] == ref.n_iter and h["converged"]
        np.testing.assert_array_equal(h["n_changed"], ref.n_changed)
        np.testing.assert_array_equal(h["labels"], ref.labels)
        for t in range(ref.n_iter + 1):
            assert _close(h["centers"][t], ref.centers[t], 1e-12), t
            assert abs(h["loss"][t] - ref.loss[t]) <= 1e-12 * ref.loss[t], t


def test_history_identical_on_every_rank_and_on_rerun(launched) -> None:
    first = launched[0]["f64"]
    for res in launched:
        for key in ("f64", "f64_again", "tensor"):
            for field in ("centers", "loss", "n_changed", "labels"):
                np.testing.assert_array_equal(res[key][field], first[field])
    assert launched[0]["tensor"]["types"] == ("Tensor", "Tensor")
    assert launched[0]["f64"]["types"] == ("ndarray", "ndarray")


def _flips_are_near_ties(h: dict, ref, X: np.ndarray) -> int:
    """Assert every label where ``h`` and ``ref`` differ is a near-tie under ``h``'s final
    centres (float64 distances, within float32 resolution); return the number of flips."""
    C = h["centers"][-1].astype(np.float64)
    flips = np.flatnonzero(h["labels"] != ref.labels)
    for i in flips:
        a, b = h["labels"][i], ref.labels[i]
        da, db = ((X[i] - C[a]) ** 2).sum(), ((X[i] - C[b]) ** 2).sum()
        scale = (X[i] ** 2).sum() + (C[a] ** 2).sum() + (C[b] ** 2).sum()
        assert abs(da - db) <= 1e-5 * scale, (i, da, db)
    return len(flips)


def test_float32_loss_within_1e6_and_flips_are_near_ties(launched, serial, data) -> None:
    ref = serial["f32"]
    X = data["X64"].astype(np.float32).astype(np.float64)
    for res in launched:
        h = res["f32"]
        assert h["centers"].dtype == np.float32
        assert abs(h["loss"][-1] - ref.loss[-1]) <= 1e-6 * ref.loss[-1]
        _flips_are_near_ties(h, ref, X)  # (none on these blobs)
        # against float64, under the same (init) centres, on data built with 40 near-ties at
        # x = +-1e-8 between mirrored centres: float32 cannot see the sign, so flips happen,
        # and only at those points
        t, ref_t = res["ties32"], serial["ties"]
        assert abs(t["loss"][-1] - ref_t.loss[-1]) <= 1e-6 * ref_t.loss[-1]
        flips = _flips_are_near_ties(t, ref_t, data["ties"])
        assert 20 <= flips <= 40


def test_more_processes_than_rows_and_empty_shards(launched, serial) -> None:
    ref = serial["tiny"]
    rows = [res["tiny_rows"] for res in launched]
    assert sum(rows) == 3
    if len(launched) == 4:
        assert rows[0] == 0  # rank 0 holds no row
    for res in launched:
        np.testing.assert_allclose(res["tiny"]["centers"], ref.centers, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(res["tiny"]["labels"], ref.labels)


def test_local_mode_without_a_group_is_bitwise_fit(data, serial) -> None:
    h = lloyd_distributed(data["X64"], data["C64"], max_iter=50)
    ref = serial["f64"]
    np.testing.assert_array_equal(h.centers, ref.centers)
    np.testing.assert_array_equal(h.loss, ref.loss)
    np.testing.assert_array_equal(h.labels, ref.labels)


def test_run_local_reruns_are_bitwise_identical(data, launched2) -> None:
    # run_local's own 2 processes against the 2-rank group of the shared launch: a rerun in
    # other processes, bit for bit
    a = run_local(data["X64"], data["C64"], world_size=2, max_iter=50, timeout=LAUNCH_TIMEOUT)
    for field in ("centers", "loss", "n_changed", "labels"):
        np.testing.assert_array_equal(getattr(a, field), launched2[0]["f64"][field])
        np.testing.assert_array_equal(getattr(a, field), launched2[1]["f64_again"][field])
    assert isinstance(a.centers, np.ndarray) and a.converged


def test_allreduce_timings_are_measured(launched2) -> None:
    t0, t1 = launched2[0]["timings"], launched2[1]["timings"]
    assert t0 == t1 and set(t0) == {8, 4096} and all(0 < v < 1.0 for v in t0.values())


def test_measure_allreduce_times_real_processes() -> None:
    # lesson 09's measurement (argmin_kmeans.distributed.scaling; the rest of that module is
    # tested in tests/test_scaling.py): here, because under pytest -n N this file's tests run
    # on one worker, whose forkserver (torch imported once) then serves this launch too
    out = scaling.measure_allreduce([4, 64], processes=2, repeats=2, rounds=1, timeout=60.0)
    assert set(out) == {4, 64} and all(0 < s < 5 for s in out.values())


def test_row_range_covers_every_row_once() -> None:
    for n in range(12):
        for w in range(1, 6):
            ranges = [row_range(n, r, w) for r in range(w)]
            assert ranges[0][0] == 0 and ranges[-1][1] == n
            assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
            assert max(b - a for a, b in ranges) - min(b - a for a, b in ranges) <= 1


# ----------------------------------------------------------------------------- k-means‖


def test_kmeans_parallel_is_the_same_for_every_world_size(launched, data) -> None:
    local = kmeans_parallel_init(data["X64"], K, seed=SEED)  # no process group
    rows = {tuple(r) for r in data["X64"]}
    assert len({tuple(c) for c in local}) == K and all(tuple(c) in rows for c in local)
    for res in launched:
        np.testing.assert_array_equal(res["kpar"], local)
    tiny = kmeans_parallel_init(data["tiny"], 3, rounds=1, seed=SEED)
    for res in launched:
        np.testing.assert_array_equal(res["kpar_tiny"], tiny)


def test_kmeans_parallel_is_about_as_good_as_kmeans_plusplus() -> None:
    # inertia after Lloyd, 12 seeds each, on 8 blobs: k-means‖ within 5 % of k-means++ on
    # average, and far better than one Lloyd run from random rows
    X = blobs(5, n=800, d=2, k=8, spread=0.5)
    inits = {"par": lambda s: kmeans_parallel_init(X, 8, seed=s),
             "pp": lambda s: kmeans_plusplus(X, 8, seed=s),
             "rnd": lambda s: ak.random_init(X, 8, seed=s)}
    par, pp, rnd = (np.mean([ak.fit(X, init(s), "lloyd").final_loss for s in range(12)])
                    for init in inits.values())
    assert par <= 1.05 * pp and par < rnd, (par, pp, rnd)


def test_kmeans_parallel_is_translation_invariant() -> None:
    X = blobs(3, n=400, d=2, k=6)
    for seed in range(3):
        near = kmeans_parallel_init(X, 6, seed=seed)
        far = kmeans_parallel_init(X + 1e7, 6, seed=seed)  # the same rows must be picked
        np.testing.assert_allclose(far - 1e7, near, rtol=0, atol=1e-8)


def test_kmeans_parallel_top_up_and_errors() -> None:
    X = np.repeat(np.array([[0.0], [1.0]]), 4, axis=0)  # 2 distinct points, k = 4
    C = kmeans_parallel_init(X, 4, seed=0)
    assert C.shape == (4, 1) and set(C[:, 0]) == {0.0, 1.0}
    Ct = kmeans_parallel_init(torch.from_numpy(X).float(), 2, seed=0)
    assert isinstance(Ct, torch.Tensor) and Ct.dtype == torch.float32
    with pytest.raises(ValueError, match="n_clusters=9 is more than n_samples=8"):
        kmeans_parallel_init(X, 9)
    with pytest.raises(ValueError, match="rank 0: oversampling must be in"):
        kmeans_parallel_init(X, 2, oversampling=0.0)
    with pytest.raises(TypeError, match="rank 0: rounds must be an integer"):
        kmeans_parallel_init(X, 2, rounds=1.5)


def test_counter_uniforms_do_not_depend_on_the_split() -> None:
    whole = counter_uniforms(7, 2, 0, 20_000)
    parts = np.concatenate([counter_uniforms(7, 2, a, b) for a, b in
                            [(0, 3), (3, 9001), (9001, 20_000)]])
    np.testing.assert_array_equal(whole, parts)
    assert 0 <= whole.min() and whole.max() < 1
    # uniform: 20 equal bins, chi-square (19 dof) below its p = 1e-4 critical value 47.0
    counts = np.bincount((whole * 20).astype(int), minlength=20)
    assert ((counts - 1000) ** 2 / 1000).sum() < 47.0
    assert not np.array_equal(whole, counter_uniforms(7, 3, 0, 20_000))
    assert not np.array_equal(whole, counter_uniforms(8, 2, 0, 20_000))


# ----------------------------------------------------------------------------- faults


def test_a_worker_that_raises_stops_every_rank(data) -> None:
    t0 = time.monotonic()
    with pytest.raises(WorkerError, match="injected failure on rank 1") as info:
        run_workers(workers.raise_on, 2, (1, data["X64"], data["C64"]), timeout=LAUNCH_TIMEOUT)
    assert info.value.rank == 1 and info.value.kind == "RuntimeError"
    assert "Traceback" in info.value.traceback
    assert time.monotonic() - t0 < 30  # stopped at once, not after the 90 s timeout
    assert multiprocessing.active_children() == []  # every worker is gone


def test_a_worker_that_segfaults_is_named_not_the_rank_that_saw_it_go() -> None:
    # rank 1 dies by SIGSEGV; rank 0's collective then fails with a connection reset, which
    # may reach the parent first: the parent must still name rank 1, with its signal
    t0 = time.monotonic()
    with pytest.raises(WorkerError, match=r"rank 1 raised ProcessKilled: killed by SIGSEGV") as info:
        run_workers(workers.segfault_on, 2, (1,), timeout=LAUNCH_TIMEOUT)
    assert info.value.rank == 1 and info.value.kind == "ProcessKilled"
    assert time.monotonic() - t0 < 30  # no hang: well inside the 90 s timeout
    assert multiprocessing.active_children() == []


def test_inconsistent_inputs_raise_the_same_clear_error_on_every_rank(launched2) -> None:
    per_rank = [res["bad_inputs"] for res in launched2]
    shapes, nan, init = zip(*per_rank)
    for msg in shapes:
        assert msg.startswith("ValueError: the ranks disagree on n_features (rank 0: 3, rank 1: 4)"), msg
    for msg in nan:
        assert msg.startswith("ValueError: rank 1: X contains 1 non-finite value"), msg
    for msg in init:
        assert msg == "ValueError: the ranks were given different init centres; " \
                      "pass the same on every rank", msg


def test_a_stalled_rank_times_out_instead_of_hanging(tmp_path) -> None:
    # the limit: 5 times the happy path of the same launch (rank 1 not sleeping), measured
    # just before (it also starts the forkserver when this test runs alone), kept between
    # 2 s and 5 s. The marks show that the group had started and rank 0 had reached the
    # collective: the timeout came from the stall, not from a slow start.
    happy, stalled = tmp_path / "happy", tmp_path / "stalled"
    happy.mkdir()
    stalled.mkdir()
    t0 = time.monotonic()
    run_workers(workers.stall, 2, (0.0, str(happy)), timeout=LAUNCH_TIMEOUT)
    limit = min(5.0, max(2.0, 5 * (time.monotonic() - t0)))
    assert sorted(f.name for f in happy.iterdir()) == ["rank0", "rank1"]
    t0 = time.monotonic()
    with pytest.raises((TimeoutError, WorkerError)):
        run_workers(workers.stall, 2, (60.0, str(stalled)), timeout=limit)
    elapsed = time.monotonic() - t0
    assert sorted(f.name for f in stalled.iterdir()) == ["rank0", "rank1"]
    assert limit <= elapsed < limit + 20, (elapsed, limit)  # waited for the limit, then stopped
    assert multiprocessing.active_children() == []


def test_run_workers_and_run_local_refuse_bad_arguments_before_spawning(data) -> None:
    with pytest.raises(TypeError, match="cannot be sent to a spawned process"):
        run_workers(lambda: 0, 2)
    with pytest.raises(ValueError, match="world_size"):
        run_workers(workers.stall, 0)
    with pytest.raises(TypeError, match="X has dtype int64"):
        run_local(np.ones((4, 2), dtype=np.int64), np.ones((2, 2)), world_size=2)
    with pytest.raises(ValueError, match="backend must be one of"):
        run_local(data["X64"], data["C64"], world_size=2, backend="mpi")


def test_lloyd_distributed_argument_errors_name_the_value(data) -> None:
    X, C = data["X64"], data["C64"]
    with pytest.raises(ValueError, match="rank 0: max_iter must be an integer in"):
        lloyd_distributed(X, C, max_iter=-1)
    with pytest.raises(ValueError, match="rank 0: gather_labels must be one of"):
        lloyd_distributed(X, C, gather_labels="yes")
    with pytest.raises(ValueError, match="rank 0: X_local must be 2-D"):
        lloyd_distributed(X[:, 0], C)
    with pytest.raises(ValueError, match="n_clusters=5 is more than n_samples=3"):
        lloyd_distributed(X[:3], C)
    with pytest.raises(TypeError, match="rank 0: X has dtype torch.float32 but centers has dtype"):
        lloyd_distributed(X[:0].astype(np.float32), C)  # an empty shard is checked too


# ----------------------------------------------------------------------------- command line


def _files(tmp_path: Path, data) -> tuple[Path, Path]:
    X, C = tmp_path / "X.npy", tmp_path / "C.npy"
    np.save(X, data["X64"])
    np.save(C, data["C64"])
    return X, C


def _stop_descendants(marker: str) -> None:
    """Kill this process's descendants whose command line mentions ``marker``."""
    try:
        import psutil
    except ImportError:  # the workers then end at their own --timeout
        return
    for child in psutil.Process().children(recursive=True):
        try:
            if any(marker in part for part in child.cmdline()):
                child.kill()
        except psutil.Error:
            pass


def test_torchrun_two_processes_on_localhost(tmp_path, data, monkeypatch) -> None:
    # torchrun itself (`torch.distributed.run`, the `torchrun` command's module: its arguments,
    # its --standalone rendezvous, its agent) starts 2 workers, each `python -m
    # argmin_kmeans.distributed` in its own fresh interpreter, as on the command line. The
    # launcher runs in a thread of this process instead of a third interpreter (which spent
    # ~3 s importing torch and tearing it down): `run(parse_args(...))` is the command's
    # `main` without its `@record` error-file wrapper; off the main thread it installs no
    # signal handlers here, and the variables it sets in os.environ (handed to the workers, as
    # the command does) are set and restored here.
    X_path, _ = _files(tmp_path, data)
    out = tmp_path / "out"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    # torchrun's own default for 2 workers per node (it would set it in os.environ)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("TORCHELASTIC_SIGNALS_TO_HANDLE", "SIGTERM,SIGINT,SIGHUP,SIGQUIT")
    args = ["--standalone", "--nproc-per-node", "2",
            "-m", "argmin_kmeans.distributed", "--data", str(X_path), "--n-clusters", str(K),
            "--init", "kmeans||", "--seed", str(SEED), "--max-iter", "50", "--out", str(out),
            "--timeout", "60"]
    from torch.distributed.run import parse_args
    from torch.distributed.run import run as torchrun

    failure: list[BaseException] = []

    def launch() -> None:
        try:
            torchrun(parse_args(args))
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            failure.append(e)

    launcher = threading.Thread(target=launch, name="torchrun", daemon=True)
    launcher.start()
    launcher.join(timeout=120)
    if launcher.is_alive():  # never hang: stop the workers, and with them the launcher
        _stop_descendants(str(out))
        launcher.join(timeout=30)
        pytest.fail("torchrun did not finish within 120 s")
    assert not failure, failure
    # the same run in this process: k-means‖ (any world size picks the same) then serial Lloyd
    ref = ak.fit(data["X64"], kmeans_parallel_init(data["X64"], K, seed=SEED), "lloyd",
                 max_iter=50)
    np.testing.assert_allclose(np.load(out / "centers.npy"), ref.centers[-1], rtol=1e-12, atol=0)
    hist = json.loads((out / "history.json").read_text())
    assert hist["world_size"] == 2 and hist["n_iter"] == ref.n_iter and hist["converged"]
    np.testing.assert_allclose(hist["loss"], ref.loss, rtol=1e-12)
    assert hist["n_changed"] == ref.n_changed.tolist()


def test_cli_in_one_process_with_an_init_file(tmp_path, data, serial, capsys) -> None:
    X_path, C_path = _files(tmp_path, data)
    assert cli_main(["--data", str(X_path), "--n-clusters", str(K), "--init", str(C_path),
                     "--max-iter", "50", "--out", str(tmp_path / "o")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "o" / "centers.npy"),
                                  serial["f64"].centers[-1])
    assert "converged=True" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change,message",
    [
        ({"--data": "missing.npy"}, r"--data .*missing.npy: no such file"),
        ({"--init": "missing.npy"}, r"--init .*missing.npy: no such file"),
        ({"--n-clusters": "4"}, r"shape \(5, 3\) does not match \(n_clusters, n_features\) = \(4, 3\)"),
        ({"--n-clusters": "999"}, r"--n-clusters 999: must be in \[1, n_samples=240\]"),
        ({"--init": "C32.npy"}, "dtype float32 differs from --data's float64"),
        ({"--data": "bad.npy"}, "not a readable .npy array"),
        ({"--data": "X1d.npy"}, r"need shape \(n_samples, n_features\)"),
    ],
)
def test_cli_bad_files_fail_before_the_group_starts(tmp_path, data, capsys, monkeypatch,
                                                    change, message) -> None:
    X_path, C_path = _files(tmp_path, data)
    np.save(tmp_path / "C32.npy", data["C64"].astype(np.float32))
    np.save(tmp_path / "X1d.npy", data["X64"][:, 0])
    (tmp_path / "bad.npy").write_text("not numpy")
    # as rank 0 of 2 under torchrun: were the group started, rank 0 would wait for rank 1
    # (up to --timeout); the error must come first
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1")
    args = {"--data": str(X_path), "--n-clusters": str(K), "--init": str(C_path),
            "--out": str(tmp_path / "o"), "--timeout": "5"}
    args.update({k: str(tmp_path / v) if v.endswith(".npy") else v for k, v in change.items()})
    t0 = time.monotonic()
    assert cli_main([x for kv in args.items() for x in kv]) == 1
    assert time.monotonic() - t0 < 2.0
    err = capsys.readouterr().err
    assert "error on rank 0" in err
    assert re.search(message, err), err
    assert not torch.distributed.is_initialized()


def test_cli_help_explains_single_and_multi_node_launch(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for needle in ["torchrun --standalone --nproc-per-node 4", "--nnodes 2", "--rdzv-endpoint",
                   "--data", "--init", "kmeans||", "centers.npy", "history.json", "nccl"]:
        assert needle in text, needle
