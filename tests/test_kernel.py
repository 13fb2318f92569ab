"""The kernel (``argmin_kmeans.kernel``): one explicit backend, the paths it names, and the
cases that used to go wrong — torch's negative bit, one far-away centre, float32 sums at large
n, concurrent callers, a transposed one-row input, the checked C boundary.

References are float64 brute force over direct differences; a label may differ from it only at
a *true near-tie* of its two nearest centres, measured around the data's mean (a bound that does
not grow with a far-away centre: ``helpers.naive_reference``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import argmin_kmeans as ak
from argmin_kmeans import core, kernel
from conftest import BACKENDS, require_compiled
from helpers import naive_reference

DTYPES = [torch.float32, torch.float64]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- one backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_backend_argument_runs_the_path_it_names(backend) -> None:
    X = torch.randn(40, 2, generator=_gen(0))  # small: "auto" takes the small path
    C = X[:3].clone()
    if backend == "compiled":
        require_compiled()
    r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend=backend)
    assert r.path == {"auto": "small", "compiled": "compiled", "torch": "torch"}[backend]
    assert kernel.plan(40, 3, 2, X.dtype, X.device, backend).path == r.path
    with kernel.use_backend(backend):  # the default of calls that pass none
        assert kernel.default_backend() == backend
        assert kernel.fused_pass(X, C, with_sums=False, with_inertia=False).path == r.path
    assert kernel.default_backend() == "auto"


def test_a_bad_backend_is_refused() -> None:
    X = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"backend must be one of \['auto', 'compiled', 'torch'\]"):
        kernel.fused_pass(X, X[:2], with_sums=False, with_inertia=False, backend="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backend must be one of"), kernel.use_backend("C"):  # type: ignore[arg-type]
        pass


def test_auto_picks_by_the_measured_rule_of_the_build() -> None:
    require_compiled()
    st = kernel.compiled_state()
    max_d, wide_k = kernel.COMPILED_RULE[st.builds[st.level]]
    cpu, f32 = torch.device("cpu"), torch.float32
    for d, k in [(2, 8), (min(max_d + 1, 10**4), max(1, min(wide_k - 1, 10**4))),
                 (min(max_d + 1, 10**4), min(wide_k, 10**4))]:
        want = "compiled" if d <= max_d or k >= wide_k else "torch"
        assert kernel.plan(100_000, k, d, f32, cpu, "auto").path == want, (d, k)
    assert kernel.plan(10, 3, 2, f32, cpu, "auto").path == "small"
    assert kernel.plan(100_000, 8, 2, f32, cpu, "auto").path == "compiled"


@pytest.mark.parametrize("backend", ["compiled", "torch"])
def test_what_is_not_asked_for_is_not_returned(backend) -> None:
    if backend == "compiled":
        require_compiled()
    X = torch.randn(500, 3, generator=_gen(8))
    C = X[:5].clone()
    full = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend=backend)
    for sums in (False, True):
        for inertia in (False, True):
            r = kernel.fused_pass(X, C, with_sums=sums, with_inertia=inertia, backend=backend)
            assert r.path == backend
            assert torch.equal(r.labels, full.labels)
            assert (r.sums is not None) == sums and (r.counts is not None) == sums
            assert (r.inertia is not None) == inertia


def test_chunking_gives_the_same_answer() -> None:
    # the torch loop with chunks of 1, 13 and 40 rows (200 rows: many chunks, a partial last
    # one) against one chunk of all rows, and against the float64 brute force
    g = _gen(2)
    X = torch.randn(200, 3, generator=g, dtype=torch.float64) * 3
    C = X[:5].clone()
    want, D, _ = naive_reference(X, C)
    whole = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="torch")
    assert torch.equal(whole.labels, want)
    for chunk in (5, 65, 200):  # k = 5 wide: 1, 13 and 40 rows per chunk
        rows = kernel.chunk_rows(200, 5, 3, chunk)
        assert rows == chunk // 5 and -(-200 // rows) > 1  # really several chunks
        r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="torch",
                              chunk_elements=chunk)
        assert torch.equal(r.labels, want) and torch.equal(r.counts, whole.counts)
        assert torch.allclose(r.sums, whole.sums, rtol=1e-13, atol=1e-12)
        assert float(r.inertia) == pytest.approx(float(D.min(1).values.sum()), rel=1e-13)


_MEMORY_SCRIPT = r"""
import json, resource, sys, torch
from argmin_kmeans import kernel
torch.set_num_threads(1)
n, k, d = 2**21, 8, 2
X = torch.randn(n, d, generator=torch.Generator().manual_seed(0))
C = X[:k].clone()
kernel.fused_pass(X[:70_000], C, with_sums=True, with_inertia=True, backend="torch")  # warm-up
labels = torch.empty(n, dtype=torch.int64)  # what the pass must return anyway, touched
labels.fill_(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="torch")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"growth_mib": after - before, "path": r.path,
                  "rows": kernel.chunk_rows(n, k, d)}))
"""


def test_chunk_memory_is_bounded_at_two_million_points() -> None:
    # the torch loop over 2**21 rows in a fresh process: its peak memory grows by the labels
    # (16 MiB) and a chunk's buffers, never by an (n, k) distance matrix (64 MiB here)
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True,
                         text=True, timeout=120, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["path"] == "torch" and res["rows"] < 2**21 // 8  # chunked
    assert res["growth_mib"] < 16 + 24, res  # labels + chunk buffers; (n, k) alone is 64 MiB


# --------------------------------------------------------------------------- show_config


def test_show_config_names_the_estep_and_why(capsys) -> None:
    ak.show_config()
    text = capsys.readouterr().out
    st = kernel.compiled_state()
    for needle in (f"torch         {torch.__version__}", "E-step", "backend       auto",
                   st.reason, "scikit-learn", "threads       up to"):
        assert needle in text, needle
    if st.available:
        assert st.builds[st.level] in text and "compiled pass in use" in text
    assert kernel.config()["compiled_available"] == st.available


_SUBPROCESS_SCRIPT = r"""
import importlib.abc, io, json, os, sys


class SklearnWatch(importlib.abc.MetaPathFinder):
    # records every request to import scikit-learn (or a submodule), whether it would succeed
    # or not; once `block` is set, refuses them
    requests, block = [], False

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "sklearn":
            self.requests.append(name)
            if self.block:
                raise ImportError(f"scikit-learn refused by the test: {name}")
        return None


watch = SklearnWatch()
sys.meta_path.insert(0, watch)
import torch
import argmin_kmeans as ak
out = {"sklearn_after_import": ["sklearn" in sys.modules, watch.requests[:5]]}
from argmin_kmeans import kernel
st = kernel.compiled_state()
out["available"], out["reason"] = st.available, st.reason
X = torch.randn(50_000, 2)
out["auto_path"] = kernel.fused_pass(X, X[:8].clone(), with_sums=False,
                                     with_inertia=False).path
try:
    kernel.fused_pass(X, X[:8].clone(), with_sums=False, with_inertia=False, backend="compiled")
    out["compiled_error"] = None
except RuntimeError as e:
    out["compiled_error"] = str(e)
buf = io.StringIO()
ak.show_config(file=buf)
out["config"] = buf.getvalue()
out["sklearn_after_config"] = ["sklearn" in sys.modules, watch.requests[:5]]
watch.block = True  # the estimator, on first use, must ask for scikit-learn
try:
    ak.KMeans
    out["estimator_error"] = None
except ImportError as e:
    out["estimator_error"] = str(e)
out["sklearn_asked_by_estimator"] = watch.requests[:5]
sys.stdout.write(json.dumps(out) + "\n")
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # every fact is printed: skip the interpreter's teardown of torch (~1 s)
"""


def test_import_without_scikit_learn_and_the_switch_is_never_silent() -> None:
    # one fresh process with ARGMIN_KMEANS_PURE_TORCH=1: `import argmin_kmeans` loads no
    # scikit-learn (ak.KMeans does, on first use); the switch shows in the state, in "auto"'s
    # path, in backend="compiled"'s error and in show_config.
    # A finder first on sys.meta_path sees every request to import scikit-learn (stricter than
    # `"sklearn" in sys.modules` alone: a request caught by a try/except counts too). At
    # ak.KMeans it refuses the request instead of importing scikit-learn and SciPy (~2 s): the
    # access ends in that ImportError, which shows the request came from the estimator. (That
    # ak.KMeans then resolves to the estimator: `from argmin_kmeans import KMeans` in
    # tests/test_sklearn_dropin.py goes through the same module __getattr__.)
    env = dict(os.environ, ARGMIN_KMEANS_PURE_TORCH="1")
    out = subprocess.run([sys.executable, "-c", _SUBPROCESS_SCRIPT], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    p = json.loads(out.stdout.strip().splitlines()[-1])
    assert p["sklearn_after_import"] == [False, []]
    assert p["sklearn_after_config"] == [False, []]
    assert p["sklearn_asked_by_estimator"][:1] == ["sklearn"]
    assert "scikit-learn refused by the test" in p["estimator_error"]
    assert not p["available"] and "ARGMIN_KMEANS_PURE_TORCH=1" in p["reason"]
    assert p["auto_path"] == "torch"
    assert "ARGMIN_KMEANS_PURE_TORCH=1" in p["compiled_error"]
    assert "compiled pass NOT in use" in p["config"]
    assert "ARGMIN_KMEANS_PURE_TORCH=1" in p["config"]


# --------------------------------------------------------------------------- silently wrong


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cdtype", [torch.complex64, torch.complex128])
def test_tensors_with_the_negative_bit_are_read_as_their_values(backend, cdtype) -> None:
    if backend == "compiled":
        require_compiled()
    Z = torch.randn(20_000, 3, generator=_gen(1), dtype=cdtype)
    X = Z.conj().imag  # a view: memory holds +imag, the values are -imag
    C = Z[:6].conj().imag
    assert X.is_neg() and C.is_neg()
    Xv, Cv = X.resolve_neg(), C.resolve_neg()
    want, _, near = naive_reference(Xv, Cv)
    with kernel.use_backend(backend):
        got = ak.assign(X, C)
        step = ak.lloyd_step(X, C)
    assert int(((got != want) & ~near).sum()) == 0
    with kernel.use_backend("torch"):
        assert torch.allclose(step, ak.lloyd_step(Xv, Cv), rtol=1e-5, atol=1e-6)
    r = kernel.fused_pass(X, C, with_sums=True, with_inertia=False, backend=backend)
    assert torch.equal(r.labels, got)


def _far_centre_problem(n: int = 20_000):
    """float32 data ~ N(1000, 1) in 2-D; 8 centres drawn from it, one moved to 3e4."""
    X = (torch.randn(n, 2, generator=_gen(0), dtype=torch.float64) + 1000.0).float()
    C = X[torch.randperm(n, generator=_gen(1))[:8]].clone()
    C[7] = 3e4
    return X, C


@pytest.mark.parametrize("backend", ["auto", "compiled", "torch"])
def test_one_far_centre_does_not_cost_the_others_their_precision(backend) -> None:
    if backend == "compiled":
        require_compiled()
    X, C = _far_centre_problem()
    want, _, near = naive_reference(X, C)
    assert int(near.sum()) <= 5  # the bound is that of the near centres, not of 3e4
    with kernel.use_backend(backend):
        got = ak.assign(X, C)
        step = ak.lloyd_step(X, C)
        h = ak.fit(X, C, "lloyd", max_iter=300)
    assert int(((got != want) & ~near).sum()) == 0  # was 554 of 100,000 (torch loop 1,097)
    # the step against float64 means of the float64 labels
    k = C.shape[0]
    Xd = X.double()
    n_k = torch.bincount(want, minlength=k).double()[:, None]
    means = torch.zeros(k, 2, dtype=torch.float64).index_add_(0, want, Xd)
    ref = torch.where(n_k > 0, means / n_k.clamp(min=1), C.double())
    assert float((step.double() - ref).abs().max()) <= 4 * 6.2e-5  # a few ulps of 1000
    ref_fit = ak.fit(X.double(), C.double(), "lloyd", max_iter=300)
    assert h.converged and ref_fit.converged
    assert abs(h.final_loss - ref_fit.final_loss) <= 1e-4 * ref_fit.final_loss


def test_float32_sums_keep_their_digits_at_two_to_the_24_rows() -> None:
    # 2**24 + 5 float32 rows in [1, 2) around two centres: a float32 running sum of such
    # values stops moving at 2**24 (the torch loop's Lloyd step was off by 9.8e-4); both loops
    # sum in float64. One data set for both backends.
    n = 2**24 + 5
    X = torch.rand(n, 1, generator=_gen(3)) + 1.0
    C = torch.tensor([[1.2], [1.8]])
    Xd = X.double()[:, 0]
    c0, c1 = float(C[0, 0]), float(C[1, 0])
    mid = (c0 + c1) / 2  # in float64: the nearest centre is the one on x's side of it
    want = (Xd > mid).long()
    far = (Xd - mid).abs() >= 1e-6  # a few samples are closer to the tie than float32 sees
    seen: tuple[torch.Tensor, float] | None = None  # (labels, their float64 inertia)
    for backend in ["torch"] + (["compiled"] if kernel.compiled_state().available else []):
        r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend=backend)
        assert r.path == backend
        assert bool(((r.labels == want) | ~far).all())  # right away from the tie
        n_k = torch.bincount(r.labels, minlength=2)
        assert torch.equal(r.counts, n_k)
        means64 = torch.bincount(r.labels, weights=Xd, minlength=2) / n_k  # float64 sums
        got = r.shift.double() + r.sums.double()[:, 0] / n_k
        assert float((got - means64).abs().max()) <= 2e-7, (backend, got, means64)
        if seen is None or not torch.equal(r.labels, seen[0]):  # the same labels: computed once
            seen = (r.labels, float(((Xd - C.double()[r.labels, 0]) ** 2).sum()))
        assert float(r.inertia) == pytest.approx(seen[1], rel=1e-6), backend


# --------------------------------------------------------------------------- crashes, hangs


def test_the_worker_pool_is_safe_under_concurrent_calls() -> None:
    # 8 threads, each with its own torch.set_num_threads, each asking for more workers than
    # the last call (the pool grows by replacement while others submit to it). (torch's
    # thread count is per thread only in part: a thread's first query re-applies the last
    # count set by any thread, so only errors and results are checked, not the counts.)
    X = torch.randn(2**15, 8, generator=_gen(4))
    C = X[:8].clone()
    backends = ["torch"] + (["compiled"] if kernel.compiled_state().available else [])
    ref = {b: kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend=b, threads=1)
           for b in backends}
    errors: list[BaseException] = []
    saved = torch.get_num_threads()

    def caller(i: int) -> None:
        try:
            torch.set_num_threads(1 + i % 3)
            for t in range(2, 9):
                for b in backends:
                    r = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend=b,
                                          threads=t + i % 2)
                    assert torch.equal(r.labels, ref[b].labels)
                    assert torch.equal(r.counts, ref[b].counts)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(8)]
    try:
        for th in threads:
            th.start()
        deadline = time.monotonic() + 120
        for th in threads:
            th.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        torch.set_num_threads(saved)  # the process-wide default, for the tests that follow
    assert not any(th.is_alive() for th in threads), "a caller hung"
    assert not errors, errors[0]


def _transposed_row(d: int, dtype=torch.float64) -> torch.Tensor:
    x = torch.randn(d, 1, generator=_gen(5), dtype=dtype)
    X1 = x.T  # (1, d) with strides (1, 1): the row stride is smaller than the width
    assert X1.shape == (1, d) and X1.stride(0) < d
    return X1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_transposed_one_row_input_works_everywhere(backend) -> None:
    if backend == "compiled":
        require_compiled()
    d = 5000  # n k d above the small path's size: "auto" reaches the compiled pass
    X1 = _transposed_row(d)
    C = torch.randn(3, d, generator=_gen(6), dtype=torch.float64)
    counts = torch.ones(3, dtype=torch.float64)
    with kernel.use_backend(backend):
        assert ak.assign(X1, C[:1]).tolist() == [0]  # one row: one centre at most
        r = kernel.fused_pass(X1, C, with_sums=True, with_inertia=True)
        assert r.labels.tolist() == [int(((X1 - C) ** 2).sum(1).argmin())]
        assert r.path == kernel.plan(1, 3, d, X1.dtype, X1.device).path
        ak.stochastic.minibatch_step(X1, C, counts)
        ak.stochastic.sgd_step(X1, C, 1e-3)
        km = ak.KMeans(n_clusters=3, init=C.numpy(), n_init=1, max_iter=1).fit(
            torch.randn(10, d, generator=_gen(7), dtype=torch.float64).numpy())
        assert km.predict(X1.numpy()).shape == (1,)
        assert np.isfinite(km.score(X1.numpy()))


# --------------------------------------------------------------------------- the C boundary


def _args(n=40, d=3, k=4, dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(dtype)
    return {"X": X, "start": 0, "stop": n, "shift": None, "scale": 1.0, "C": X[:k].copy(),
            "labels": np.empty(n, dtype=np.int64), "sums": np.zeros((k, d)),
            "counts": np.zeros(k, dtype=np.int64), "want_inertia": True, "level": -1,
            "parts": 1, "threads": 1}


def _run(**kw):
    fp = kernel._fastpass
    a = {**_args(), **kw}
    return fp.run(a["X"], a["start"], a["stop"], a["shift"], a["scale"], a["C"], a["labels"],
                  a["sums"], a["counts"], a["want_inertia"], a["level"], a["parts"],
                  a["threads"])


def test_a_threaded_run_depends_on_its_chunks_never_on_its_threads() -> None:
    """One C call cuts rows [start, stop) into chunks, runs them on the calling thread and the
    module's pool, and adds the chunks' partial sums in chunk order: bit for bit the same
    sums, counts and inertia on 1 thread and on 4, and the labels of one chunk."""
    require_compiled()
    fp = kernel._fastpass
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30_011, 3)) + 1e3
    C = X[:7] - 1e3  # shifted centres: the pass takes them as given
    shift = np.full(3, 1e3)

    def once(parts, threads, start=5, stop=30_000):
        labels = np.full(len(X), -1, dtype=np.int64)
        sums, counts = np.zeros((7, 3)), np.zeros(7, dtype=np.int64)
        out = fp.run(X, start, stop, shift, 1.0, C, labels, sums, counts, True, -1, parts,
                     threads)
        return labels, sums, counts, out

    base = once(1, 1)
    helped = fp.pool()[1]
    for parts in (3, 32):
        one = once(parts, 1)
        assert np.array_equal(one[0], base[0]) and np.array_equal(one[2], base[2])
        assert np.allclose(one[1], base[1], rtol=1e-12) and one[3][0] == pytest.approx(
            base[3][0], rel=1e-12)
        for threads in (2, 4):
            many = once(parts, threads)
            assert all(np.array_equal(a, b) for a, b in zip(many[:3], one[:3]))
            assert many[3] == one[3]  # the inertia and the check: the same additions
    labels = base[0]
    assert (labels[:5] == -1).all() and (labels[30_000:] == -1).all()  # only [start, stop)
    # the pool's threads did run chunks of these calls (not only the calling thread)
    for _ in range(50):
        if fp.pool()[1] > helped:
            break
        once(32, 2)
    assert fp.pool()[0] >= 1 and fp.pool()[1] > helped


def _threaded_labels_in_a_child(conn) -> None:  # runs in a forked child
    fp = kernel._fastpass
    before = fp.pool()  # the parent's threads are not the child's: none started yet
    X = torch.randn(40_000, 8, generator=_gen(11))
    r = kernel.fused_pass(X, X[:12].clone(), with_sums=True, with_inertia=False,
                          backend="compiled", threads=2)
    for _ in range(50):  # its own helper joins (its first job, or a later one)
        if fp.pool()[1] > 0:
            break
        kernel.fused_pass(X, X[:12].clone(), with_sums=True, with_inertia=False,
                          backend="compiled", threads=2)
    conn.send((r.labels.numpy(), before, fp.pool()))


def test_a_forked_child_runs_threaded_passes() -> None:
    """The pool's threads do not survive fork(): a child of a process that used them starts
    with none (pthread_atfork), then its own, which run its chunks (without the handler it
    would count the parent's threads as its own and run every chunk alone)."""
    require_compiled()
    import multiprocessing as mp

    X = torch.randn(40_000, 8, generator=_gen(11))
    want = kernel.fused_pass(X, X[:12].clone(), with_sums=True, with_inertia=False,
                             backend="compiled", threads=2).labels.numpy()
    assert kernel._fastpass.pool()[0] >= 1
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_threaded_labels_in_a_child, args=(child,))
    p.start()
    try:
        assert parent.poll(60), "the forked child hung"
        labels, before, after = parent.recv()
        assert np.array_equal(labels, want)
        assert before == (0, 0)  # pthread_atfork: no threads, no counts copied from the parent
        assert after[0] >= 1 and after[1] > 0  # its own threads started and ran chunks
    finally:
        p.join(10)
        if p.is_alive():
            p.kill()
    assert p.exitcode == 0


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"C": np.zeros((4, 3), np.float32)}, TypeError, "C must be float64, got float32"),
        ({"X": np.zeros((40, 3), np.int64)}, TypeError, "X must be float32 or float64"),
        ({"C": np.zeros((4, 2))}, ValueError, r"C has shape \(4, 2\): need \(k, d=3\)"),
        ({"labels": np.empty(39, np.int64)}, ValueError, "labels has 39 entries, X has n=40"),
        ({"labels": np.empty(40, np.int32)}, TypeError, "labels must be int64, got another"),
        ({"labels": np.empty((40, 2), np.int64)[:, 0]}, ValueError, "labels must be C-contig"),
        ({"sums": np.zeros((4, 2))}, ValueError, r"sums \(4, 2\) and counts"),
        ({"sums": None}, ValueError, "both sums and counts, or neither"),
        ({"shift": np.zeros(2)}, ValueError, "shift has 2 entries, X has d=3"),
        ({"stop": 41}, ValueError, r"rows \[0, 41\) are not within \[0, 40\)"),
        ({"start": 5, "stop": 4}, ValueError, r"rows \[5, 4\)"),
        ({"scale": 3.0}, ValueError, "scale=3 must be a power of two"),
        ({"scale": -0.5}, ValueError, "scale=-0.5 must be a power of two"),
        ({"scale": 2.0**200, "X": np.zeros((40, 3), np.float32),
          "C": np.zeros((4, 3), np.float32)}, ValueError, "representable in float32"),
        ({"level": 7}, ValueError, "level=7: this CPU runs levels 0.."),
        ({"X": np.zeros((40, 6))[:, ::2]}, ValueError, "unit stride within a row"),
        ({"X": [[1.0, 2.0, 3.0]]}, TypeError, "X must be an array"),
        ({"parts": 0}, ValueError, "parts=0 and threads=1: need 1 <= parts"),
        ({"parts": 2**17}, ValueError, "parts=131072"),
        ({"threads": 0}, ValueError, "threads=0: need"),
    ],
)
def test_the_c_boundary_checks_every_buffer(change, error, message) -> None:
    require_compiled()
    with pytest.raises(error, match=message):
        _run(**change)


def test_the_c_boundary_refuses_read_only_outputs_and_pending_bits() -> None:
    require_compiled()
    labels = np.empty(40, dtype=np.int64)
    labels.flags.writeable = False
    with pytest.raises(TypeError, match="labels must be a writable array"):
        _run(labels=labels)
    # a tensor whose memory is not its values cannot become the NumPy view C reads; the
    # kernel resolves the bit first (plain), so what crosses holds the values
    Y = torch.full((3, 2), 2 + 1j, dtype=torch.complex64).conj().imag  # values -1
    with pytest.raises(RuntimeError, match="negative bit"):
        Y.numpy()
    assert np.array_equal(kernel.plain(Y).numpy(), -np.ones((3, 2), np.float32))
    inertia, check = _run()
    assert np.isfinite(inertia) and np.isfinite(check)


def test_core_estep_passes_the_backend_through() -> None:
    X = torch.randn(3000, 4, generator=_gen(9))
    C = X[:5].clone()
    a = core.estep(X, C, backend="torch")
    b = core.estep(X, C, backend="auto")
    assert torch.equal(a.labels, b.labels)


# --------------------------------------------------------------------------- the install


def _source_copy(dest) -> None:
    root = Path(__file__).resolve().parents[1]
    for name in ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
        if (root / name).exists():
            shutil.copy(root / name, dest / name)
    shutil.copytree(root / "src", dest / "src",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info",
                                                  "_fastpass.skipped"))


@pytest.mark.packaging  # two `pip wheel` builds: make test runs it, the unit loop does not
def test_a_missing_c_compiler_fails_the_install_loudly_unless_asked(tmp_path) -> None:
    # pip shows a failed build's output (a successful build's notes only with -v): without a
    # compiler the install stops and says what to do; ARGMIN_KMEANS_PURE_TORCH=1 installs
    # without the compiled pass and leaves the note that show_config() reports
    _source_copy(tmp_path)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
           "-w", str(tmp_path / "wheels"), str(tmp_path)]
    env = dict(os.environ, CC="/bin/false")
    env.pop("ARGMIN_KMEANS_PURE_TORCH", None)
    failed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert failed.returncode != 0
    out = failed.stdout + failed.stderr
    assert "the compiled E-step" in out and "did not build" in out
    assert "Install a C compiler" in out and "ARGMIN_KMEANS_PURE_TORCH=1" in out
    env["ARGMIN_KMEANS_PURE_TORCH"] = "1"
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert ok.returncode == 0, ok.stderr[-2000:]
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "argmin_kmeans/kernel/_fastpass.skipped" in names
    assert not any(n.endswith(".so") for n in names) and "argmin_kmeans/py.typed" in names
