"""The question's experiment (argmin_kmeans.question): faithful, seeded, and equal to the core."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import argmin_kmeans as ak
from argmin_kmeans import datasets
from argmin_kmeans import question as q
from argmin_kmeans.naive import question_distances as naive_distances
from argmin_kmeans.naive import question_loss, question_step


def small(seed: int = 0, n: int = 120, d: int = 6, k: int = 5):
    X = datasets.uniform_data(n, d, seed=seed, dtype=torch.float64)
    return X, q.init_with_replacement(X, k, seed=seed)


def test_data_and_init_are_seeded_and_shaped() -> None:
    X = datasets.uniform_data()
    assert X.shape == (1000, 200) and X.dtype == torch.float32
    assert torch.equal(X, datasets.uniform_data()) and not torch.equal(X, datasets.uniform_data(seed=1))
    assert float(X.min()) >= 0 and float(X.max()) < 1
    C = q.init_with_replacement(X, 20, seed=3)
    assert C.shape == (20, 200)
    # every row is a sample of X, and a copy (writing to it leaves X alone)
    assert all(bool((X == row).all(dim=1).any()) for row in C)
    C[0] = -1
    assert float(X.min()) >= 0


def test_init_draws_with_replacement() -> None:
    X = datasets.uniform_data(5, 2)
    C = q.init_with_replacement(X, 5, seed=0)
    # 5 draws from 5 samples with replacement: distinct rows are fewer than 5 for this seed
    distinct = {tuple(r) for r in C.tolist()}
    assert len(distinct) < 5
    # and the probability of a duplicate among 20 draws from 1000 is 17.4 %
    p_dup = 1 - math.prod(1 - i / 1000 for i in range(20))
    assert p_dup == pytest.approx(0.1741, abs=1e-4)


def test_a_duplicate_centre_owns_its_seed_point_once_the_original_moves() -> None:
    """Issue 11, item 1: a repeated centre is not dead. With the question's loop and centre 5 a
    copy of centre 3, the tie goes to 3 at the start, and the copy owns the seed point from step 1
    on (it stays at distance 0 while the original moves off); issue 18, item 13."""
    X = datasets.uniform_data(1000, 200, seed=0)
    C = q.init_with_replacement(X, 20, seed=0)
    C[5] = C[3]
    i = int((X == C[3]).all(dim=1).nonzero())
    run = q.question_experiment(X, C, n_steps=5, seed=1, record_every=1)
    x = X[i : i + 1].double()
    owner = [int(torch.min(naive_distances(x, Ck), 0)[1]) for Ck in run.history.centers]
    assert owner == [3, 5, 5, 5, 5, 5]
    assert bool((run.centers[5] == X[i]).all())  # the copy never left its seed point
    assert run.moves[3] >= 1


def test_without_replacement_still_repeats_points_that_the_data_repeat() -> None:
    """Issue 11, item 5: distinct rows are not distinct points when the data contain duplicates;
    k-means++ never picks a copy of a chosen point (it is at distance 0)."""
    X = datasets.uniform_data(1000, 200, seed=0)
    X_twice = torch.cat([X[:500], X[:500]])
    rows = ak.random_init(X_twice, 20, seed=0)
    assert len({tuple(r) for r in rows.tolist()}) < 20
    for seed in range(3):
        pp = ak.kmeans_plusplus(X_twice, 20, seed=seed)
        assert len({tuple(r) for r in pp.tolist()}) == 20


def test_blob_data_is_structured() -> None:
    X, centers, labels = datasets.blob_data(seed=0)
    assert X.shape == (1000, 200) and centers.shape == (20, 200) and labels.shape == (1000,)
    # the true centres are a near-perfect clustering: loss is about n d spread^2 = 500
    assert q.loss64(X, centers) == pytest.approx(1000 * 200 * 0.05**2, rel=0.05)
    assert torch.equal(ak.assign(X, centers), labels)


def test_question_loop_equals_repeated_question_step_and_the_core() -> None:
    X, C0 = small()
    run = q.question_experiment(X, C0, n_steps=30, batch_size=16, lr=1e-2, seed=4, record_every=7)
    core = q.question_experiment(X, C0, n_steps=30, batch_size=16, lr=1e-2, seed=4, record_every=7,
                                 implementation="core")
    # the same batches, replayed with naive.question_step and with the public gd_step
    g = torch.Generator().manual_seed(4)
    c_q, c_g = C0.clone(), C0.clone()
    for _ in range(30):
        xb = X[torch.randint(len(X), (16,), generator=g)]
        c_q = question_step(xb, c_q, 1e-2)
        c_g = ak.gd_step(xb, c_g, 1e-2)
    torch.testing.assert_close(run.centers, c_q, rtol=0, atol=1e-12)
    torch.testing.assert_close(core.centers, c_g, rtol=0, atol=1e-12)
    torch.testing.assert_close(run.centers, core.centers, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.batch_loss, core.batch_loss, rtol=1e-12)
    np.testing.assert_array_equal(run.moves, core.moves)
    assert run.steps.tolist() == [0, 7, 14, 21, 28, 30]
    assert run.full_loss[0] == pytest.approx(q.loss64(X, C0), rel=1e-12)
    assert run.final_loss == pytest.approx(q.loss64(X, run.centers), rel=1e-12)
    assert torch.equal(run.init, C0) and run.n_steps == 30


def test_batch_loss_is_the_loss_before_the_update() -> None:
    X, C0 = small(1)
    run = q.question_experiment(X, C0, n_steps=1, batch_size=10, lr=1e-3, seed=2)
    g = torch.Generator().manual_seed(2)
    xb = X[torch.randint(len(X), (10,), generator=g)]
    assert run.batch_loss[0] == pytest.approx(float(question_loss(xb, C0)), rel=1e-12)


def test_moves_count_the_steps_in_which_a_centre_won_a_sample() -> None:
    X, C0 = small(2, k=4)
    C0[3] = 50.0  # far away: never wins, never moves
    run = q.question_experiment(X, C0, n_steps=40, batch_size=8, lr=1e-3, seed=0)
    assert run.moves[3] == 0 and torch.equal(run.centers[3], C0[3])
    assert int(run.moves.max()) <= 40 and int(run.moves[:3].sum()) >= 40  # every batch has a winner


def test_a_centre_sitting_on_its_only_sample_never_moves() -> None:
    """Its gradient 2 m_k (c_k - x) is 0 even in the steps whose batch contains the sample."""
    g = torch.Generator().manual_seed(5)
    X = torch.cat([torch.rand(30, 2, generator=g, dtype=torch.float64),
                   torch.tensor([[10.0, 10.0]], dtype=torch.float64)])
    C0 = torch.stack([X[0], X[30]])
    run = q.question_experiment(X, C0, n_steps=60, batch_size=10, lr=1e-2, seed=3)
    gb = torch.Generator().manual_seed(3)
    hits = sum(bool((torch.randint(31, (10,), generator=gb) == 30).any()) for _ in range(60))
    assert hits > 0 and run.moves[1] == 0 and torch.equal(run.centers[1], X[30])


def test_the_same_centres_move_in_every_step_of_both_implementations() -> None:
    X, C0 = small(4, k=5)
    runs = [q.question_experiment(X, C0, n_steps=25, batch_size=6, lr=1e-2, seed=1,
                                  record_every=1, implementation=impl)
            for impl in ("question", "core")]
    moved = [(r.history.centers[1:] != r.history.centers[:-1]).any(dim=2) for r in runs]
    assert moved[0].shape == (25, 5) and torch.equal(moved[0], moved[1])
    assert 0 < int(moved[0].sum()) < 25 * 5  # some centres sit still in some steps


@pytest.fixture
def one_thread():
    """4001 steps of tiny ops: one intra-op thread avoids thread-pool stalls on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_question_run_ends_with_one_centre_owning_almost_everything(one_thread) -> None:
    """The lesson's headline on the question's own setting (fast path, 4001 steps)."""
    X = datasets.uniform_data()
    C0 = q.init_with_replacement(X, 20, seed=0)
    run = q.question_experiment(X, C0, record_every=4001, implementation="core")
    _, counts, _ = ak.cluster_stats(X, run.centers)
    assert int(counts.max()) >= 950
    mean_loss = q.loss64(X, q.mean_centers(X, 20))
    assert run.final_loss < mean_loss < run.full_loss[0]
    assert run.final_loss > q.loss64(X, q.sklearn_centers(X, 20, init=C0))


def test_baselines() -> None:
    X, _ = small(3)
    M = q.mean_centers(X, 4)
    assert M.shape == (4, 6) and torch.allclose(M[2], X.mean(dim=0))
    assert q.loss64(X, M) == pytest.approx(float(((X - X.mean(0)) ** 2).sum()), rel=1e-12)
    B = q.box_centers(X, 4, seed=1)
    assert B.shape == (4, 6) and bool((B >= X.min(0).values).all() and (B <= X.max(0).values).all())
    S1 = q.sklearn_centers(X, 4, init=X[:4])
    S10 = q.sklearn_centers(X, 4, n_init=10)
    lloyd = ak.fit(X, X[:4], "lloyd-relocate")
    assert q.loss64(X, S1) == pytest.approx(lloyd.final_loss, rel=1e-9)
    assert q.loss64(X, S10) <= q.loss64(X, S1) + 1e-9
    with pytest.raises(ValueError, match="n_init=10"):
        q.sklearn_centers(X, 4, init=X[:4], n_init=10)


def test_memory_accounting_is_exact() -> None:
    k, n, d = 20, 100, 200
    X = datasets.uniform_data(n, d)
    C = X[:k].clone()
    assert q.difference_tensor_bytes(k, n, d) == 1_600_000
    assert q.difference_tensor_bytes(k, n, d, torch.float64) == 3_200_000
    # question: the (k, n, d) difference (float32), the (n,) int64 membership, k (n,) bool masks
    assert q.saved_tensor_bytes(question_loss, X, C) == 4 * k * n * d + 8 * n + k * n
    # core: the (n, d) difference and the (n,) int64 labels
    assert q.saved_tensor_bytes(ak.kmeans_loss, X, C) == 4 * n * d + 8 * n


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_steps": -1}, "n_steps=-1"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"record_every": 0}, "record_every=0"),
        ({"lr": -1.0}, "lr=-1.0"),
        ({"lr": np.ones(5)}, "one global lr"),
        ({"implementation": "adam"}, "'adam'"),
    ],
)
def test_experiment_rejects_bad_arguments(kwargs, message) -> None:
    X, C0 = small()
    with pytest.raises((ValueError, TypeError), match=message):
        q.question_experiment(X, C0, **kwargs)


def test_helpers_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_features=0"):
        datasets.uniform_data(10, 0)
    with pytest.raises(ValueError, match="spread=-1"):
        datasets.blob_data(spread=-1.0)
    with pytest.raises(ValueError, match="shape \\(3,\\)"):
        q.init_with_replacement(torch.ones(3), 2)
    with pytest.raises(ValueError, match="n_clusters=0"):
        q.mean_centers(torch.ones(3, 2), 0)
    with pytest.raises(TypeError, match="callable"):
        q.saved_tensor_bytes("loss", torch.ones(3, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match="n_features=2 but centers has n_features=3"):
        q.question_experiment(torch.ones(4, 2), torch.ones(2, 3))
