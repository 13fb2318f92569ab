"""The compiled pass (``kernel/_fastpass.c``) against the torch loop and a float64 brute force.

Both loops of ``kernel.fused_pass`` compute the same shifted, scaled scores with the same tie
rule, and both sum in float64. So: the same labels away from true near-ties (and each equal to
the brute force there), counts that are the bincount of the labels, sums and inertia equal to
float64 references to rounding, the same non-finite verdicts. The shapes cover the loop's
corners: partial SIMD blocks (16/8/4/2 lanes), centres in and out of the register blocks of 8
and 4, the masked accumulators (2k <= lanes) and the scalar ones, the flush of the masked
accumulators every 64 blocks, strided rows, both dtypes, offsets and power-of-two rescaling,
and the loop with centres across the lanes (many features).

Tests whose result depends on the build run once per build this CPU has (``level``: SSE2,
AVX2+FMA, AVX-512 on x86-64; NEON on arm64, see tests/test_native_builds.py); the others once.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from argmin_kmeans import kernel
from conftest import require_compiled
from helpers import EPS, HSET, naive_reference

DTYPES = [torch.float32, torch.float64]


def _levels() -> list[int]:
    st_ = kernel.compiled_state()
    return list(range(st_.cpu_level + 1)) if st_.cpu_level >= 0 else [0]


def _names() -> list[str]:
    st_ = kernel.compiled_state()
    return list(st_.builds) or ["not built"]


@pytest.fixture(params=_levels(), ids=lambda v: _names()[v])
def level(request: pytest.FixtureRequest) -> int:
    """A build of the compiled pass this CPU runs (the test runs once per build)."""
    require_compiled()
    return request.param


def both(X: torch.Tensor, C: torch.Tensor, level: int, **kw):
    """The pass by the compiled loop (build ``level``) and by the torch loop."""
    a = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="compiled",
                          level=level, **kw)
    b = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="torch", **kw)
    assert a.path == "compiled" and b.path == "torch"
    return a, b


def problem(n: int, d: int, k: int, dtype: torch.dtype, offset: float, seed: int, wide: int = 0):
    """``(n, d)`` data (rows ``wide`` elements apart when ``wide > d``: a strided view) and
    ``k`` distinct-ish centres drawn from it."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, max(d, wide), generator=g, dtype=torch.float64) * 3 + offset
    X = base.to(dtype)[:, :d]
    C = X[torch.randint(0, n, (k,), generator=g)].clone() + torch.randn(k, d, generator=g).to(dtype)
    return X, C


def check_against_references(r: kernel.PassResult, X: torch.Tensor, C: torch.Tensor) -> None:
    want, D, near = naive_reference(X, C)
    assert torch.equal(r.labels[~near], want[~near])
    k, d = C.shape
    assert r.counts is not None and r.sums is not None and r.inertia is not None
    assert torch.equal(r.counts, torch.bincount(r.labels, minlength=k))
    shift = r.shift.double().expand(k, d) if r.shift.dim() == 1 else r.shift.double()
    rel = X.double() - shift[r.labels]  # each sample relative to the pass's reference point
    ref_sums = torch.zeros(k, d, dtype=torch.float64).index_add_(0, r.labels, rel)
    # float64 sums (the compiled pass's masked accumulators add <= 64 values in X's dtype
    # before each flush), rounded once to X's dtype
    tol = 64 * EPS[X.dtype] * float(rel.abs().sum(0).max()) + 1e-300
    assert torch.allclose(r.sums.double(), ref_sums, rtol=0, atol=tol)
    inertia = float(D.gather(1, r.labels[:, None]).sum())
    assert abs(float(r.inertia) - inertia) <= 1e-5 * inertia + 1e-30


@HSET
@given(
    n=st.integers(1, 300),
    d=st.integers(1, 70),
    k=st.integers(1, 40),
    dtype=st.sampled_from(DTYPES),
    offset=st.sampled_from([0.0, 1e3]),
    seed=st.integers(0, 2**31 - 1),
    strided=st.booleans(),
)
def test_the_compiled_and_torch_loops_agree(level, n, d, k, dtype, offset, seed, strided) -> None:
    X, C = problem(n, d, k, dtype, offset, seed, wide=d + 3 if strided else 0)
    a, b = both(X, C, level)
    _, _, near = naive_reference(X, C)
    assert torch.equal(a.labels[~near], b.labels[~near])
    assert a.finite and b.finite
    assert torch.equal(a.shift, b.shift)
    check_against_references(a, X, C)
    check_against_references(b, X, C)


def test_block_and_register_corners(level) -> None:
    # n: partial and whole blocks of 2..16 lanes, and past the flush of the masked
    # accumulators (64 blocks); k: within and past the register blocks of 8 and 4, masked
    # (2k <= lanes) and scalar accumulation. One test per build, every shape inside.
    for dtype in DTYPES:
        for n in [1, 7, 8, 15, 16, 17, 33, 1100, 5000]:
            for k in [1, 2, 3, 4, 5, 8, 9, 17]:
                X, C = problem(n, 3, k, dtype, 10.0, seed=n * 31 + k)
                a, b = both(X, C, level)
                assert torch.equal(a.labels, b.labels), (dtype, n, k)
                assert torch.equal(a.counts, b.counts), (dtype, n, k)
                check_against_references(a, X, C)
        for n in [16, 17, 1100]:  # two packed features: the rows deinterleaved by shuffles
            for k in [3, 8, 9]:
                X, C = problem(n, 2, k, dtype, 10.0, seed=n * 37 + k)
                a, b = both(X, C, level)
                assert torch.equal(a.labels, b.labels), (dtype, n, k)
                assert torch.equal(a.counts, b.counts), (dtype, n, k)
                check_against_references(a, X, C)


def test_non_finite_inputs_are_reported(level) -> None:
    for dtype in DTYPES:
        for bad in [float("nan"), float("inf"), -float("inf")]:
            for where in ["X first", "X last", "C"]:
                X, C = problem(37, 4, 6, dtype, 0.0, seed=7)
                if where == "X first":
                    X[0, 2] = bad
                elif where == "X last":
                    X[36, 0] = bad
                else:
                    C[3, 1] = bad
                a, b = both(X, C, level)
                assert not a.finite and not b.finite, (dtype, bad, where)


@pytest.mark.parametrize("dtype", DTYPES)
def test_power_of_two_rescaling_in_the_compiled_loop(level, dtype) -> None:
    X, C = problem(2000, 5, 6, dtype, 0.0, seed=9)
    s = 2.0**40 if dtype == torch.float32 else 2.0**400  # spread far above 2**30: rescaled
    a, b = both(X * s, C * s, level)
    ref = kernel.fused_pass(X, C, with_sums=True, with_inertia=True, backend="torch")
    assert torch.equal(a.labels, ref.labels) and torch.equal(a.labels, b.labels)
    assert torch.allclose(a.sums / s, ref.sums, rtol=1e-6, atol=1e-6)
    assert torch.allclose(a.inertia / s**2, ref.inertia, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_ties_go_to_the_lowest_index_in_every_build(level, dtype) -> None:
    # integer data at a pixel-like offset: shifted values and scores are exact, so every tie
    # of the direct distances is a tie of the scores and must go to the lowest index; k
    # covers the register blocks of 4 and 8 and their tails
    for k in [3, 8, 13, 20]:
        g = torch.Generator().manual_seed(k)
        X = (torch.randint(0, 4, (3000, 3), generator=g) + 255).to(dtype)
        C = (torch.randint(0, 4, (k, 3), generator=g) + 255).to(dtype)
        r = kernel.fused_pass(X, C, with_sums=False, with_inertia=False, backend="compiled",
                              level=level)
        D = ((X.double()[:, None] - C.double()[None]) ** 2).sum(-1)
        assert torch.equal(r.labels, D.argmin(1)), k


def test_the_centres_across_lanes_loop_in_every_build(level) -> None:
    # many features (d >= 96): the AVX2 build puts centres across the lanes (NAME_wide in
    # _fastpass_impl.h); k covers 1 to 16 vectors of centres (groups of 3, 2 + 2, 2, 1 and a
    # padded last vector), n partial blocks of 4 rows, strided rows, offsets; duplicated
    # centres are exact ties (the lowest index must win); a NaN row is reported
    for dtype in DTYPES:
        for n, d, k in [(1, 96, 8), (7, 96, 9), (301, 130, 20), (66, 96, 32), (45, 97, 40),
                        (130, 100, 64), (5, 200, 3)]:
            X, C = problem(n, d, k, dtype, 1e3 if k % 2 else 0.0, seed=n + k, wide=d + 5)
            C[k - 1] = C[k // 2]  # an exact tie between k // 2 and k - 1
            a, b = both(X, C, level)
            _, _, near = naive_reference(X, C)
            assert torch.equal(a.labels[~near], b.labels[~near]), (dtype, n, d, k)
            if k > 1:
                assert not bool((a.labels == k - 1).any()), (dtype, n, d, k)
            assert torch.equal(a.counts, b.counts) or bool(near.any())
            check_against_references(a, X, C)
            X[n // 2, d // 3] = float("nan")
            a, b = both(X, C, level)
            assert not a.finite and not b.finite


@pytest.mark.parametrize("dtype", DTYPES)
def test_labels_and_counts_do_not_depend_on_the_thread_count(dtype) -> None:
    require_compiled()
    X, C = problem(40_000, 8, 12, dtype, 0.0, seed=5)
    assert 40_000 * 12 * 8 >= kernel.COMPILED_THREAD_WORK  # big enough to thread
    kw = {"with_sums": True, "with_inertia": True, "backend": "compiled"}
    one = kernel.fused_pass(X, C, threads=1, **kw)
    two = kernel.fused_pass(X, C, threads=2, **kw)
    assert torch.equal(one.labels, two.labels) and torch.equal(one.counts, two.counts)
    assert torch.allclose(one.sums, two.sums, rtol=1e-6) and torch.allclose(one.inertia, two.inertia)
    again = kernel.fused_pass(X, C, threads=2, **kw)
    assert torch.equal(again.sums, two.sums) and torch.equal(again.inertia, two.inertia)
