r"""Checks for lesson 04, gradient descent vs EM (Lloyd) vs Newton.

The data the exercises use are module constants, shared by the notebook, the checks and the
worked solutions (instructor material, ``instructor/solutions/lesson04.py`` in the course
repository). They are deliberately not the numbers the lesson prints, so that no answer is in
view:

* exercise 1 (contraction factors of the *mean* loss) uses :data:`EX_COUNTS` and a few other
  cluster sizes;
* exercise 2 (a prediction: one soft-EM step at the temperature :data:`HOT_TAU`) uses
  iris and the lesson's start ``random_init(X, 3, seed=0)``;
* :data:`EX_NK`, :data:`EX_STEPS`, :data:`EX_SHRINK` for exercise 3 (the step size that shrinks a
  centre's distance 1000x in 100 steps), next to the question's :data:`QUESTION_LR` and
  :data:`QUESTION_BATCH`;
* exercise 4 draws its own random problems (fixed seeds) to test a hand-written Newton step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..core import lloyd_step, newton_step
from ..datasets import load_dataset
from ..initialization import random_init
from ..relax import soft_lloyd_step
from ..theory import contraction_factors
from . import ExerciseError, exercise, require

__all__ = [
    "EX_COUNTS",
    "HOT_TAU",
    "QUESTION_LR",
    "QUESTION_BATCH",
    "EX_NK",
    "EX_STEPS",
    "EX_SHRINK",
    "check_contraction_factors",
    "check_hot_em_step",
    "check_smallest_lr",
    "check_newton_by_hand",
]

#: Cluster sizes for exercise 1: five clusters of 600 points, in no particular order.
EX_COUNTS = np.array([150, 30, 210, 90, 120])
#: Exercise 2: the temperature tau (twice the variance) of one very hot soft-EM step on iris.
HOT_TAU = 1e6
#: The question's step size and batch size (section 3 of the lesson, exercise 3).
QUESTION_LR = 1e-5
QUESTION_BATCH = 100
#: Exercise 3: a centre that owns m_k = 10 points of a batch (EX_NK keeps its old name),
#: to be brought 1000x closer to the batch mean in 100 steps.
EX_NK = 10
EX_STEPS = 100
EX_SHRINK = 1e-3


@exercise(
    "Exercise 1 (contraction factors of the mean loss)",
    "the mean loss is L(c) / n with n = sum of the counts, so its gradient is "
    "2(n_k c_k - S_k) / n. Write one step c_k' = c_k - lr * gradient, subtract the mean "
    "S_k/n_k from both sides and factor out (c_k - S_k/n_k). Return a NumPy array, one factor "
    "per cluster.",
    code=True,
)
def check_contraction_factors(answer: Any) -> None:
    """``answer(counts, lr) -> rho``: the per-centre factor of one gradient step on the mean
    loss :math:`L(c)/n`, :math:`n = \\sum_k n_k`."""
    require(callable(answer),
            f"answer must be a function rho(counts, lr), got {type(answer).__name__}")
    cases = [(EX_COUNTS, 0.5), (EX_COUNTS, 2.0), (np.array([1, 7, 0, 3]), 0.5),
             (np.array([100]), 0.25)]
    for counts, lr in cases:
        got = np.asarray(answer(counts.copy(), lr), dtype=np.float64)
        n = int(counts.sum())
        # the mean loss is the summed loss with the step size divided by n
        want = contraction_factors(counts.astype(np.float64), lr / n)
        require(got.shape == want.shape,
                f"for counts={counts.tolist()} the answer has shape {got.shape}, expected "
                f"{want.shape}: one factor per cluster")
        if np.allclose(got, contraction_factors(counts, lr), atol=1e-12):
            raise ExerciseError(
                f"for counts={counts.tolist()}, lr={lr:g} you return 1 - 2 lr n_k, the factor of "
                f"the summed loss (section 3); the mean loss divides the gradient by n = {n}")
        if np.allclose(got, 1 - lr * counts / n, atol=1e-12):
            raise ExerciseError(
                f"for counts={counts.tolist()}, lr={lr:g} you return 1 - lr n_k / n; the gradient "
                f"is 2(n_k c_k - S_k) / n, so the factor has a 2 in it")
        if np.allclose(got, -want, atol=1e-12):
            raise ExerciseError("the sign is flipped: with a tiny lr a centre barely moves, so "
                                f"the factor must be close to +1, got {np.round(got, 6).tolist()}")
        require(np.allclose(got, want, rtol=0, atol=1e-12),
                f"for counts={counts.tolist()}, lr={lr:g}: got {np.round(got, 6).tolist()}, "
                f"expected {np.round(want, 6).tolist()}")


def _iris_start() -> tuple[np.ndarray, np.ndarray]:
    """Iris and the lesson's start ``random_init(X, 3, seed=0)`` (exercise 2)."""
    X = load_dataset("iris").X
    return X, np.asarray(random_init(X, 3, seed=0))


@exercise(
    "Exercise 2 (a very hot EM step)",
    "with a huge variance every Gaussian is almost flat over the data. How do one sample's "
    "responsibilities r_ik compare across the centres, and across the samples? Then read the "
    "M-step, c_k = sum_i r_ik x_i / sum_i r_ik, with those weights. One row per centre.",
)
def check_hot_em_step(answer: Any) -> None:
    """``answer``: array (3, 4), the centres after one soft-EM step at :data:`HOT_TAU` from the
    lesson's start on iris."""
    X, C0 = _iris_start()
    try:
        got = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer is an array of shape (3, 4), got {type(answer).__name__}") from e
    require(got.shape == C0.shape,
            f"answer has shape {got.shape}; give the three new centres, shape {C0.shape}")
    want = np.asarray(soft_lloyd_step(X, C0, HOT_TAU))
    if np.allclose(got, C0, atol=1e-3):
        raise ExerciseError("those are the starting centres: a hot step does move them, because "
                            "every sample now pulls on every centre")
    if np.allclose(got, np.asarray(lloyd_step(X, C0)), atol=1e-3):
        raise ExerciseError("that is the Lloyd step, the cold limit (tau -> 0); at tau = 1e6 "
                            "the responsibilities are anything but 0 or 1")
    if np.allclose(got, np.broadcast_to(C0.mean(axis=0), C0.shape), atol=1e-3):
        raise ExerciseError("that is the mean of the starting centres; the M-step averages "
                            "samples, not centres")
    require(np.allclose(got, want, rtol=0, atol=1e-3),
            f"the step from C0 at tau = {HOT_TAU:g} gives rows close to "
            f"{np.round(want[0], 1).tolist()}, not {np.round(got, 3).tolist()}")


@exercise(
    "Exercise 3 (a step size that arrives in 100 steps)",
    "after t steps the distance is rho**t times the initial one, with rho = 1 - 2 lr m_k (m_k: "
    "the centre's points in the batch). For "
    "0 < rho < 1, rho**t <= EX_SHRINK means rho <= EX_SHRINK**(1/t); the smallest lr is the "
    "one with equality. Solve exactly (no rounding, no approximation of the logarithm).",
)
def check_smallest_lr(answer: Any) -> None:
    """``answer``: the smallest global step size for which :data:`EX_STEPS` gradient steps
    bring a centre owning :math:`m_k` = :data:`EX_NK` points of a batch to :data:`EX_SHRINK` times
    its initial distance from their mean (labels and batch held fixed)."""
    require(isinstance(answer, (int, float, np.floating)) and not isinstance(answer, bool),
            f"answer is one number (a step size), got {type(answer).__name__}")
    got = float(answer)
    require(math.isfinite(got) and got > 0, f"a step size is a positive number, got {got!r}")
    want = (1.0 - EX_SHRINK ** (1.0 / EX_STEPS)) / (2.0 * EX_NK)  # rho**t = EX_SHRINK
    rho = 1 - 2 * got * EX_NK
    left = abs(rho) ** EX_STEPS if abs(rho) < 1e3 else math.inf  # |rho|**100 overflows beyond
    if math.isclose(got, 1 / (2 * EX_NK), rel_tol=1e-9):
        raise ExerciseError(f"lr = 1/(2 m_k) is Newton's step: it arrives in one step, but a "
                            f"smaller lr also arrives within {EX_STEPS}; the smallest is asked")
    if math.isclose(got, 2 * want, rel_tol=1e-6):
        raise ExerciseError("that solves 1 - lr m_k = EX_SHRINK**(1/t); the gradient "
                            "2(m_k c_k - s_k) puts a factor 2 in rho")
    if math.isclose(got, -math.log(EX_SHRINK) / (2 * EX_NK * EX_STEPS), rel_tol=1e-6):
        raise ExerciseError("that uses ln(rho) ~ -(1 - rho), an approximation 3.5% off here; "
                            "solve rho**t = EX_SHRINK exactly: rho = EX_SHRINK**(1/t)")
    if math.isclose(got, (1 + EX_SHRINK ** (1 / EX_STEPS)) / (2 * EX_NK), rel_tol=1e-6):
        raise ExerciseError("that is the largest such lr (rho = -EX_SHRINK**(1/t), a zig-zag); the "
                            "smallest one makes rho positive")
    if not math.isclose(got, want, rel_tol=1e-6) and math.isclose(got, want, rel_tol=1e-3):
        raise ExerciseError(f"lr = {got:.6g} is close but not exact: after {EX_STEPS} steps the "
                            f"distance is {left:.6g} times the initial one; do not round")
    require(math.isclose(got, want, rel_tol=1e-6),
            f"lr = {got:.6g} gives rho = {rho:.6g} and, after {EX_STEPS} steps, {left:.6g} times "
            f"the initial distance; the smallest lr that reaches {EX_SHRINK:g} is asked")


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
    code=True,
    forbid=(newton_step, lloyd_step),
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
        want = torch.as_tensor(newton_step(X, C))
        require(got.shape == want.shape, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}")
        require(bool(torch.isfinite(got).all()),
                "your step returned NaN or inf: a cluster with n_k = 0 has a singular Hessian "
                "block (2 * 0 = 0); keep that centre where it is")
        err = float((got - want).abs().max())
        require(err < 1e-9 * float(X.abs().max()),
                f"largest difference from argmin_kmeans.newton_step is {err:.3g} "
                f"(n={X.shape[0]}, d={X.shape[1]}, k={C.shape[0]}); did you divide the gradient "
                "by 2 * n_k (the Hessian block), not by n_k or by n?")
