"""Checks for lesson 02, "the question's k-means by gradient descent".

1. :func:`check_steps_with_point` — a prediction: in how many of the 4001 steps does the batch
   contain one given point (the only steps in which a lone centroid can move)? (Lesson 05's
   exercise 1 asks how far a step moves a centre; this one asks how often it moves at all.)
2. :func:`check_vectorized_loss` — a differentiable k-means loss without the ``(K, n, d)``
   difference tensor (checked on the bytes autograd keeps for backward; a tensor built and freed
   under ``torch.no_grad()`` is not seen).
3. :func:`check_one_cluster_loss` — the expected loss of the no-clustering baseline on uniform
   data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..core import kmeans_loss, loss_gradient
from ..question import difference_tensor_bytes, saved_tensor_bytes
from . import ExerciseError, exercise, require

__all__ = ["check_steps_with_point", "check_vectorized_loss", "check_one_cluster_loss"]

_BATCH, _N, _STEPS = 100, 1000, 4001


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


@exercise(
    "Exercise 1 (how often a lone centroid moves)",
    "answer is a number: the expected count, out of 4001 steps, of batches that contain one "
    "given point. One draw misses the point with probability 999/1000; a batch misses it only "
    "if all 100 of its draws do. A batch can draw the same point twice: count steps, not draws.",
)
def check_steps_with_point(answer: Any) -> None:
    """``answer``: :math:`4001\\,(1 - (1 - 1/1000)^{100}) \\approx 380.8`, to within 1 step."""
    require(_is_number(answer), f"answer must be a number, got {type(answer).__name__}")
    a = float(answer)
    # P(a batch of _BATCH draws with replacement holds the point), times the steps
    per_step = -math.expm1(_BATCH * math.log1p(-1.0 / _N))
    want = _STEPS * per_step
    if math.isclose(a, per_step, rel_tol=1e-3) or math.isclose(a, _BATCH / _N, rel_tol=1e-3):
        raise ExerciseError(
            f"answer={a:g} is a probability per step; the question asks for a number of steps "
            f"out of {_STEPS}."
        )
    if math.isclose(a, _STEPS * _BATCH / _N, rel_tol=1e-3):
        raise ExerciseError(
            f"answer={a:g} = 4001 * 100 / 1000 counts the expected number of *draws* of the point; "
            "a batch can draw it twice but the centroid moves once per step. Count the steps whose "
            "batch contains it at least once: 1 - P(all 100 draws miss)."
        )
    require(
        abs(a - want) <= 1.0,
        f"answer={a:g} is off by {a - want:+.1f} steps. The chance that a batch contains the point "
        "is 1 - (999/1000)**100; check it by drawing batches with torch.randint.",
    )


def _problem() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    X = torch.randn(60, 3, generator=g, dtype=torch.float64)
    C = X[:4].clone()
    C[3] = 100.0  # a centre that owns no sample: its gradient must be exactly zero
    return X, C


@exercise(
    "Exercise 2 (a vectorized loss)",
    "answer is a function loss(X, centers) -> 0-d tensor, differentiable w.r.t. centers, "
    "without the (K, n, d) difference tensor. Two stages: first find each point's label "
    "(the index of its nearest centre) without gradient, then gather each point's own centroid "
    "and add up the squared distances to it only.",
    code=True,
    forbid=(kmeans_loss,),
)
def check_vectorized_loss(answer: Any) -> None:
    """``answer``: callable ``loss(X, centers)``; checked for value, gradient (including an
    empty cluster's exact zero) and the memory autograd keeps for the backward pass."""
    require(
        callable(answer),
        f"answer must be a function loss(X, centers), got {type(answer).__name__}",
    )
    X, C = _problem()
    c = C.clone().requires_grad_(True)
    out = answer(X, c)
    require(
        isinstance(out, torch.Tensor), f"loss must return a torch.Tensor, got {type(out).__name__}"
    )
    require(
        out.ndim == 0, f"loss must return a 0-d tensor (a scalar), got shape {tuple(out.shape)}"
    )
    want = float(kmeans_loss(X, C))
    got = float(out.detach())
    if not math.isclose(got, want, rel_tol=1e-9):
        if math.isclose(got, want / X.shape[0], rel_tol=1e-9):
            raise ExerciseError(
                "your loss is the mean over samples; the question's (and ours) is the sum"
            )
        raise ExerciseError(
            f"loss value {got:.6f} differs from the k-means loss {want:.6f}: each sample must "
            "count the squared distance to its *nearest* centre, once"
        )
    require(
        out.requires_grad,
        "the loss does not require grad: did you compute it under torch.no_grad() or detach the "
        "centres? Only the labels should be constant.",
    )
    (g,) = torch.autograd.grad(out, c)
    gw = torch.as_tensor(loss_gradient(X, C))
    require(
        torch.allclose(g, gw, rtol=0, atol=1e-9),
        f"the gradient differs from 2(n_k c_k - S_k) by up to {float((g - gw).abs().max()):.3g}",
    )
    big = difference_tensor_bytes(C.shape[0], X.shape[0], X.shape[1], X.dtype)
    saved = saved_tensor_bytes(answer, X, C)
    require(
        saved < big,
        f"autograd keeps {saved} bytes for backward, at least the (K, n, d) difference tensor "
        f"({big} bytes): compute the labels first, then subtract only each sample's own centre",
    )


@exercise(
    "Exercise 3 (the no-clustering baseline)",
    "answer is a function f(n_samples, n_features) -> float: the expected loss of ONE centre "
    "at the sample mean for data uniform on [0, 1)^d. Each feature of U(0, 1) has variance "
    "1/12; mind that the centre is the sample mean, not 1/2.",
    code=True,
)
def check_one_cluster_loss(answer: Any) -> None:
    """``answer``: ``f(n, d)``, the expectation of ``sum_i ||x_i - mean(x)||^2``, which is
    ``(n - 1) d / 12``."""
    require(
        callable(answer),
        f"answer must be a function f(n_samples, n_features), got {type(answer).__name__}",
    )
    for n, d in [(1000, 200), (10, 3), (2, 1), (57, 11)]:
        got = answer(n, d)
        require(_is_number(got) or (isinstance(got, torch.Tensor) and got.ndim == 0),
                f"f({n}, {d}) must return a number, got {got!r}")
        got = float(got)
        want = (n - 1) * d / 12
        if not math.isclose(got, want, rel_tol=1e-9):
            if math.isclose(got, n * d / 12, rel_tol=1e-9):
                raise ExerciseError(
                    f"f({n}, {d}) = {got:g} = n d / 12 is the loss around the true mean 1/2. "
                    "Around the sample mean it is smaller: sum_i (x_i - mean)^2 has expectation "
                    "(n - 1) sigma^2 per feature (the reason for Bessel's n - 1)."
                )
            raise ExerciseError(
                f"f({n}, {d}) = {got:g} is not the expected one-cluster loss; "
                "try n=2, d=1 by hand"
            )
