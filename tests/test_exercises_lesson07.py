"""Lesson 07 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from solutions import lesson07 as sol  # instructor/solutions (pytest's pythonpath)

from argmin_kmeans import relax as rx
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson07 as ex
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest

test_exercise_contract = exercise_contract(ex, sol)


def _no_log(theta, costs, n_samples, generator):
    p = torch.softmax(theta, 0)
    z = torch.multinomial(p, n_samples, replacement=True, generator=generator)
    jac = torch.diag(p) - torch.outer(p, p)
    return costs[z][:, None] * jac[z]  # grad p_z instead of grad log p_z


def _gumbel_softmax(theta, costs, n_samples, generator):
    t = theta.expand(n_samples, -1).clone().requires_grad_()
    gumb = -torch.empty(t.shape, dtype=t.dtype).exponential_(generator=generator).log()
    z = torch.softmax((t + gumb) / 0.5, 1)
    (z @ costs).sum().backward()
    return t.grad


def _exact_repeated(theta, costs, n_samples, generator):
    p = torch.softmax(theta, 0)
    return ((torch.diag(p) - torch.outer(p, p)) @ costs).expand(n_samples, -1)


@pytest.mark.parametrize(
    "answer,message",
    [
        (_no_log, "grad log pi_z"),
        (_gumbel_softmax, "biased"),
        (_exact_repeated, "every row is the same"),
        (lambda t, c, m, g: torch.zeros(m, 2) + torch.randn(m, 2), "shape"),
        (lambda t, c, m, g: 1 / 0, "ZeroDivisionError"),
        (lambda t, c, m, g: torch.full((m, len(t)), float("nan")), "NaN"),
        (lambda t, c, m, g: "grad", "array of numbers"),
        (3, "should be a function"),
    ],
)
def test_exercise1_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_score_function(answer)


def test_exercise1_baseline_version_is_accepted_too(capsys) -> None:
    def with_baseline(theta, costs, n_samples, generator):
        p = torch.softmax(theta, 0)
        return sol.score_function(theta, costs - p @ costs, n_samples, generator)

    assert ex.check_score_function(with_baseline)


def test_exercise2_prediction_holds_in_a_simulation() -> None:
    """Two centres at the mean of EX2_X, pulled apart by 1e-4 along the top eigenvector: above
    the predicted temperature soft Lloyd pulls them together, below it they split."""
    X = torch.tensor(ex.EX2_X)
    tau_c = sol.critical_temperature()
    u = torch.tensor(np.linalg.eigh(np.cov(ex.EX2_X.T, bias=True))[1][:, -1])
    for factor, grows in [(1.05, False), (0.95, True)]:
        C = X.mean(0) + 1e-4 * torch.stack([u, -u])
        for _ in range(30):
            C = rx.soft_lloyd_step(X, C, factor * tau_c)
        assert (float((C[0] - C[1]).norm()) > 2e-4) == grows


@pytest.mark.parametrize(
    "which,message",
    [
        ("lam", "factor 2"),
        ("sample_cov", "n - 1"),
        ("lam_min", "smallest eigenvalue"),
        ("trace", "trace"),
        ("off", "got tau"),
        ("neg", "positive"),
        ("str", "a number"),
    ],
)
def test_exercise2_rejects(which, message) -> None:
    lam = np.linalg.eigvalsh(np.cov(ex.EX2_X.T, bias=True))
    answers = {
        "lam": lam[-1],
        "sample_cov": 2 * np.linalg.eigvalsh(np.cov(ex.EX2_X.T))[-1],
        "lam_min": 2 * lam[0],
        "trace": 2 * lam.sum(),
        "off": 1.1 * 2 * lam[-1],
        "neg": -1.0,
        "str": "hot",
    }
    with pytest.raises(ExerciseError, match=message):
        ex.check_critical_temperature(answers[which])


def _soft_only(theta, tau, generator):
    gumbel = -torch.empty_like(theta).exponential_(generator=generator).log()
    return torch.softmax((theta + gumbel) / tau, dim=1)


def _no_detach(theta, tau, generator):
    soft = _soft_only(theta, tau, generator)
    hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
    return hard - soft + soft


def _flipped(theta, tau, generator):
    soft = _soft_only(theta, tau, generator)
    hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
    return hard + soft.detach() - soft


def _no_noise(theta, tau, generator):
    soft = torch.softmax(theta / tau, dim=1)
    hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
    return hard - soft.detach() + soft


def _hard_only(theta, tau, generator):
    return sol.straight_through_gumbel(theta, tau, generator).detach()


def _noise_scaled_by_tau(theta, tau, generator):  # argmax(theta + tau G): wrong frequencies
    gumbel = -torch.empty_like(theta).exponential_(generator=generator).log()
    soft = torch.softmax(theta / tau + gumbel, dim=1)
    hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
    return hard - soft.detach() + soft


def _wrong_temperature(theta, tau, generator):  # right forward, backward at tau = 5
    return sol.straight_through_gumbel(theta, 5.0, generator)


@pytest.mark.parametrize(
    "answer,message",
    [
        (_soft_only, "soft sample"),
        (_no_detach, "gradient is zero"),
        (_flipped, "wrong sign"),
        (_no_noise, "same choice"),
        (_hard_only, "no gradient reaches theta"),
        (_noise_scaled_by_tau, "frequencies"),
        (_wrong_temperature, "average to"),
        (lambda t, tau, g: t[:, :2], "shape"),
        (lambda t, tau, g: t.detach().numpy(), "torch tensor"),
        (lambda t, tau, g: 1 / 0, "ZeroDivisionError"),
        (lambda t, tau, g: torch.full_like(t, float("nan")), "NaN"),
        (lambda t, tau, g: 2 * sol.straight_through_gumbel(t, tau, g), "one-hot"),
        (3, "should be a function"),
    ],
)
def test_exercise3_rejects(answer, message) -> None:
    with pytest.raises(ExerciseError, match=message):
        ex.check_straight_through_gumbel(answer)


def test_exercise3_accepts_the_torch_distributions_route() -> None:
    """RelaxedOneHotCategorical's rsample (global generator) made hard is the same estimator."""
    def via_distributions(theta, tau, generator):
        torch.manual_seed(0)
        soft = torch.distributions.RelaxedOneHotCategorical(
            torch.tensor(tau, dtype=theta.dtype), logits=theta).rsample()
        hard = torch.nn.functional.one_hot(soft.argmax(1), theta.shape[1]).to(theta.dtype)
        return hard - soft.detach() + soft

    assert ex.check_straight_through_gumbel(via_distributions)


def test_exercise2_check_is_the_experiment() -> None:
    """The check accepts the temperature where one soft-Lloyd step keeps a small gap along the
    top eigenvector (2 lambda_max) and rejects 2 % either side."""
    tau_c = sol.critical_temperature()
    assert ex.check_critical_temperature(tau_c)
    for factor in (0.98, 1.02):
        with pytest.raises(ExerciseError, match="multiplies the gap"):
            ex.check_critical_temperature(factor * tau_c)


def test_code_exercises_reject_the_library_functions() -> None:
    with pytest.raises(ExerciseError, match="write it yourself"):
        ex.check_score_function(
            lambda t, c, m, g: rx.perturbed_argmax(t, sigma=1.0, n_samples=m, generator=g))
    with pytest.raises(ExerciseError, match="write it yourself"):
        ex.check_straight_through_gumbel(
            lambda t, tau, g: torch.nn.functional.gumbel_softmax(t, tau, hard=True))


def test_no_reference_helpers_in_the_check_module() -> None:
    assert not [name for name in vars(ex) if name.startswith(("_exact", "_reference", "_st_"))]
