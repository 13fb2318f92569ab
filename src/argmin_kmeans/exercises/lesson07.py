"""Checks for lesson 07 (gradients through the choice).

1. :func:`check_score_function` — write the score-function (REINFORCE) estimator of the
   gradient of an expected loss, and let the check measure its bias.
2. :func:`check_critical_temperature` — compute the temperature below which one soft-Lloyd step
   makes a small gap between two centres at the mean of a new data set grow.
3. :func:`check_straight_through_gumbel` — write the straight-through Gumbel-softmax sample:
   one-hot forward, the soft sample's gradient backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..relax import perturbed_argmax, soft_lloyd_step, straight_through_assign
from . import ExerciseError, exercise, require

__all__ = [
    "EX1_CASES",
    "EX2_X",
    "EX3_COSTS",
    "EX3_TAU",
    "EX3_THETA",
    "check_critical_temperature",
    "check_score_function",
    "check_straight_through_gumbel",
]

#: Exercise 1: (theta, costs) pairs; the expected loss is sum_k softmax(theta)_k costs_k.
EX1_CASES = [
    (np.array([0.5, -0.2, 0.1, 0.0]), np.array([0.13, 0.74, 2.13, 1.85])),
    (np.array([1.5, 0.0, -1.0]), np.array([2.0, -1.0, 0.5])),
]

#: Exercise 2: 40 samples of an elongated 2-D cloud (float64).
EX2_X = (
    np.random.default_rng(7).normal(size=(40, 2))
    @ np.diag([2.0, 0.7])
    @ np.array([[math.cos(0.5), math.sin(0.5)], [-math.sin(0.5), math.cos(0.5)]])
    + np.array([3.0, -1.0])
)

#: Exercise 3: scores, costs of the four choices, and the temperature of the soft sample.
EX3_THETA = np.array([0.5, -0.2, 0.1, 0.0])
EX3_COSTS = np.array([0.13, 0.98, 3.13, 1.73])
EX3_TAU = 0.5


@exercise(
    "Exercise 1 (score-function estimator)",
    "write score(theta, costs, n_samples, generator) returning an (n_samples, K) array: row m is "
    "f(z_m) * grad_theta log p_{z_m}(theta) for a choice z_m drawn from softmax(theta) "
    "(torch.multinomial takes a generator). grad_theta log pi_z(theta) = onehot(z) - pi, with "
    "pi = softmax(theta).",
    code=True,
    forbid=(perturbed_argmax,),
)
def check_score_function(answer: Callable[..., Any]) -> None:
    """``answer``: a function ``(theta (K,), costs (K,), n_samples, generator) -> (n_samples, K)``
    of one-sample gradient estimates; the check measures their mean against the exact gradient."""
    require(callable(answer), f"answer should be a function, got {type(answer).__name__}")
    M = 40_000
    for j, (theta, costs) in enumerate(EX1_CASES):
        th, c = torch.tensor(theta), torch.tensor(costs)
        try:
            G = answer(th.clone(), c.clone(), M, torch.Generator().manual_seed(j))
        except Exception as e:  # the student's code: report, do not crash the check
            raise ExerciseError(f"your function raised {type(e).__name__}: {e}") from e
        if isinstance(G, torch.Tensor):
            G = G.detach().cpu().numpy()
        try:
            G = np.asarray(G, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ExerciseError("return an (n_samples, K) array of numbers") from e
        K = len(theta)
        require(G.shape == (M, K), f"expected shape ({M}, {K}) (one estimate per row), "
                f"got {G.shape}")
        require(bool(np.isfinite(G).all()), "your estimates contain NaN or inf")
        require(float(G.std(axis=0).max()) > 1e-9,
                "every row is the same: that is not a Monte Carlo estimate (draw one choice per "
                "row; the exact gradient by enumeration is what the estimate is compared with)")
        mean, se = G.mean(axis=0), G.std(axis=0) / math.sqrt(M)
        pi = np.exp(theta - theta.max())
        pi /= pi.sum()
        jac = np.diag(pi) - np.outer(pi, pi)  # row k: grad of pi_k; symmetric
        exact = jac @ costs  # the gradient of pi . costs, by enumeration
        ok = np.abs(mean - exact) <= 5 * se + 1e-9
        no_log = (pi * costs) @ jac  # E[f(z) grad pi_z]: grad pi_z instead of grad log pi_z
        if not ok.all() and (np.abs(mean - no_log) <= 5 * se + 1e-9).all():
            raise ExerciseError(
                "your estimates average to E[f(z) grad pi_z], not the gradient: the score is "
                "grad log pi_z = (grad pi_z) / pi_z = onehot(z) - pi"
            )
        require(
            bool(ok.all()),
            f"biased: your estimates average to {np.round(mean, 4).tolist()} but the exact "
            f"gradient is {np.round(exact, 4).tolist()} (Monte Carlo standard errors "
            f"{np.round(se, 4).tolist()})",
        )


@exercise(
    "Exercise 2 (the first phase transition)",
    "the lesson's linearisation: one soft-Lloyd step multiplies the gap between two centres at "
    "the mean by (2 / tau) times the covariance of the data, so along the top eigenvector the "
    "gap is multiplied by 2 lambda_max / tau. Compute lambda_max of EX2_X with the covariance "
    "divided by n (np.cov(EX2_X.T, bias=True), then np.linalg.eigvalsh).",
)
def check_critical_temperature(answer: Any) -> None:
    """``answer``: the temperature at which one soft-Lloyd step leaves unchanged a small gap,
    along the top eigenvector of the covariance, between two centres at the mean of ``EX2_X``
    (below it the gap grows). The check runs that step at ``answer`` and measures the gap."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number, got {type(answer).__name__}") from e
    require(bool(np.isfinite(a)) and a > 0, f"a temperature is a positive number, got {a!r}")
    X = torch.tensor(EX2_X)
    lam, vecs = np.linalg.eigh(np.cov(EX2_X.T, bias=True))
    u = torch.tensor(vecs[:, -1])
    gap0 = 1e-5
    C = X.mean(0) + (gap0 / 2) * torch.stack([u, -u])
    step = torch.as_tensor(soft_lloyd_step(X, C, a))
    ratio = float((step[0] - step[1]).norm()) / gap0  # the gap's growth factor in one step
    if abs(ratio - 1) <= 1e-2:
        return
    if math.isclose(a, lam[-1], rel_tol=1e-3):
        raise ExerciseError("off by a factor 2: d = ||x - c||^2 has derivative 2 (c - x), so "
                            "tau_c = 2 lambda_max")
    if math.isclose(a, 2 * np.linalg.eigvalsh(np.cov(EX2_X.T))[-1], rel_tol=1e-3):
        raise ExerciseError(
            "that uses the sample covariance (divided by n - 1); the soft-Lloyd step averages "
            "over the n samples: use np.cov(EX2_X.T, bias=True)"
        )
    if math.isclose(a, 2 * lam[0], rel_tol=1e-3):
        raise ExerciseError(
            "that is the smallest eigenvalue's direction: the split happens along the direction "
            "that becomes unstable first, as the temperature falls"
        )
    if math.isclose(a, 2 * lam.sum(), rel_tol=1e-3) or math.isclose(a, lam.sum(), rel_tol=1e-3):
        raise ExerciseError("the total variance (trace) mixes both directions; the split happens "
                            "along one of them")
    raise ExerciseError(
        f"got tau = {a:.4g}: one soft-Lloyd step there multiplies the gap by {ratio:.3f}, not by "
        "1 (within 1 %); check the linearisation: the gap is multiplied by (2 / tau) times the "
        "covariance of EX2_X (not of the lesson's blobs)"
    )


def _draw(sample: Callable[..., Any], M: int, seed: int) -> tuple[torch.Tensor, Any]:
    """``M`` copies of EX3_THETA (requiring grad) and ``sample``'s output on them."""
    theta = torch.tensor(EX3_THETA).expand(M, -1).clone().requires_grad_()
    return theta, sample(theta, EX3_TAU, torch.Generator().manual_seed(seed))


def _grads(theta: torch.Tensor, y: torch.Tensor) -> np.ndarray | None:
    """Per-row gradients of ``y . EX3_COSTS`` (``None`` if no gradient reaches theta)."""
    if not y.requires_grad:
        return None
    cost = torch.tensor(EX3_COSTS, dtype=y.dtype)
    (grad,) = torch.autograd.grad((y @ cost).sum(), theta, allow_unused=True)
    return None if grad is None else grad.detach().double().numpy()


@exercise(
    "Exercise 3 (straight-through Gumbel-softmax)",
    "three steps, as in section 2: Gumbel noise G = -log(E) with E exponential "
    "(torch.empty_like(theta).exponential_(generator=generator)); the soft sample "
    "softmax((theta + G) / tau) along dim 1; its one-hot argmax (F.one_hot, in theta's dtype). "
    "Then combine hard and soft so that the value is hard and the gradient is soft's.",
    code=True,
    forbid=(F.gumbel_softmax, straight_through_assign),
)
def check_straight_through_gumbel(answer: Callable[..., Any]) -> None:
    """``answer``: a function ``(theta (M, K) requiring grad, tau, generator) -> (M, K)``: one
    straight-through Gumbel-softmax sample per row. The check tests the forward (one-hot rows
    with the frequencies softmax(theta)) and the mean of the gradients of ``y . EX3_COSTS``
    against the reference estimator's."""
    require(callable(answer), f"answer should be a function, got {type(answer).__name__}")
    M, K = 40_000, len(EX3_THETA)
    try:
        theta, y = _draw(answer, M, seed=3)
    except Exception as e:  # the student's code: report, do not crash the check
        raise ExerciseError(f"your function raised {type(e).__name__}: {e}") from e
    require(isinstance(y, torch.Tensor),
            f"return a torch tensor (autograd must reach theta), got {type(y).__name__}")
    require(tuple(y.shape) == (M, K), f"expected shape ({M}, {K}) (one sample per row), got "
            f"{tuple(y.shape)}")
    v = y.detach().double()
    require(bool(torch.isfinite(v).all()), "your samples contain NaN or inf")
    onehot = ((v - v.round()).abs().max() < 1e-9) and bool((v.round().sum(1) == 1).all())
    if not onehot:
        if bool(((v.sum(1) - 1).abs() < 1e-9).all()) and bool((v >= 0).all()):
            raise ExerciseError("that is the soft sample: the forward value must be the hard "
                                "one-hot sample, hard - soft.detach() + soft")
        raise ExerciseError("each row's value must be a one-hot vector (a single 1)")
    freq = v.round().mean(0).numpy()
    p = np.exp(EX3_THETA - EX3_THETA.max())
    p /= p.sum()
    if freq.max() == 1.0:
        raise ExerciseError("every row picks the same choice: add Gumbel noise to theta before "
                            "the argmax (argmax(theta + G) is distributed as softmax(theta))")
    se = np.sqrt(p * (1 - p) / M)
    require(bool((np.abs(freq - p) <= 5 * se).all()),
            f"the one-hot rows come out with frequencies {np.round(freq, 3).tolist()}, but "
            f"argmax(theta + G) is distributed as softmax(theta) = {np.round(p, 3).tolist()}")
    try:
        grads = _grads(theta, y)
    except RuntimeError as e:  # e.g. a graph that does not reach theta
        raise ExerciseError(f"the backward failed: {e}") from e
    require(grads is not None, "no gradient reaches theta: the backward must be the soft "
            "sample's (return hard - soft.detach() + soft, without detaching soft everywhere)")
    assert grads is not None  # for mypy
    require(float(np.abs(grads).max()) > 0, "the gradient is zero: hard - soft + soft has no "
            "gradient left; detach one of the two soft terms: hard - soft.detach() + soft")
    theta_ref = torch.tensor(EX3_THETA).expand(4 * M, -1).clone().requires_grad_()
    expo = torch.empty(theta_ref.shape, dtype=theta_ref.dtype)
    gumbel = -expo.exponential_(generator=torch.Generator().manual_seed(4)).log()
    soft = torch.softmax((theta_ref + gumbel) / EX3_TAU, dim=-1)
    hard = F.one_hot(soft.argmax(-1), K).to(soft.dtype)
    ref = _grads(theta_ref, hard - soft.detach() + soft)  # straight-through Gumbel, in the check
    assert ref is not None
    mean, want = grads.mean(0), ref.mean(0)
    tol = 5 * np.sqrt(grads.var(0) / M + ref.var(0) / (4 * M)) + 1e-9
    if not (np.abs(mean - want) <= tol).all() and (np.abs(mean + want) <= tol).all():
        raise ExerciseError("the gradient has the wrong sign: return hard - soft.detach() + "
                            "soft, not hard + soft.detach() - soft")
    require(
        bool((np.abs(mean - want) <= tol).all()),
        f"your gradients average to {np.round(mean, 3).tolist()}, the straight-through "
        f"Gumbel estimator's to {np.round(want, 3).tolist()}: the backward should be that of "
        f"softmax((theta + G) / tau) at tau = {EX3_TAU}",
    )
