"""Checks for lesson 07 (gradients through the choice).

1. :func:`check_score_function` — write the score-function (REINFORCE) estimator of the
   gradient of an expected loss, and let the check measure its bias.
2. :func:`check_critical_temperature` — predict the temperature at which annealing splits the
   first cluster.
3. :func:`check_most_influential` — read a fixed-point Jacobian: which sample moves centre 0 most?
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from . import ExerciseError, exercise, require

__all__ = [
    "EX1_CASES",
    "EX2_X",
    "check_critical_temperature",
    "check_most_influential",
    "check_score_function",
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


def _exact(theta: np.ndarray, costs: np.ndarray) -> np.ndarray:
    p = np.exp(theta - theta.max())
    p /= p.sum()
    return p * (costs - p @ costs)  # d/dtheta of p . costs = (diag p - p p^T) costs


def _wrong_no_log(theta: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """E[f(z) grad p_z] (the gradient of p_z instead of log p_z)."""
    p = np.exp(theta - theta.max())
    p /= p.sum()
    jac = np.diag(p) - np.outer(p, p)  # row k: grad of p_k
    return (p * costs) @ jac


@exercise(
    "Exercise 1 (score-function estimator)",
    "write score(theta, costs, n_samples, generator) returning an (n_samples, K) array: row m is "
    "f(z_m) * grad_theta log p_{z_m}(theta) for a choice z_m drawn from softmax(theta) "
    "(torch.multinomial takes a generator). grad_theta log softmax(theta)_z = onehot(z) - p.",
    code=True,
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
        exact = _exact(theta, costs)
        ok = np.abs(mean - exact) <= 5 * se + 1e-9
        if not ok.all() and (np.abs(mean - _wrong_no_log(theta, costs)) <= 5 * se + 1e-9).all():
            raise ExerciseError(
                "your estimates average to E[f(z) grad p_z], not the gradient: the score is "
                "grad log p_z = (grad p_z) / p_z = onehot(z) - p"
            )
        require(
            bool(ok.all()),
            f"biased: your estimates average to {np.round(mean, 4).tolist()} but the exact "
            f"gradient is {np.round(exact, 4).tolist()} (Monte Carlo standard errors "
            f"{np.round(se, 4).tolist()})",
        )


@exercise(
    "Exercise 2 (the first phase transition)",
    "linearise one soft-Lloyd step around c_1 = c_2 = mean of EX2_X: move c_1 by +eps*u and c_2 by "
    "-eps*u. To first order r_i1 = 1/2 + (eps/tau) (x_i - mean).u; work out the new c_1 and ask "
    "when the perturbation grows. Use the covariance with 1/n (np.cov(..., bias=True)).",
)
def check_critical_temperature(answer: Any) -> None:
    """``answer``: the temperature below which two centres at the mean of ``EX2_X`` split."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number, got {type(answer).__name__}") from e
    require(bool(np.isfinite(a)) and a > 0, f"a temperature is a positive number, got {a!r}")
    cov = np.cov(EX2_X.T, bias=True)
    lam = np.linalg.eigvalsh(cov)
    want = 2 * lam[-1]
    if math.isclose(a, lam[-1], rel_tol=1e-3):
        raise ExerciseError("off by a factor 2: d = ||x - c||^2 has derivative 2 (c - x)")
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
    require(math.isclose(a, want, rel_tol=1e-2),
            f"got tau = {a:.4g}; check the linearisation: the perturbation is multiplied by "
            "(2 / tau) times the covariance")


@exercise(
    "Exercise 3 (the most influential sample)",
    "J[0] has shape (n_features, n_samples, n_features): for every sample i take the Frobenius "
    "norm of J[0, :, i, :] (the 2 x 2 block dc_0/dx_i) and return the index of the largest.",
)
def check_most_influential(answer: Any, J: Any) -> None:
    """``answer``: the index ``i`` maximising ``||J[0, :, i, :]||_F`` for ``J`` from
    :func:`argmin_kmeans.relax.fixed_point_jacobian`."""
    Jn = J.detach().cpu().numpy() if isinstance(J, torch.Tensor) else np.asarray(J)
    require(Jn.ndim == 4, "J should be the (n_clusters, n_features, n_samples, n_features) array")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
        raise ExerciseError(f"answer should be a sample index (an int), got {answer!r}")
    n = Jn.shape[2]
    require(0 <= int(answer) < n, f"a sample index is in [0, {n - 1}], got {answer}")
    block = np.sqrt((Jn[0] ** 2).sum(axis=(0, 2)))  # (n,)
    total = np.sqrt((Jn**2).sum(axis=(1, 3))).sum(axis=0)
    want = int(np.argmax(block))
    if int(answer) == want:
        return
    if int(answer) == int(np.argmax(total)):
        raise ExerciseError("that sample moves all the centres most in total; the question is "
                            "about centre 0 only (J[0])")
    if int(answer) == int(np.argmin(block)):
        raise ExerciseError("that is the sample that moves centre 0 the *least*")
    raise ExerciseError(
        f"sample {int(answer)} moves centre 0 by {block[int(answer)]:.3g} per unit move; another "
        f"sample reaches {block.max():.3g}"
    )
