"""k-means++ (``argmin_kmeans.initialization``): the exact sampling distribution on small data,
scikit-learn's inertia statistics over many seeds, sample weights, translation invariance, and
the errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from tests.helpers import blobs

import argmin_kmeans as ak
from argmin_kmeans.initialization import kmeans_plusplus

# chi-square critical values at p = 1e-4 (fixed seeds make each test deterministic; a real bias
# in the sampler gives statistics far above these with the sample sizes used here)
CHI2_CRIT_1E4 = {3: 21.11, 4: 23.51, 5: 25.74, 9: 33.72, 11: 37.33, 14: 42.58}


def _chi2(counts: np.ndarray, probs: np.ndarray) -> tuple[float, int]:
    """Pearson's statistic over the cells of positive probability, and its degrees of freedom."""
    m = probs > 0
    assert counts[~m].sum() == 0, "an outcome of probability 0 occurred"
    expected = counts.sum() * probs[m]
    return float(((counts[m] - expected) ** 2 / expected).sum()), int(m.sum()) - 1


def _inertia(X: np.ndarray, C: np.ndarray, w: np.ndarray | None = None) -> float:
    d = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    return float(d @ (np.ones(len(X)) if w is None else w))


# ----------------------------------------------------------------------------- output


def test_returns_rows_of_X_numpy_in_numpy_out() -> None:
    X = blobs(0, n=200, d=3, k=5)
    C = kmeans_plusplus(X, 5, seed=1)
    assert isinstance(C, np.ndarray) and C.shape == (5, 3) and C.dtype == X.dtype
    rows = {tuple(r) for r in X}
    assert all(tuple(c) in rows for c in C)
    assert len({tuple(c) for c in C}) == 5  # distinct rows


def test_tensor_in_tensor_out_float32_and_a_copy() -> None:
    X = torch.from_numpy(blobs(1, n=100, d=2)).float()
    C = kmeans_plusplus(X, 4, seed=0)
    assert isinstance(C, torch.Tensor) and C.dtype == torch.float32 and C.shape == (4, 2)
    C[0] = 1e9  # a copy: X is unchanged
    assert float(X.max()) < 1e3


def test_reproducible_and_leaves_the_global_seed_alone() -> None:
    X = blobs(2, n=300, d=2, k=6)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = kmeans_plusplus(X, 6, seed=7)
    b = kmeans_plusplus(X, 6, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, kmeans_plusplus(X, 6, seed=8))


def test_translation_invariant() -> None:
    X = blobs(3, n=400, d=3, k=8)
    for seed in range(5):
        C = kmeans_plusplus(X, 8, seed=seed)
        C_far = kmeans_plusplus(X + 1e7, 8, seed=seed)  # the same draws must pick the same rows
        np.testing.assert_allclose(C_far - 1e7, C, rtol=0, atol=1e-8)


# ----------------------------------------------------------------------------- distribution


def test_first_centre_frequency_proportional_to_weights() -> None:
    X = np.arange(6.0)[:, None]
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 5.0])
    counts = np.zeros(6)
    for seed in range(3000):
        counts[int(kmeans_plusplus(X, 1, seed=seed, sample_weight=w)[0, 0])] += 1
    stat, dof = _chi2(counts, w / w.sum())  # also asserts: the weight-0 sample never came up
    assert stat < CHI2_CRIT_1E4[dof], (stat, counts)


def _pair_probabilities(X: np.ndarray, w: np.ndarray, trials: int) -> np.ndarray:
    """Exact P(first = i, second = j) of greedy k-means++ with k = 2 and ``trials`` candidates."""
    n = len(X)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    P = np.zeros((n, n))
    for i in range(n):
        p = w * D[i] / (w @ D[i])  # candidate distribution after the first centre i
        pot = np.minimum(D[i][None, :], D) @ w  # pot[c]: potential if candidate c is added
        for cands in itertools.product(range(n), repeat=trials):
            best = cands[int(np.argmin([pot[c] for c in cands]))]  # first minimum wins
            P[i, best] += w[i] / w.sum() * math.prod(p[c] for c in cands)
    return P


@pytest.mark.parametrize("trials", [1, 2])
def test_second_centre_distribution_is_exact(trials: int) -> None:
    # one trial: P(j | i) = w_j D_ij^2 / sum_l w_l D_il^2 (Arthur & Vassilvitskii); two trials:
    # the better of two such draws. Enumerated exactly and compared by a chi-square test.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    w = np.array([1.0, 2.0, 1.0, 0.5])
    P = _pair_probabilities(X, w, trials)
    index = {tuple(r): i for i, r in enumerate(X)}
    counts = np.zeros((4, 4))
    for seed in range(3000):
        C = kmeans_plusplus(X, 2, seed=seed, sample_weight=w, n_local_trials=trials)
        counts[index[tuple(C[0])], index[tuple(C[1])]] += 1
    stat, dof = _chi2(counts.ravel(), P.ravel())
    assert stat < CHI2_CRIT_1E4[dof], (stat, counts, P * 3000)


def test_one_centre_per_well_separated_blob() -> None:
    means = 100.0 * np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 2]])
    rng = np.random.default_rng(0)
    X = np.repeat(means, 40, axis=0) + rng.normal(size=(200, 2))
    for seed in range(200):
        C = kmeans_plusplus(X, 5, seed=seed)
        blob = np.argmin(((C[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
        assert sorted(blob.tolist()) == [0, 1, 2, 3, 4], seed


@pytest.mark.parametrize("trials", [None, 1])
def test_inertia_statistics_match_scikit_learn(trials: int | None) -> None:
    # 400 seeds each; the means must agree within 4 standard errors of their difference
    # (z-test). Greedy and plain k-means++ differ by about 30 standard errors on this data, so
    # the test can tell them apart.
    X = np.random.default_rng(0).normal(size=(500, 3))
    seeds = range(400)
    ours = np.array([_inertia(X, kmeans_plusplus(X, 10, seed=s, n_local_trials=trials))
                     for s in seeds])
    theirs = np.array([_inertia(X, sk_kmeans_plusplus(X, 10, random_state=s,
                                                      n_local_trials=trials)[0]) for s in seeds])
    other = np.array([_inertia(X, sk_kmeans_plusplus(X, 10, random_state=s,
                                                     n_local_trials=1 if trials is None else 3)[0])
                      for s in seeds])
    se = math.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    assert abs(ours.mean() - theirs.mean()) < 4 * se, (ours.mean(), theirs.mean(), se)
    se_other = math.sqrt(ours.var(ddof=1) / len(ours) + other.var(ddof=1) / len(other))
    assert abs(ours.mean() - other.mean()) > 10 * se_other  # power: the other variant is far off


def test_weighted_inertia_statistics_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    X = blobs(4, n=300, d=2, k=6, spread=1.5)
    w = rng.uniform(0.1, 3.0, size=300)
    seeds = range(300)
    ours = np.array([_inertia(X, kmeans_plusplus(X, 6, seed=s, sample_weight=w), w)
                     for s in seeds])
    theirs = np.array([_inertia(X, sk_kmeans_plusplus(X, 6, random_state=s, sample_weight=w)[0], w)
                       for s in seeds])
    se = math.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    assert abs(ours.mean() - theirs.mean()) < 4 * se, (ours.mean(), theirs.mean(), se)


def test_integer_weights_act_like_repeated_rows() -> None:
    # weight 3 on a row is three copies of it: the first centre lands on the heavy row with
    # probability 3/(3 + 1) (exact, chi-square); then the second is the far light row
    X = np.array([[0.0], [10.0]])
    counts = np.zeros(2)
    for seed in range(2000):
        C = kmeans_plusplus(X, 2, seed=seed, sample_weight=np.array([3.0, 1.0]))
        counts[int(C[0, 0] == 10.0)] += 1
        assert sorted(C[:, 0].tolist()) == [0.0, 10.0]
    stat, _ = _chi2(counts, np.array([0.75, 0.25]))
    assert stat < 15.14  # chi-square, 1 dof, p = 1e-4


def test_zero_weight_samples_are_never_centres() -> None:
    X = blobs(5, n=120, d=2, k=4)
    w = np.ones(120)
    w[::2] = 0.0
    for seed in range(30):
        C = kmeans_plusplus(X, 4, seed=seed, sample_weight=w)
        picked = [int(np.flatnonzero((X == c).all(axis=1))[0]) for c in C]
        assert all(i % 2 == 1 for i in picked), picked


def test_fewer_distinct_points_than_clusters_still_returns_rows() -> None:
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 5, axis=0)
    C = kmeans_plusplus(X, 4, seed=0)
    assert C.shape == (4, 2) and {tuple(c) for c in C} == {(0.0, 0.0), (5.0, 5.0)}


def test_fit_from_kmeans_plusplus_finds_the_blobs() -> None:
    X = blobs(6, n=600, d=2, k=5, spread=0.3)
    C = kmeans_plusplus(X, 5, seed=0)
    h = ak.fit(X, C, "lloyd")
    assert h.final_loss <= 1.0001 * KMeans(5, n_init=10, random_state=0).fit(X).inertia_


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"n_clusters": 0}, ValueError, r"n_clusters must be an integer in \[1, 50\]"),
        ({"n_clusters": 51}, ValueError, "n_clusters=51"),
        ({"n_clusters": 2.0}, TypeError, "n_clusters must be an integer"),
        ({"n_clusters": True}, TypeError, "n_clusters"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"n_local_trials": 0}, ValueError, "n_local_trials"),
        ({"sample_weight": np.ones(49)}, ValueError, r"shape \(n_samples,\) = \(50,\)"),
        ({"sample_weight": -np.ones(50)}, ValueError, r"sample_weight\[0\]=-1.0"),
        ({"sample_weight": np.zeros(50)}, ValueError, "at least one non-zero weight"),
        ({"sample_weight": np.full(50, np.nan)}, ValueError, "non-finite"),
        ({"sample_weight": np.array(["a"] * 50)}, TypeError, "sample_weight must be an array of numbers"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match) -> None:
    X = blobs(7, n=50, d=2)
    args = {"n_clusters": 3, **kwargs}
    with pytest.raises(error, match=match):
        kmeans_plusplus(X, args.pop("n_clusters"), **args)


@pytest.mark.parametrize(
    "X,error,match",
    [
        (np.arange(10.0), ValueError, "2-D"),
        (np.ones((5, 2), dtype=int), TypeError, "X has dtype"),
        (np.zeros((0, 2)), ValueError, "empty"),
        (np.array([[0.0, np.inf], [1.0, 1.0]]), ValueError, r"X\[0, 1\] = inf"),
    ],
)
def test_bad_X_is_named(X, error, match) -> None:
    with pytest.raises(error, match=match):
        kmeans_plusplus(X, 1)
