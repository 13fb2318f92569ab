"""Lesson 04's package code: timed runners, torch.optim, the step-size theory, data, drawing."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from sklearn.cluster import KMeans

import argmin_kmeans as ak
from argmin_kmeans import compare as cm
from argmin_kmeans import datasets, plotting, theory
from helpers import HSET  # tests/ is on sys.path under pytest


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X = datasets.make_blobs()
    return X, ak.random_init(X, 4, seed=1)


# --------------------------------------------------------------------------- runners


@pytest.mark.parametrize("method, lr", [("gd", 1 / 1200), ("gd", 1 / 300), ("lloyd", None),
                                        ("newton", None)])
def test_fit_timed_reproduces_fit(blobs, method: str, lr) -> None:
    X, C0 = blobs
    ref = ak.fit(X, C0, method, lr=lr, max_iter=60, tol=1e-6)
    got = cm.fit_timed(X, C0, method, lr=lr, max_iter=60, tol=1e-6)
    # the same updates through the public one-step functions: equal up to rounding
    np.testing.assert_allclose(got.centers, ref.centers, rtol=0, atol=1e-12 * np.abs(X).max())
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-12)
    np.testing.assert_array_equal(got.n_changed, ref.n_changed)
    np.testing.assert_array_equal(got.labels, ref.labels)
    assert (got.n_iter, got.converged) == (ref.n_iter, ref.converged)
    assert isinstance(got, ak.History)
    assert got.times.shape == (got.n_iter + 1,) and got.times[0] == 0
    assert np.all(np.diff(got.times) >= 0) and got.seconds == got.times[-1]


def test_fit_timed_returns_tensors_for_tensors(blobs) -> None:
    X, C0 = blobs
    h = cm.fit_timed(torch.tensor(X), torch.tensor(C0), "lloyd")
    assert isinstance(h.centers, torch.Tensor) and h.centers.dtype == torch.float64


def test_sgd_without_momentum_is_gradient_descent(blobs) -> None:
    """torch.optim.SGD on kmeans_loss (autograd) == the core's closed-form gd, step by step."""
    X, C0 = blobs
    ref = ak.fit(X, C0, "gd", lr=1 / 900, max_iter=40, tol=1e-6)
    got = cm.fit_torch_optim(X, C0, "sgd-momentum", lr=1 / 900, momentum=0.0, max_iter=40, tol=1e-6)
    assert got.method == "sgd-momentum"
    np.testing.assert_allclose(got.centers, ref.centers, rtol=0, atol=1e-12 * np.abs(X).max())
    np.testing.assert_array_equal(got.n_changed, ref.n_changed)
    assert (got.n_iter, got.converged) == (ref.n_iter, ref.converged)


def test_adam_first_step_is_lr_times_sign_of_gradient(blobs) -> None:
    """Bias-corrected Adam's first step is lr * g / (|g| + eps): every coordinate moves by ~lr,
    whatever the cluster's size (Adam ignores the curvature 2 n_k)."""
    X, C0 = blobs
    h = cm.fit_torch_optim(X, C0, "adam", lr=0.05, max_iter=1)
    g = _np(ak.loss_gradient(X, C0))
    step = C0 - h.centers[1]
    np.testing.assert_allclose(step, 0.05 * np.sign(g), rtol=1e-6, atol=0)


def test_torch_optim_bad_arguments(blobs) -> None:
    X, C0 = blobs
    with pytest.raises(ValueError, match=r"optimizer must be one of \['adam', 'sgd-momentum'\], got optimizer='rmsprop'"):
        cm.fit_torch_optim(X, C0, "rmsprop")
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\), got momentum=1.5"):
        cm.fit_torch_optim(X, C0, "sgd-momentum", lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="lr=-1"):
        cm.fit_torch_optim(X, C0, "adam", lr=-1.0)
    with pytest.raises(TypeError, match="one positive float"):
        cm.fit_torch_optim(X, C0, "adam", lr=np.ones(4))
    with pytest.raises(ValueError, match="max_iter=-2"):
        cm.fit_timed(X, C0, "lloyd", max_iter=-2)
    with pytest.raises(ValueError, match="needs a step size"):
        cm.fit_timed(X, C0, "gd")
    with pytest.raises(ValueError, match=r"method must be one of \['gd', 'lloyd', 'newton'\], got method='lloyd-relocate'"):
        cm.fit_timed(X, C0, "lloyd-relocate")


def test_divergence_raises_or_stops(blobs) -> None:
    X, C0 = blobs
    with pytest.raises(FloatingPointError, match="non-finite centres"):
        cm.fit_timed(X, C0, "gd", lr=1e300, max_iter=50)
    h = cm.fit_timed(X, C0, "gd", lr=1e300, max_iter=50, on_nonfinite="stop")
    assert h.diverged and not h.converged
    assert np.all(np.isfinite(h.centers)) and h.centers.shape[0] == h.n_iter + 1


# --------------------------------------------------------------------------- comparisons


def test_compare_methods_records(blobs) -> None:
    X, C0 = blobs
    cfgs = [
        {"name": "gd", "method": "gd", "lr": 1 / 1200, "max_iter": 200, "tol": 1e-8},
        {"method": "adam", "lr": 0.05, "max_iter": 50},
        {"name": "huge", "method": "gd", "lr": 1e300, "max_iter": 20},
        {"method": "lloyd"},
    ]
    recs = cm.compare_methods(X, C0, cfgs)
    assert [r.name for r in recs] == ["gd", "adam", "huge", "lloyd"]
    lloyd = ak.fit(X, C0, "lloyd")
    # same trajectory; the loss is summed in a different order (chunks vs whole): equal to rounding
    assert recs[3].n_iter == lloyd.n_iter
    assert recs[3].final_loss == pytest.approx(lloyd.final_loss, rel=1e-12)
    assert recs[3].converged and not recs[2].converged and recs[2].diverged
    for r in recs:
        assert r.n_iter == r.history.n_iter and r.final_loss == r.history.final_loss
        assert r.time_s >= 0
    table = cm.format_table(recs)
    assert "diverged" in table and "lloyd" in table and "seconds" not in table
    assert "ms/iter" in cm.format_table(recs, timings=True)


def test_compare_methods_bad_configs(blobs) -> None:
    X, C0 = blobs
    with pytest.raises(ValueError, match=r"configs\[0\]: unknown method 'kmeans\+\+'"):
        cm.compare_methods(X, C0, [{"method": "kmeans++"}])
    with pytest.raises(ValueError, match=r"configs\[1\]: method 'adam' needs an 'lr'"):
        cm.compare_methods(X, C0, [{"method": "lloyd"}, {"method": "adam"}])
    with pytest.raises(ValueError, match=r"unknown keys \['step'\]"):
        cm.compare_methods(X, C0, [{"method": "gd", "step": 0.1}])
    with pytest.raises(ValueError, match="has no 'method'"):
        cm.compare_methods(X, C0, [{"lr": 0.1}])


@pytest.mark.parametrize("name", ["iris", "digits"])
def test_newton_equals_sklearn_on_real_data(name: str) -> None:
    ds = datasets.load_dataset(name)
    C0 = ak.random_init(ds.X, ds.n_clusters, seed=0)
    hist = ak.fit(ds.X, C0, "newton", max_iter=6, tol=0)
    scale = np.abs(ds.X).max()
    for t in range(1, hist.n_iter + 1):
        km = KMeans(n_clusters=ds.n_clusters, init=C0, n_init=1, max_iter=t, tol=0,
                    algorithm="lloyd").fit(ds.X)
        assert np.abs(km.cluster_centers_ - hist.centers[t]).max() / scale < 1e-10


# --------------------------------------------------------------------------- theory


def test_theory_functions() -> None:
    counts = np.array([40, 80, 160, 320])
    np.testing.assert_allclose(theory.contraction_factors(counts, 1 / 400), [0.8, 0.6, 0.2, -0.6])
    assert theory.max_stable_lr(counts) == 1 / 320
    lr, rate = theory.best_global_lr(np.array([0, 40, 320]))
    assert lr == pytest.approx(1 / 360) and rate == pytest.approx(280 / 360)
    assert theory.best_global_lr([5, 5]) == (0.1, 0.0)
    assert theory.step_regimes([1, 0.5, 0, -0.5, -1, -1.5]) == [
        "frozen", "creep", "newton", "zig-zag", "2-cycle", "diverge"]
    assert theory.iterations_to_shrink(0.5, 0.125) == 3
    assert theory.iterations_to_shrink(-0.5, 0.1) == 4
    assert theory.iterations_to_shrink(0.0, 1e-9) == 1
    assert theory.iterations_to_shrink(-1.0, 0.5) == math.inf
    assert theory.iterations_to_shrink(0.9, 2.0) == 0


def test_theory_bad_inputs() -> None:
    with pytest.raises(ValueError, match="lr=0"):
        theory.contraction_factors([1, 2], 0)
    with pytest.raises(ValueError, match=r"counts must be finite and >= 0, got \[1.0, -2.0\]"):
        theory.contraction_factors([1, -2], 0.1)
    with pytest.raises(ValueError, match="1-D"):
        theory.contraction_factors([[1, 2]], 0.1)
    with pytest.raises(ValueError, match="every cluster is empty"):
        theory.best_global_lr([0, 0])
    with pytest.raises(ValueError, match="above 1"):
        theory.step_regimes([1.5])
    with pytest.raises(ValueError, match="eps=-1"):
        theory.iterations_to_shrink(0.5, -1)


@st.composite
def gd_problems(draw):
    k = draw(st.integers(1, 5))
    n = draw(st.integers(k, 50))
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * draw(st.sampled_from([1e-2, 1.0, 1e2]))
    C = X[rng.choice(n, size=k, replace=False)] + 0.3 * X.std() * rng.normal(size=(k, d))
    lr = draw(st.floats(1e-4, 3.0)) / n
    return X, C, lr


@HSET
@given(gd_problems())
def test_measured_contraction_equals_theory(problem) -> None:
    """One real gradient step moves every non-empty centre by exactly 1 - 2 lr n_k towards
    its cluster mean (and along the line through it)."""
    X, C, lr = problem
    _labels, counts, sums = ak.cluster_stats(X, C)
    means = sums / np.maximum(counts, 1)[:, None]
    far = np.linalg.norm(C - means, axis=1) > 1e-6 * (np.abs(X).max() + 1e-300)
    assume(bool(np.any(far & (counts > 0))))
    rho = theory.measured_contraction(X, C, lr)
    ok = far & (counts > 0)
    np.testing.assert_allclose(rho[ok], theory.contraction_factors(counts, lr)[ok], rtol=0, atol=1e-8)
    assert np.all(np.isnan(rho[counts == 0]))
    # the whole vector, not just its projection: c' - m = rho (c - m)
    after = ak.gd_step(X, C, lr) - means
    np.testing.assert_allclose(after[ok], (rho[ok, None] * (C - means)[ok]), rtol=0,
                               atol=1e-9 * (np.abs(X).max() + np.abs(C).max()))


def test_signed_errors_are_powers_while_labels_hold() -> None:
    X, counts, runs = cm.regime_runs(max_iter=12)
    np.testing.assert_array_equal(counts, [40, 80, 160, 320])
    for name, h in runs.items():
        rho = theory.contraction_factors(counts, cm.REGIME_LRS[name])
        e = theory.signed_errors(X, h.centers)
        first = int(np.argmax(h.n_changed > 0)) + 1 if np.any(h.n_changed > 0) else h.n_iter + 1
        t = np.arange(first)[:, None]
        np.testing.assert_allclose(e[:first], rho[None, :] ** t, rtol=0, atol=1e-9)
    assert not np.any(runs["creep"].n_changed) and not np.any(runs["zig-zag"].n_changed)
    assert np.any(runs["diverge"].n_changed)
    with pytest.raises(ValueError, match="trajectory"):
        theory.signed_errors(X, X[:4])


# --------------------------------------------------------------------------- data and drawing


def test_datasets() -> None:
    shapes = {"blobs": ((600, 2), 4), "iris": ((150, 4), 3), "digits": ((1797, 64), 10)}
    for name in datasets.DATASETS:
        ds = datasets.load_dataset(name)
        assert (ds.X.shape, ds.n_clusters) == shapes[name] and ds.X.dtype == np.float64
    np.testing.assert_array_equal(datasets.make_blobs(), datasets.make_blobs())  # fixed seed
    with pytest.raises(ValueError, match="name must be one of .*got name='mnist'"):
        datasets.load_dataset("mnist")
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer in \[1, inf\], got sizes\[1\]=0"):
        datasets.make_blobs(sizes=(3, 0))


def _labelled(ax) -> bool:
    return bool(ax.get_title() and ax.get_xlabel() and ax.get_ylabel())


def test_plot_helpers(blobs) -> None:
    X, C0 = blobs
    recs = cm.compare_methods(X, C0, [{"method": "lloyd"},
                                      {"method": "gd", "lr": 1 / 1200, "max_iter": 30}])
    fig = Figure()
    axs = fig.subplots(1, 3)
    plotting.plot_loss_curves(axs[0], recs)
    plotting.plot_loss_curves(axs[1], recs, x="time")
    plotting.plot_n_changed(axs[2], recs)
    assert all(_labelled(a) for a in axs)
    assert len(axs[0].get_lines()) >= 2


def test_trajectories_end_where_the_text_says() -> None:
    runs = cm.trajectories_1d()
    newton, creep, zig = runs["Newton = Lloyd"], runs["GD creep, lr=0.01"], runs["GD zig-zag, lr=0.12"]
    assert newton.converged and newton.n_iter == 2
    assert not creep.converged  # 60 steps are not enough at lr = 0.01
    assert zig.converged and zig.final_loss < newton.final_loss - 3


def test_signed_errors_of_an_empty_cluster_are_nan() -> None:
    X = datasets.make_blobs()
    C = np.vstack([X[:3], [[1e3, 1e3]]])  # centre 3 owns no sample: no mean to measure from
    h = ak.fit(X, C, "gd", lr=1e-4, max_iter=3, tol=0.0)
    e = theory.signed_errors(X, h.centers)
    assert np.isnan(e[:, 3]).all() and np.isfinite(e[:, :3]).all()
    np.testing.assert_allclose(e[0, :3], 1.0)
