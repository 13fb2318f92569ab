"""``argmin_kmeans.estimator.KMeans`` against scikit-learn: its estimator checks, its ``KMeans``
on the same input (float64: labels, ``n_iter_`` equal, centres and inertia to 1e-10 relative),
each item of issue 20 (empty clusters, integer and callable inits, NumPy strings, warnings,
``transform``, ``n_init="auto"``, ``verbose``, ``copy_x``, ``algorithm``, the iteration count,
one validation per call), its ``Pipeline`` and ``GridSearchCV``; torch tensors in and out;
weights; determinism; errors that name the value. ``tests/test_sklearn_dropin.py`` runs
scikit-learn-style code on both classes."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from typing import Any

import numpy as np
import pytest
import sklearn.utils.validation as skv
import torch
from sklearn.cluster import KMeans as SKKMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import argmin_kmeans._validation as validation
from argmin_kmeans.estimator import KMeans
from argmin_kmeans.initialization import kmeans_plusplus
from helpers import blobs  # tests/ is on sys.path under pytest

# scikit-learn lists the same expected failure for its own KMeans: the check fits 15 rows with
# integer weights and the same rows repeated, shuffled differently, and compares `predict`
# label for label. The k-means++ start is drawn from a different list of rows, so the runs
# start elsewhere and may end in another local minimum, or in the same partition with the
# labels permuted. With one start for both, weights and repetitions give the same fit:
# test_integer_weights_equal_repeated_samples. (The second estimator passes the check: its
# n_init="auto" makes 10 random starts, and both fits keep the same best partition.)
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


@parametrize_with_checks(
    CHECKED,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS if est is CHECKED[0] else {},
    xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator: KMeans, check: Any) -> None:
    check(estimator)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _start(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    return np.asarray(kmeans_plusplus(X, k, seed=seed))


def assert_same_fit(ours: KMeans, ref: SKKMeans, rtol: float = 1e-10) -> None:
    """Labels and iteration count equal; centres and inertia to ``rtol`` relative."""
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert _rel(ours.cluster_centers_, ref.cluster_centers_) <= rtol
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=rtol)


# --------------------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("method", ["lloyd", "newton", "gd"])
@pytest.mark.parametrize("case", ["blobs", "uniform", "far_from_origin"])
def test_same_start_gives_scikit_learns_kmeans(method: str, case: str) -> None:
    """Same start, float64, the default ``tol`` and ``tol=0``: the same labels, ``n_iter_``,
    centres (1e-10 relative) and inertia as ``sklearn.cluster.KMeans(init=C0)``. ``gd`` has
    ``lr=None``: the per-centre step 1/(2 n_k), i.e. Newton's."""
    k = 4
    if case == "blobs":
        X = blobs(seed=3, n=400, d=3, k=k)
    elif case == "uniform":  # no clusters: many iterations, the tol criterion decides
        X = np.random.default_rng(5).uniform(size=(500, 2))
    else:  # far from the origin: the centring keeps every digit that matters
        X = blobs(seed=4, n=400, d=2, k=k) + 1e6
    C0 = _start(X, k, seed=1)
    for tol in (1e-4, 0.0):
        ours = KMeans(k, method=method, init=C0, tol=tol).fit(X)
        ref = SKKMeans(k, init=C0, tol=tol).fit(X)
        assert_same_fit(ours, ref)
        assert ours.history_.converged
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
    ref = SKKMeans(3, init=C0).fit(X, sample_weight=w)
    for method in ("lloyd", "newton", "gd"):
        ours = KMeans(3, method=method, init=C0).fit(X, sample_weight=w)
        assert_same_fit(ours, ref)
        assert ours.score(X, sample_weight=w) == pytest.approx(ref.score(X, sample_weight=w),
                                                               rel=1e-10)
    # a number means that weight for every sample, as in scikit-learn
    assert_same_fit(KMeans(3, init=C0).fit(X, sample_weight=2.0),
                    SKKMeans(3, init=C0).fit(X, sample_weight=2.0))


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
    lloyd = KMeans(3, init=C0, tol=0).fit(X)
    gd = KMeans(3, method="gd", lr=0.2 / len(X), init=C0, tol=1e-12, max_iter=5000).fit(X)
    assert gd.history_.converged and gd.n_iter_ > 5 * lloyd.n_iter_  # it crawls, but arrives
    np.testing.assert_array_equal(gd.labels_, lloyd.labels_)
    assert _rel(gd.cluster_centers_, lloyd.cluster_centers_) <= 1e-5


def test_pipeline_and_grid_search_with_numpy_strings() -> None:
    """Issue 20, item 3: a grid of ``np.array(["lloyd", "newton"])`` holds ``np.str_``."""
    X = blobs(seed=10, n=300, d=2, k=4) * np.array([1.0, 50.0])  # scales the scaler must undo
    pipe = make_pipeline(StandardScaler(), KMeans(4, random_state=0)).fit(X)
    labels = pipe.predict(X)
    assert labels.shape == (300,) and set(labels.tolist()) == {0, 1, 2, 3}
    np.testing.assert_array_equal(labels, pipe[-1].labels_)
    assert pipe.transform(X).shape == (300, 4)
    grid = {"n_clusters": [2, 4], "init": np.array(["k-means++", "random"])}
    sk_search = GridSearchCV(SKKMeans(random_state=0, n_init=1), grid, cv=3).fit(X)
    search = GridSearchCV(KMeans(random_state=0, n_init=1),
                          {**grid, "method": np.array(["lloyd", "newton"])}, cv=3).fit(X)
    # score = -inertia on the held-out third: more centres fit it better
    assert search.best_params_["n_clusters"] == sk_search.best_params_["n_clusters"] == 4
    assert isinstance(search.best_estimator_, KMeans)
    assert search.best_estimator_.cluster_centers_.shape == (4, 2)
    # the parameters themselves, as NumPy scalars
    C0 = _start(X, 4, seed=0)
    assert_same_fit(KMeans(np.int64(4), init=C0, algorithm=np.str_("elkan"),
                           method=np.str_("newton"), max_iter=np.int32(50),
                           tol=np.float32(1e-4)).fit(X),
                    SKKMeans(4, init=C0, algorithm="elkan", max_iter=50, tol=1e-4).fit(X))


# --------------------------------------------------------------------------- issue 20


def test_empty_clusters_are_relocated_as_scikit_learn_does() -> None:
    """Item 1: each empty cluster takes the sample farthest from its centre (scikit-learn's
    order, weights included); ``empty="keep"`` is the course's rule and leaves it dead."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0], [1.0, 3.0]])
    C0 = np.array([[0.5, 1.5], [9.0, 9.0]])  # centre 1 owns nothing
    ref = SKKMeans(2, init=C0).fit(X)
    ours = KMeans(2, init=C0).fit(X)
    assert_same_fit(ours, ref)
    assert ours.inertia_ == ref.inertia_ == 1.0  # 0.5 per cluster
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(1\).*empty='keep'"):
        kept = KMeans(2, init=C0, empty="keep").fit(X)
    assert kept.inertia_ == 10.0 and set(kept.labels_.tolist()) == {0}
    np.testing.assert_array_equal(kept.cluster_centers_[1], C0[1])

    # several empty clusters at once, unequal weights: the first update equals scikit-learn's
    # (which samples move, in which order, with which weights), and so does the whole run
    Xb = blobs(seed=18, n=200, d=2, k=3)
    w = np.random.default_rng(18).uniform(0.2, 3.0, size=len(Xb))
    Cb = np.vstack([Xb[:3], [[40.0, 40.0], [-40.0, 0.0], [0.0, 60.0]]])
    for sw in (None, w):
        for max_iter in (1, 300):
            assert_same_fit(KMeans(6, init=Cb, max_iter=max_iter).fit(Xb, sample_weight=sw),
                            SKKMeans(6, init=Cb, max_iter=max_iter).fit(Xb, sample_weight=sw))


def test_the_one_documented_relocation_difference() -> None:
    """A cluster that stays empty because every sample sits on its centre: scikit-learn 1.9's
    ``_average_centers`` copies the heaviest cluster's row before averaging it when the empty
    cluster's index is lower, so that centre lands on the weighted *sum* (centred: 7/3 here);
    this package puts it on the heaviest cluster's mean, as scikit-learn's comment says. Same
    partition, same inertia (0), same warning; when the empty index is the higher one, the same
    centres too."""
    X = np.array([[2.0, 2.0], [2.0, 2.0], [1.0, 1.0]])
    for C0, same in (([[5, 5], [2, 2], [1, 1]], False), ([[2, 2], [1, 1], [5, 5]], True)):
        with pytest.warns(ConvergenceWarning):
            ref = SKKMeans(3, init=np.array(C0)).fit(X)
        with pytest.warns(ConvergenceWarning):
            ours = KMeans(3, init=np.array(C0)).fit(X)
        assert ours.inertia_ == ref.inertia_ == 0.0
        assert len({(a, b) for a, b in zip(ours.labels_, ref.labels_)}) == 2  # same partition
        if same:
            assert_same_fit(ours, ref)
        else:
            np.testing.assert_allclose(ref.cluster_centers_[0], [7 / 3, 7 / 3])
            np.testing.assert_array_equal(ours.cluster_centers_[0], [2.0, 2.0])


def test_integer_init_arrays_and_integer_data() -> None:
    """Item 2: integer ``init`` (NumPy, list, torch) is cast to the data's dtype."""
    X = np.arange(40).reshape(20, 2)  # integers: float64, as scikit-learn does
    C0 = np.array([[0, 1], [38, 39]])
    ref = SKKMeans(2, init=C0).fit(X)
    for init in (C0, C0.tolist(), torch.tensor(C0)):
        ours = KMeans(2, init=init).fit(X)
        assert_same_fit(ours, ref)
        assert ours.cluster_centers_.dtype == ref.cluster_centers_.dtype == np.float64
    ours32 = KMeans(2, init=C0).fit(X.astype(np.float32))
    assert ours32.cluster_centers_.dtype == np.float32


def test_fewer_distinct_points_than_clusters_warns_as_scikit_learn() -> None:
    """Item 4: the same ``ConvergenceWarning`` (class and text)."""
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    C0 = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [3.0, 3.0]])
    messages = []
    for cls in (SKKMeans, KMeans):
        with pytest.warns(ConvergenceWarning) as record:
            km = cls(4, init=C0).fit(X)
        messages.append([str(r.message) for r in record])
        assert km.inertia_ == 0.0
    assert messages[0] == messages[1] == [
        ("Number of distinct clusters (3) found smaller than n_clusters (4). Possibly due to "
         "duplicate points in X.")]
    with pytest.warns(ConvergenceWarning):
        KMeans(4, random_state=0).fit(X)  # k-means++ cannot find 4 distinct points either


def test_float32_transform_is_zero_at_a_centre_as_in_scikit_learn() -> None:
    """Item 5: float32 distances computed in float64; a zero distance is exactly 0.0 (it was
    up to 0.0028 for this data, which sits far from the origin)."""
    X = (blobs(seed=19, n=300, d=5, k=4) + 100.0).astype(np.float32)
    C0 = X[:4].copy()
    ours, ref = KMeans(4, init=C0).fit(X), SKKMeans(4, init=C0).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    T = ours.transform(ours.cluster_centers_)
    assert T.dtype == np.float32 and np.all(np.diag(T) == 0.0)
    assert np.all(np.diag(ref.transform(ref.cluster_centers_)) == 0.0)
    got, want = ours.transform(X), ref.transform(X)
    assert got.dtype == want.dtype == np.float32
    assert _rel(got, want) <= 1e-6  # float32 rounding of the centres
    np.testing.assert_array_equal(ours.fit_transform(X), got)


def test_transform_takes_fewer_samples_than_clusters() -> None:
    """Item 6."""
    X = blobs(seed=20, n=100, d=2, k=4)
    C0 = _start(X, 4, seed=0)
    ours, ref = KMeans(4, init=C0).fit(X), SKKMeans(4, init=C0).fit(X)
    for rows in (X[:3], X[:1]):
        np.testing.assert_allclose(ours.transform(rows), ref.transform(rows), rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_array_equal(ours.predict(rows), ref.predict(rows))
        assert ours.score(rows) == pytest.approx(ref.score(rows), rel=1e-10)


def test_callable_init_n_init_auto_and_verbose_as_scikit_learn() -> None:
    """Item 7: a callable ``init`` gets the centred data and scikit-learn's ``RandomState``, so
    both classes start alike, ``n_init="auto"`` makes 10 runs of it (1 for an array), the
    best run is chosen alike, and ``verbose`` prints the same lines."""
    X = np.random.default_rng(21).uniform(size=(150, 2))
    calls: dict[str, list[float]] = {"sk": [], "ours": []}

    def init_for(who: str) -> Any:
        def init(X: np.ndarray, k: int, random_state: np.random.RandomState) -> np.ndarray:
            calls[who].append(float(np.abs(X.mean(axis=0)).max()))
            return X[random_state.choice(len(X), k, replace=False)]
        return init

    for rs in (lambda: 0, lambda: np.random.RandomState(3)):  # an int, an instance
        ref = SKKMeans(6, init=init_for("sk"), random_state=rs()).fit(X)
        ours = KMeans(6, init=init_for("ours"), random_state=rs()).fit(X)
        assert_same_fit(ours, ref)
    assert len(calls["ours"]) == len(calls["sk"]) == 20  # "auto": 10 runs, twice
    assert max(calls["ours"]) < 1e-12  # it sees X minus its mean, as in scikit-learn

    def lines(cls: type, **kw: Any) -> list[str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cls(6, verbose=1, **kw).fit(X)
        # the numbers' last digits differ (sums in another order; the centre shift is a
        # difference): compare 6 digits after the point of each number
        return [re.sub(r"(\d+\.\d{6})\d*", r"\1", s) for s in out.getvalue().split("\n")]

    C0 = _start(X, 6, seed=0)
    for tol in (1e-4, 0.0):
        got = lines(KMeans, init=C0, tol=tol)
        assert got == lines(SKKMeans, init=C0, tol=tol)
        assert got[0] == "Initialization complete" and got[-2].startswith("Converged at")
    for kw in ({"init": C0, "max_iter": 3}, {"init": init_for("sk"), "random_state": 1,
                                              "n_init": 2}):
        assert lines(KMeans, **kw) == lines(SKKMeans, **kw)


def test_copy_x_and_algorithm_as_scikit_learn() -> None:
    """Item 7: ``copy_x=False`` centres in place and restores ``X``; ``algorithm="elkan"``
    gives what scikit-learn's Elkan gives (the same iterates as Lloyd's), and warns alike for
    one cluster."""
    X = blobs(seed=22, n=300, d=3, k=4) + 10.0
    C0 = _start(X, 4, seed=0)
    ref = SKKMeans(4, init=C0).fit(X)
    for copy_x in (True, False):
        Xcopy = X.copy()
        ours = KMeans(4, init=C0, copy_x=copy_x).fit(Xcopy)
        assert_same_fit(ours, ref)
        np.testing.assert_allclose(Xcopy, X, rtol=0, atol=1e-13)
    for algorithm in ("lloyd", "elkan"):
        assert_same_fit(KMeans(4, init=C0, algorithm=algorithm).fit(X),
                        SKKMeans(4, init=C0, algorithm=algorithm).fit(X))
    for cls in (SKKMeans, KMeans):
        with pytest.warns(RuntimeWarning, match="algorithm='elkan' doesn't make sense"):
            cls(1, algorithm="elkan", n_init=1).fit(X)


@pytest.mark.parametrize("tol", [0.0, 1e-6, 1e-4, 1e-2])
@pytest.mark.parametrize("max_iter", [1, 2, 5, 300])
def test_n_iter_counts_as_scikit_learn(tol: float, max_iter: int) -> None:
    """Item 8: ``n_iter_`` is scikit-learn's count for every way a run can stop (labels
    unchanged, small move, ``max_iter``); the history holds the updates made."""
    X = np.random.default_rng(23).uniform(size=(400, 2))
    C0 = _start(X, 5, seed=2)
    ours = KMeans(5, init=C0, tol=tol, max_iter=max_iter).fit(X)
    assert_same_fit(ours, SKKMeans(5, init=C0, tol=tol, max_iter=max_iter).fit(X))
    h = ours.history_
    assert h.centers.shape[0] == h.n_iter + 1
    assert ours.n_iter_ == (min(h.n_iter + 1, max_iter) if h.stopped_by == "labels" else h.n_iter)


def test_errors_and_warnings_use_scikit_learns_classes() -> None:
    X = blobs(seed=24, n=10, d=2, k=2)
    for cls in (SKKMeans, KMeans):
        with pytest.raises(NotFittedError):
            cls(2).predict(X)
        with pytest.raises(InvalidParameterError):
            cls(0).fit(X)
        with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
            cls(11).fit(X)
        with pytest.raises(ValueError, match=r"initial centers \(3, 2\) does not match"):
            cls(2, init=np.zeros((3, 2))).fit(X)
        with pytest.raises(ValueError, match=r"number of features of the data 2"):
            cls(2, init=np.zeros((2, 3))).fit(X)
        with pytest.warns(RuntimeWarning, match="performing only one init .* n_init=3"):
            cls(2, init=X[:2], n_init=3).fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "auto" with an array: one run, no warning
            cls(2, init=X[:2]).fit(X)


def test_validated_once_per_call() -> None:
    """Each public method scans X for NaN/inf once and checks ``sample_weight`` once; the runs,
    starts and E-steps take the validated tensors. (Before: 8 scans of X and 7 checks of the
    weights for ``KMeans(n_init=3).fit(X, sample_weight=w)``.)"""
    X = blobs(seed=25, n=200, d=3, k=3)
    counts = {"X": 0, "w": 0}
    real_check_finite, real_assert_finite = validation.check_finite, skv._assert_all_finite

    def check_finite(t: torch.Tensor, name: str) -> None:
        counts["X"] += tuple(t.shape) == X.shape
        counts["w"] += name == "sample_weight"
        real_check_finite(t, name)

    def assert_all_finite(a: Any, *args: Any, **kw: Any) -> None:
        counts["X"] += getattr(a, "shape", None) == X.shape
        real_assert_finite(a, *args, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(validation, "check_finite", check_finite)
    mp.setattr(skv, "_assert_all_finite", assert_all_finite)
    try:
        for data in (X, torch.from_numpy(X)):
            for init in ("k-means++", "random"):
                counts.update(X=0, w=0)
                km = KMeans(3, n_init=3, init=init, random_state=0).fit(
                    data, sample_weight=np.ones(len(X)))
                assert counts == {"X": 1, "w": 1}
            for method in (km.predict, km.transform, km.score):
                counts.update(X=0, w=0)
                method(data)
                assert counts == {"X": 1, "w": 0}
    finally:
        mp.undo()


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
    # copy_x=False centres the caller's tensor in place and puts it back (to rounding)
    before = Xt.clone()
    KMeans(3, random_state=0, copy_x=False).fit(Xt)
    assert torch.allclose(Xt, before, rtol=0, atol=1e-5 if dtype == torch.float32 else 1e-13)
    Xg = before.clone().requires_grad_(True)
    KMeans(3, random_state=0, copy_x=False).fit(Xg)
    assert torch.equal(Xg.detach(), before)  # a tensor autograd tracks: never in place


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
    KMeans(5, init="random", n_init=1, random_state=None).fit(X)
    KMeans(5, init=lambda X, k, random_state: X[random_state.permutation(len(X))[:k]],
           n_init=1).fit(X)
    assert torch.equal(torch.get_rng_state(), t0)  # ...and are not used
    np.testing.assert_array_equal(np.random.get_state()[1], n0)
    starts = {KMeans(5, random_state=s).fit(X).history_.centers[0].tobytes() for s in range(4)}
    assert len(starts) > 1  # different seeds, different starts


def test_history_is_the_best_run_in_the_data_coordinates() -> None:
    X = blobs(seed=15, n=200, d=2, k=3) + 50.0
    C0 = _start(X, 3, seed=0)
    km = KMeans(3, init=C0, tol=0).fit(X)
    h = km.history_
    assert h.centers.shape == (h.n_iter + 1, 3, 2) and h.loss.shape == (h.n_iter + 1,)
    assert h.stopped_by == "labels" and km.n_iter_ == h.n_iter + 1
    np.testing.assert_allclose(h.centers[0], C0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h.centers[-1], km.cluster_centers_)
    assert h.loss[-1] == km.inertia_ and h.n_changed[-1] == 0
    assert np.all(np.diff(h.loss) <= 1e-9 * h.loss[0])  # Lloyd never increases the loss


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("params, match", [
    ({"n_clusters": 0}, "n_clusters=0"),
    ({"n_clusters": 2.5}, "n_clusters=2.5"),
    ({"method": "adam"}, "method='adam'"),
    ({"init": "kmeans++"}, r"init='kmeans\+\+'"),
    ({"init": None}, "init=None"),
    ({"init": np.array([["a", "b"], ["c", "d"]])}, "array of shape"),
    ({"method": "gd", "lr": -1.0}, "lr=-1.0"),
    ({"n_init": 0}, "n_init=0"),
    ({"n_init": "all"}, "n_init='all'"),
    ({"max_iter": 0}, "max_iter=0"),
    ({"tol": -1.0}, "tol=-1.0"),
    ({"verbose": -1}, "verbose=-1"),
    ({"copy_x": 1}, "copy_x=1"),
    ({"algorithm": "full"}, "algorithm='full'"),
    ({"empty": "drop"}, "empty='drop'"),
    ({"random_state": -1}, "random_state=-1"),
    ({"random_state": "x"}, "random_state='x'"),
])
def test_errors_name_the_value(params: dict, match: str) -> None:
    """scikit-learn's class for a bad parameter (a ``ValueError`` and a ``TypeError``)."""
    X = blobs(seed=16, n=10, d=2, k=2)
    with pytest.raises((InvalidParameterError, ValueError), match=match) as info:
        KMeans(**{"n_clusters": 2, **params}).fit(X)
    assert isinstance(info.value, ValueError)


def test_sample_weight_errors_name_the_value() -> None:
    X = blobs(seed=17, n=10, d=2, k=2)
    with pytest.raises(ValueError, match=r"sample_weight\[3\]=-1.0"):
        KMeans(2).fit(X, sample_weight=np.array([1, 1, 1, -1, 1, 1, 1, 1, 1, 1.0]))
    with pytest.raises(ValueError, match="non-zero weight"):
        KMeans(2).fit(X, sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match=r"\(10,\), got shape \(9,\)"):
        KMeans(2).fit(X, sample_weight=np.ones(9))
