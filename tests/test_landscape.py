"""The piecewise-quadratic picture (argmin_kmeans.landscape) against the core and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from matplotlib.figure import Figure

import argmin_kmeans as ak
from argmin_kmeans import datasets, plotting
from argmin_kmeans import landscape as ls
from argmin_kmeans import landscape_1d as ls1
from helpers import HSET  # tests/ is on sys.path under pytest


@st.composite
def data_1d(draw, n_min: int = 2, n_max: int = 25):
    """Distinct 1-D samples (random scale and offset) and a pair of centres near them."""
    n = draw(st.integers(n_min, n_max))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-2, 1.0, 30.0]))
    offset = draw(st.sampled_from([0.0, 5.0, -100.0])) * scale
    x = np.unique(rng.normal(size=n) * scale + offset)
    assume(x.size >= 2)
    c = rng.normal(size=2) * scale * 1.5 + offset
    return x, c


def tol(x: np.ndarray, c: np.ndarray) -> float:
    return 1e-10 * x.size * (np.abs(x).max() + np.abs(c).max()) ** 2


def tie_margin(x: np.ndarray, c: np.ndarray) -> float:
    """How far the midpoint of the centres is from the nearest sample (0 on a boundary)."""
    return float(np.abs(x - 0.5 * (c[0] + c[1])).min())


# --------------------------------------------------------------------------- 1-D, two centres


@HSET
@given(data_1d())
def test_loss_grid_equals_kmeans_loss(xc) -> None:
    x, c = xc
    got = ls1.loss_grid_1d(x, c[0], c[1])
    want = float(ak.kmeans_loss(x[:, None], c[:, None]))
    assert got.shape == ()
    assert abs(float(got) - want) <= tol(x, c)


def test_loss_grid_at_sampled_grid_points_and_shape() -> None:
    x = datasets.example_data_1d()
    g1, g2 = np.linspace(-6, 7, 41), np.linspace(-7, 6, 37)
    C1, C2 = np.meshgrid(g1, g2)
    L = ls1.loss_grid_1d(x, C1, C2)
    assert L.shape == (37, 41)
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(37, size=60), rng.integers(41, size=60)):
        want = float(ak.kmeans_loss(x[:, None], np.array([[g1[j]], [g2[i]]])))
        assert L[i, j] == pytest.approx(want, rel=1e-12, abs=1e-12)


@HSET
@given(data_1d())
def test_region_code_is_the_assignment(xc) -> None:
    x, c = xc
    assume(tie_margin(x, c) > 1e-9 * np.abs(x).max())
    code = int(ls1.region_codes_1d(x, c[0], c[1]))
    labels = ak.assign(x[:, None], c[:, None])  # x is sorted (np.unique)
    np.testing.assert_array_equal(ls1.pattern_1d(x.size, code), labels)
    assert (code <= x.size) == (c[0] <= c[1])


@HSET
@given(data_1d())
def test_loss_is_the_region_quadratic(xc) -> None:
    """Inside a region the loss is that region's quadratic; everywhere it is the minimum."""
    x, c = xc
    code = int(ls1.region_codes_1d(x, c[0], c[1]))
    q = ls.region_quadratic(x, ls1.pattern_1d(x.size, code), 2)
    L = float(ls1.loss_grid_1d(x, c[0], c[1]))
    assert abs(q(c[:, None]) - L) <= tol(x, c)
    # any other pattern's quadratic lies above the loss
    rng = np.random.default_rng(int(abs(c[0]) * 1e6) % 2**32)
    for _ in range(5):
        other = rng.integers(2, size=x.size)
        assert ls.region_quadratic(x, other, 2)(c[:, None]) >= L - tol(x, c)


@HSET
@given(data_1d())
def test_region_minimiser_equals_lloyd_step_from_inside(xc) -> None:
    x, c = xc
    assume(tie_margin(x, c) > 1e-9 * np.abs(x).max())
    code = int(ls1.region_codes_1d(x, c[0], c[1]))
    reg = ls1.regions_1d(x)[code]
    step = ak.lloyd_step(x[:, None], c[:, None])[:, 0]
    ok = ~np.isnan(reg.minimiser)
    atol = 1e-12 * np.abs(x).max()
    np.testing.assert_allclose(step[ok], reg.minimiser[ok], rtol=1e-12, atol=atol)
    np.testing.assert_array_equal(step[~ok], c[~ok])  # an empty centre stays put
    counts = np.bincount(ls1.pattern_1d(x.size, code), minlength=2)
    assert reg.counts == tuple(int(v) for v in counts)


@HSET
@given(data_1d(n_min=3))
def test_fit_ends_at_a_minimiser_inside_its_own_region(xc) -> None:
    x, c = xc
    hist = ak.fit(x[:, None], c[:, None], method="lloyd")
    assert hist.converged
    final = hist.final_centers[:, 0]
    code = int(ls1.region_codes_1d(x, final[0], final[1]))
    reg = ls1.regions_1d(x)[code]
    assert reg.inside
    assert ls.inside_own_region(x[:, None], final[:, None])
    if not reg.degenerate:
        np.testing.assert_allclose(final, reg.minimiser, rtol=1e-12, atol=1e-12 * np.abs(x).max())
        assert code in [r.code for r in ls1.lloyd_fixed_points_1d(x)]


@HSET
@given(data_1d(n_min=3, n_max=15))
def test_vectorised_lloyd_equals_fit(xc) -> None:
    x, c = xc
    rng = np.random.default_rng(x.size)
    starts = np.vstack([c, rng.normal(size=(6, 2)) * np.abs(x).max() + x.mean()])
    a, b, codes = ls1.lloyd_1d(x, starts[:, 0], starts[:, 1])
    regions = ls1.regions_1d(x)  # a function of x alone: once, not once per start
    for s, fa, fb, code in zip(starts, a, b, codes):
        final = ak.fit(x[:, None], s[:, None], method="lloyd").final_centers[:, 0]
        np.testing.assert_allclose([fa, fb], final, rtol=1e-12, atol=1e-12 * np.abs(x).max())
        assert regions[code].inside


def test_fixed_points_by_brute_force_over_every_assignment() -> None:
    """Only contiguous splits can be fixed points, and the best one is the global minimum."""
    x = datasets.example_data_1d()
    n = x.size
    # every assignment with both clusters used, one per row (1022 of them, vectorised)
    labs = np.array(list(itertools.product((0, 1), repeat=n)), dtype=bool)
    labs = labs[labs.any(1) & ~labs.all(1)]
    means = np.stack([np.where(~labs, x, 0).sum(1) / (~labs).sum(1),
                      np.where(labs, x, 0).sum(1) / labs.sum(1)], axis=1)
    within = ((x - np.where(labs, means[:, 1:], means[:, :1])) ** 2).sum(1)
    best = within.min()
    d0, d1 = (x - means[:, :1]) ** 2, (x - means[:, 1:]) ** 2
    nearest = d1 < d0  # c1 on a tie, as in ak.assign
    inside = (nearest == labs).all(1)  # the region's minimiser is inside its region
    # no answer hangs on how a tie is rounded: no row would be a fixed point but for a sample
    # within rounding of a tie
    tie = np.abs(d1 - d0) <= 1e-9 * (d0 + d1)
    assert not (((nearest == labs) | tie).all(1) & tie.any(1)).any()
    found = {tuple(np.round(m, 9)) for m in means[inside]}
    for lab, m in zip(labs[inside], means[inside]):  # the core agrees on these
        np.testing.assert_array_equal(ak.assign(x[:, None], m[:, None]), lab)
        q = ls.region_quadratic(x, lab.astype(int), 2)
        np.testing.assert_allclose(q.means[:, 0], m, rtol=1e-12, atol=1e-12)
    assert ls.region_quadratic(x, labs[within.argmin()].astype(int), 2).within == pytest.approx(
        best, rel=1e-12)
    fps = ls1.lloyd_fixed_points_1d(x)
    assert found == {tuple(np.round(r.minimiser, 9)) for r in fps}
    assert len(fps) == 8  # four fixed points, each with its mirror
    assert fps[0].min_loss == pytest.approx(best, rel=1e-12)
    assert [round(r.min_loss, 4) for r in fps[::2]] == [28.9238, 31.36, 31.86, 32.3333]


def test_regions_enumeration() -> None:
    x = np.array([0.0, 1.0, 4.0])
    regs = ls1.regions_1d(x)
    assert len(regs) == 8
    assert [r.pattern for r in regs] == [
        "222", "122", "112", "111", "111", "211", "221", "222"]
    # {0}|{1, 4}: means (0, 2.5), midpoint 1.25 >= 1, so sample 1 would flip: outside
    assert regs[1].counts == (1, 2) and regs[1].minimiser.tolist() == [0.0, 2.5]
    assert not regs[1].inside and regs[1].margin == pytest.approx(-0.25)
    # {0, 1}|{4}: means (0.5, 4), midpoint 2.25 in [1, 4): inside, a fixed point
    assert regs[2].minimiser.tolist() == [0.5, 4.0] and regs[2].inside
    assert regs[2].margin == pytest.approx(1.25)
    assert regs[6].minimiser.tolist() == [4.0, 0.5] and regs[6].inside  # its mirror
    np.testing.assert_array_equal(ls1.boundary_lines_1d(x), [0.0, 2.0, 8.0])
    assert regs[0].degenerate and np.isnan(regs[0].minimiser[0]) and regs[0].inside
    assert [r.code for r in ls1.lloyd_fixed_points_1d(x)] == [2, 6]


def test_basins_end_only_in_fixed_points_and_depend_on_the_midpoint() -> None:
    x = datasets.example_data_1d()
    g = np.linspace(-6, 7, 60)
    C1, C2 = np.meshgrid(g, g)
    _, _, codes = ls1.lloyd_1d(x, C1, C2)
    regs = ls1.regions_1d(x)
    assert all(regs[c].inside for c in np.unique(codes))
    # the first E-step sees only the midpoint and the order, so starts with the same
    # first region end in the same place
    first = ls1.region_codes_1d(x, C1, C2)
    for c in np.unique(first):
        assert np.unique(codes[first == c]).size == 1


# --------------------------------------------------------------------------- slices and kinks


@HSET
@given(data_1d(n_min=2), st.floats(0.05, 3.0), st.integers(0, 100))
def test_continuous_across_a_boundary_but_derivatives_jump(xc, s_rel, pick) -> None:
    x, _ = xc
    i = pick % x.size
    gap = np.diff(x).min()
    s = s_rel * (np.abs(x).max() + 1e-3)
    c = np.array([[x[i] - s], [x[i] + s]])  # midpoint on sample i: it is tied
    v = np.array([[1.0], [1.0]])  # crosses c1 + c2 = 2 x_i head on
    left, right = ls.one_sided_derivatives(x[:, None], c, v)
    jump_tol = 1e-7 * x.size * (np.abs(x).max() + s)
    # along v = (1, 1) the jump 2|(x_i - c1) v1 - (x_i - c2) v2| is 2 |s + s| = 4 s
    assert left - right == pytest.approx(4.0 * s, abs=jump_tol)
    assert left >= right  # a minimum of quadratics only kinks downwards
    h = 1e-3 * gap  # less than the distance to the next boundary
    L0 = float(ak.kmeans_loss(x[:, None], c))
    Lp = float(ak.kmeans_loss(x[:, None], c + h * v))
    Lm = float(ak.kmeans_loss(x[:, None], c - h * v))
    scale = x.size * (np.abs(x).max() + s) ** 2
    assert abs(Lp - L0) <= (abs(right) + 1e-6 * scale) * h * 2 + 1e-9 * scale  # continuity
    assert abs(Lm - L0) <= (abs(left) + 1e-6 * scale) * h * 2 + 1e-9 * scale
    # the loss on each side is a quadratic: (L(c+hv) - L(c)) / h -> right derivative
    curv = 2.0 * x.size  # second derivative along v=(1,1) is 2 n
    assert (Lp - L0) / h == pytest.approx(right, abs=curv * h + 1e-7 * scale / h)
    assert (L0 - Lm) / h == pytest.approx(left, abs=curv * h + 1e-7 * scale / h)


@HSET
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(1, 3))
def test_derivatives_agree_off_the_boundaries(seed, k, d) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, d))
    C = rng.normal(size=(k, d))
    V = rng.normal(size=(k, d))
    left, right = ls.one_sided_derivatives(X, C, V)
    g = ak.loss_gradient(X, C)
    assert left == pytest.approx(right, abs=1e-12)
    assert right == pytest.approx(float((g * V).sum()), rel=1e-10, abs=1e-10)
    ts = np.array([-1e-6, 0.0, 1e-6])
    L = ls.slice_loss(X, C, V, ts)
    assert (L[2] - L[0]) / 2e-6 == pytest.approx(right, rel=1e-4, abs=1e-5)


def test_slice_kink_of_the_lesson() -> None:
    x = datasets.example_data_1d()
    c = np.array([[-2.4], [1.6]])  # midpoint -0.4 = x[4]
    left, right = ls.one_sided_derivatives(x[:, None], c, np.ones((2, 1)))
    assert left == pytest.approx(1.2, abs=1e-9) and right == pytest.approx(-6.8, abs=1e-9)
    # lesson 03: the jump depends on the direction, 4 |v1 + v2| at this kink
    for v, jump in (((1.0, 1.0), 8.0), ((1.0, 0.0), 4.0), ((1.0, -1.0), 0.0), ((0.0, -2.0), 8.0)):
        left, right = ls.one_sided_derivatives(x[:, None], c, np.array(v)[:, None])
        assert left - right == pytest.approx(jump, abs=1e-9)


@HSET
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_jump_is_twice_the_rate_of_the_distance_gap(seed, d) -> None:
    """At a tie of sample x between two centres, along any V the one-sided derivatives differ
    by 2 |(x - c1) . v1 - (x - c2) . v2| (lesson 03, section 3)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, d))
    x = X[0]
    c1 = x + rng.normal(size=d)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))  # a rotation about x: same distance
    c2 = x + Q @ (c1 - x)
    assume(np.linalg.norm(c1 - c2) > 0.1)
    C = np.stack([c1, c2])
    d2 = ((X[1:, None, :] - C[None]) ** 2).sum(-1)
    assume(np.abs(d2[:, 0] - d2[:, 1]).min() > 1e-3)  # no other sample tied
    V = rng.normal(size=(2, d))
    left, right = ls.one_sided_derivatives(X, C, V)
    want = 2 * abs((x - c1) @ V[0] - (x - c2) @ V[1])
    assert left - right == pytest.approx(want, rel=1e-7, abs=1e-7)


# --------------------------------------------------------------------------- any data


@HSET
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 3))
def test_region_quadratic_matches_loss_gradient_and_lloyd(seed, k, d) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, d)) * 3
    C = rng.normal(size=(k, d)) * 3
    labels = ak.assign(X, C)
    q = ls.region_quadratic(X, labels, k)
    assert q(C) == pytest.approx(float(ak.kmeans_loss(X, C)), rel=1e-12)
    np.testing.assert_allclose(q.gradient(C), ak.loss_gradient(X, C), atol=1e-10)
    ok = q.counts > 0
    np.testing.assert_allclose(q.means[ok], ak.lloyd_step(X, C)[ok], atol=1e-12)
    assert q(np.where(ok[:, None], q.means, C)) == pytest.approx(q.within, rel=1e-12, abs=1e-12)


def test_inside_own_region() -> None:
    x = np.array([[0.0], [1.0], [4.0]])
    assert ls.inside_own_region(x, np.array([[0.5], [4.0]]))
    assert not ls.inside_own_region(x, np.array([[0.0], [2.5]]))  # sample 1 flips


# --------------------------------------------------------------------------- 2-D helpers


def test_snapshot_agrees_with_the_core() -> None:
    X = datasets.example_data_2d()
    C = np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])
    s = ls.snapshot(X, C)
    assert s.loss == pytest.approx(float(ak.kmeans_loss(X, C)), rel=1e-12)
    np.testing.assert_allclose(s.gradient, ak.loss_gradient(X, C), atol=1e-10)
    np.testing.assert_allclose(s.targets, ak.newton_step(X, C), atol=1e-12)
    np.testing.assert_array_equal(s.labels, ak.assign(X, C))
    # the negative gradient points at the target, with length 2 n_k times the distance
    np.testing.assert_allclose(-s.gradient, 2 * s.counts[:, None] * (s.targets - C), atol=1e-10)
    s32 = ls.snapshot(torch.tensor(X, dtype=torch.float32), torch.tensor(C, dtype=torch.float32))
    assert s32.loss == pytest.approx(s.loss, rel=1e-5)


def test_voronoi_grid_labels_are_nearest_centres() -> None:
    C = np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])
    xs, ys, lab = ls.voronoi_grid(C, (-4, 4), (-5, 3), 50)
    assert lab.shape == (50, 50)
    P = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    np.testing.assert_array_equal(lab.ravel(), ak.assign(P, C))


@HSET
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_loss_over_centroid_equals_kmeans_loss(seed, k) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(25, 2)) * 2
    C = rng.normal(size=(k, 2)) * 2
    which = int(rng.integers(k))
    xs, ys = np.linspace(-4, 4, 7), np.linspace(-3, 5, 5)
    L = ls.loss_over_centroid(X, C, which, xs, ys, chunk=8)  # several chunks
    assert L.shape == (5, 7)
    for i in range(5):
        for j in range(7):
            Cm = C.copy()
            Cm[which] = (xs[j], ys[i])
            assert L[i, j] == pytest.approx(float(ak.kmeans_loss(X, Cm)), rel=1e-10, abs=1e-10)


def test_crossing_a_flip_circle_flips_that_sample() -> None:
    X = datasets.example_data_2d()
    C = np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])
    r = ls.boundary_radii(X, C, 0)
    others = np.sqrt(((X[:, None, :] - C[None, 1:, :]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(r, others, rtol=1e-12)
    rng = np.random.default_rng(1)
    for i in rng.choice(len(X), 10, replace=False):
        u = rng.normal(size=2)
        u /= np.linalg.norm(u)
        for rad, owner in ((r[i] * 0.999, 0), (r[i] * 1.001, None)):
            Cm = C.copy()
            Cm[0] = X[i] + rad * u
            lab = ak.assign(X, Cm)[i]
            assert (lab == 0) == (owner == 0)
    assert np.isinf(ls.boundary_radii(X, C[:1], 0)).all()


# --------------------------------------------------------------------------- validation


def test_bad_inputs_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="shape"):
        ls1.loss_grid_1d(np.zeros((3, 2)), 0.0, 1.0)
    with pytest.raises(ValueError, match="n_samples=1"):
        ls1.regions_1d(np.array([1.0]))
    with pytest.raises(TypeError, match="int64"):
        ls1.loss_grid_1d(np.arange(4), 0.0, 1.0)
    with pytest.raises(ValueError, match="non-finite"):
        ls1.regions_1d(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="broadcast"):
        ls1.loss_grid_1d(np.arange(4.0), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"code must be an integer in \[0, 7\], got code=9"):
        ls1.pattern_1d(3, 9)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        ls.region_quadratic(np.zeros((4, 1)), np.array([0, 1, 3, 0]), 3)
    with pytest.raises(ValueError, match="which=5"):
        ls.loss_over_centroid(np.zeros((4, 2)), np.zeros((2, 2)), 5, [0.0], [0.0])
    with pytest.raises(ValueError, match="direction"):
        ls.one_sided_derivatives(np.zeros((4, 1)), np.zeros((2, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"\(n_clusters, 2\)"):
        ls.voronoi_grid(np.zeros((2, 3)), (0, 1), (0, 1))
    # scalar arguments: checked, named (never uninitialised memory or a silently wrong answer)
    X, C = np.zeros((4, 2)), np.array([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="chunk=-1"):
        ls.loss_over_centroid(X, C, 0, [0.0], [0.0], chunk=-1)
    with pytest.raises(ValueError, match="tie_rtol=-1"):
        ls.one_sided_derivatives(X, C, np.ones((2, 2)), tie_rtol=-1)
    with pytest.raises(TypeError, match="which=0.5"):
        ls.boundary_radii(X, C, 0.5)
    with pytest.raises(ValueError, match="non-finite"):
        ls.voronoi_grid(np.array([[0.0, np.nan]]), (0, 1), (0, 1))
    with pytest.raises(TypeError, match="max_iter=1.5"):
        ls1.lloyd_1d(np.arange(4.0), 0.0, 1.0, max_iter=1.5)


def test_one_centre_landscape_is_translation_invariant() -> None:
    """The loss over a moving centre far from the origin equals the centred one (float64)."""
    X, C = datasets.example_data_2d(), np.array([[-1.0, 0.0], [1.0, -3.0], [1.5, 1.5]])
    xs, ys = np.linspace(-4, 4, 7), np.linspace(-3, 3, 5)
    L0 = ls.loss_over_centroid(X, C, 0, xs, ys)
    a = 1e7
    La = ls.loss_over_centroid(X + a, C + a, 0, xs + a, ys + a)
    np.testing.assert_allclose(La, L0, rtol=1e-7)


# --------------------------------------------------------------------------- drawing


PLOTS = {
    "parabola": lambda ax: plotting.plot_parabola_1d(ax, datasets.example_data_1d()),
    "regions": lambda ax: plotting.plot_loss_regions_1d(ax, datasets.example_data_1d(), resolution=80),
    "minimisers": lambda ax: plotting.plot_region_minimisers_1d(ax, datasets.example_data_1d()),
    "slice": lambda ax: plotting.plot_slice_1d(ax, datasets.example_data_1d(), (-3.0, 1.0), (1.0, 1.0),
                                         np.linspace(-1, 2, 61), at=0.6),
    "basins": lambda ax: plotting.plot_basins_1d(ax, datasets.example_data_1d(), resolution=60),
    "voronoi": lambda ax: plotting.plot_voronoi(ax, datasets.example_data_2d(),
                                          np.array([[0.0, 0.0], [1.0, 1.0]]), resolution=40),
    "landscape": lambda ax: plotting.plot_centroid_landscape(ax, datasets.example_data_2d(),
                                                       np.array([[0.0, 0.0], [1.0, 1.0]]), 1,
                                                       resolution=40),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plots_have_title_labels_legend(name: str) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert PLOTS[name](ax) is ax
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None and ax.get_legend().get_texts()
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders without error
