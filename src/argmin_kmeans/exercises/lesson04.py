r"""Checks for lesson 04, gradient descent vs EM (Lloyd) vs Newton.

The data the exercises use are module constants, shared by the notebook, the checks and the
worked solutions (:mod:`argmin_kmeans.exercises.solutions.lesson04`):

* :data:`EX_COUNTS`, the cluster sizes of the lesson's blobs (exercises 1 and 2);
* :data:`QUESTION_LR`, :data:`QUESTION_BATCH`, :data:`EX_NK`, :data:`EX_EPS` for exercise 3
  (the question's step size with batches of 100 points);
* exercise 4 draws its own random problems (fixed seeds) to test a hand-written Newton step.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch

from ..compare import best_global_lr, contraction_factors, iterations_to_shrink
from ..core import newton_step
from . import ExerciseError, exercise, require

__all__ = [
    "EX_COUNTS",
    "QUESTION_LR",
    "QUESTION_BATCH",
    "EX_NK",
    "EX_EPS",
    "check_contraction_factors",
    "check_best_global_lr",
    "check_question_iterations",
    "check_newton_by_hand",
]

#: Cluster sizes of the lesson's blobs (exercises 1 and 2).
EX_COUNTS = np.array([40, 80, 160, 320])
#: The question's step size and batch size (exercise 3).
QUESTION_LR = 1e-5
QUESTION_BATCH = 100
#: Exercise 3: a centre that owns 10 of the batch's 100 points, shrinking its distance 1000x.
EX_NK = 10
EX_EPS = 1e-3


@exercise(
    "Exercise 1 (contraction factors)",
    "with the labels fixed, c_k' = c_k - lr * 2 (n_k c_k - S_k). Subtract the mean S_k/n_k from "
    "both sides and factor out (c_k - S_k/n_k). Return a NumPy array, one factor per cluster.",
)
def check_contraction_factors(answer: Any) -> None:
    """``answer(counts, lr) -> rho``: the per-centre factor of one gradient step."""
    require(callable(answer), f"answer must be a function rho(counts, lr), got {type(answer).__name__}")
    cases = [(EX_COUNTS, 1 / 1200), (EX_COUNTS, 1 / 400), (np.array([1, 7, 0, 3]), 0.2),
             (np.array([100]), 1e-5)]
    for counts, lr in cases:
        got = np.asarray(answer(counts.copy(), lr), dtype=np.float64)
        want = contraction_factors(counts, lr)
        require(got.shape == want.shape,
                f"for counts={counts.tolist()} the answer has shape {got.shape}, expected "
                f"{want.shape}: one factor per cluster")
        if np.allclose(got, 1 - lr * counts, atol=1e-12) and not np.allclose(got, want):
            raise ExerciseError(
                f"for counts={counts.tolist()}, lr={lr:g} you return 1 - lr*n_k; the gradient is "
                f"2(n_k c_k - S_k), so the factor has a 2 in it")
        if np.allclose(got, 2 * lr * counts - 1, atol=1e-12):
            raise ExerciseError(f"the sign is flipped: with a tiny lr a centre barely moves, "
                                f"so the factor must be close to +1, got {got.tolist()}")
        require(np.allclose(got, want, rtol=0, atol=1e-12),
                f"for counts={counts.tolist()}, lr={lr:g}: got {np.round(got, 6).tolist()}, "
                f"expected {np.round(want, 6).tolist()}")


@exercise(
    "Exercise 2 (the best single step size)",
    "the slowest centre is either the smallest cluster (rho close to +1) or the largest "
    "(rho most negative). Minimise max(|1 - 2 lr n_min|, |1 - 2 lr n_max|): balance the two.",
)
def check_best_global_lr(answer: Any) -> None:
    """``answer``: the global step size minimising :math:`\\max_k |1 - 2\\eta n_k|` for
    :data:`EX_COUNTS`."""
    require(isinstance(answer, (int, float, np.floating)) and not isinstance(answer, bool),
            f"answer is one number (a step size), got {type(answer).__name__}")
    lr, rate = best_global_lr(EX_COUNTS)
    got = float(answer)
    worst = float(np.max(np.abs(1 - 2 * got * EX_COUNTS))) if math.isfinite(got) else math.inf
    if math.isclose(got, 1 / (2 * EX_COUNTS.max()), rel_tol=1e-9):
        raise ExerciseError(
            f"lr = 1/(2*{EX_COUNTS.max()}) is Newton's step for the largest cluster, but then the "
            f"smallest has rho = {1 - 2 * got * EX_COUNTS.min():.4f}: the worst factor is "
            f"{worst:.4f}, the best achievable is {rate:.4f}")
    if math.isclose(got, 1 / (2 * EX_COUNTS.min()), rel_tol=1e-9):
        raise ExerciseError(
            f"lr = 1/(2*{EX_COUNTS.min()}) is Newton's step for the smallest cluster; the largest "
            f"then has rho = {1 - 2 * got * EX_COUNTS.max():.4f} and diverges")
    require(math.isclose(got, lr, rel_tol=1e-6),
            f"lr = {got:.6g} leaves a worst factor max|rho_k| = {worst:.4f}; a better lr gives "
            f"{rate:.4f}. At the optimum the two extreme factors are opposite: "
            f"1 - 2 lr n_min = -(1 - 2 lr n_max)")


@exercise(
    "Exercise 3 (the question's step size)",
    "one step multiplies the distance by rho = 1 - 2 * lr * n_k. After t steps it is rho**t; "
    "solve rho**t <= eps for the smallest integer t (math.log, math.ceil).",
)
def check_question_iterations(answer: Any) -> None:
    """``answer``: steps until a centre owning :data:`EX_NK` of a batch of
    :data:`QUESTION_BATCH` points at ``lr =`` :data:`QUESTION_LR` is :data:`EX_EPS` times as
    far from the batch mean (labels and batch held fixed)."""
    require(isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
            f"answer is a whole number of steps, got {answer!r}")
    rho = 1 - 2 * QUESTION_LR * EX_NK
    want = iterations_to_shrink(rho, EX_EPS)
    got = int(answer)
    if got == want - 1:
        raise ExerciseError(f"{got} steps leave the distance at rho**{got} = {rho ** got:.6g} > "
                            f"{EX_EPS:g}: round up, not down")
    if abs(got - iterations_to_shrink(1 - QUESTION_LR * EX_NK, EX_EPS)) <= 1:
        raise ExerciseError("that is the count for rho = 1 - lr*n_k; the gradient 2(n_k c_k - S_k) "
                            "puts a factor 2 in rho")
    require(got == want,
            f"{got} steps give rho**t = {rho ** got:.6g} (rho = {rho}); the first t with "
            f"rho**t <= {EX_EPS:g} is what is asked")


def _problems() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Random (X, centers) in float64, one with an empty cluster, fixed seeds."""
    out = []
    for seed, (n, d, k) in enumerate([(30, 2, 3), (50, 4, 5), (12, 1, 2), (40, 3, 4)]):
        g = torch.Generator().manual_seed(seed)
        X = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
        C = torch.randn(k, d, generator=g, dtype=torch.float64)
        out.append((X, C))
    X, C = out[-1]
    C = C.clone()
    C[0] = 1e3  # owns no sample: its gradient is 0 and its Hessian block singular
    out[-1] = (X, C)
    return out


@exercise(
    "Exercise 4 (a Newton step by hand)",
    "assign first (ak.assign); then, per centre, its count n_k and sum S_k give the gradient "
    "2(n_k c_k - S_k) and the Hessian block 2 n_k I, and the step is H^-1 g. Leave a centre with "
    "n_k = 0 where it is.",
)
def check_newton_by_hand(answer: Any) -> None:
    """``answer(X, C) -> new C``: one Newton step from the gradient and Hessian, for float64
    tensors ``X`` (n, d) and ``C`` (k, d)."""
    require(callable(answer), f"answer must be a function newton(X, C), got {type(answer).__name__}")
    for X, C in _problems():
        C_in = C.clone()
        got = answer(X, C)
        require(torch.equal(C, C_in), "your function changed its input C in place; return a new tensor")
        got = torch.as_tensor(got, dtype=torch.float64)
        want = newton_step(X, C)
        require(got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}")
        require(bool(torch.isfinite(got).all()),
                "your step returned NaN or inf: a cluster with n_k = 0 has a singular Hessian "
                "block (2 * 0 = 0); keep that centre where it is")
        err = float((got - want).abs().max())
        require(err < 1e-9 * float(X.abs().max()),
                f"largest difference from argmin_kmeans.newton_step is {err:.3g} "
                f"(n={X.shape[0]}, d={X.shape[1]}, k={C.shape[0]}); did you divide the gradient "
                "by 2 * n_k (the Hessian block), not by n_k or by n?")


_CHECKS: tuple[Callable[..., bool], ...] = (
    check_contraction_factors, check_best_global_lr, check_question_iterations,
    check_newton_by_hand,
)
