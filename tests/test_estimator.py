"""``argmin_kmeans.estimator.KMeans`` against scikit-learn: its estimator checks, its ``KMeans``
(same start, float64: labels equal, centres to 1e-10 relative), its ``Pipeline`` and
``GridSearchCV``; torch tensors in and out; weights; determinism; errors that name the value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans as SKKMeans
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from argmin_kmeans.estimator import KMeans
from argmin_kmeans.initialization import kmeans_plusplus
from helpers import blobs  # tests/ is on sys.path under pytest

# scikit-learn lists the same expected failure for its own KMeans: the check fits 15 rows with
# integer weights and the same rows repeated, shuffled differently, and compares `predict`
# label for label. The k-means++ start is drawn from a different list of rows, so the runs
# start elsewhere and may end in another local minimum, or in the same partition with the
# labels permuted (what happens here with n_init=10). With one start for both, weights and
# repetitions give the same fit: test_integer_weights_equal_repeated_samples.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a random start drawn from differently ordered rows gives other labels (scikit-learn "
        "expects the same failure for its KMeans)"
    ),
}
CHECKED = [
    KMeans(n_clusters=2, n_init=2, max_iter=5),  # scikit-learn's own test settings for KMeans
    KMeans(n_clusters=2, method="gd", init="random"),  # lr=None: the per-centre 1/(2 n_k) step
]


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
                         xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator: KMeans, check: Any) -> None:
    check(estimator)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _start(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    return np.asarray(kmeans_plusplus(X, k, seed=seed))


# --------------------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("method", ["lloyd", "newton", "gd"])
@pytest.mark.parametrize("case", ["blobs", "uniform", "far_from_origin"])
def test_same_start_gives_scikit_learns_kmeans(method: str, case: str) -> None:
    """Same start, float64: the same labels and centres (1e-10 relative) and inertia as
    ``sklearn.cluster.KMeans(init=C0, n_init=1, algorithm="lloyd", tol=0)``. ``gd`` has
    ``lr=None``: the per-centre step 1/(2 n_k), i.e. Newton's.

    ``tol=0`` on scikit-learn's side: with its default ``tol=1e-4`` it also stops when the
    centres move less than ``tol`` (times the data's variance), which can be one update before
    the fixed point (it is on these blobs); Lloyd and Newton here always go on to it.
    """
    k = 4
    if case == "blobs":
        X = blobs(seed=3, n=400, d=3, k=k)
    elif case == "uniform":  # no clusters: many iterations
        X = np.random.default_rng(5).uniform(size=(500, 2))
    else:  # far from the origin: the centring keeps every digit that matters
        X = blobs(seed=4, n=400, d=2, k=k) + 1e6
    C0 = _start(X, k, seed=1)
    ours = KMeans(k, method=method, init=C0).fit(X)
    ref = SKKMeans(k, init=C0, n_init=1, algorithm="lloyd", tol=0.0).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert _rel(ours.cluster_centers_, ref.cluster_centers_) <= 1e-10
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    # scikit-learn counts the last update too: the one that finds no label changed
    assert ours.n_iter_ + 1 == ref.n_iter_ and ours.history_.converged
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # distances against direct differences (scikit-learn's own transform loses digits to
    # cancellation far from the origin: it expands ||x - c||^2 on the raw coordinates)
    direct = np.linalg.norm(X[:, None, :] - ref.cluster_centers_[None, :, :], axis=2)
    np.testing.assert_allclose(ours.transform(X), direct, rtol=1e-8, atol=1e-8)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)


def test_weighted_fit_gives_scikit_learns_weighted_kmeans() -> None:
    X = blobs(seed=6, n=300, d=2, k=3)
    w = np.random.default_rng(6).uniform(0.0, 3.0, size=len(X))
    C0 = _start(X, 3, seed=2)
    for method in ("lloyd", "newton", "gd"):
        ours = KMeans(3, method=method, init=C0).fit(X, sample_weight=w)
        ref = SKKMeans(3, init=C0, n_init=1, algorithm="lloyd", tol=0.0).fit(X, sample_weight=w)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        assert _rel(ours.cluster_centers_, ref.cluster_centers_) <= 1e-10
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
        assert ours.score(X, sample_weight=w) == pytest.approx(ref.score(X, sample_weight=w),
                                                               rel=1e-10)


def test_integer_weights_equal_repeated_samples() -> None:
    """One start for both: weight m is m copies, weight 0 is no sample."""
    X = blobs(seed=7, n=120, d=2, k=3)
    w = np.random.default_rng(7).integers(0, 4, size=len(X))
    C0 = _start(X[w > 0], 3, seed=0)
    weighted = KMeans(3, init=C0).fit(X, sample_weight=w)
    repeated = KMeans(3, init=C0).fit(np.repeat(X, w, axis=0))
    assert _rel(weighted.cluster_centers_, repeated.cluster_centers_) <= 1e-12
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-12)
    np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))


@pytest.mark.parametrize("method", ["lloyd", "newton", "gd"])
def test_unit_weights_give_the_unweighted_run(method: str) -> None:
    """The weighted loop of the estimator against the course's ``fit`` (no weights)."""
    X = blobs(seed=8, n=300, d=3, k=4)
    kw = {"n_clusters": 4, "method": method, "random_state": 3}
    if method == "gd":
        kw["lr"] = 0.4 / len(X)
    plain = KMeans(**kw).fit(X)
    ones = KMeans(**kw).fit(X, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(ones.labels_, plain.labels_)
    assert ones.n_iter_ == plain.n_iter_
    assert _rel(ones.cluster_centers_, plain.cluster_centers_) <= 1e-12
    assert ones.inertia_ == pytest.approx(plain.inertia_, rel=1e-12)


def test_gradient_descent_with_a_fixed_step_reaches_lloyds_fixed_point() -> None:
    X = blobs(seed=9, n=300, d=2, k=3)
    C0 = _start(X, 3, seed=0)
    lloyd = KMeans(3, init=C0).fit(X)
    gd = KMeans(3, method="gd", lr=0.2 / len(X), init=C0, tol=1e-12, max_iter=5000).fit(X)
    assert gd.history_.converged and gd.n_iter_ > 5 * lloyd.n_iter_  # it crawls, but arrives
    np.testing.assert_array_equal(gd.labels_, lloyd.labels_)
    assert _rel(gd.cluster_centers_, lloyd.cluster_centers_) <= 1e-5


def test_pipeline_and_grid_search() -> None:
    X = blobs(seed=10, n=300, d=2, k=4) * np.array([1.0, 50.0])  # scales the scaler must undo
    pipe = make_pipeline(StandardScaler(), KMeans(4, random_state=0)).fit(X)
    labels = pipe.predict(X)
    assert labels.shape == (300,) and set(labels.tolist()) == {0, 1, 2, 3}
    np.testing.assert_array_equal(labels, pipe[-1].labels_)
    assert pipe.transform(X).shape == (300, 4)
    search = GridSearchCV(KMeans(random_state=0),
                          {"n_clusters": [2, 4], "method": ["lloyd", "newton"]}, cv=3).fit(X)
    # score = -inertia on the held-out third: more centres fit it better
    assert search.best_params_["n_clusters"] == 4
    assert isinstance(search.best_estimator_, KMeans)
    assert search.best_estimator_.cluster_centers_.shape == (4, 2)


# --------------------------------------------------------------------------- torch


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensors_in_tensors_out(dtype: torch.dtype) -> None:
    X = blobs(seed=11, n=200, d=2, k=3)
    Xt = torch.tensor(X, dtype=dtype)
    km = KMeans(3, random_state=0).fit(Xt)
    outs = [km.cluster_centers_, km.labels_, km.predict(Xt), km.transform(Xt),
            km.history_.centers, km.history_.loss, km.history_.labels]
    for out in outs:
        assert isinstance(out, torch.Tensor) and out.device == Xt.device
    assert km.cluster_centers_.dtype == km.transform(Xt).dtype == dtype
    assert km.labels_.dtype == km.predict(Xt).dtype == torch.int64
    # NumPy in: NumPy out, same numbers
    ref = KMeans(3, random_state=0).fit(Xt.numpy())
    assert isinstance(ref.cluster_centers_, np.ndarray) and isinstance(ref.predict(X), np.ndarray)
    np.testing.assert_array_equal(ref.labels_, km.labels_.numpy())
    np.testing.assert_array_equal(ref.cluster_centers_, km.cluster_centers_.numpy())
    assert isinstance(km.predict(X.astype(np.float32 if dtype == torch.float32 else float)),
                      np.ndarray)  # a NumPy query of a tensor fit: NumPy out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_tensors_on_cuda_stay_there() -> None:
    X = torch.tensor(blobs(seed=12, n=200, d=2, k=3), device="cuda")
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.device.type == km.labels_.device.type == "cuda"
    ref = KMeans(3, random_state=0).fit(X.cpu().numpy())
    np.testing.assert_array_equal(km.labels_.cpu().numpy(), ref.labels_)
    assert _rel(km.cluster_centers_.cpu().numpy(), ref.cluster_centers_) <= 1e-10


def test_device_argument_and_integer_tensors() -> None:
    X = blobs(seed=13, n=100, d=2, k=2)
    km = KMeans(2, random_state=0, device="cpu").fit(X)
    assert isinstance(km.cluster_centers_, np.ndarray)
    with pytest.raises(ValueError, match="device='nope'"):
        KMeans(2, device="nope").fit(X)
    with pytest.raises(TypeError, match=r"X.double\(\)"):  # the course's rule for tensors
        KMeans(2).fit(torch.ones(10, 2, dtype=torch.int64))
    # scikit-learn's rule for arrays: integers become float64
    assert KMeans(2, random_state=0).fit(np.arange(20).reshape(10, 2)).cluster_centers_.dtype == (
        np.float64)


# --------------------------------------------------------------------------- determinism


def test_deterministic_given_random_state_and_leaves_global_rngs_alone() -> None:
    X = blobs(seed=14, n=300, d=2, k=5)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a = KMeans(5, n_init=3, random_state=7).fit(X)
    torch.manual_seed(123)  # the global seeds do not matter...
    np.random.seed(123)
    b = KMeans(5, n_init=3, random_state=7).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    torch.set_rng_state(torch_state)
    np.random.set_state(np_state)
    t0, n0 = torch.get_rng_state(), np.random.get_state()[1].copy()
    KMeans(5, n_init=3, random_state=7).fit(X)
    KMeans(5, init="random", random_state=None).fit(X)
    assert torch.equal(torch.get_rng_state(), t0)  # ...and are not used
    np.testing.assert_array_equal(np.random.get_state()[1], n0)
    starts = {KMeans(5, random_state=s).fit(X).history_.centers[0].tobytes() for s in range(4)}
    assert len(starts) > 1  # different seeds, different starts


def test_history_is_the_best_run_in_the_data_coordinates() -> None:
    X = blobs(seed=15, n=200, d=2, k=3) + 50.0
    C0 = _start(X, 3, seed=0)
    km = KMeans(3, init=C0).fit(X)
    h = km.history_
    assert h.centers.shape == (km.n_iter_ + 1, 3, 2) and h.loss.shape == (km.n_iter_ + 1,)
    np.testing.assert_allclose(h.centers[0], C0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h.centers[-1], km.cluster_centers_)
    assert h.loss[-1] == km.inertia_ and h.n_changed[-1] == 0
    assert np.all(np.diff(h.loss) <= 1e-9 * h.loss[0])  # Lloyd never increases the loss
    with pytest.warns(RuntimeWarning, match="one run"):
        KMeans(3, init=C0, n_init=3).fit(X)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("params, error, match", [
    ({"n_clusters": 0}, ValueError, "n_clusters=0"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters=2.5"),
    ({"n_clusters": 11}, ValueError, "n_clusters=11 is more than n_samples=10"),
    ({"method": "adam"}, ValueError, "method='adam'"),
    ({"init": "kmeans++"}, ValueError, r"init='kmeans\+\+'"),
    ({"init": np.zeros((3, 2))}, ValueError, r"got shape \(3, 2\)"),
    ({"method": "gd", "lr": -1.0}, ValueError, "lr=-1.0"),
    ({"n_init": 0}, ValueError, "n_init=0"),
    ({"max_iter": 0}, ValueError, "max_iter=0"),
    ({"tol": -1.0}, ValueError, "tol=-1.0"),
    ({"random_state": -1}, ValueError, "random_state=-1"),
    ({"random_state": "x"}, TypeError, "random_state='x'"),
])
def test_errors_name_the_value(params: dict, error: type, match: str) -> None:
    X = blobs(seed=16, n=10, d=2, k=2)
    with pytest.raises(error, match=match):
        KMeans(**{"n_clusters": 2, **params}).fit(X)


def test_sample_weight_errors_name_the_value() -> None:
    X = blobs(seed=17, n=10, d=2, k=2)
    with pytest.raises(ValueError, match=r"sample_weight\[3\]=-1.0"):
        KMeans(2).fit(X, sample_weight=np.array([1, 1, 1, -1, 1, 1, 1, 1, 1, 1.0]))
    with pytest.raises(ValueError, match="non-zero weight"):
        KMeans(2).fit(X, sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match=r"\(10,\), got shape \(9,\)"):
        KMeans(2).fit(X, sample_weight=np.ones(9))
