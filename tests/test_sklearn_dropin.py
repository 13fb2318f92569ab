"""Code written for ``sklearn.cluster.KMeans`` runs unchanged on ``argmin_kmeans.KMeans``.

Part 1 is scikit-learn's own test module for ``KMeans`` (``sklearn/cluster/tests/test_k_means.py``
of scikit-learn 1.9.1): every test of dense data, copied with only the class made a parameter
(``Estimator``: scikit-learn's class, then this package's) and the seed fixture fixed at
scikit-learn's default, 42. Left out: sparse input (not supported here: a ``TypeError`` that
says so), ``MiniBatchKMeans``, and the tests of scikit-learn's private Cython helpers and of its
``k_means``/``kmeans_plusplus`` functions (``tests/test_engine.py`` checks the relocation
against ``_relocate_empty_clusters_dense`` itself). Two tests read private state that this
package mirrors on purpose (``_n_init``).

Part 2 runs one scikit-learn session (``fit_predict``, ``predict``, ``transform``, ``score``,
``fit_transform``, warnings) on both classes for each kind of input and compares the results:

* float64, same start (an ``init`` array, or a callable fed the same ``random_state``):
  labels, ``fit_predict``, ``predict``, ``n_iter_`` and the warnings equal; centres, inertia,
  distances and scores to 1e-10 relative;
* float32: labels and ``n_iter_`` equal, centres and inertia to 1e-6 (sums accumulate in other
  orders and precisions);
* ``init="k-means++"``/``"random"``: the starts differ (torch's generator, not NumPy's
  ``RandomState``), so the runs differ; on separated blobs both find the same partition, with
  the labels permuted: compared up to that permutation.
* ``labels_`` and ``predict`` are int64 here (int32 in scikit-learn): compared by value.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from io import StringIO
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances, pairwise_distances_argmin
from sklearn.metrics.cluster import v_measure_score
from sklearn.utils._testing import assert_allclose, assert_array_equal, create_memmap_backed_data

from argmin_kmeans import KMeans as AKKMeans

ESTIMATORS = [SKKMeans, AKKMeans]
IDS = ["sklearn", "argmin_kmeans"]

# ---------------------------------------------------------------------------------------------
# Part 1: scikit-learn's tests (its module-level data, its helper, its seed)

centers = np.array(
    [
        [0.0, 5.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 4.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 5.0, 1.0],
    ]
)
n_samples = 100
n_clusters, n_features = centers.shape
X, true_labels = make_blobs(
    n_samples=n_samples, centers=centers, cluster_std=1.0, random_state=42
)


@pytest.fixture
def global_random_seed() -> int:
    return 42  # scikit-learn's default SKLEARN_TESTS_GLOBAL_RANDOM_SEED


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request: pytest.FixtureRequest) -> Any:
    return request.param


def _check_fitted_model(km: Any) -> None:
    centers = km.cluster_centers_
    assert centers.shape == (n_clusters, n_features)
    labels = km.labels_
    assert np.unique(labels).shape[0] == n_clusters
    assert_allclose(v_measure_score(true_labels, labels), 1.0)
    assert km.inertia_ > 0.0


both = pytest.mark.parametrize("KMeans", ESTIMATORS, ids=IDS)


@both
@pytest.mark.parametrize("algo", ["lloyd", "elkan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans_results(KMeans: Any, algo: str, dtype: Any) -> None:
    X = np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]], dtype=dtype)
    sample_weight = [3, 1, 1, 3]
    init_centers = np.array([[0, 0], [1, 1]], dtype=dtype)
    expected_labels = [0, 0, 1, 1]
    expected_inertia = 0.375
    expected_centers = np.array([[0.125, 0], [0.875, 1]], dtype=dtype)
    expected_n_iter = 2
    kmeans = KMeans(n_clusters=2, n_init=1, init=init_centers, algorithm=algo)
    kmeans.fit(X, sample_weight=sample_weight)
    assert_array_equal(kmeans.labels_, expected_labels)
    assert_allclose(kmeans.inertia_, expected_inertia)
    assert_allclose(kmeans.cluster_centers_, expected_centers)
    assert kmeans.n_iter_ == expected_n_iter


@both
@pytest.mark.parametrize("algo", ["lloyd", "elkan"])
def test_kmeans_relocated_clusters(KMeans: Any, algo: str) -> None:
    X = np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]])
    init_centers = np.array([[0.5, 0.5], [3, 3]])
    kmeans = KMeans(n_clusters=2, n_init=1, init=init_centers, algorithm=algo)
    kmeans.fit(X)
    expected_n_iter = 3
    expected_inertia = 0.25
    assert_allclose(kmeans.inertia_, expected_inertia)
    assert kmeans.n_iter_ == expected_n_iter
    try:
        expected_labels = [0, 0, 1, 1]
        expected_centers = [[0.25, 0], [0.75, 1]]
        assert_array_equal(kmeans.labels_, expected_labels)
        assert_allclose(kmeans.cluster_centers_, expected_centers)
    except AssertionError:
        expected_labels = [1, 1, 0, 0]
        expected_centers = [[0.75, 1.0], [0.25, 0.0]]
        assert_array_equal(kmeans.labels_, expected_labels)
        assert_allclose(kmeans.cluster_centers_, expected_centers)


@both
@pytest.mark.parametrize("distribution", ["normal", "blobs"])
@pytest.mark.parametrize("tol", [1e-2, 0])
def test_kmeans_elkan_results(KMeans: Any, distribution: str, tol: float,
                              global_random_seed: int) -> None:
    rnd = np.random.RandomState(global_random_seed)
    if distribution == "normal":
        X = rnd.normal(size=(5000, 10))
    else:
        X, _ = make_blobs(random_state=rnd)
    X[X < 0] = 0
    km_lloyd = KMeans(n_clusters=5, random_state=global_random_seed, n_init=1, tol=tol)
    km_elkan = KMeans(algorithm="elkan", n_clusters=5, random_state=global_random_seed,
                      n_init=1, tol=tol)
    km_lloyd.fit(X)
    km_elkan.fit(X)
    assert_allclose(km_elkan.cluster_centers_, km_lloyd.cluster_centers_)
    assert_array_equal(km_elkan.labels_, km_lloyd.labels_)
    assert km_elkan.n_iter_ == km_lloyd.n_iter_
    assert km_elkan.inertia_ == pytest.approx(km_lloyd.inertia_, rel=1e-6)


@both
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_kmeans_convergence(KMeans: Any, algorithm: str, global_random_seed: int) -> None:
    rnd = np.random.RandomState(global_random_seed)
    X = rnd.normal(size=(5000, 10))
    max_iter = 300
    km = KMeans(algorithm=algorithm, n_clusters=5, random_state=global_random_seed, n_init=1,
                tol=0, max_iter=max_iter).fit(X)
    assert km.n_iter_ < max_iter


@both
@pytest.mark.parametrize(
    "init",
    ["random", "k-means++", centers.copy(), lambda X, k, random_state: centers.copy()],
    ids=["random", "k-means++", "ndarray", "callable"],
)
def test_all_init(KMeans: Any, init: Any) -> None:
    n_init = 10 if isinstance(init, str) else 1
    km = KMeans(init=init, n_clusters=n_clusters, random_state=42, n_init=n_init).fit(X)
    _check_fitted_model(km)


@both
@pytest.mark.parametrize(
    "init, expected_n_init",
    [
        ("k-means++", 1),
        ("random", "default"),
        (lambda X, n_clusters, random_state: random_state.uniform(size=(n_clusters, X.shape[1])),
         "default"),
        ("array-like", 1),
    ],
)
def test_kmeans_init_auto_with_initial_centroids(KMeans: Any, init: Any,
                                                 expected_n_init: Any) -> None:
    n_sample, n_features, n_clusters = 100, 10, 5
    X = np.random.randn(n_sample, n_features)
    if init == "array-like":
        init = np.random.randn(n_clusters, n_features)
    if expected_n_init == "default":
        expected_n_init = 10
    kmeans = KMeans(n_clusters=n_clusters, init=init, n_init="auto").fit(X)
    assert kmeans._n_init == expected_n_init


@both
def test_fortran_aligned_data(KMeans: Any, global_random_seed: int) -> None:
    X_fortran = np.asfortranarray(X)
    centers_fortran = np.asfortranarray(centers)
    km_c = KMeans(n_clusters=n_clusters, init=centers, n_init=1,
                  random_state=global_random_seed).fit(X)
    km_f = KMeans(n_clusters=n_clusters, init=centers_fortran, n_init=1,
                  random_state=global_random_seed).fit(X_fortran)
    assert_allclose(km_c.cluster_centers_, km_f.cluster_centers_)
    assert_array_equal(km_c.labels_, km_f.labels_)


@both
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("tol", [1e-2, 0])
def test_kmeans_verbose(KMeans: Any, algorithm: str, tol: float,
                        capsys: pytest.CaptureFixture[str]) -> None:
    X = np.random.RandomState(0).normal(size=(5000, 10))
    KMeans(algorithm=algorithm, n_clusters=n_clusters, random_state=42, init="random",
           n_init=1, tol=tol, verbose=1).fit(X)
    captured = capsys.readouterr()
    assert re.search(r"Initialization complete", captured.out)
    assert re.search(r"Iteration [0-9]+, inertia", captured.out)
    if tol == 0:
        assert re.search(r"strict convergence", captured.out)
    else:
        assert re.search(r"center shift .* within tolerance", captured.out)


@both
def test_warning_n_init_precomputed_centers(KMeans: Any) -> None:
    with pytest.warns(RuntimeWarning,
                      match="Explicit initial center position passed: performing only one init"):
        KMeans(init=centers, n_clusters=n_clusters, n_init=10).fit(X)


@both
def test_kmeans_copyx(KMeans: Any) -> None:
    my_X = X.copy()
    km = KMeans(copy_x=False, n_clusters=n_clusters, random_state=42)
    km.fit(my_X)
    _check_fitted_model(km)
    assert_allclose(my_X, X)


@both
def test_score_max_iter(KMeans: Any, global_random_seed: int) -> None:
    X = np.random.RandomState(global_random_seed).randn(100, 10)
    km1 = KMeans(n_init=1, random_state=global_random_seed, max_iter=1)
    s1 = km1.fit(X).score(X)
    km2 = KMeans(n_init=1, random_state=global_random_seed, max_iter=10)
    s2 = km2.fit(X).score(X)
    assert s2 > s1


@both
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("max_iter", [2, 100])
def test_kmeans_predict(KMeans: Any, algorithm: str, max_iter: int, global_dtype: Any,
                        global_random_seed: int) -> None:
    X, _ = make_blobs(n_samples=200, n_features=10, centers=10, random_state=global_random_seed)
    X = np.array(X, dtype=global_dtype)
    km = KMeans(n_clusters=10, init="random", n_init=10, max_iter=max_iter,
                random_state=global_random_seed)
    km.set_params(algorithm=algorithm)
    km.fit(X)
    labels = km.labels_
    pred = km.predict(X)
    assert_array_equal(pred, labels)
    pred = km.fit_predict(X)
    assert_array_equal(pred, labels)
    pred = km.predict(km.cluster_centers_)
    assert_array_equal(pred, np.arange(10))


@both
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("init", ["k-means++", "ndarray"])
def test_integer_input(KMeans: Any, dtype: Any, init: str, global_random_seed: int) -> None:
    X_dense = np.array([[0, 0], [10, 10], [12, 9], [-1, 1], [2, 0], [8, 10]])
    X = np.array(X_dense, dtype=dtype)
    n_init = 1 if init == "ndarray" else 10
    init = X_dense[:2] if init == "ndarray" else init
    km = KMeans(n_clusters=2, init=init, n_init=n_init, random_state=global_random_seed)
    km.fit(X)
    assert km.cluster_centers_.dtype == np.float64
    expected_labels = [0, 1, 1, 0, 0, 1]
    assert_allclose(v_measure_score(km.labels_, expected_labels), 1.0)


@both
def test_transform(KMeans: Any, global_random_seed: int) -> None:
    km = KMeans(n_clusters=n_clusters, random_state=global_random_seed).fit(X)
    Xt = km.transform(km.cluster_centers_)
    assert_allclose(Xt, pairwise_distances(km.cluster_centers_))
    assert_array_equal(Xt.diagonal(), np.zeros(n_clusters))
    Xt = km.transform(X)
    assert_allclose(Xt, pairwise_distances(X, km.cluster_centers_))


@both
def test_fit_transform(KMeans: Any, global_random_seed: int) -> None:
    X1 = KMeans(random_state=global_random_seed, n_init=1).fit(X).transform(X)
    X2 = KMeans(random_state=global_random_seed, n_init=1).fit_transform(X)
    assert_allclose(X1, X2)


@both
def test_n_init(KMeans: Any, global_random_seed: int) -> None:
    previous_inertia = np.inf
    for n_init in [1, 5, 10]:
        km = KMeans(n_clusters=n_clusters, init="random", n_init=n_init,
                    random_state=global_random_seed, max_iter=1).fit(X)
        assert km.inertia_ <= previous_inertia


@both
def test_float_precision(KMeans: Any, global_random_seed: int) -> None:
    km = KMeans(n_init=1, random_state=global_random_seed)
    inertia, Xt, centers, labels = {}, {}, {}, {}
    for dtype in [np.float64, np.float32]:
        X_ = X.astype(dtype, copy=False)
        km.fit(X_)
        inertia[dtype] = km.inertia_
        Xt[dtype] = km.transform(X_)
        centers[dtype] = km.cluster_centers_
        labels[dtype] = km.labels_
        assert km.cluster_centers_.dtype == dtype
    rtol = 1e-4
    assert_allclose(inertia[np.float32], inertia[np.float64], rtol=rtol)
    assert_allclose(Xt[np.float32], Xt[np.float64], atol=Xt[np.float64].max() * rtol)
    assert_allclose(centers[np.float32], centers[np.float64],
                    atol=centers[np.float64].max() * rtol)
    assert_array_equal(labels[np.float32], labels[np.float64])


@both
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_centers_not_mutated(KMeans: Any, dtype: Any) -> None:
    X_new_type = X.astype(dtype, copy=False)
    centers_new_type = centers.astype(dtype, copy=False)
    km = KMeans(init=centers_new_type, n_clusters=n_clusters, n_init=1)
    km.fit(X_new_type)
    assert not np.may_share_memory(km.cluster_centers_, centers_new_type)


@both
def test_kmeans_init_fitted_centers(KMeans: Any) -> None:
    km1 = KMeans(n_clusters=n_clusters).fit(X)
    km2 = KMeans(n_clusters=n_clusters, init=km1.cluster_centers_, n_init=1).fit(X)
    assert_allclose(km1.cluster_centers_, km2.cluster_centers_)


@both
def test_kmeans_warns_less_centers_than_unique_points(KMeans: Any,
                                                      global_random_seed: int) -> None:
    X = np.asarray([[0, 0], [0, 1], [1, 0], [1, 0]])
    km = KMeans(n_clusters=4, random_state=global_random_seed)
    msg = (r"Number of distinct clusters \(3\) found smaller than "
           r"n_clusters \(4\). Possibly due to duplicate points in X.")
    with pytest.warns(ConvergenceWarning, match=msg):
        km.fit(X)
    assert set(km.labels_) == set(range(3))


def _sort_centers(centers: np.ndarray) -> np.ndarray:
    return np.sort(centers, axis=0)


@both
def test_weighted_vs_repeated(KMeans: Any, global_random_seed: int) -> None:
    sample_weight = np.random.RandomState(global_random_seed).randint(1, 5, size=n_samples)
    X_repeat = np.repeat(X, sample_weight, axis=0)
    km = KMeans(init=centers, n_init=1, n_clusters=n_clusters, random_state=global_random_seed)
    km_weighted = clone(km).fit(X, sample_weight=sample_weight)
    repeated_labels = np.repeat(km_weighted.labels_, sample_weight)
    km_repeated = clone(km).fit(X_repeat)
    assert_array_equal(km_repeated.labels_, repeated_labels)
    assert_allclose(km_weighted.inertia_, km_repeated.inertia_)
    assert_allclose(_sort_centers(km_weighted.cluster_centers_),
                    _sort_centers(km_repeated.cluster_centers_))


@both
def test_unit_weights_vs_no_weights(KMeans: Any, global_random_seed: int) -> None:
    sample_weight = np.ones(n_samples)
    km = KMeans(n_clusters=n_clusters, random_state=global_random_seed, n_init=1)
    km_none = clone(km).fit(X, sample_weight=None)
    km_ones = clone(km).fit(X, sample_weight=sample_weight)
    assert_array_equal(km_none.labels_, km_ones.labels_)
    assert_allclose(km_none.cluster_centers_, km_ones.cluster_centers_)


@both
def test_scaled_weights(KMeans: Any, global_random_seed: int) -> None:
    sample_weight = np.random.RandomState(global_random_seed).uniform(size=n_samples)
    km = KMeans(n_clusters=n_clusters, random_state=global_random_seed, n_init=1)
    km_orig = clone(km).fit(X, sample_weight=sample_weight)
    km_scaled = clone(km).fit(X, sample_weight=0.5 * sample_weight)
    assert_array_equal(km_orig.labels_, km_scaled.labels_)
    assert_allclose(km_orig.cluster_centers_, km_scaled.cluster_centers_)


@both
def test_kmeans_elkan_iter_attribute(KMeans: Any) -> None:
    km = KMeans(algorithm="elkan", max_iter=1).fit(X)
    assert km.n_iter_ == 1


@both
def test_kmeans_empty_cluster_relocated(KMeans: Any) -> None:
    X = np.array([[-1], [1]])
    sample_weight = [1.9, 0.1]
    init = np.array([[-1], [10]])
    km = KMeans(n_clusters=2, init=init, n_init=1)
    km.fit(X, sample_weight=sample_weight)
    assert len(set(km.labels_)) == 2
    assert_allclose(km.cluster_centers_, [[-1], [1]])


@both
def test_warning_elkan_1_cluster(KMeans: Any) -> None:
    with pytest.warns(RuntimeWarning,
                      match="algorithm='elkan' doesn't make sense for a single cluster"):
        KMeans(n_clusters=1, algorithm="elkan").fit(X)


@both
@pytest.mark.parametrize("algo", ["lloyd", "elkan"])
def test_k_means_1_iteration(KMeans: Any, algo: str, global_random_seed: int) -> None:
    X = np.random.RandomState(global_random_seed).uniform(size=(100, 5))
    init_centers = X[:5]

    def py_kmeans(X: np.ndarray, init: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        new_centers = init.copy()
        labels = pairwise_distances_argmin(X, init)
        for label in range(init.shape[0]):
            new_centers[label] = X[labels == label].mean(axis=0)
        labels = pairwise_distances_argmin(X, new_centers)
        return labels, new_centers

    py_labels, py_centers = py_kmeans(X, init_centers)
    cy_kmeans = KMeans(n_clusters=5, n_init=1, init=init_centers, algorithm=algo,
                       max_iter=1).fit(X)
    assert_array_equal(py_labels, cy_kmeans.labels_)
    assert_allclose(py_centers, cy_kmeans.cluster_centers_)


@both
def test_n_init_auto(KMeans: Any) -> None:
    est = KMeans(n_init="auto", init="k-means++")
    est.fit(X)
    assert est._n_init == 1
    est = KMeans(n_init="auto", init="random")
    est.fit(X)
    assert est._n_init == 10


@both
def test_sample_weight_unchanged(KMeans: Any) -> None:
    X = np.array([[1], [2], [4]])
    sample_weight = np.array([0.5, 0.2, 0.3])
    KMeans(n_clusters=2, random_state=0).fit(X, sample_weight=sample_weight)
    assert_array_equal(sample_weight, np.array([0.5, 0.2, 0.3]))


@both
@pytest.mark.parametrize(
    "param, match",
    [
        ({"n_clusters": n_samples + 1}, r"n_samples.* should be >= n_clusters"),
        ({"init": X[:2]},
         r"The shape of the initial centers .* does not match the number of clusters"),
        ({"init": lambda X_, k, random_state: X_[:2]},
         r"The shape of the initial centers .* does not match the number of clusters"),
        ({"init": X[:8, :2]},
         r"The shape of the initial centers .* does not match the number of features of the data"),
        ({"init": lambda X_, k, random_state: X_[:8, :2]},
         r"The shape of the initial centers .* does not match the number of features of the data"),
    ],
)
def test_wrong_params(KMeans: Any, param: dict, match: str) -> None:
    km = KMeans(n_init=1)
    with pytest.raises(ValueError, match=match):
        km.set_params(**param).fit(X)


@both
@pytest.mark.parametrize(
    "kwargs", ({"init": np.str_("k-means++")}, {"init": [[0, 0], [1, 1]], "n_init": 1})
)
def test_kmeans_with_array_like_or_np_scalar_init(KMeans: Any, kwargs: dict) -> None:
    X = np.asarray([[0, 0], [0.5, 0], [0.5, 1], [1, 1]], dtype=np.float64)
    clustering = KMeans(n_clusters=2, **kwargs)
    clustering.fit(X)


@both
def test_feature_names_out(KMeans: Any) -> None:
    class_name = KMeans.__name__.lower()
    kmeans = KMeans()
    kmeans.fit(X)
    n_clusters = kmeans.cluster_centers_.shape[0]
    names_out = kmeans.get_feature_names_out()
    assert_array_equal([f"{class_name}{i}" for i in range(n_clusters)], names_out)


@both
def test_predict_does_not_change_cluster_centers(KMeans: Any) -> None:
    X, _ = make_blobs(n_samples=200, n_features=10, centers=10, random_state=0)
    kmeans = KMeans()
    y_pred1 = kmeans.fit_predict(X)
    kmeans.cluster_centers_ = create_memmap_backed_data(kmeans.cluster_centers_)
    kmeans.labels_ = create_memmap_backed_data(kmeans.labels_)
    y_pred2 = kmeans.predict(X)
    assert_array_equal(y_pred1, y_pred2)


@both
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_relocating_with_duplicates(KMeans: Any, algorithm: str) -> None:
    X = np.array([[0, 0], [1, 1], [1, 1], [1, 0], [0, 1]])
    km = KMeans(n_clusters=5, init=X, algorithm=algorithm)
    msg = r"Number of distinct clusters \(4\) found smaller than n_clusters \(5\)"
    with pytest.warns(ConvergenceWarning, match=msg):
        km.fit(X)
    assert km.n_iter_ == 1


# ---------------------------------------------------------------------------------------------
# Part 2: one scikit-learn session on both classes, results compared


def session(KMeans: Any, X: Any, X_new: Any, sample_weight: Any = None,
            **params: Any) -> dict[str, Any]:
    """What a scikit-learn user's script does with a ``KMeans``; everything it returns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        km = KMeans(**params)
        fit_predict = km.fit_predict(X, sample_weight=sample_weight)
        fit_transform = KMeans(**params).fit_transform(X, sample_weight=sample_weight)
    return {
        "labels_": np.asarray(km.labels_), "fit_predict": np.asarray(fit_predict),
        "predict": np.asarray(km.predict(X_new)), "n_iter_": km.n_iter_,
        "cluster_centers_": km.cluster_centers_, "inertia_": float(km.inertia_),
        "transform": km.transform(X_new), "fit_transform": fit_transform,
        "score": float(km.score(X_new)),
        "score_weighted": float(km.score(X, sample_weight=sample_weight)),
        "dtype": km.cluster_centers_.dtype,
        "warnings": sorted((w.category.__name__, str(w.message)) for w in caught),
    }


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a, float) - b).max() / max(np.abs(b).max(), 1e-300))


def assert_same_session(ours: dict, ref: dict, rtol: float) -> None:
    for key in ("labels_", "fit_predict", "predict", "n_iter_", "dtype", "warnings"):
        assert np.array_equal(ours[key], ref[key]), key
    for key in ("cluster_centers_", "transform", "fit_transform"):
        assert _rel(ours[key], ref[key]) <= rtol, key
    for key in ("inertia_", "score", "score_weighted"):
        assert ours[key] == pytest.approx(ref[key], rel=rtol), key


rng = np.random.default_rng(0)
BLOBS, _ = make_blobs(n_samples=300, centers=4, n_features=3, cluster_std=0.8, random_state=1)
UNIFORM = rng.uniform(size=(600, 2))
NEW = rng.uniform(-5, 5, size=(7, 3))  # fewer queries than ... n_clusters=8 below
W = rng.uniform(0.1, 3.0, size=600)


def _init_random_rows(X: np.ndarray, k: int, random_state: np.random.RandomState) -> np.ndarray:
    return X[random_state.choice(len(X), k, replace=False)]


CASES = {
    # name: (X, X_new, sample_weight, params); float64 unless said
    "toy, array init": (np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]]),
                        [[0, 0], [12, 3]], None, {"n_clusters": 2, "init": [[1, 0], [10, 4]]}),
    "toy, an empty cluster": (np.array([[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [1.0, 1.0]]),
                              [[0.2, 0.2]], None, {"n_clusters": 2, "init": [[0.5, 0.5], [3, 3]]}),
    "empty clusters, weighted": (UNIFORM, NEW[:, :2], W,
                                 {"n_clusters": 8, "init": np.vstack([UNIFORM[:5], [[9, 9],
                                                                      [-9, 9], [9, -9]]])}),
    "duplicates: fewer points than clusters": (np.repeat(UNIFORM[:3], 4, axis=0), NEW[:, :2],
                                               None, {"n_clusters": 5, "init": UNIFORM[:5]}),
    "callable init, n_init='auto' (10 runs)": (UNIFORM, NEW[:, :2], None,
                                               {"n_clusters": 8, "init": _init_random_rows,
                                                "random_state": 3}),
    "callable init, n_init=3, weighted": (UNIFORM, NEW[:, :2], W,
                                          {"n_clusters": 8, "init": _init_random_rows,
                                           "n_init": 3, "random_state": 4}),
    "max_iter=1": (UNIFORM, NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8],
                                              "max_iter": 1}),
    "max_iter=5": (UNIFORM, NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8],
                                              "max_iter": 5}),
    "tol=0": (UNIFORM, NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8], "tol": 0.0}),
    "tol=1e-2": (UNIFORM, NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8],
                                             "tol": 1e-2}),
    "elkan": (UNIFORM, NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8],
                                          "algorithm": "elkan"}),
    "Fortran-ordered data": (np.asfortranarray(UNIFORM), NEW[:, :2], None,
                             {"n_clusters": 8, "init": np.asfortranarray(UNIFORM[:8])}),
    "integer data": (np.round(UNIFORM * 100).astype(np.int64), NEW[:, :2] * 100, None,
                     {"n_clusters": 8, "init": np.round(UNIFORM[:8] * 100).astype(np.int32)}),
    "copy_x=False": (UNIFORM.copy(), NEW[:, :2], None, {"n_clusters": 8, "init": UNIFORM[:8],
                                                       "copy_x": False}),
    "float32": (UNIFORM.astype(np.float32), NEW[:, :2].astype(np.float32), None,
                {"n_clusters": 8, "init": UNIFORM[:8]}),
    "float32, weighted": (UNIFORM.astype(np.float32), NEW[:, :2].astype(np.float32), W,
                          {"n_clusters": 8, "init": UNIFORM[:8]}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_session_same_results(case: str) -> None:
    X, X_new, w, params = CASES[case]
    ref = session(SKKMeans, X, X_new, w, **params)
    ours = session(AKKMeans, X, X_new, w, **params)
    assert_same_session(ours, ref, rtol=1e-6 if "float32" in case else 1e-10)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("weighted", [False, True])
def test_random_starts_find_the_same_partition(init: str, weighted: bool) -> None:
    """The starts differ (another random stream), so compare what does not depend on them on
    well-separated blobs: the partition (up to a relabelling), the centres and the inertia."""
    w = W[: len(BLOBS)] if weighted else None
    ref = session(SKKMeans, BLOBS, NEW, w, n_clusters=4, init=init, random_state=0)
    ours = session(AKKMeans, BLOBS, NEW, w, n_clusters=4, init=init, random_state=0)
    perm = {int(a): int(b) for a, b in zip(ours["labels_"], ref["labels_"])}
    assert len(set(perm.values())) == 4  # a relabelling...
    assert [perm[int(a)] for a in ours["labels_"]] == ref["labels_"].tolist()  # ...of the same
    order = [k for k, _ in sorted(perm.items())]
    assert _rel(ours["cluster_centers_"], ref["cluster_centers_"][[perm[k] for k in order]]) < 1e-10
    for key in ("inertia_", "score", "score_weighted"):
        assert ours[key] == pytest.approx(ref[key], rel=1e-10)
    assert ours["warnings"] == ref["warnings"] == []


def test_verbose_prints_scikit_learns_lines() -> None:
    def lines(KMeans: Any, **kw: Any) -> list[str]:
        out = StringIO()
        with contextlib.redirect_stdout(out):
            KMeans(n_clusters=8, verbose=1, **kw).fit(UNIFORM)
        return [re.sub(r"(\d+\.\d{6})\d*", r"\1", s) for s in out.getvalue().splitlines()]

    for kw in ({"init": UNIFORM[:8]}, {"init": UNIFORM[:8], "tol": 0}):
        assert lines(AKKMeans, **kw) == lines(SKKMeans, **kw)
