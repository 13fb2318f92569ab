"""Numerics you can trust: data far from the origin, huge and tiny scales, ties, counts.

The reference everywhere is a float64 brute-force argmin over *direct* differences of the same
input values (``naive_reference``): no expanded formula, no shift. A label that differs from it
is only allowed at a *true near-tie*: two centres whose float64 squared distances differ by less
than the rounding of the shifted formula the kernel evaluates (``16 eps (|x - m|^2 + max|c - m|^2)``
with ``m`` the centres' mean). Before the shift (the expanded formula on raw values), float32 data
at an offset of 1e4 got 58-90 % of their labels wrong.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import argmin_kmeans as ak
from argmin_kmeans import core, kernel, stochastic
from helpers import EPS, HSET, naive_reference


def offset_problem(n: int, d: int, k: int, offset: float, dtype: torch.dtype, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = (torch.randn(n, d, generator=g, dtype=torch.float64) + offset).to(dtype)
    C = X[torch.randperm(n, generator=g)[:k]].clone()
    return X, C


CASES = [(torch.float32, a) for a in (1e2, 1e3, 1e4)] + [(torch.float64, a) for a in (1e4, 1e7, 1e8)]


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("dtype, offset", CASES)
@pytest.mark.parametrize("d, k", [(2, 8), (16, 16), (64, 64)])
def test_labels_far_from_the_origin_match_direct_differences(dtype, offset, d, k) -> None:
    X, C = offset_problem(4000, d, k, offset, dtype)
    want, D, near = naive_reference(X, C)
    got = ak.assign(X, C)
    wrong = (got != want) & ~near
    assert int(wrong.sum()) <= 1e-4 * len(X), f"{int(wrong.sum())} wrong labels away from ties"
    # the loss: relative error against the float64 sum of the same minimal distances
    ref = float(D.min(1).values.sum())
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    assert abs(float(ak.kmeans_loss(X, C)) - ref) <= tol * ref


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("dtype, offset", [(torch.float32, 1e4), (torch.float64, 1e8)])
def test_a_lloyd_step_far_from_the_origin_is_within_a_few_ulps(dtype, offset) -> None:
    X, C = offset_problem(20000, 4, 8, offset, dtype, seed=1)
    want_labels, _, _ = naive_reference(X, C)
    Xd = X.double() - offset  # exact (Sterbenz): the float64 sums below do not lose the offset
    k = C.shape[0]
    n = torch.bincount(want_labels, minlength=k).double()
    means = torch.zeros(k, 4, dtype=torch.float64).index_add_(0, want_labels, Xd) / n[:, None]
    means = means + offset
    ulp = math.ulp(offset) if dtype == torch.float64 else float(np.spacing(np.float32(offset)))
    for step in (ak.lloyd_step, ak.newton_step):
        err = (step(X, C).double() - means).abs().max().item()
        assert err <= 4 * ulp, f"{step.__name__}: {err / ulp:.1f} ulps of the offset"


def _same_reference(a, b) -> bool:
    (ma, sa), (mb, sb) = a, b
    if sa != sb or (ma is None) != (mb is None):
        return False
    return ma is None or (ma.dtype == mb.dtype and torch.equal(ma, mb))


@HSET
@given(
    st.integers(0, 2**31 - 1), st.integers(1, 12), st.integers(1, 5),
    st.sampled_from([torch.float32, torch.float64]),
    st.sampled_from([0.0, 1.0, 1e3, -1e7, 3e37, 1e-39, 1e-300]),
    st.sampled_from([1e-38, 1e-12, 1e-3, 1.0, 1e6, 1e30]),
    st.booleans(),
)
def test_the_reference_point_is_the_same_by_python_numpy_and_torch(
    seed, k, d, dtype, offset, spread, grid
) -> None:
    """The reference point and scale of the CPU paths (the compiled module's, NumPy's) are
    those of the torch path (GPUs), bit for bit: far from the origin, near the ends of the
    range, on integer grids, with coincident centres."""
    from argmin_kmeans.kernel import _numerics as nm
    from argmin_kmeans.kernel._backend import _fastpass as fp

    g = torch.Generator().manual_seed(seed)
    C = torch.randn(k, d, generator=g, dtype=torch.float64) * spread
    if grid:
        C = C.round()
    C[: k // 2 + (seed % 2)] = C[0].clone()  # many coincident centres, or not quite half
    C = (C + offset).to(dtype)
    if not bool(torch.isfinite(C).all()):
        return
    want = nm._reference_torch(C)
    assert _same_reference(nm._reference_numpy(C), want)
    if fp is not None:
        assert _same_reference(nm._reference_c(C, fp), want)
    assert _same_reference(nm.reference(C), want)


def test_the_reference_scale_rounds_as_float32_does() -> None:
    """A float32 deviation that rounds up to a power of two (2**30 - 31.625 -> 2**30) moves
    the scale's exponent; every path sees the float32 value (exact arithmetic would not)."""
    from argmin_kmeans.kernel import _numerics as nm

    C = torch.tensor([[2.0**31 - 128], [-64.75], [-64.75]], dtype=torch.float32)
    want = nm._reference_torch(C)
    assert want[1] == 0.25
    from argmin_kmeans.kernel._backend import _fastpass as fp

    assert _same_reference(nm._reference_numpy(C), want)
    if fp is not None:
        assert _same_reference(nm._reference_c(C, fp), want)


EXTREME_CENTRES = [  # the grid q beyond the range; med / q beyond it; both at float64's top
    torch.tensor([[3e38, 3e38], [3e38, -3e38], [-3e38, -3e38]], dtype=torch.float32),
    torch.tensor([[1.0, 0.0], [1.0, 3e-39], [1.0, -3e-39]], dtype=torch.float32),
    torch.tensor([[1.7e308, 1.7e308], [1.7e308, -1.7e308], [-1.7e308, -1.7e308]],
                 dtype=torch.float64),
    torch.tensor([[2.0**110, 0], [2.0**110 + 2**90, 2.0**100], [2.0**110 - 2**90, -2.0**100]],
                 dtype=torch.float32),
]


@pytest.mark.parametrize("C", EXTREME_CENTRES)
def test_the_reference_point_is_finite_at_the_ends_of_the_range(C) -> None:
    """Finite centres give a finite reference point on every path (it was NaN or inf: a grid
    2**128 that float32 does not hold, 1 / 2**-128 overflowing), and every backend labels
    each centre as its own (they raised "overflows" or returned all 0s / all 2s)."""
    from argmin_kmeans.kernel import _numerics as nm
    from argmin_kmeans.kernel._backend import _fastpass as fp

    want = nm._reference_torch(C)
    assert want[0] is None or bool(torch.isfinite(want[0]).all())
    assert _same_reference(nm._reference_numpy(C), want)
    if fp is not None:
        assert _same_reference(nm._reference_c(C, fp), want)
    for backend in ["torch"] + (["compiled"] if fp is not None else []):
        r = kernel.fused_pass(C, C, with_sums=False, with_inertia=False, backend=backend)
        assert r.labels.tolist() == [0, 1, 2], backend


@pytest.mark.usefixtures("kernel_path")
def test_huge_data_gives_right_labels_and_a_clear_error_for_the_loss() -> None:
    X, C = offset_problem(3000, 2, 8, 0.0, torch.float32, seed=2)
    want = ak.assign(X, C)
    big_X, big_C = X * 1e20, C * 1e20  # finite in float32; squared distances are not
    assert torch.equal(ak.assign(big_X, big_C), want)
    with pytest.raises(ValueError, match=r"outside the range of torch.float32.*rescale"):
        ak.kmeans_loss(big_X, big_C)
    with pytest.raises(ValueError, match="rescale"):
        ak.fit(big_X, big_C, "lloyd")  # never converged=True with an infinite loss
    step = ak.lloyd_step(big_X, big_C)  # the means are in range: right to rounding
    assert torch.allclose(step / 1e20, ak.lloyd_step(X, C), rtol=1e-5, atol=1e-5)


@pytest.mark.usefixtures("kernel_path")
def test_tiny_data_gives_right_labels_and_a_clear_error_for_the_loss() -> None:
    X, C = offset_problem(3000, 2, 8, 0.0, torch.float32, seed=3)
    want = ak.assign(X, C)
    tiny_X, tiny_C = X * 1e-30, C * 1e-30  # squared distances underflow to 0 in float32
    assert torch.equal(ak.assign(tiny_X, tiny_C), want)
    with pytest.raises(ValueError, match=r"inertia .* is outside the range"):
        ak.kmeans_loss(tiny_X, tiny_C)
    h = ak.fit(X.double() * 1e-30, C.double() * 1e-30, "lloyd")  # float64 holds 1e-60
    assert h.converged and math.isfinite(h.final_loss) and h.final_loss > 0
    assert torch.equal(h.labels, ak.fit(X.double(), C.double(), "lloyd").labels)


@pytest.mark.usefixtures("kernel_path")
def test_outliers_that_overflow_the_loss_raise_instead_of_inf() -> None:
    X = torch.tensor([[0.0], [1.0], [3e20]], dtype=torch.float32)
    C = torch.tensor([[0.0], [1.0]], dtype=torch.float32)
    assert ak.assign(X, C).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="overflows torch.float32.*rescale"):
        ak.kmeans_loss(X, C)


@pytest.mark.usefixtures("kernel_path")
def test_gd_divergence_is_reported_not_converged() -> None:
    X, C = offset_problem(500, 2, 3, 0.0, torch.float32, seed=4)
    with pytest.raises(FloatingPointError, match="diverged"):
        ak.fit(X, C, "gd", lr=1.0, max_iter=500)


# --------------------------------------------------------------------------- ties


@pytest.mark.usefixtures("kernel_path")
def test_the_documented_tie_example() -> None:
    # in float32 the two direct distances are exactly equal (0.19999999 both)
    X = torch.tensor([[0.7], [0.7]], dtype=torch.float32)
    C = torch.tensor([[0.5], [0.9]], dtype=torch.float32)
    assert (X - C[0]).abs().equal((X - C[1]).abs())
    assert ak.assign(X, C).tolist() == [0, 0]


@pytest.mark.usefixtures("kernel_path")
@HSET
@given(
    st.integers(1, 4),
    st.integers(2, 6),
    st.integers(0, 2**31 - 1),
    st.sampled_from([0, 255, 2**20]),
    st.sampled_from([torch.float32, torch.float64]),
)
def test_exact_ties_on_a_grid_go_to_the_lowest_index(d, k, seed, offset, dtype) -> None:
    # integer data (pixel values, counts): every tie of the direct distances is exact, and the
    # shifted values stay integers, so the tie must go to the lowest index, like torch.argmin
    rng = np.random.default_rng(seed)
    X = torch.tensor(rng.integers(0, 4, size=(60, d)) + offset, dtype=dtype)
    C = torch.tensor(rng.integers(0, 4, size=(k, d)) + offset, dtype=dtype)
    D = ((X.double()[:, None] - C.double()[None]) ** 2).sum(-1)
    assert torch.equal(ak.assign(X, C), D.argmin(1))


# --------------------------------------------------------------------------- properties


@pytest.mark.usefixtures("kernel_path")
@HSET
@given(
    st.integers(0, 2**31 - 1),
    st.integers(1, 3),
    st.integers(2, 5),
    st.floats(-1e4, 1e4),
)
def test_translation_invariance(seed, d, k, a) -> None:
    X, C = offset_problem(200, d, k, 0.0, torch.float64, seed=seed)
    Xa, Ca = X + a, C + a
    want, _, near = naive_reference(Xa, Ca)
    assert torch.equal(ak.assign(Xa, Ca)[~near], ak.assign(X, C)[~near])
    assert torch.equal(ak.assign(Xa, Ca)[~near], want[~near])
    l0, la = float(ak.kmeans_loss(X, C)), float(ak.kmeans_loss(Xa, Ca))
    rounding = 64 * EPS[torch.float64] * (abs(a) + 10) ** 2 * len(X)  # of the inputs X + a
    assert abs(la - l0) <= 1e-9 * l0 + rounding
    if not bool(near.any()):
        tol = 1e-9 + 8 * math.ulp(abs(a) + 10)
        for step in (ak.lloyd_step, ak.newton_step, lambda X, C: ak.gd_step(X, C, 1e-3)):
            assert torch.allclose(step(Xa, Ca) - a, step(X, C), rtol=0, atol=tol)


@pytest.mark.usefixtures("kernel_path")
@HSET
@given(st.integers(0, 2**31 - 1), st.integers(-100, 100), st.sampled_from([torch.float32, torch.float64]))
def test_power_of_two_scale_invariance_of_labels(seed, j, dtype) -> None:
    if dtype == torch.float32:
        j = max(-40, min(40, j))  # keep the scaled data normal in float32
    X, C = offset_problem(300, 3, 5, 0.0, dtype, seed=seed)
    s = 2.0**j  # exact: the scaled problem is the same problem
    assert torch.equal(ak.assign(X * s, C * s), ak.assign(X, C))


@pytest.mark.usefixtures("kernel_path")
@HSET
@given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.sampled_from([0.0, 1e3]))
def test_a_lloyd_step_at_a_fixed_point_stays_there(seed, k, offset) -> None:
    X, C = offset_problem(300, 2, k, offset, torch.float64, seed=seed)
    h = ak.fit(X, C, "lloyd", max_iter=300)
    assert h.converged
    C_star = h.final_centers
    again = ak.lloyd_step(X, C_star)
    assert torch.equal(ak.assign(X, again), h.labels)
    assert torch.allclose(again, C_star, rtol=0, atol=8 * math.ulp(offset + 10))


# --------------------------------------------------------------------------- counts and scalars


def test_online_counts_keep_counting_past_two_to_the_24() -> None:
    C = torch.tensor([[0.0], [10.0]], dtype=torch.float32)
    counts = torch.tensor([2.0**24, 5.0], dtype=torch.float32)  # float32 stops here
    X = torch.tensor([[1.0]], dtype=torch.float32)
    for step in (stochastic.online_step, stochastic.minibatch_step):
        _, new = step(X, C, counts)
        assert new.dtype == torch.float64 and new.tolist() == [2.0**24 + 1, 5.0]


def test_stats_counts_are_integers() -> None:
    X, C = offset_problem(100, 2, 3, 0.0, torch.float32)
    assert core.estep(X, C).counts.dtype == torch.int64
    assert ak.cluster_stats(X, C)[1].dtype == torch.int64


@pytest.mark.parametrize("lr", [np.float32(1e-3), np.float64(1e-3), torch.tensor(1e-3), np.array(1e-3)])
def test_numpy_scalars_and_0d_tensors_are_step_sizes(lr) -> None:
    X, C = offset_problem(100, 2, 3, 0.0, torch.float64)
    want = ak.gd_step(X, C, float(lr))
    assert torch.allclose(ak.gd_step(X, C, lr), want, rtol=1e-6)
    assert torch.allclose(stochastic.sgd_step(X, C, lr), want, rtol=1e-6)
    assert ak.fit(X, C, "gd", lr=lr, max_iter=3).n_iter == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda X: ak.random_init(X, 3, seed=1.5),
        lambda X: stochastic.batch_indices(100, 10, 5, seed=1.5),
        lambda X: ak.fit_stochastic(X, X[:3], "minibatch", batch_size=10, n_steps=2, seed=1.5),
    ],
)
def test_a_fractional_seed_is_refused(call) -> None:
    X, _ = offset_problem(100, 2, 3, 0.0, torch.float64)
    with pytest.raises(TypeError, match=r"seed must be an integer, got seed=1.5"):
        call(X)


def test_fractional_integers_are_refused() -> None:
    X, C = offset_problem(100, 2, 3, 0.0, torch.float64)
    with pytest.raises(TypeError, match=r"max_iter must be an integer, got max_iter=2.5"):
        ak.fit(X, C, "lloyd", max_iter=2.5)
    with pytest.raises(TypeError, match=r"n_clusters must be an integer, got n_clusters=2.0"):
        ak.random_init(X, 2.0)
    assert ak.fit(X, C, "lloyd", max_iter=np.int64(2)).n_iter <= 2


def test_zero_dim_and_meta_inputs_get_clear_errors() -> None:
    X, C = offset_problem(100, 2, 3, 0.0, torch.float64)
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), got 0-D"):
        ak.assign(torch.tensor(1.0, dtype=torch.float64), C)
    with pytest.raises(ValueError, match="'meta' device"):
        ak.lloyd_step(X.to("meta"), C)


def test_big_endian_float64_is_accepted() -> None:
    X, C = offset_problem(100, 2, 3, 0.0, torch.float64)
    Xb = X.numpy().astype(">f8")
    Cb = C.numpy().astype(">f8")
    assert np.array_equal(ak.assign(Xb, Cb), ak.assign(X.numpy(), C.numpy()))
    assert np.allclose(ak.lloyd_step(Xb, Cb), ak.lloyd_step(X.numpy(), C.numpy()))


def test_random_init_refuses_nan_data() -> None:
    X, _ = offset_problem(100, 2, 3, 0.0, torch.float64)
    X[7, 1] = float("nan")
    with pytest.raises(ValueError, match=r"X contains 1 non-finite value\(s\).*X\[7, 1\] = nan"):
        ak.random_init(X, 3)
    with pytest.raises(ValueError, match=r"X\[7, 1\] = nan"):
        ak.kmeans_plusplus(X, 3)
