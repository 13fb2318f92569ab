"""The run loop's limits and scikit-learn's rules in it: a huge ``max_iter`` costs nothing until
it is used (issue 19, item 4); empty clusters are relocated exactly as scikit-learn's
``_relocate_empty_clusters_dense`` does (samples, weights, order); the move criterion
(``shift_tol``) and ``History.stopped_by``; ``fit_validated`` is ``fit`` without the checks."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster._k_means_common import _relocate_empty_clusters_dense

import argmin_kmeans as ak
from argmin_kmeans.core import estep_weighted, means_update, relocate_empty
from argmin_kmeans.engine import center_shift, fit_validated, tol_scale
from argmin_kmeans.estimator import KMeans
from helpers import blobs


def test_huge_max_iter_converges_early_in_constant_memory() -> None:
    """``max_iter=10**12`` used to build ``set(range(max_iter + 1))`` before the first step
    (killed for memory); now the run stops at its fixed point and Python allocates a few
    hundred kB, as for ``max_iter=300``."""
    X = blobs(seed=0, n=300, d=2, k=3)
    C0 = X[:3].copy()
    peaks = {}
    for max_iter in (300, 10**12):
        tracemalloc.start()
        lloyd = ak.fit(X, C0, "lloyd", max_iter=max_iter)
        gd = ak.fit(X, C0, "gd", lr=1 / 600, max_iter=max_iter, tol=1e-6)
        km = KMeans(3, init=C0, max_iter=max_iter).fit(X)
        peaks[max_iter] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert lloyd.converged and gd.converged and km.history_.converged
        assert lloyd.n_iter < 10 and gd.n_iter < 100 and km.n_iter_ < 10
    assert peaks[10**12] < 2 * peaks[300] + 100_000  # measured: about 0.2 MB each


def test_relocate_empty_is_scikit_learns() -> None:
    """The statistics after relocation equal scikit-learn's ``weight_in_clusters`` and centres
    exactly on integer data (exact distances, so exact ties: the order of the chosen samples
    must be ``np.argpartition``'s), with and without weights."""
    rng = np.random.default_rng(1)
    X = rng.integers(-5, 6, size=(60, 3)).astype(np.float64)
    C = np.vstack([X[:3], [[40.0, 0.0, 0.0], [0.0, 50.0, 0.0], [0.0, 0.0, 60.0]]])  # 3 empty
    for w in (np.ones(len(X)), rng.integers(1, 4, size=len(X)).astype(np.float64)):
        Xt, Ct, wt = torch.from_numpy(X), torch.from_numpy(C), torch.from_numpy(w)
        s = estep_weighted(Xt, Ct, wt)
        ours = relocate_empty(Xt, Ct, s, wt)
        labels = s.labels.numpy().astype(np.int32)
        sums, weight = np.zeros_like(C), np.zeros(len(C))
        np.add.at(sums, labels, X * w[:, None])
        np.add.at(weight, labels, w)
        _relocate_empty_clusters_dense(X, w, C, sums, weight, labels)
        np.testing.assert_array_equal(ours.counts.numpy(), weight)
        np.testing.assert_allclose(means_update(Ct, ours).numpy(), sums / weight[:, None],
                                   rtol=0, atol=1e-12)
        # unweighted statistics (integer counts) move the same samples
        s1 = ak.core.estep(Xt, Ct)
        if np.all(w == 1):
            moved = relocate_empty(Xt, Ct, s1)
            np.testing.assert_array_equal(moved.counts.numpy(), weight.astype(np.int64))
            np.testing.assert_allclose(means_update(Ct, moved).numpy(), sums / weight[:, None],
                                       rtol=0, atol=1e-12)


def test_relocation_with_weights_follows_scikit_learn_through_a_run() -> None:
    X = blobs(seed=2, n=200, d=2, k=3)
    w = np.random.default_rng(2).uniform(0.1, 2.0, size=len(X))
    C0 = np.vstack([X[:2], [[30.0, 30.0], [-30.0, 30.0]]])
    ref = SKKMeans(4, init=C0, n_init=1, tol=0.0).fit(X, sample_weight=w)
    for h in (ak.fit(X, C0, "lloyd-relocate", tol=0.0, sample_weight=w),
              ak.fit(X, C0, "newton", tol=0.0, sample_weight=w, empty="relocate")):
        np.testing.assert_array_equal(h.labels, ref.labels_)
        np.testing.assert_allclose(h.final_centers, ref.cluster_centers_, rtol=1e-10, atol=0)
        assert h.n_iter + 1 == ref.n_iter_ and h.stopped_by == "labels"
    kept = ak.fit(X, C0, "lloyd", sample_weight=w)  # the course's rule: dead centres stay
    np.testing.assert_array_equal(kept.final_centers[2:], C0[2:])


def test_shift_tol_is_scikit_learns_move_criterion() -> None:
    """``shift_tol`` stops at the first update whose move (scikit-learn's
    :func:`center_shift`) is within it, before the labels settle; ``fit_validated`` gives
    ``fit``'s run without validating."""
    X = np.random.default_rng(4).uniform(size=(1000, 2))
    C0 = X[:8].copy()
    Xt, Ct = torch.from_numpy(X), torch.from_numpy(C0)
    full = fit_validated(Xt, Ct, method="lloyd", max_iter=300)
    assert full.stopped_by == "labels"
    np.testing.assert_array_equal(full.centers.numpy(), ak.fit(X, C0, "lloyd").centers)
    tol = 1e-4 * tol_scale(Xt)
    early = fit_validated(Xt, Ct, method="lloyd", max_iter=300, shift_tol=tol)
    t = early.n_iter
    assert early.stopped_by == "shift" and early.converged and t < full.n_iter
    assert center_shift(early.centers[t], early.centers[t - 1]) <= tol
    assert all(center_shift(early.centers[j], early.centers[j - 1]) > tol for j in range(1, t))
    ref = SKKMeans(8, init=C0, n_init=1).fit(X)  # scikit-learn's default tol=1e-4
    assert ref.n_iter_ == t
    np.testing.assert_allclose(early.final_centers.numpy(), ref.cluster_centers_, rtol=1e-10)
    capped = fit_validated(Xt, Ct, method="lloyd", max_iter=3, shift_tol=tol)
    assert capped.stopped_by is None and not capped.converged and capped.n_iter == 3


@pytest.mark.parametrize("bad, match", [
    ({"empty": "drop"}, "empty='drop'"),
    ({"max_iter": -1}, "max_iter=-1"),
])
def test_fit_checks_its_new_arguments(bad: dict, match: str) -> None:
    X = blobs(seed=4, n=20, d=2, k=2)
    with pytest.raises(ValueError, match=match):
        ak.fit(X, X[:2], "lloyd", **bad)
