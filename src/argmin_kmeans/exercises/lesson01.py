"""Checks for lesson 01, "argmax has zero gradient".

1. :func:`check_threshold` — how far must ``z[0]`` rise before ``argmax(z)`` leaves 6?
2. :func:`check_tie_gradients` — which gradient do ``max(dim)``, ``amax`` and ``max()`` send
   into a three-way tie? (The lesson shows a two-way tie, ``[2, 5, 5, 1]``; the exercise asks
   about another vector, so its answer is not on the page.)
3. :func:`check_op_categories` — sort eight operations into "no grad_fn", "zero gradient" and
   "useful gradient" by experiment (none of them is one the lesson demonstrates: the lesson shows
   argmax, max(dim), amax, indexing, gather, round, floor, sign, comparisons, sort and argsort).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..argmax import QUESTION_T
from . import ExerciseError, exercise, require

__all__ = [
    "TIE_T",
    "OPS",
    "CATEGORIES",
    "check_threshold",
    "check_tie_gradients",
    "check_op_categories",
]

#: The tied vector of exercise 2: three entries tie for the maximum.
TIE_T: tuple[float, ...] = (3.0, 7.0, 1.0, 7.0, 7.0)

#: Exercise 3's operations, applied to a float64 vector ``x`` that requires grad. None of them
#: is demonstrated in the lesson (which shows argmax, max(dim), amax, indexing, gather, round,
#: floor, sign, ``x > 0``, sort and argsort). ``frac`` is the twist: it jumps at the integers,
#: yet between the jumps it moves one-for-one with ``x`` (gradient 1), like ``sort().values``.
OPS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "cummax.values": lambda x: torch.cummax(x, 0).values,
    "cummax.indices": lambda x: torch.cummax(x, 0).indices,
    "kthvalue(2).values": lambda x: torch.kthvalue(x, 2).values,
    "frac": torch.frac,
    "ceil": torch.ceil,
    "trunc": torch.trunc,
    "x >= 1": lambda x: x >= 1,
    "abs": torch.abs,
}

#: The three answers allowed in exercise 3.
CATEGORIES = ("no grad_fn", "zero gradient", "useful gradient")

_X3 = (0.3, -1.7, 2.4, 0.9)  # no ties, no integers, no zeros: every op is smooth or flat here


@exercise(
    "Exercise 1 (the threshold)",
    "argmax(z) stays where it is until another entry catches up with the largest one. Which "
    "entry is the largest, and how far is z[0] below it? Answer with a float: answer = ...",
)
def check_threshold(answer: Any) -> None:
    """``answer``: the smallest amount by which ``z[0]`` must rise before the argmax leaves 6."""
    require(
        isinstance(answer, (int, float)) and not isinstance(answer, bool),
        f"answer must be a number (a float), got {type(answer).__name__}",
    )
    z = torch.tensor(QUESTION_T, dtype=torch.float64)
    want = float(z[6] - z[0])  # z[0] overtakes the largest entry, z[6]
    a = float(answer)
    require(a > 0, f"answer={a} is not positive: z[0] has to go *up* to overtake z[6]")
    require(
        abs(a - 1.0034) > 1e-9,
        "1.0034 is the value z[0] must reach, z[6]; the question asks how far it must rise "
        "from where it starts (z[0] = -0.0627).",
    )
    require(
        abs(a - (1.0034 - 0.8853)) > 1e-9,
        "0.1181 is the gap between the two largest entries (z[6] and z[4]); the question is "
        "about z[0], which starts at -0.0627.",
    )
    require(
        abs(a - want) <= 1e-6,
        f"answer={a} is off by {a - want:+.4g}. Check it: torch.argmax(z + answer * e_0) must "
        f"still be 6 for anything a little below your answer and 0 a little above it.",
    )


def _as_list(v: Any, name: str) -> list[float]:
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().tolist()
    try:
        vals = [float(u) for u in v]
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"{name} must be a list of {len(TIE_T)} numbers, got {v!r}") from e
    require(
        len(vals) == len(TIE_T),
        f"{name} must have {len(TIE_T)} entries (one per entry of z), got {len(vals)}",
    )
    return vals


@exercise(
    "Exercise 2 (gradients into a tie)",
    "For z = [3, 7, 1, 7, 7] give answer = (g_max_dim, g_amax, g_max_all): the gradients of "
    "torch.max(z, dim=0).values, torch.amax(z, dim=0) and torch.max(z) with respect to z, each "
    "a list of 5 numbers. Predict first, then verify with requires_grad_ and backward().",
)
def check_tie_gradients(answer: Any) -> None:
    """``answer = (g_max_dim, g_amax, g_max_all)``, each a list of 5 floats (to 1e-6)."""
    require(
        isinstance(answer, (tuple, list)) and len(answer) == 3,
        "answer must be a tuple of three lists: (g_max_dim, g_amax, g_max_all)",
    )
    names = ("g_max_dim", "g_amax", "g_max_all")
    got = [_as_list(v, n) for v, n in zip(answer, names)]
    want = []  # what PyTorch does, computed here (the reductions of the hint, in order)
    for reduce in (
        lambda x: torch.max(x, dim=0).values,
        lambda x: torch.amax(x, dim=0),
        lambda x: torch.max(x),
    ):
        x = torch.tensor(TIE_T, dtype=torch.float64, requires_grad=True)
        reduce(x).backward()
        assert x.grad is not None
        want.append(x.grad.tolist())
    for g, n in zip(got, names):
        require(
            abs(sum(g) - 1.0) < 1e-6,
            f"{n} sums to {sum(g)}; the max moves one-for-one with the tied value, so the "
            "gradient entries must add up to 1.",
        )
    n_tied = sum(v == max(TIE_T) for v in TIE_T)
    for g, w, n in zip(got, want, names):
        if any(abs(a - b) > 1e-6 for a, b in zip(g, w)):
            if sum(v != 0 for v in w) > 1:
                msg = (f"{n}={g} is wrong: this reduction splits the gradient evenly between "
                       f"all the tied maxima (how many entries of z equal max(z)? {n_tied}).")
            else:
                msg = (f"{n}={g} is wrong: max(dim) returns one index (values and indices "
                       "together) and sends the whole gradient to that entry; which one? "
                       "Look at .indices.")
            raise ExerciseError(msg)


_WHY = {
    "no grad_fn": "a 'no grad_fn' op returns integers or booleans, which autograd does not track",
    "zero gradient": "a 'zero gradient' op is recorded by autograd but piecewise constant, so its "
    "derivative is 0 wherever it exists",
    "useful gradient": "a 'useful gradient' op returns values that move with its input",
}


@exercise(
    "Exercise 3 (three kinds of operations)",
    "answer is a dict from each name in OPS to one of 'no grad_fn', 'zero gradient', "
    "'useful gradient'. Ask of each output: is it an integer/boolean tensor? Does it move at all "
    "when x moves a little?",
)
def check_op_categories(answer: Any) -> None:
    """``answer``: dict mapping every key of :data:`OPS` to one of :data:`CATEGORIES`."""
    require(isinstance(answer, dict), f"answer must be a dict, got {type(answer).__name__}")
    missing = [k for k in OPS if k not in answer]
    require(not missing, f"answer is missing {missing}; give a category for every op in OPS")
    extra = [k for k in answer if k not in OPS]
    require(not extra, f"answer has unknown keys {extra}; use exactly the names in OPS")
    bad = {k: v for k, v in answer.items() if v not in CATEGORIES}
    require(not bad, f"answer has values {bad} that are not one of {list(CATEGORIES)}")
    wrong = []  # run every op, as the hint says: what PyTorch does, not a table
    for name, op in OPS.items():
        x = torch.tensor(_X3, dtype=torch.float64, requires_grad=True)
        y = op(x)
        if y.grad_fn is None:
            kind = "no grad_fn"
        else:
            y.sum().backward()
            assert x.grad is not None
            kind = "zero gradient" if bool(torch.all(x.grad == 0)) else "useful gradient"
        if answer[name] != kind:
            wrong.append(name)
    if wrong:
        k = wrong[0]
        raise ExerciseError(
            f"{len(wrong)} of {len(OPS)} wrong, for example {k!r} (you said {answer[k]!r}). "
            f"Run it: x = torch.tensor([0.3, -1.7, 2.4, 0.9], requires_grad=True); "
            f"y = OPS[{k!r}](x); look at y.dtype and y.grad_fn, and if there is a grad_fn, at "
            f"x.grad after y.sum().backward(). Reminder: {_WHY[answer[k]]} — is that true of "
            f"{k!r}?"
        )
