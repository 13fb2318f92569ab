"""Stochastic k-means against references: Lloyd, the question's code, running means, sklearn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.cluster import MiniBatchKMeans

import argmin_kmeans as ak
from argmin_kmeans import core, datasets, plotting
from argmin_kmeans import stochastic as sk
from argmin_kmeans.naive import question_step
from helpers import HSET, blobs  # tests/ is on sys.path under pytest

DTYPES = [torch.float32, torch.float64]
METHOD_LRS = [("minibatch", None), ("online", None), ("sgd", 1e-3), ("adam", 0.1)]


@st.composite
def problems(draw, dtypes=DTYPES, min_n: int | None = None):
    """Random (X, centers) pairs; ``X`` may hold fewer rows than centres unless ``min_n``."""
    k = draw(st.integers(1, 6))
    n = draw(st.integers(min_n if min_n is not None else k, 60))
    d = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-2, 1.0, 1e3]))
    X = torch.tensor(rng.normal(size=(n, d)) * scale, dtype=dtype)
    C = torch.tensor(rng.normal(size=(k, d)) * scale, dtype=dtype)
    return X, C


def separated(seed: int, n: int, k: int = 3, d: int = 2) -> tuple[np.ndarray, ...]:
    """Clusters 100 apart with spread 1 and centres on their means: no label can ever change."""
    rng = np.random.default_rng(seed)
    means = 100.0 * np.eye(k, d) if d >= k else 100.0 * rng.normal(size=(k, d))
    y = rng.integers(k, size=n)
    return means[y] + rng.normal(size=(n, d)), means, y


# --------------------------------------------------------------------------- the question's SGD


@HSET
@given(problems(min_n=1), st.floats(1e-6, 1e-1))
def test_sgd_step_is_the_questions_step(pair, lr) -> None:
    X, C = pair
    ours = sk.sgd_step(X, C, lr)
    ref = question_step(X, C, lr)
    tol = 1e-4 if X.dtype == torch.float32 else 1e-10
    scale = float(C.abs().max() + X.abs().max())
    assert float((ours - ref).abs().max()) <= tol * scale


@HSET
@given(problems())
def test_sgd_step_on_a_full_batch_is_gd_step(pair) -> None:
    X, C = pair
    # same formula; the core adds chunk partial sums in another order: equal to rounding
    tol = (1e-5 if X.dtype == torch.float32 else 1e-12) * max(1.0, float(X.abs().max() + C.abs().max()))
    torch.testing.assert_close(sk.sgd_step(X, C, 1e-3), ak.gd_step(X, C, 1e-3), rtol=0, atol=tol)


# --------------------------------------------------------------------------- mini-batch k-means


@HSET
@given(problems())
def test_minibatch_with_all_points_and_zero_counts_is_the_lloyd_step(pair) -> None:
    X, C = pair
    new, counts = sk.minibatch_step(X, C)  # counts=None: reset to zero
    # one M-step on the same statistics: bit for bit (lesson 05 says so)
    assert torch.equal(new, ak.lloyd_step(X, C))
    _, n_k, _ = ak.cluster_stats(X, C)
    assert torch.equal(counts, n_k)


@HSET
@given(problems(min_n=1), st.integers(0, 2**32 - 1))
def test_minibatch_counts_persist_and_weight_the_running_mean(pair, seed) -> None:
    X, C = pair
    k = C.shape[0]
    n0 = torch.tensor(np.random.default_rng(seed).integers(0, 50, size=k), dtype=X.dtype)
    new, n1 = sk.minibatch_step(X, C, n0)
    st_ = core.estep(X, C)  # cluster_stats refuses batches smaller than n_clusters
    _labels, m, S = st_.labels, st_.counts.to(X.dtype), st_.raw_sums()
    assert torch.equal(n1, (n0 + m).double())  # float64 counts: exact to 2**53
    for j in range(k):
        if m[j] == 0:
            assert torch.equal(new[j], C[j]), "a centre that won nothing must stay"
        else:
            want = (n0[j] * C[j].double() + S[j].double()) / (n0[j] + m[j]).double()
            atol = 1e-5 * float(C.abs().max() + X.abs().max())
            torch.testing.assert_close(new[j].double(), want, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("seed", range(3))
def test_minibatch_over_a_partition_ends_at_the_cluster_means(seed: int) -> None:
    X, means, y = separated(seed, n=500)
    new, counts = means, None
    for part in np.array_split(np.random.default_rng(seed).permutation(len(X)), 7):
        new, counts = sk.minibatch_step(X[part], new, counts)
    for j in range(3):
        np.testing.assert_allclose(new[j], X[y == j].mean(axis=0), rtol=0, atol=1e-12)
        assert counts[j] == (y == j).sum()


# --------------------------------------------------------------------------- online k-means


@pytest.mark.parametrize("seed", range(3))
def test_online_centre_is_the_running_mean_of_its_points(seed: int) -> None:
    X, means, y = separated(seed, n=200)
    C, counts = means, np.zeros(3)
    for i in range(len(X)):  # the running mean after every single sample
        C, counts = sk.online_step(X[i : i + 1], C, counts)
        j = y[i]
        mean = X[: i + 1][y[: i + 1] == j].mean(axis=0)
        np.testing.assert_allclose(C[j], mean, rtol=0, atol=1e-11)
    assert counts.tolist() == np.bincount(y, minlength=3).tolist()


@HSET
@given(problems(min_n=1))
def test_online_is_minibatch_with_batches_of_one(pair) -> None:
    X, C = pair
    online, n_on = sk.online_step(X, C)
    mb, n_mb = C, None
    for i in range(X.shape[0]):
        mb, n_mb = sk.minibatch_step(X[i : i + 1], mb, n_mb)
    assert torch.equal(n_on, n_mb)
    tol = 1e-4 if X.dtype == torch.float32 else 1e-10
    assert float((online - mb).abs().max()) <= tol * float(C.abs().max() + X.abs().max())


@HSET
@given(problems(min_n=1), st.integers(0, 2**32 - 1))
def test_online_is_sgd_with_the_per_centre_newton_rate(pair, seed) -> None:
    """One sample x: the online update is SGD on ||x - c_k||^2 with lr_k = 1 / (2 (n_k + 1))."""
    X, C = pair
    x = X[:1]
    n0 = torch.tensor(np.random.default_rng(seed).integers(0, 30, size=C.shape[0]), dtype=X.dtype)
    online, _ = sk.online_step(x, C, n0)
    sgd = sk.sgd_step(x, C, 1.0 / (2.0 * (n0 + 1.0)))
    tol = 1e-5 if X.dtype == torch.float32 else 1e-12
    assert float((online - sgd).abs().max()) <= tol * float(C.abs().max() + X.abs().max())


# --------------------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("seed", range(4))
def test_minibatch_equals_sklearn_partial_fit_batch_by_batch(seed: int, dtype, tol: float) -> None:
    rng = np.random.default_rng(seed)
    d, k, b = int(rng.integers(1, 6)), int(rng.integers(2, 8)), int(rng.integers(8, 60))
    X = (blobs(seed, n=600, d=d, k=k, spread=1.5) + 50.0 * rng.normal(size=d)).astype(dtype)
    C0 = X[rng.choice(len(X), size=k, replace=False)].copy()
    batches = sk.batch_indices(len(X), b, 40, seed=seed).numpy()
    km = MiniBatchKMeans(n_clusters=k, init=C0, n_init=1, reassignment_ratio=0.0,
                         compute_labels=False, random_state=0)
    C, counts = C0, None
    scale = float(np.abs(X).max())
    for t, idx in enumerate(batches):
        km.partial_fit(X[idx])
        C, counts = sk.minibatch_step(X[idx], C, counts)
        assert C.dtype == dtype
        err = float(np.abs(km.cluster_centers_ - C).max()) / scale
        assert err < tol, f"batch {t}: relative difference {err:.3g}"
        np.testing.assert_array_equal(km._counts, counts)


def test_sklearn_first_batch_forgets_the_init_like_ours() -> None:
    """Counts start at 0: the first batch moves every centre that wins samples onto their mean."""
    X = blobs(0, n=400, d=2, k=3)
    C0 = X[:3].copy()
    km = MiniBatchKMeans(n_clusters=3, init=C0, n_init=1, reassignment_ratio=0.0,
                         compute_labels=False).partial_fit(X[:100])
    lloyd = ak.lloyd_step(X[:100], C0)
    np.testing.assert_allclose(km.cluster_centers_, lloyd, rtol=0, atol=1e-12)


def test_fit_stochastic_sklearn_method_matches_ours() -> None:
    X = blobs(3, n=2000, d=3, k=5, spread=1.0)
    C0 = ak.random_init(X, 5, seed=1)
    ours = sk.fit_stochastic(X, C0, "minibatch", batch_size=64, n_steps=100, eval_every=10)
    ref = sk.fit_stochastic(X, C0, "sklearn", batch_size=64, n_steps=100, eval_every=10)
    np.testing.assert_allclose(ours.centers, ref.centers, rtol=0, atol=1e-11)
    np.testing.assert_array_equal(ours.counts, ref.counts)


def test_with_random_reassignment_on_sklearn_differs() -> None:
    """The setting matters: scikit-learn's default re-seeds small clusters (here, on batch 1)."""
    X = blobs(4, n=1000, d=2, k=4)
    C0 = np.vstack([X[:3], [[40.0, 40.0]]])  # a far centre that wins nothing: count stays 0
    km = MiniBatchKMeans(n_clusters=4, init=C0, n_init=1, compute_labels=False, random_state=0)
    km.partial_fit(X[:100])
    ours, _ = sk.minibatch_step(X[:100], C0)
    assert np.array_equal(ours[3], C0[3])
    assert not np.allclose(km.cluster_centers_[3], C0[3])


# --------------------------------------------------------------------------- Adam


def test_adam_is_torch_adam_on_kmeans_loss() -> None:
    X = torch.tensor(blobs(5, n=500, d=2, k=3))
    C0 = X[:3].clone()
    hist = sk.fit_stochastic(X, C0, "adam", batch_size=50, n_steps=30, lr=0.05, seed=2,
                             eval_every=30)
    c = C0.clone().requires_grad_(True)
    opt = torch.optim.Adam([c], lr=0.05)
    for idx in sk.batch_indices(500, 50, 30, seed=2):
        opt.zero_grad()
        ak.kmeans_loss(X[idx], c).backward()
        opt.step()
    torch.testing.assert_close(hist.final_centers, c.detach(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- the driver


@pytest.mark.parametrize("method,lr", METHOD_LRS)
def test_seeds_reproduce_and_differ(method: str, lr) -> None:
    X = blobs(6, n=800, d=2, k=4, spread=1.2)
    C0 = ak.random_init(X, 4, seed=0)
    run = lambda seed: sk.fit_stochastic(X, C0, method, batch_size=32, n_steps=50, lr=lr,
                                         seed=seed, eval_every=5)
    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.array_equal(a.centers[-1], c.centers[-1])


def test_record_is_consistent() -> None:
    X = blobs(7, n=1000, d=3, k=5)
    C0 = ak.random_init(X, 5, seed=3)
    h = sk.fit_stochastic(X, C0, "minibatch", batch_size=100, n_steps=35, eval_every=[3, 1, 20])
    assert h.steps.tolist() == [0, 1, 3, 20, 35]
    assert h.samples_seen.tolist() == [0, 100, 300, 2000, 3500]
    np.testing.assert_allclose(h.passes, [0, 0.1, 0.3, 2.0, 3.5])
    np.testing.assert_array_equal(h.centers[0], C0)
    for c, loss in zip(h.centers, h.loss):
        assert loss == pytest.approx(float(ak.kmeans_loss(X, c)), rel=1e-12)
    assert h.counts.shape == (5, 5) and h.counts[-1].sum() == 3500
    assert h.loss_at(2.5) == h.loss[3] and h.final_loss == h.loss[-1]
    # the same batches, replayed by hand
    C, n = C0, None
    for idx in sk.batch_indices(1000, 100, 35, seed=0).numpy():
        C, n = sk.minibatch_step(X[idx], C, n)
    np.testing.assert_array_equal(h.final_centers, C)


def test_full_batch_single_step_is_lloyd() -> None:
    X = blobs(8, n=300)
    C0 = X[:4].copy()
    h = sk.fit_stochastic(X, C0, "minibatch", batch_size=300, n_steps=1, eval_every=1)
    # the batch is a permutation of X: the same sums, added in another order
    np.testing.assert_allclose(h.final_centers, ak.lloyd_step(X, C0), rtol=1e-14, atol=1e-14)


def test_batch_indices_cover_every_sample_once_per_pass() -> None:
    idx = sk.batch_indices(100, 25, 12, seed=4).numpy()
    assert idx.shape == (12, 25)
    for p in range(3):
        assert sorted(idx[4 * p : 4 * p + 4].ravel().tolist()) == list(range(100))
    straddle = sk.batch_indices(10, 4, 5, seed=0).numpy().ravel()  # 20 indices: 2 passes
    assert sorted(straddle[:10].tolist()) == list(range(10)) == sorted(straddle[10:].tolist())
    assert sk.batch_indices(10, 4, 0).shape == (0, 4)


def test_batch_indices_with_replacement_are_the_questions_batches() -> None:
    from argmin_kmeans.question import question_experiment

    idx = sk.batch_indices(50, 8, 30, seed=1, replace=True)
    g = torch.Generator().manual_seed(1)  # the question's loop: one randint per step
    want = torch.stack([torch.randint(50, (8,), generator=g) for _ in range(30)])
    assert torch.equal(idx, want)
    assert sk.batch_indices(50, 8, 0, replace=True).shape == (0, 8)
    # the same batches as question_experiment: the closed-form SGD on them is its run
    X = torch.tensor(blobs(11, n=50, d=3, k=4))
    C0 = X[:4].clone()
    q = question_experiment(X, C0, n_steps=30, batch_size=8, lr=1e-3, seed=1, implementation="core")
    h = sk.fit_stochastic(X, C0, "sgd", batch_size=8, n_steps=30, lr=1e-3, seed=1, replace=True,
                          eval_every=30)
    torch.testing.assert_close(h.final_centers, q.centers, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"replace must be one of \[False, True\]"):
        sk.batch_indices(50, 8, 3, replace=1)


def test_fit_stochastic_sklearn_matches_ours_on_batches_with_replacement() -> None:
    X = blobs(12, n=500, d=4, k=5, spread=1.0)
    C0 = X[:5].copy()
    kw = {"batch_size": 40, "n_steps": 200, "seed": 1, "replace": True, "eval_every": 50}
    ours = sk.fit_stochastic(X, C0, "minibatch", **kw)
    ref = sk.fit_stochastic(X, C0, "sklearn", **kw)
    np.testing.assert_allclose(ours.centers, ref.centers, rtol=0, atol=1e-11)
    np.testing.assert_array_equal(ours.counts, ref.counts)
    assert float(ours.counts[-1].sum()) == 200 * 40


def test_log_spaced_steps() -> None:
    s = sk.log_spaced_steps(1000, 20)
    assert s[0] == 0 and s[1] == 1 and s[-1] == 1000
    assert s == sorted(set(s)) and 10 <= len(s) <= 21
    assert sk.log_spaced_steps(0) == [0]


def test_sgd_diverges_with_a_clear_error() -> None:
    X = blobs(9, n=400)
    with pytest.raises(FloatingPointError, match="non-finite centres or loss at step"):
        sk.fit_stochastic(X, X[:4].copy(), "sgd", batch_size=400, n_steps=2000, lr=1.0,
                          eval_every=100)


# --------------------------------------------------------------------------- dtype, device


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_in_numpy_out(dtype) -> None:
    X = blobs(10, n=200).astype(dtype)
    C = X[:4].copy()
    (mb, mb_n), (on, on_n) = sk.minibatch_step(X, C), sk.online_step(X[:3], C)
    for out in [sk.sgd_step(X, C, 1e-3), mb, on]:
        assert isinstance(out, np.ndarray) and out.dtype == dtype
    for counts in (mb_n, on_n):  # counts accumulate in float64 (exact to 2**53)
        assert isinstance(counts, np.ndarray) and counts.dtype == np.float64
    h = sk.fit_stochastic(X, C, "online", batch_size=10, n_steps=5, eval_every=1)
    assert isinstance(h.centers, np.ndarray) and h.centers.dtype == dtype
    assert isinstance(h.loss, np.ndarray) and h.loss.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_dtype_is_kept(dtype) -> None:
    X = torch.tensor(blobs(11, n=120), dtype=dtype)
    C = X[:4].clone()
    (mb, mb_n), (on, on_n) = sk.minibatch_step(X, C), sk.online_step(X[:5], C)
    for out in [sk.sgd_step(X, C, 1e-3), mb, on]:
        assert isinstance(out, torch.Tensor) and out.dtype == dtype
    assert mb_n.dtype == on_n.dtype == torch.float64
    for method, lr in [("minibatch", None), ("online", None), ("sgd", 1e-3), ("adam", 0.1)]:
        h = sk.fit_stochastic(X, C, method, batch_size=16, n_steps=3, lr=lr, eval_every=1)
        assert h.centers.dtype == dtype and h.loss.dtype == dtype


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_like_the_core(dtype) -> None:
    X = torch.tensor(blobs(11, n=120), dtype=dtype)
    for call in [lambda: sk.sgd_step(X, X[:4], 1e-3), lambda: sk.minibatch_step(X[:2], X[:4]),
                 lambda: sk.online_step(X, X[:4]), lambda: sk.fit_stochastic(X, X[:4])]:
        with pytest.raises(TypeError, match=f"X has dtype {dtype}"):
            call()


def test_mixed_numpy_and_tensor_returns_tensor() -> None:
    X = blobs(12, n=100)
    C = torch.tensor(X[:4])
    new, counts = sk.minibatch_step(X, C)
    assert isinstance(new, torch.Tensor) and isinstance(counts, torch.Tensor)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("method,lr", METHOD_LRS)
def test_cuda_matches_cpu(method: str, lr) -> None:
    X = torch.tensor(blobs(13, n=500))
    C = X[:4].clone()
    cpu = sk.fit_stochastic(X, C, method, batch_size=50, n_steps=20, lr=lr, eval_every=5)
    gpu = sk.fit_stochastic(X.cuda(), C.cuda(), method, batch_size=50, n_steps=20, lr=lr,
                            eval_every=5)
    assert gpu.centers.device.type == "cuda"
    torch.testing.assert_close(gpu.centers.cpu(), cpu.centers, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- bad input

X0 = blobs(14, n=50, d=3)
C0 = X0[:4].copy()


def fs(*args, **kw):
    return sk.fit_stochastic(X0, C0, *args, **kw)


NAN_ROW = np.vstack([C0, [[np.nan, 0, 0]]])


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (lambda: fs("sgd"), ValueError, r"method='sgd' needs a step size"),
        (lambda: fs("sgd", lr=-1.0), ValueError, r"lr=-1.0"),
        (lambda: fs("adam", lr=np.ones(4)), TypeError, r"one float lr"),
        (lambda: fs("minibatch", lr=0.1), ValueError, r"takes no lr.*lr=0.1"),
        (lambda: fs("kmeans"), ValueError, r"method must be one of .*got method='kmeans'"),
        (lambda: fs(batch_size=51), ValueError, r"batch_size must be an integer in \[1, 50\], got batch_size=51"),
        (lambda: fs(batch_size=0), ValueError, r"batch_size=0"),
        (lambda: fs(n_steps=-1), ValueError, r"n_steps=-1"),
        (lambda: fs(n_steps=5, eval_every=[2, 9]), ValueError, r"eval_every\[1\] must be an integer in \[0, 5\], got eval_every\[1\]=9"),
        (lambda: fs(eval_every=0), ValueError, r"eval_every=0"),
        (lambda: fs(eval_every=1.5), TypeError, r"eval_every must be"),
        (lambda: fs("sgd", lr=0.1, counts=np.ones(4)), ValueError, r"counts are only used"),
        (lambda: fs("sklearn", batch_size=3), ValueError, r"batch_size=3 < n_clusters=4"),
        (lambda: sk.minibatch_step(X0, C0, np.ones(3)), ValueError,
         r"shape \(4,\).*got shape \(3,\)"),
        (lambda: sk.minibatch_step(X0, C0, np.array([1.0, -2.0, 0, 0])), ValueError,
         r"counts\[1\]=-2.0"),
        (lambda: sk.online_step(X0, C0, [1, 2, 3, 4]), TypeError,
         r"counts must be None or a \(4,\) array.*list"),
        (lambda: sk.online_step(X0[:2, :2], C0), ValueError,
         r"X has n_features=2 but centers has n_features=3 \(shapes \(2, 2\) and \(4, 3\)\)"),
        (lambda: sk.sgd_step(X0[:2], NAN_ROW, 0.1), ValueError,
         r"centers contains 1 non-finite.*centers\[4, 0\] = nan"),
        (lambda: sk.sgd_step(np.array([[np.inf, 0, 0]]), C0, 0.1), ValueError, r"X\[0, 0\] = inf"),
        (lambda: sk.sgd_step(X0[:2].astype(np.float32), C0, 0.1), TypeError,
         r"X has dtype torch.float32"),
        (lambda: sk.minibatch_step(X0[:0], C0), ValueError, r"X is empty"),
        (lambda: sk.batch_indices(10, 11, 1), ValueError, r"batch_size must be an integer in \[1, 10\], got batch_size=11"),
        (lambda: sk.log_spaced_steps(10, 1), ValueError, r"num=1"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_value(call, exc, message) -> None:
    with pytest.raises(exc, match=message):
        call()


def test_a_batch_may_be_smaller_than_n_clusters() -> None:
    new, counts = sk.minibatch_step(X0[:2], C0)
    assert counts.sum() == 2 and new.shape == C0.shape


# ----------------------------------------------------------------- the race and its figure


def test_race_runs_every_method_on_the_same_batches_and_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, means = datasets.race_data(n_samples=3000, n_features=2, n_clusters=4, seed=0)
    assert X.shape == (3000, 2) and means.shape == (4, 2)
    C0 = ak.random_init(X, 4, seed=0)
    R = sk.race(X, C0, batch_size=100, passes=2, lr_adam=0.1, n_checkpoints=6)
    assert [h.method for h in R.values()] == ["gd", "lloyd", "online", "minibatch", "sklearn",
                                             "sgd", "adam"]
    for h in R.values():
        assert h.loss[0] == pytest.approx(float(ak.kmeans_loss(X, C0)), rel=1e-12)
        assert h.passes[-1] <= 2 and np.all(np.diff(h.passes) > 0)
    mb, skl = R["mini-batch k-means (ours)"], R["scikit-learn MiniBatchKMeans"]
    np.testing.assert_allclose(mb.centers, skl.centers, rtol=0, atol=1e-10)
    assert 1.0 in mb.passes.tolist() and 2.0 in mb.passes.tolist()  # every whole pass
    lloyd = ak.fit(X, C0, "lloyd", max_iter=2)
    np.testing.assert_array_equal(R["Lloyd (= Newton)"].loss, lloyd.loss)
    fig = plotting.plot_race(R)
    assert len(fig.axes) == 2 and all(ax.get_title() and ax.get_xlabel() for ax in fig.axes)
    # never colour alone: each method's (line style, marker) pair is its own
    looks = [(str(line.get_linestyle()), str(line.get_marker())) for line in fig.axes[0].lines
             if not line.get_label().startswith("_")]
    assert len(looks) == len(R) and len(set(looks)) == len(R)
    online, sgd = (fig.axes[0].lines[i] for i in (2, 5))
    assert (online.get_linestyle(), online.get_marker()) != (sgd.get_linestyle(), sgd.get_marker())
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == len(R)
    plt.close(fig)
