"""Lesson 07 exercises: every check accepts the worked solution, rejects wrong answers helpfully,
and treats ``None`` as "not attempted yet"."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from argmin_kmeans import relax as rx
from argmin_kmeans.exercises import ExerciseError
from argmin_kmeans.exercises import lesson07 as ex
from argmin_kmeans.exercises.solutions import lesson07 as sol
from exercise_contract import exercise_contract  # tests/ is on sys.path under pytest


@pytest.fixture(scope="module")
def J() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    means = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    X = means.repeat_interleave(20, 0) + 0.8 * torch.randn(60, 2, generator=g, dtype=torch.float64)
    C = means.clone()
    for _ in range(3000):
        C, old = rx.soft_lloyd_step(X, C, 0.5), C
        if float((C - old).abs().max()) < 1e-13:
            break
    return rx.fixed_point_jacobian(X, C, 0.5)


@pytest.fixture(scope="module")
def J_args(J) -> tuple[torch.Tensor]:
    return (J,)


test_exercise_contract = exercise_contract(ex, sol, {"most_influential": "J_args"})


def test_exercise3_accepts_a_numpy_jacobian(capsys, J) -> None:
    assert ex.check_most_influential(sol.most_influential(J.numpy()), J.numpy())
    assert "correct." in capsys.readouterr().out


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
        (_no_log, "grad log p_z"),
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


def test_exercise3_rejects(J) -> None:
    block = (J[0] ** 2).sum(dim=(0, 2)).sqrt()
    total = (J**2).sum(dim=(1, 3)).sqrt().sum(0)
    assert int(total.argmax()) != int(block.argmax())  # the fixture tells the two apart
    with pytest.raises(ExerciseError, match="in total"):
        ex.check_most_influential(int(total.argmax()), J)
    with pytest.raises(ExerciseError, match="least"):
        ex.check_most_influential(int(block.argmin()), J)
    other = int(block.argsort()[len(block) // 2])
    with pytest.raises(ExerciseError, match="another"):
        ex.check_most_influential(other, J)
    with pytest.raises(ExerciseError, match="in \\[0, 59\\]"):
        ex.check_most_influential(60, J)
    with pytest.raises(ExerciseError, match="an int"):
        ex.check_most_influential(3.0, J)
    with pytest.raises(ExerciseError, match="an int"):
        ex.check_most_influential(True, J)
    with pytest.raises(ExerciseError, match="n_clusters, n_features"):
        ex.check_most_influential(0, J[0])
