"""Worked solutions for lesson 01 (instructors: one per check, under its name)."""

from __future__ import annotations

import torch

from argmin_kmeans.argmax import QUESTION_T
from argmin_kmeans.exercises.lesson01 import OPS, TIE_T

__all__ = ["threshold", "tie_gradients", "op_categories"]


def threshold() -> float:
    """Exercise 1. ``argmax(z) = 6`` while ``z[0] < z[6]``; it flips when ``z[0]``
    reaches ``z[6]``.

    So ``z[0]`` must rise by ``z[6] - z[0] = 1.0034 - (-0.0627) = 1.0661``. (At exactly
    that nudge the two tie and ``torch.argmax`` returns the first, 0.) Any smaller
    nudge, up or down, leaves the index at 6: the finite-difference slope is 0 for every
    ``delta < 1.0661``.
    """
    z = torch.tensor(QUESTION_T, dtype=torch.float64)
    return float(z[6] - z[0])


def tie_gradients() -> tuple[list[float], list[float], list[float]]:
    """Exercise 2, ``z = [3, 7, 1, 7, 7]``. ``max(dim)`` picks one index (the first
    maximum, 1) and sends it the whole gradient: ``[0, 1, 0, 0, 0]``. ``amax`` and the
    full reduction ``max()`` return a value only and split the gradient evenly between
    the three tied maxima: ``[0, 1/3, 0, 1/3, 1/3]``. All three are valid subgradients
    of the max at a tie; they just choose differently.
    """
    grads = []
    reductions = (
        lambda x: torch.max(x, dim=0).values,  # values and one index
        lambda x: torch.amax(x, dim=0),  # values only
        torch.max,  # the full reduction, values only
    )
    for reduce in reductions:
        x = torch.tensor(TIE_T, dtype=torch.float64, requires_grad=True)
        reduce(x).backward()
        assert x.grad is not None
        grads.append(x.grad.tolist())
    return grads[0], grads[1], grads[2]


def op_categories() -> dict[str, str]:
    """Exercise 3, by running every operation (the way a student should check a guess).

    ``cummax.indices`` and ``x >= 1`` return int64/bool tensors: no ``grad_fn``.
    ``ceil`` and ``trunc`` have a ``grad_fn`` but their gradient is 0 (they are flat
    between their jumps, like ``round`` and ``floor``). ``cummax.values``,
    ``kthvalue(2).values`` and ``abs`` return (selected or sign-flipped copies of) the
    input values: a useful, nonzero gradient. ``frac`` (``x - trunc(x)``) jumps at the
    integers but moves one-for-one with ``x`` between them: gradient 1, useful —
    piecewise linear, like ``sort().values`` in the lesson.
    """
    out = {}
    for name, op in OPS.items():
        x = torch.tensor([0.3, -1.7, 2.4, 0.9], dtype=torch.float64, requires_grad=True)
        y = op(x)
        if y.grad_fn is None:
            out[name] = "no grad_fn"
        else:
            y.sum().backward()
            assert x.grad is not None
            flat = bool(torch.all(x.grad == 0))
            out[name] = "zero gradient" if flat else "useful gradient"
    return out
