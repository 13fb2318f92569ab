"""The compiled pass (``_fastpass.c``) against the torch loop and a float64 brute force.

Both loops of ``_kernel.fused_pass`` compute the same shifted, scaled scores with the same tie
rule; the compiled one sums in float64. So: the same labels away from true near-ties (and
each equal to the brute force there), counts that are the bincount of the labels, sums and
inertia equal to float64 references to rounding, the same non-finite verdicts. The shapes
cover the loop's corners: partial SIMD blocks (16 float32 / 8 float64 lanes), centres in and
out of the register blocks of 4, the masked accumulators (2k <= lanes) and the scalar ones,
the flush of the masked accumulators every 64 blocks, strided rows, both dtypes, offsets and
power-of-two rescaling. tests/test_numerics.py runs its accuracy tests on both loops too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from argmin_kmeans import _kernel
from conftest import GENERAL_PATH, kernel_settings, require_compiled
from helpers import EPS, HSET, naive_reference

DTYPES = [torch.float32, torch.float64]


def _levels() -> list[int]:
    fp = _kernel._fastpass
    return list(range(fp.level() + 1)) if fp is not None else [0]


@pytest.fixture(autouse=True, params=_levels(), ids=lambda v: ["baseline", "avx2", "avx512"][v])
def simd(request: pytest.FixtureRequest) -> Iterator[int]:
    """Every test runs on each build of the pass this CPU can run (baseline, AVX2, AVX-512)."""
    require_compiled()
    with kernel_settings(simd_level=request.param):
        yield request.param


def both(X: torch.Tensor, C: torch.Tensor, **kw) -> tuple[_kernel.PassResult, _kernel.PassResult]:
    """The general path's pass by the compiled loop and by the torch loop."""
    with kernel_settings(**GENERAL_PATH, use_compiled=True):  # no small path: the loops
        assert _kernel.compiled_applies(X, C.shape[0])
        a = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True, **kw)
    with kernel_settings(**GENERAL_PATH, use_compiled=False):
        b = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True, **kw)
    return a, b


def problem(n: int, d: int, k: int, dtype: torch.dtype, offset: float, seed: int, wide: int = 0):
    """``(n, d)`` data (rows ``wide`` elements apart when ``wide > d``: a strided view) and
    ``k`` distinct-ish centres drawn from it."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, max(d, wide), generator=g, dtype=torch.float64) * 3 + offset
    X = base.to(dtype)[:, :d]
    C = X[torch.randint(0, n, (k,), generator=g)].clone() + torch.randn(k, d, generator=g).to(dtype)
    return X, C


def check_against_references(r: _kernel.PassResult, X: torch.Tensor, C: torch.Tensor) -> None:
    want, D, near = naive_reference(X, C)
    assert torch.equal(r.labels[~near], want[~near])
    k, d = C.shape
    assert r.counts is not None and r.sums is not None and r.inertia is not None
    assert torch.equal(r.counts, torch.bincount(r.labels, minlength=k))
    shift = r.shift.double().expand(k, d) if r.shift.dim() == 1 else r.shift.double()
    rel = X.double() - shift[r.labels]  # each sample relative to the pass's reference point
    ref_sums = torch.zeros(k, d, dtype=torch.float64).index_add_(0, r.labels, rel)
    tol = 64 * EPS[X.dtype] * (float(rel.abs().max()) + 1e-300) * len(X)
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
def test_the_compiled_and_torch_loops_agree(n, d, k, dtype, offset, seed, strided) -> None:
    X, C = problem(n, d, k, dtype, offset, seed, wide=d + 3 if strided else 0)
    if d > _kernel.COMPILED_MAX_D and k < _kernel.COMPILED_WIDE_K:
        k = _kernel.COMPILED_WIDE_K  # where the compiled pass applies
        X, C = problem(n, d, k, dtype, offset, seed, wide=d + 3 if strided else 0)
    a, b = both(X, C)
    _, _, near = naive_reference(X, C)
    assert torch.equal(a.labels[~near], b.labels[~near])
    assert a.finite and b.finite
    assert torch.equal(a.shift, b.shift)
    check_against_references(a, X, C)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 7, 8, 15, 16, 17, 33, 1100, 5000])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 9, 17])
def test_block_and_register_corners(n, k, dtype) -> None:
    # n: partial and whole blocks of 8 / 16 lanes, and past the flush of the masked
    # accumulators (64 blocks); k: within and past the register blocks of 4, masked (2k <=
    # lanes) and scalar accumulation
    X, C = problem(n, 3, k, dtype, 10.0, seed=n * 31 + k)
    a, b = both(X, C)
    assert torch.equal(a.labels, b.labels)
    assert torch.equal(a.counts, b.counts)
    check_against_references(a, X, C)


@pytest.mark.parametrize("dtype", DTYPES)
def test_labels_and_counts_do_not_depend_on_the_thread_count(dtype) -> None:
    X, C = problem(40_000, 8, 12, dtype, 0.0, seed=5)
    assert 40_000 * 12 * 8 >= _kernel.COMPILED_THREAD_WORK  # big enough to thread
    one = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True, threads=1)
    two = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True, threads=2)
    assert torch.equal(one.labels, two.labels) and torch.equal(one.counts, two.counts)
    assert torch.allclose(one.sums, two.sums, rtol=1e-6) and torch.allclose(one.inertia, two.inertia)
    again = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True, threads=2)
    assert torch.equal(again.sums, two.sums) and torch.equal(again.inertia, two.inertia)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", ["X first", "X last", "C"])
def test_non_finite_inputs_are_reported(dtype, bad, where) -> None:
    X, C = problem(37, 4, 6, dtype, 0.0, seed=7)
    if where == "X first":
        X[0, 2] = bad
    elif where == "X last":
        X[36, 0] = bad
    else:
        C[3, 1] = bad
    a, b = both(X, C)
    assert not a.finite and not b.finite


def test_what_is_not_asked_for_is_not_returned() -> None:
    X, C = problem(500, 3, 5, torch.float32, 0.0, seed=8)
    full = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True)
    for sums in (False, True):
        for inertia in (False, True):
            r = _kernel.fused_pass(X, C, with_sums=sums, with_inertia=inertia)
            assert torch.equal(r.labels, full.labels)
            assert (r.sums is not None) == sums and (r.counts is not None) == sums
            assert (r.inertia is not None) == inertia


@pytest.mark.parametrize("dtype", DTYPES)
def test_power_of_two_rescaling_in_the_compiled_loop(dtype) -> None:
    X, C = problem(2000, 5, 6, dtype, 0.0, seed=9)
    s = 2.0**40 if dtype == torch.float32 else 2.0**400  # spread far above 2**30: rescaled
    a, b = both(X * s, C * s)
    ref = _kernel.fused_pass(X, C, with_sums=True, with_inertia=True)
    assert torch.equal(a.labels, ref.labels) and torch.equal(a.labels, b.labels)
    assert torch.allclose(a.sums / s, ref.sums, rtol=1e-6, atol=1e-6)
    assert torch.allclose(a.inertia / s**2, ref.inertia, rtol=1e-6)


def test_the_environment_switch_turns_the_compiled_pass_off() -> None:
    code = "from argmin_kmeans import _kernel; print(_kernel.use_compiled)"
    env = dict(os.environ, ARGMIN_KMEANS_PURE_TORCH="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [3, 8, 13, 20])  # register blocks of 4 and 8, and their tails
def test_exact_ties_go_to_the_lowest_index_in_every_build(dtype, k) -> None:
    # integer data at a pixel-like offset: shifted values and scores are exact, so every tie
    # of the direct distances is a tie of the scores and must go to the lowest index
    g = torch.Generator().manual_seed(k)
    X = (torch.randint(0, 4, (3000, 3), generator=g) + 255).to(dtype)
    C = (torch.randint(0, 4, (k, 3), generator=g) + 255).to(dtype)
    with kernel_settings(**GENERAL_PATH):
        r = _kernel.fused_pass(X, C, with_sums=False, with_inertia=False)
    D = ((X.double()[:, None] - C.double()[None]) ** 2).sum(-1)
    assert torch.equal(r.labels, D.argmin(1))
