"""Gradients through the choice (``argmin_kmeans.relax``) and through the fixed point
(``argmin_kmeans.implicit``), checked against outside references:
autograd, central finite differences in float64, enumeration of the choices, closed forms
(Gumbel-max, the softmax Jacobian, the Gaussian CDF), SciPy's Gaussian densities, and the core's
``lloyd_step``/``fit``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp as sp_logsumexp
from scipy.stats import multivariate_normal, norm
from tests.helpers import blobs

import argmin_kmeans as ak
from argmin_kmeans import implicit as im
from argmin_kmeans import relax as rx

SMALL = settings(max_examples=25, deadline=None)
f64 = torch.float64


def _problem(seed: int = 0, n: int = 40, k: int = 3, d: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.from_numpy(blobs(seed, n=n, d=d, k=k, spread=0.8))
    g = torch.Generator().manual_seed(seed)
    C = X[torch.randperm(n, generator=g)[:k]].clone()
    return X, C


def _direct_sq(X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """(n, k) squared distances from direct differences, float64: the reference."""
    return ((X.double()[:, None, :] - C.double()[None]) ** 2).sum(-1)


def _converge_soft(X, C, tau):
    return im.soft_fixed_point(X, C, tau, tol=1e-14, max_steps=3000)


# --------------------------------------------------------------------------- soft k-means


def test_soft_assign_is_the_gaussian_mixture_posterior() -> None:
    X, C = _problem(1)
    tau = 0.9
    # equal-weight isotropic Gaussians with variance tau / 2, densities from SciPy
    logp = np.stack(
        [multivariate_normal(c, (tau / 2) * np.eye(2)).logpdf(X.numpy()) for c in C.numpy()], 1
    )
    want = np.exp(logp - sp_logsumexp(logp, axis=1, keepdims=True))
    got = rx.soft_assign(X.numpy(), C.numpy(), tau)
    assert isinstance(got, np.ndarray) and got.shape == (40, 3)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_soft_kmeans_loss_matches_direct_logsumexp_and_bounds() -> None:
    X, C = _problem(2)
    D = _direct_sq(X, C).numpy()
    hard = float(ak.kmeans_loss(X, C))
    for tau in [0.01, 0.3, 1.0, 10.0, 1e4]:
        want = -tau * sp_logsumexp(-D / tau, axis=1).sum()
        got = float(rx.soft_kmeans_loss(X, C, tau))
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9)
        n, k = C.new_tensor(X.shape[0]), C.shape[0]
        assert hard - float(n) * tau * math.log(k) <= got <= hard
    # both limits: tau -> 0 gives the hard loss; tau -> inf expands as
    # -n tau log K + sum_i mean_k d_ik - sum_i var_k(d_ik) / (2 tau) + O(1 / tau^2)
    assert float(rx.soft_kmeans_loss(X, C, 1e-6)) == pytest.approx(hard, rel=1e-12)
    tau = 1e6
    far = -40 * tau * math.log(3) + D.mean(1).sum() - (D.var(1) / (2 * tau)).sum()
    assert float(rx.soft_kmeans_loss(X, C, tau)) == pytest.approx(far, rel=0, abs=1e-4)


def test_gradients_equal_the_closed_form_and_finite_differences() -> None:
    X, C = _problem(3)
    tau = 0.7
    Xg, Cg = X.clone().requires_grad_(), C.clone().requires_grad_()
    gX, gC = torch.autograd.grad(rx.soft_kmeans_loss(Xg, Cg, tau), (Xg, Cg))
    R = torch.softmax(-_direct_sq(X, C) / tau, 1)
    torch.testing.assert_close(gC, 2 * (R.sum(0)[:, None] * C - R.T @ X), rtol=0, atol=1e-11)
    torch.testing.assert_close(gX, 2 * (X - R @ C), rtol=0, atol=1e-11)
    # central finite differences (float64) of every function in both arguments
    Xs, Cs = X[:8].clone().requires_grad_(), C.clone().requires_grad_()
    for fn in (rx.soft_kmeans_loss, rx.soft_assign, rx.soft_lloyd_step):
        assert torch.autograd.gradcheck(lambda a, b, fn=fn: fn(a, b, tau), (Xs, Cs))


def test_soft_lloyd_is_a_gradient_step_with_lr_one_over_2N() -> None:
    X, C = _problem(4)
    tau = 1.3
    Cg = C.clone().requires_grad_()
    (g,) = torch.autograd.grad(rx.soft_kmeans_loss(X, Cg, tau), Cg)
    N = rx.soft_assign(X, C, tau).sum(0)
    torch.testing.assert_close(rx.soft_lloyd_step(X, C, tau), C - g / (2 * N[:, None]),
                               rtol=0, atol=1e-12)
    # another step size does not give it
    assert not torch.allclose(rx.soft_lloyd_step(X, C, tau), C - g / (4 * N[:, None]))


def test_soft_lloyd_decreases_the_soft_loss_monotonically() -> None:
    X, C = _problem(5, n=60, k=4)
    for tau in [0.05, 0.5, 3.0]:
        c, losses = C, []
        for _ in range(40):
            losses.append(float(rx.soft_kmeans_loss(X, c, tau)))
            c = rx.soft_lloyd_step(X, c, tau)
        diffs = np.diff(losses)
        assert (diffs <= 1e-12 * abs(losses[0])).all()
        assert losses[-1] < losses[0]


def test_small_temperature_limit_is_lloyd() -> None:
    X, C = _problem(6)
    D = _direct_sq(X, C).sort(dim=1).values
    assert float((D[:, 1] - D[:, 0]).min()) > 1e-2  # no near-tie: the limit is clean
    lloyd = ak.lloyd_step(X, C)
    torch.testing.assert_close(rx.soft_lloyd_step(X, C, 1e-5), lloyd, rtol=0, atol=1e-12)
    gaps = [float((rx.soft_lloyd_step(X, C, t) - lloyd).abs().max()) for t in [3.0, 1.0, 0.3]]
    assert min(gaps) > 1e-4  # and it is not Lloyd at a finite temperature


def test_straight_through_is_hard_forward_and_soft_backward() -> None:
    X, C = _problem(7)
    tau = 0.5
    Xa, Ca = X.clone().requires_grad_(), C.clone().requires_grad_()
    H = rx.straight_through_assign(Xa, Ca, tau)
    labels = ak.assign(X, C)
    assert torch.equal(H.detach(), torch.nn.functional.one_hot(labels, 3).double())
    w = torch.randn(H.shape, generator=torch.Generator().manual_seed(0), dtype=f64)
    got = torch.autograd.grad((H * w).sum(), (Xa, Ca))
    Xb, Cb = X.clone().requires_grad_(), C.clone().requires_grad_()
    want = torch.autograd.grad((rx.soft_assign(Xb, Cb, tau) * w).sum(), (Xb, Cb))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-13)
    out = rx.straight_through_assign(X.numpy(), C.numpy(), tau)
    assert isinstance(out, np.ndarray) and (out.sum(1) == 1).all()


def test_translation_invariance_far_from_the_origin() -> None:
    X, C = _problem(8)
    a = torch.tensor([3e6, -1e6], dtype=f64)
    tau = 0.8
    torch.testing.assert_close(rx.soft_assign(X + a, C + a, tau), rx.soft_assign(X, C, tau),
                               rtol=0, atol=1e-8)
    torch.testing.assert_close(rx.soft_lloyd_step(X + a, C + a, tau) - a,
                               rx.soft_lloyd_step(X, C, tau), rtol=0, atol=1e-8)
    assert float(rx.soft_kmeans_loss(X + a, C + a, tau)) == pytest.approx(
        float(rx.soft_kmeans_loss(X, C, tau)), rel=1e-8)
    # float32 at an offset of 1e4: same answers as a float64 direct-difference reference on the
    # same (rounded) float32 inputs
    X32, C32 = (X + 1e4).float(), (C + 1e4).float()
    want = torch.softmax(-_direct_sq(X32, C32) / tau, 1)
    got = rx.soft_assign(X32, C32, tau)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), want, rtol=0, atol=2e-4)
    J = im.fixed_point_jacobian(X + a, ak.fit(X + a, C + a).final_centers)
    torch.testing.assert_close(J, im.fixed_point_jacobian(X, ak.fit(X, C).final_centers))


@SMALL
@given(seed=st.integers(0, 10_000), tau=st.floats(1e-3, 1e3), k=st.integers(1, 5),
       offset=st.floats(-1e5, 1e5))
def test_property_bounds_rows_and_translation(seed, tau, k, offset) -> None:
    dtype = f64
    X, C = _problem(seed, n=12, k=k)
    R = rx.soft_assign(X, C, tau)
    torch.testing.assert_close(R.sum(1), torch.ones(12, dtype=dtype))
    L = float(rx.soft_kmeans_loss(X, C, tau))
    hard = float(ak.kmeans_loss(X, C))
    slack = 1e-9 * (abs(hard) + 12 * tau * math.log(k) + 1)
    assert hard - 12 * tau * math.log(k) - slack <= L <= hard + slack
    torch.testing.assert_close(rx.soft_assign(X + offset, C + offset, tau), R,
                               rtol=0, atol=1e-6)
    L1 = float(rx.soft_kmeans_loss(X, rx.soft_lloyd_step(X, C, tau), tau))
    assert L1 <= L + slack


@SMALL
@given(seed=st.integers(0, 10_000), tau=st.floats(1e-2, 10.0))
def test_property_straight_through_forward_is_the_nearest_centre(seed, tau) -> None:
    X, C = _problem(seed, n=10, k=3)
    D = _direct_sq(X, C).sort(dim=1).values
    assume(float((D[:, 1] - D[:, 0]).min()) > 1e-9)
    H = rx.straight_through_assign(X, C, tau)
    assert torch.equal(H.argmax(1), _direct_sq(X, C).argmin(1))
    assert torch.equal(H.sum(1), torch.ones(10, dtype=f64))


# --------------------------------------------------------------------------- annealing


def test_critical_temperature_is_twice_the_top_eigenvalue() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3)) @ np.diag([3.0, 1.0, 0.5]) + 7.0
    want = 2 * np.linalg.eigvalsh(np.cov(X.T, bias=True))[-1]
    assert math.isclose(rx.critical_temperature(X), want, rel_tol=1e-12)
    assert math.isclose(rx.critical_temperature(torch.from_numpy(X).float()), want, rel_tol=1e-5)


def test_equal_centres_stay_equal_and_split_below_tau_c_when_perturbed() -> None:
    X, _ = _problem(15, n=60, k=3)
    tau_c = rx.critical_temperature(X)
    start = X.mean(0).repeat(3, 1)
    # exactly equal: a fixed point of soft Lloyd at every temperature
    C, path = rx.anneal(X, start, [2 * tau_c, tau_c / 2, tau_c / 20], steps=20)
    assert path.shape == (3, 3, 2)
    assert float((C - C[0]).abs().max()) == 0.0
    # perturbed: together above tau_c (the perturbation shrinks), apart well below it
    taus = [1.5 * tau_c, 1.2 * tau_c, 0.5 * tau_c]
    _, path = rx.anneal(X, start, taus, steps=30, perturbation=1e-4, seed=1)
    spread = [float(torch.cdist(P, P).max()) for P in path]
    scale = float(((X - X.mean(0)) ** 2).sum(1).mean().sqrt())
    assert spread[0] < 1e-3 * scale and spread[1] < 1e-3 * scale
    assert spread[2] > 0.1 * scale
    # reproducible, NumPy in and out, and the steps are soft-Lloyd steps
    again, _ = rx.anneal(X, start, taus, steps=30, perturbation=1e-4, seed=1)
    torch.testing.assert_close(again, path[-1], rtol=0, atol=0)
    Cn, pn = rx.anneal(X.numpy(), start.numpy(), [1.0], steps=2)
    assert isinstance(Cn, np.ndarray) and pn.shape == (1, 3, 2)
    one = rx.soft_lloyd_step(X, rx.soft_lloyd_step(X, start + 0.1, 1.0), 1.0)
    torch.testing.assert_close(rx.anneal(X, start + 0.1, [1.0], steps=2)[0], one)


def test_anneal_from_the_mean_beats_a_poor_lloyd_start() -> None:
    X = torch.from_numpy(blobs(16, n=120, d=2, k=4, spread=0.5))
    schedule = [2 * rx.critical_temperature(X) * 0.8**j for j in range(30)]
    C, _ = rx.anneal(X, X.mean(0).repeat(4, 1), schedule, perturbation=1e-3)
    annealed = ak.fit(X, C).final_loss
    lloyd = min(ak.fit(X, ak.random_init(X, 4, seed=s)).final_loss for s in range(5))
    assert annealed <= lloyd * (1 + 1e-9)


def test_bad_annealing_arguments() -> None:
    X, C = _problem(17)
    with pytest.raises(ValueError, match="temperatures is empty"):
        rx.anneal(X, C, [])
    with pytest.raises(ValueError, match=r"temperatures\[1\] must be in \(0.0, inf\]"):
        rx.anneal(X, C, [1.0, 0.0])
    with pytest.raises(ValueError, match="steps=0"):
        rx.anneal(X, C, [1.0], steps=0)
    with pytest.raises(ValueError, match="perturbation=-1.0"):
        rx.anneal(X, C, [1.0], perturbation=-1.0)
    with pytest.raises(ValueError, match="seed=-1"):
        rx.anneal(X, C, [1.0], seed=-1)
    with pytest.raises(ValueError, match="X must be 2-D"):
        rx.critical_temperature(X[0])


def test_soft_fixed_point_converges_or_says_so() -> None:
    X, C0 = _problem(18)
    C = im.soft_fixed_point(X, C0, 0.7)
    step = rx.soft_lloyd_step(X, C, 0.7)
    assert float((step - C).abs().max()) <= 64 * torch.finfo(f64).eps * 10
    with pytest.raises(RuntimeError, match="did not reach tol"):
        im.soft_fixed_point(X, C0, 0.7, tol=1e-300, max_steps=5)
    assert isinstance(im.soft_fixed_point(X.numpy(), C0.numpy(), 0.7), np.ndarray)


# --------------------------------------------------------------------------- perturbed argmax


def _jac(theta, **kw):
    return torch.autograd.functional.jacobian(
        lambda t: rx.perturbed_argmax(t, generator=torch.Generator().manual_seed(1), **kw), theta
    )


def test_gumbel_perturbed_argmax_is_softmax_with_its_jacobian() -> None:
    theta = torch.tensor([1.0, 0.3, -0.5, 0.0], dtype=f64)
    M = 200_000
    for sigma in [0.5, 2.0]:
        p = torch.softmax(theta / sigma, 0)
        y = rx.perturbed_argmax(theta, sigma=sigma, n_samples=M,
                                generator=torch.Generator().manual_seed(0))
        se = torch.sqrt(p * (1 - p) / M)
        assert bool(((y - p).abs() <= 5 * se).all())
        J = _jac(theta, sigma=sigma, n_samples=M)
        want = (torch.diag(p) - torch.outer(p, p)) / sigma
        # each entry averages y_i (1 - E_j) / sigma with E ~ Exp(1): standard deviation <= 1/sigma
        torch.testing.assert_close(J, want, rtol=0, atol=5 / (sigma * math.sqrt(M)))
        assert not torch.allclose(J, torch.zeros_like(J), atol=1e-2)  # not argmax's zero


def test_normal_perturbed_argmax_matches_the_gaussian_cdf() -> None:
    theta = torch.tensor([0.2, -0.4], dtype=f64)
    sigma, M = 0.8, 200_000
    z = float(theta[1] - theta[0]) / (sigma * math.sqrt(2))
    p1 = norm.cdf(z)
    y = rx.perturbed_argmax(theta, sigma=sigma, n_samples=M, noise="normal",
                            generator=torch.Generator().manual_seed(0))
    assert abs(float(y[1]) - p1) <= 5 * math.sqrt(p1 * (1 - p1) / M)
    J = _jac(theta, sigma=sigma, n_samples=M, noise="normal")
    dp = norm.pdf(z) / (sigma * math.sqrt(2))
    want = torch.tensor([[dp, -dp], [-dp, dp]], dtype=f64)
    torch.testing.assert_close(J, want, rtol=0, atol=5 / (sigma * math.sqrt(M)))


def test_perturbed_argmax_expected_loss_gradient_by_enumeration() -> None:
    # a small k-means problem: one sample, K = 4 centres; choice k costs ||x - c_k||^2
    x = torch.tensor([0.3, -0.2], dtype=f64)
    C = torch.tensor([[0.0, 0.0], [1.0, 0.5], [-1.0, 1.0], [0.5, -1.5]], dtype=f64)
    cost = ((x - C) ** 2).sum(1)
    theta = torch.tensor([0.5, -0.2, 0.1, 0.0], dtype=f64, requires_grad=True)
    # exact gradient of E_{k ~ softmax(theta)} cost_k, enumerating the K choices
    (exact,) = torch.autograd.grad((torch.softmax(theta, 0) * cost).sum(), theta)
    M = 100_000
    y = rx.perturbed_argmax(theta, sigma=1.0, n_samples=M,
                            generator=torch.Generator().manual_seed(3))
    (est,) = torch.autograd.grad((y * cost).sum(), theta)
    bound = 5 * float(cost.abs().max()) / math.sqrt(M)
    torch.testing.assert_close(est, exact, rtol=0, atol=bound)


def test_perturbed_argmax_shapes_numpy_and_reproducibility() -> None:
    theta = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(0))
    a = rx.perturbed_argmax(theta, sigma=1.0, n_samples=50, generator=torch.Generator().manual_seed(9))
    b = rx.perturbed_argmax(theta, sigma=1.0, n_samples=50, generator=torch.Generator().manual_seed(9))
    assert a.shape == (3, 5, 4) and a.dtype == torch.float32 and torch.equal(a, b)
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 5))
    assert ((a * 50 - (a * 50).round()).abs() < 1e-4).all()  # averages of 50 one-hots
    t = theta.clone().requires_grad_()
    out = rx.perturbed_argmax(t, sigma=0.5, n_samples=20, noise="normal")
    out[..., 0].sum().backward()
    assert t.grad is not None and t.grad.shape == t.shape and bool(torch.isfinite(t.grad).all())
    y = rx.perturbed_argmax(theta.numpy(), sigma=1.0, n_samples=5)
    assert isinstance(y, np.ndarray) and y.shape == (3, 5, 4)


# --------------------------------------------------------------------------- implicit


def _lloyd_unrolled(X: torch.Tensor, C: torch.Tensor, steps: int) -> torch.Tensor:
    """Plain torch Lloyd: labels from the argmin (no gradient), means by a one-hot matmul."""
    for _ in range(steps):
        with torch.no_grad():
            labels = _direct_sq(X, C).argmin(1)
        onehot = torch.nn.functional.one_hot(labels, C.shape[0]).to(X.dtype)
        C = (onehot.T @ X) / onehot.sum(0)[:, None]
    return C


def test_hard_fixed_point_jacobian_three_ways() -> None:
    X, C0 = _problem(9, n=16, k=3)
    C = ak.fit(X, C0).final_centers
    J = im.fixed_point_jacobian(X, C)
    labels = ak.assign(X, C)
    counts = torch.bincount(labels, minlength=3).double()
    want = (torch.nn.functional.one_hot(labels, 3).double().T / counts[:, None])
    torch.testing.assert_close(J, want[:, None, :, None] * torch.eye(2, dtype=f64)[None, :, None])
    Ju = torch.autograd.functional.jacobian(lambda Xv: _lloyd_unrolled(Xv, C, 3), X)
    torch.testing.assert_close(J, Ju, rtol=0, atol=1e-15)
    h = 1e-6
    for i, b in [(0, 0), (5, 1), (11, 0), (15, 1)]:
        E = torch.zeros_like(X)
        E[i, b] = h
        fd = (ak.fit(X + E, C).final_centers - ak.fit(X - E, C).final_centers) / (2 * h)
        torch.testing.assert_close(fd, J[:, :, i, b], rtol=0, atol=1e-8)


def test_soft_fixed_point_jacobian_three_ways() -> None:
    X, C0 = _problem(10, n=14, k=2)
    tau = 1.5
    C = _converge_soft(X, C0, tau)
    J = im.fixed_point_jacobian(X, C, tau)

    def unrolled(Xv):
        c = C
        for _ in range(400):
            c = rx.soft_lloyd_step(Xv, c, tau)
        return c

    Ju = torch.autograd.functional.jacobian(unrolled, X)
    torch.testing.assert_close(J, Ju, rtol=0, atol=1e-10)
    h = 1e-5
    for i, b in [(0, 0), (3, 1), (13, 0)]:
        E = torch.zeros_like(X)
        E[i, b] = h
        fd = (_converge_soft(X + E, C, tau) - _converge_soft(X - E, C, tau)) / (2 * h)
        torch.testing.assert_close(fd, J[:, :, i, b], rtol=0, atol=1e-7)
    # the one-step Jacobian (dPhi/dX only) differs: the implicit term matters here
    one = torch.autograd.functional.jacobian(lambda Xv: rx.soft_lloyd_step(Xv, C, tau), X)
    assert float((one - J).abs().max()) > 1e-3
    # small temperature: tends to the hard answer; float32 and NumPy agree with float64
    J0 = im.fixed_point_jacobian(X, ak.fit(X, C0).final_centers)
    Cs = _converge_soft(X, ak.fit(X, C0).final_centers, 0.02)
    torch.testing.assert_close(im.fixed_point_jacobian(X, Cs, 0.02), J0, rtol=0, atol=1e-6)
    J32 = im.fixed_point_jacobian(X.float(), C.float(), tau)
    torch.testing.assert_close(J32.double(), J, rtol=0, atol=1e-4)
    Jn = im.fixed_point_jacobian(X.numpy(), C.numpy(), tau)
    assert isinstance(Jn, np.ndarray) and np.allclose(Jn, J.numpy(), atol=1e-12)


def test_fixed_point_jacobian_refuses_non_fixed_points_and_ties() -> None:
    X, C0 = _problem(11, n=20, k=3)
    with pytest.raises(ValueError, match="not a fixed point of lloyd_step"):
        im.fixed_point_jacobian(X, C0)
    with pytest.raises(ValueError, match=r"not a fixed point of soft_lloyd_step\(X, centers, 5.0\)"):
        im.fixed_point_jacobian(X, ak.fit(X, C0).final_centers, 5.0)
    # a Lloyd fixed point with an exact tie: sample 2 (at 0) is 2 from both centres
    Xt = torch.tensor([[-4.0], [-2.0], [0.0], [1.0], [3.0]], dtype=f64)
    Ct = torch.tensor([[-2.0], [2.0]], dtype=f64)
    assert torch.equal(ak.lloyd_step(Xt, Ct), Ct)
    with pytest.raises(ValueError, match="sample 2 is tied between centres 0 and 1"):
        im.fixed_point_jacobian(Xt, Ct)
    # ... where the re-converged centres jump: a move of 1e-9 changes centre 0 by 1
    up = ak.fit(Xt + torch.tensor([[0], [0], [1e-9], [0], [0]]), Ct).final_centers
    assert float((up - Ct).abs().max()) > 0.9
    # just off the tie it is fine (and soft temperatures never tie)
    Xo = Xt.clone()
    Xo[2] = -1e-3
    assert im.fixed_point_jacobian(Xo, ak.fit(Xo, Ct).final_centers).shape == (2, 1, 5, 1)
    # a looser tolerance accepts an almost-fixed point
    C1 = ak.fit(X, C0).final_centers + 1e-6
    with pytest.raises(ValueError, match="not a fixed point"):
        im.fixed_point_jacobian(X, C1)
    assert im.fixed_point_jacobian(X, C1, rtol=1e-6).shape == (3, 2, 20, 2)


@pytest.mark.parametrize("bad,exc,match", [
    (0.0, ValueError, r"temperature must be in \(0.0, inf\], got temperature=0.0"),
    (-1.0, ValueError, "temperature=-1.0"),
    (float("nan"), ValueError, "temperature must be finite"),
    ("hot", TypeError, "temperature='hot'"),
    (True, TypeError, "temperature=True"),
])
def test_bad_temperature(bad, exc, match) -> None:
    X, C = _problem(12)
    for fn in (rx.soft_assign, rx.soft_kmeans_loss, rx.soft_lloyd_step,
               rx.straight_through_assign):
        with pytest.raises(exc, match=match):
            fn(X, C, bad)
    if bad != 0.0:
        with pytest.raises(exc, match=match.replace(r"\(0.0", r"\[0.0")):
            im.fixed_point_jacobian(X, C, bad)


def test_bad_arrays_and_perturbation_arguments() -> None:
    X, C = _problem(13)
    with pytest.raises(ValueError, match="n_features=2 but centers has n_features=3"):
        rx.soft_assign(X, torch.zeros(3, 3, dtype=f64), 1.0)
    with pytest.raises(TypeError, match="dtype"):
        rx.soft_kmeans_loss(X, C.float(), 1.0)
    Xn = X.clone()
    Xn[4, 1] = float("nan")
    with pytest.raises(ValueError, match=r"X\[4, 1\] = nan"):
        rx.soft_lloyd_step(Xn, C, 1.0)
    theta = torch.zeros(4)
    cases = [
        ({"sigma": 0.0, "n_samples": 5}, ValueError, "sigma=0.0"),
        ({"sigma": 1.0, "n_samples": 0}, ValueError, "n_samples=0"),
        ({"sigma": 1.0, "n_samples": 2.5}, TypeError, "n_samples=2.5"),
        ({"sigma": 1.0, "n_samples": 5, "noise": "uniform"}, ValueError, "noise='uniform'"),
        ({"sigma": 1.0, "n_samples": 5, "generator": 3}, TypeError, "generator"),
    ]
    for kw, exc, match in cases:
        with pytest.raises(exc, match=match):
            rx.perturbed_argmax(theta, **kw)
    with pytest.raises(ValueError, match=r"shape \(\)"):
        rx.perturbed_argmax(torch.tensor(1.0), sigma=1.0, n_samples=2)
    with pytest.raises(ValueError, match=r"theta\[2\] = inf"):
        rx.perturbed_argmax(torch.tensor([0.0, 1.0, math.inf]), sigma=1.0, n_samples=2)
    with pytest.raises(TypeError, match="theta must be a torch.Tensor"):
        rx.perturbed_argmax([0.0, 1.0], sigma=1.0, n_samples=2)
    with pytest.raises(ValueError, match="rtol=0.0"):
        im.fixed_point_jacobian(X, ak.fit(X, C).final_centers, rtol=0.0)


def test_codebook_larger_than_batch_is_allowed() -> None:
    X, _ = _problem(14, n=3)
    C = torch.randn(8, 2, dtype=f64, generator=torch.Generator().manual_seed(0))
    assert rx.soft_assign(X, C, 1.0).shape == (3, 8)
    assert rx.straight_through_assign(X, C, 1.0).shape == (3, 8)
