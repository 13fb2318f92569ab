"""The core against outside references: scikit-learn, autograd, brute force, and properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans

import argmin_kmeans as ak
from argmin_kmeans import core, kernel
from argmin_kmeans.naive import question_distances, question_loss, question_step
from helpers import HSET, blobs  # tests/ is on sys.path under pytest

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 2e-4, torch.float64: 1e-10}


@st.composite
def problems(draw, dtypes=DTYPES):
    """Random (X, centers) pairs over shapes, n_clusters, dtypes and data."""
    k = draw(st.integers(1, 6))
    n = draw(st.integers(k, 60))
    d = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-2, 1.0, 1e3]))
    X = torch.tensor(rng.normal(size=(n, d)) * scale, dtype=dtype)
    C = torch.tensor(rng.normal(size=(k, d)) * scale, dtype=dtype)
    return X, C


# --------------------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["lloyd", "newton"])
def test_trajectory_equals_sklearn_every_iteration(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    d, k = int(rng.integers(1, 6)), int(rng.integers(2, 7))
    X = blobs(seed, n=400, d=d, k=k, spread=1.5) + 100.0 * rng.normal(size=d)  # off-centre data
    C0 = X[rng.choice(len(X), size=k, replace=False)].copy()
    hist = ak.fit(X, C0, method=method, max_iter=15, tol=0)
    scale = np.abs(X).max()
    for t in range(1, hist.n_iter + 1):
        km = KMeans(n_clusters=k, init=C0, n_init=1, max_iter=t, tol=0, algorithm="lloyd").fit(X)
        assert np.bincount(ak.assign(X, hist.centers[t - 1]), minlength=k).min() > 0, "a cluster emptied"
        err = np.abs(km.cluster_centers_ - hist.centers[t]).max() / scale
        assert err < 1e-10, f"iteration {t}: relative difference {err:.3g}"


def test_lloyd_relocate_matches_sklearn_when_a_cluster_empties() -> None:
    X = blobs(1, n=200, d=2, k=3)
    C0 = np.vstack([X[:3], [[1e3, 1e3]]])  # the far centre owns no point on the first E-step
    ours = ak.lloyd_step(X, C0, empty="relocate")
    km = KMeans(n_clusters=4, init=C0, n_init=1, max_iter=1, tol=0, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours, km.cluster_centers_, rtol=0, atol=1e-10)
    # the default policy keeps the empty centre where it is
    np.testing.assert_array_equal(ak.lloyd_step(X, C0)[3], C0[3])


# --------------------------------------------------------------------------- autograd


@HSET
@given(problems())
def test_autograd_equals_closed_form_gradient(pair) -> None:
    X, C = pair
    c = C.clone().requires_grad_(True)
    (g_auto,) = torch.autograd.grad(ak.kmeans_loss(X, c), c)
    g = ak.loss_gradient(X, C)
    scale = float(X.abs().max() + C.abs().max()) * X.shape[0]
    assert torch.allclose(g_auto, g, rtol=0, atol=TOL[X.dtype] * scale)


@HSET
@given(problems(dtypes=[torch.float64]))
def test_gradient_equals_autograd_through_the_question_loss(pair) -> None:
    """An independent graph: (k, n, d) differences, argmin membership, per-cluster masks."""
    X, C = pair
    c = C.clone().requires_grad_(True)
    loss = question_loss(X, c)
    (g_q,) = torch.autograd.grad(loss, c)
    scale = float(X.abs().max() + C.abs().max()) ** 2 * X.shape[0]
    assert abs(float(loss.detach()) - float(ak.kmeans_loss(X, C))) <= 1e-10 * scale
    assert torch.allclose(g_q, ak.loss_gradient(X, C), rtol=0, atol=1e-10 * scale)


@HSET
@given(problems())
def test_closed_form_gradient_formula(pair) -> None:
    X, C = pair
    labels = ak.assign(X, C)
    k = C.shape[0]
    expected = torch.stack(
        [2 * (C[j] - X[labels == j]).sum(dim=0) if (labels == j).any() else torch.zeros_like(C[j])
         for j in range(k)]
    )
    scale = float(X.abs().max() + C.abs().max()) * X.shape[0]
    assert torch.allclose(ak.loss_gradient(X, C), expected, rtol=0, atol=TOL[X.dtype] * scale)


# --------------------------------------------------------------------------- the three updates


@HSET
@given(problems())
def test_gd_with_lr_one_over_2nk_is_newton_is_lloyd(pair) -> None:
    X, C = pair
    _, counts, _ = ak.cluster_stats(X, C)
    lr = 1.0 / (2.0 * counts.clamp(min=1).to(X.dtype))
    newton = ak.newton_step(X, C)
    scale = float(X.abs().max() + C.abs().max())
    tol = TOL[X.dtype] * scale
    assert torch.allclose(ak.gd_step(X, C, lr), newton, rtol=0, atol=tol)
    assert torch.allclose(ak.lloyd_step(X, C), newton, rtol=0, atol=tol)


@HSET
@given(problems())
def test_lloyd_and_newton_never_increase_the_loss(pair) -> None:
    X, C = pair
    for method in ("lloyd", "newton"):
        hist = ak.fit(X, C, method=method, max_iter=20)
        loss = hist.loss.double()
        slack = (1e-5 if X.dtype == torch.float32 else 1e-12) * float(loss[0]) + 1e-30
        assert bool((loss[1:] <= loss[:-1] + slack).all()), loss


@HSET
@given(problems())
def test_empty_cluster_keeps_its_centre(pair) -> None:
    X, C = pair
    assume(C.shape[0] >= 2)  # one centre always owns every sample
    far = C.clone()
    far[0] = X.abs().max() * 1e3 + 1.0  # owns no sample
    g = ak.loss_gradient(X, far)
    assert bool((g[0] == 0).all())
    for step in (ak.lloyd_step, ak.newton_step):
        out = step(X, far)
        assert torch.equal(out[0], far[0])
        assert bool(torch.isfinite(out).all())


def test_gd_moves_each_centre_a_fraction_of_the_way_to_its_mean() -> None:
    X = torch.tensor(blobs(3), dtype=torch.float64)
    C = X[:4].clone()
    _, counts, sums = ak.cluster_stats(X, C)
    means = sums / counts[:, None]
    lr = 1e-4
    frac = 2 * lr * counts
    expected = (1 - frac)[:, None] * C + frac[:, None] * means
    assert torch.allclose(ak.gd_step(X, C, lr), expected, atol=1e-12)


# --------------------------------------------------------------------------- fit


def test_fit_stops_when_labels_stop_changing() -> None:
    X = blobs(5, n=500, k=5)
    C0 = X[:5].copy()
    hist = ak.fit(X, C0, method="lloyd", max_iter=300)
    assert hist.converged and hist.n_iter < 300
    assert hist.n_changed[-1] == 0 and (hist.n_changed[:-1] > 0).all()
    assert hist.centers.shape == (hist.n_iter + 1, 5, 2) and hist.loss.shape == (hist.n_iter + 1,)
    # the last state is a fixed point: one more Lloyd step moves nothing
    np.testing.assert_array_equal(ak.lloyd_step(X, hist.final_centers), hist.final_centers)
    np.testing.assert_array_equal(hist.labels, ak.assign(X, hist.final_centers))
    # each recorded count is the number of labels that changed between consecutive centres
    for t in range(hist.n_iter):
        a, b = ak.assign(X, hist.centers[t]), ak.assign(X, hist.centers[t + 1])
        assert hist.n_changed[t] == int((a != b).sum())
        assert hist.loss[t] == pytest.approx(float(ak.kmeans_loss(X, hist.centers[t])), rel=1e-12)


def test_fit_gd_converges_with_small_lr_and_matches_lloyd_fixed_point() -> None:
    X = blobs(7, n=300, k=3, spread=0.3)
    C0 = X[:3].copy()
    lloyd = ak.fit(X, C0, "lloyd")
    gd = ak.fit(X, C0, "gd", lr=0.5 / len(X), max_iter=2000, tol=1e-12)
    assert gd.converged and gd.n_iter > lloyd.n_iter
    np.testing.assert_allclose(gd.final_centers, lloyd.final_centers, atol=1e-5)


def test_fit_gd_diverges_with_a_clear_error() -> None:
    X = blobs(7, n=300, k=3)
    with pytest.raises(FloatingPointError, match="lr=1.0"):
        ak.fit(X, X[:3].copy(), "gd", lr=1.0, max_iter=2000)


def test_fit_zero_iterations_and_unknown_method() -> None:
    X = blobs(0)
    hist = ak.fit(X, X[:2].copy(), max_iter=0)
    assert hist.n_iter == 0 and hist.centers.shape == (1, 2, 2) and not hist.converged
    with pytest.raises(ValueError, match="'kmeans\\+\\+'"):
        ak.fit(X, X[:2].copy(), method="kmeans++")
    with pytest.raises(ValueError, match="needs a step size"):
        ak.fit(X, X[:2].copy(), method="gd")
    with pytest.raises(ValueError, match="max_iter=-1"):
        ak.fit(X, X[:2].copy(), max_iter=-1)
    with pytest.raises(ValueError, match="tol=nan"):
        ak.fit(X, X[:2].copy(), tol=float("nan"))


# --------------------------------------------------------------------------- assign and memory


@HSET
@given(problems())
def test_assign_matches_brute_force(pair) -> None:
    X, C = pair
    X64, C64 = X.double(), C.double()
    d = question_distances(X64, C64)  # (k, n)
    labels = ak.assign(X, C)
    chosen = d.gather(0, labels[None, :])[0]
    # the chosen centre is the nearest one up to the rounding of the expanded formula
    slack = (1e-4 if X.dtype == torch.float32 else 1e-9) * float((X64.abs().max() + C64.abs().max()) ** 2)
    assert bool((chosen <= d.min(dim=0).values + slack).all())
    if X.dtype == torch.float64:
        assert torch.equal(labels, d.argmin(dim=0))


def test_ties_go_to_the_lowest_index() -> None:
    X = torch.tensor([[0.0], [1.0], [3.0], [5.0]], dtype=torch.float64)
    C = torch.tensor([[2.0], [0.0], [2.0], [4.0]], dtype=torch.float64)
    # x=1 is 1 from c0=2 and c1=0 (tie: 0 wins); x=3 is 1 from c0, c2, c3 (tie: 0 wins)
    assert ak.assign(X, C).tolist() == [1, 0, 0, 3]
    km = KMeans(n_clusters=4, init=C.numpy(), n_init=1, max_iter=1).fit(X.numpy())
    km.cluster_centers_ = C.numpy()  # predict with the tied centres themselves
    assert km.predict(X.numpy()).tolist() == [1, 0, 0, 3]


def test_sq_distances_are_clamped_and_match_brute_force() -> None:
    X = torch.tensor(blobs(0, n=50, d=3, k=3))
    C = torch.cat([X[:1], X[5:8]])  # a centre on a sample: true distance 0
    D = ak.sq_distances(X, C)
    assert D.shape == (50, 4) and bool((D >= 0).all())
    assert torch.allclose(D, question_distances(X, C).t(), atol=1e-10)


def test_distances_are_clamped_and_loss_is_exact_for_offset_data() -> None:
    # far from the origin the expanded formula cancels; the loss uses direct differences
    X = torch.tensor([[1e8 + 1.0], [1e8 - 1.0]], dtype=torch.float64)
    C = torch.tensor([[1e8]], dtype=torch.float64)
    assert float(ak.kmeans_loss(X, C)) == 2.0


# --------------------------------------------------------------------------- types and devices


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_in_numpy_out(dtype) -> None:
    X = blobs(0).astype(dtype)
    C = X[:3].copy()
    for fn in (ak.lloyd_step, ak.newton_step, ak.loss_gradient):
        out = fn(X, C)
        assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == C.shape
    out = ak.gd_step(X, C, 1e-3)
    assert isinstance(out, np.ndarray) and out.dtype == dtype
    labels = ak.assign(X, C)
    assert isinstance(labels, np.ndarray) and labels.dtype == np.int64
    loss = ak.kmeans_loss(X, C)
    assert isinstance(loss, np.ndarray) and loss.shape == () and loss.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_dtype_is_kept(dtype) -> None:
    X = torch.tensor(blobs(0), dtype=dtype)
    C = X[:3].clone()
    for out in (ak.lloyd_step(X, C), ak.newton_step(X, C), ak.gd_step(X, C, 1e-3),
                ak.loss_gradient(X, C), ak.kmeans_loss(X, C)):
        assert isinstance(out, torch.Tensor) and out.dtype == dtype and out.device == X.device
    assert ak.assign(X, C).dtype == torch.int64


def test_mixed_numpy_and_tensor_returns_tensor() -> None:
    X = blobs(0)
    C = torch.tensor(X[:3])
    assert isinstance(ak.lloyd_step(X, C), torch.Tensor)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_matches_cpu(dtype) -> None:
    X = torch.tensor(blobs(0, n=5000, d=8, k=6), dtype=dtype)
    C = X[:6].clone()
    for fn in (ak.lloyd_step, ak.newton_step, ak.loss_gradient):
        gpu = fn(X.cuda(), C.cuda())
        assert gpu.device.type == "cuda" and gpu.dtype == dtype
        assert torch.allclose(gpu.cpu(), fn(X, C), rtol=TOL[dtype], atol=TOL[dtype] * 100)
    hist = ak.fit(X.cuda(), C.cuda(), "lloyd")
    assert hist.centers.device.type == "cuda"


# --------------------------------------------------------------------------- the question's code


def test_question_step_equals_gd_step() -> None:
    X = torch.tensor(blobs(4, n=100, d=5, k=3), dtype=torch.float64)
    C = X[:3].clone()
    assert torch.allclose(question_step(X, C, 1e-3), ak.gd_step(X, C, 1e-3), atol=1e-12)


# --------------------------------------------------------------------------- argmax


def test_argmax_evidence_for_the_question_vector() -> None:
    ev = ak.argmax_zero_gradient()
    assert ev.argmax == 6 and ev.all_zero
    assert (ev.argmax_up == 6).all() and (ev.argmax_down == 6).all()
    assert ev.margin == pytest.approx(1.0034 - 0.8853)
    jumped = ak.argmax_zero_gradient(delta=0.2)  # bigger than the margin: entry 4 overtakes
    assert jumped.argmax_up[4] == 4 and not jumped.all_zero


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20, unique=True))
@settings(max_examples=60, deadline=None)
def test_argmax_slopes_vanish_below_the_margin(values) -> None:
    ev = ak.argmax_zero_gradient(values, delta=1.0)
    if ev.margin > 2.0:
        assert ev.all_zero
    # (a margin of a few subnormals divides to 0.0, which is no step size)
    small = ak.argmax_zero_gradient(values, delta=ev.margin / 4) if ev.margin / 4 > 0 else None
    if small is not None:
        assert small.all_zero


# --------------------------------------------------------------------------- the threaded kernel


@pytest.mark.usefixtures("kernel_path")
def test_results_do_not_depend_on_the_thread_count() -> None:
    # chunks of a few rows (32) and a problem just big enough to thread: several workers,
    # ~700 chunks each
    X = torch.tensor(blobs(8, n=22000, d=8, k=6), dtype=torch.float32)
    C = X[:6].clone()
    assert kernel.threaded(*X.shape[:1], 6, 8)
    before = torch.get_num_threads()
    try:
        one = core.estep(X, C, chunk_elements=256, threads=1)
        torch.set_num_threads(2)
        two = core.estep(X, C, chunk_elements=256, threads=2)
        assert torch.get_num_threads() == 2, "the kernel must restore the caller's thread count"
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one.labels, two.labels)  # chunk boundaries do not depend on threads
    assert torch.allclose(core.means_update(C, one), core.means_update(C, two), rtol=1e-5)
    assert torch.allclose(one.inertia, two.inertia, rtol=1e-6)


@pytest.mark.usefixtures("kernel_path")
def test_nan_in_a_late_chunk_is_found_by_the_pass() -> None:
    X = torch.tensor(blobs(8, n=500, d=3, k=4))
    C = X[:4].clone()
    X[497, 2] = float("inf")
    with pytest.raises(ValueError, match=r"X\[497, 2\] = inf"):
        core.estep(X, C, chunk_elements=64, check=True)
    for fn in (ak.assign, ak.lloyd_step, ak.newton_step, ak.loss_gradient, ak.kmeans_loss):
        with pytest.raises(ValueError, match=r"X\[497, 2\] = inf"):
            fn(X, C)


def test_huge_finite_values_are_not_mistaken_for_nan() -> None:
    # the chunk sum overflows to inf, the exact check then clears the data
    X = torch.full((50, 2), 3e38, dtype=torch.float32)
    X[::2] *= -0.5
    C = X[:2].clone()
    assert ak.assign(X, C).shape == (50,)


def test_duplicate_centres_tie_to_the_lowest_index() -> None:
    X = torch.tensor(blobs(3, n=400, d=2, k=3))
    C = torch.cat([X[:3], X[:3]])  # centres 3..5 duplicate 0..2
    labels = core.estep(X, C, chunk_elements=64).labels
    assert int(labels.max()) <= 2
    assert torch.equal(labels, question_distances(X, C).argmin(dim=0))
