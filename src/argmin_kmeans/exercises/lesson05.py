"""Checks for lesson 05 (stochastic k-means).

1. :func:`check_batch_size_prediction` — predict what ten times smaller batches do to one pass
   of the question's SGD.
2. :func:`check_online_update` — write MacQueen's online k-means update.
3. :func:`check_memory_shares` — how much of a centre the most recent samples make up, with a
   constant step and with online k-means' 1/N_k.
4. :func:`check_samples_needed` — read the race: how much data does mini-batch k-means need to
   match Lloyd after three passes?
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..stochastic import online_step
from . import ExerciseError, exercise, require

__all__ = [
    "EX3_F",
    "EX3_RECENT",
    "EX3_WON",
    "check_batch_size_prediction",
    "check_online_update",
    "check_memory_shares",
    "check_samples_needed",
]

#: Exercise 3: a constant fraction per sample, how many recent samples, and how many samples an
#: online k-means centre has won.
EX3_F = 0.01
EX3_RECENT = 100
EX3_WON = 1000

_CHOICES = ("lower", "same", "higher")


def _as_float_array(answer: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ExerciseError(
            f"{name} should be an array of numbers, got {type(answer).__name__}"
        ) from e
    require(
        a.shape == shape, f"{name} should have shape {shape} (one number per centre), got {a.shape}"
    )
    require(bool(np.isfinite(a).all()), f"{name} contains NaN or inf")
    return a


@exercise(
    "Exercise 1 (batches of 100 or 1000?)",
    "one SGD step moves centre k a fraction 2 lr m_k of the way to its batch mean. With batches "
    "ten times smaller, how large is m_k, how large is each step, and how many steps make one "
    "pass? Add up what one pass does. Answer \"lower\", \"same\" or \"higher\".",
)
def check_batch_size_prediction(answer: Any) -> None:
    """``answer``: ``"lower"``, ``"same"`` or ``"higher"`` — the full-data loss after one pass of
    the question's SGD with batches of 100, against batches of 1000 (same lr, init and data)."""
    require(isinstance(answer, str) and answer.strip().lower() in _CHOICES,
            f"answer is one of {_CHOICES}, got {answer!r}")
    a = answer.strip().lower()
    if a == "lower":
        raise ExerciseError(
            "ten times more steps, but each moves a centre ten times less (m_k is ten times "
            "smaller, and the fraction is 2 lr m_k): one pass adds up to about the same move, "
            "about one full-batch gradient step. Run both and compare")
    if a == "higher":
        raise ExerciseError(
            "smaller batches are noisier, but at lr = 1e-5 every step moves a centre only a "
            "fraction of a percent of the way (2 lr m_k: about 0.05 % at most with batches of "
            "100): the noise averages out, and one pass adds up to about one full-batch "
            "gradient step either way. Run both and compare")


def _cases(seed: int = 5) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for t in range(6):
        k, d = 2 + t % 3, 1 + t % 4
        centers = rng.normal(size=(k, d)) * 3
        counts = rng.integers(0, 5, size=k).astype(np.float64)
        out.append((rng.normal(size=d) * 3, centers, counts))
    return out


@exercise(
    "Exercise 2 (online update)",
    "write a function online(x, centers, counts) -> (new_centers, new_counts) for ONE sample x "
    "(shape (d,)): find the nearest centre k, add 1 to counts[k], then move centre k by "
    "(x - c_k) / counts[k]. Do not modify the inputs: work on copies.",
    code=True,
    forbid=(online_step,),
)
def check_online_update(answer: Callable[..., Any]) -> None:
    """``answer``: a function ``(x, centers, counts) -> (new_centers, new_counts)``."""
    require(callable(answer), f"answer should be a function, got {type(answer).__name__}")
    for x, centers, counts in _cases():
        c_in, n_in = centers.copy(), counts.copy()
        try:
            got = answer(x, c_in, n_in)
        except Exception as e:  # the student's code: report, do not crash the check
            raise ExerciseError(f"your function raised {type(e).__name__}: {e}") from e
        require(
            isinstance(got, tuple) and len(got) == 2,
            "return a pair (new_centers, new_counts)",
        )
        require(
            np.array_equal(c_in, centers) and np.array_equal(n_in, counts),
            "your function modified its inputs: copy centers and counts first",
        )
        c_new, n_new = (np.asarray(v, dtype=np.float64) for v in got)
        c_ref, n_ref = online_step(x[None, :], centers, counts)  # MacQueen's rule
        require(
            n_new.shape == n_ref.shape and np.array_equal(n_new, n_ref),
            f"counts: expected {n_ref.tolist()}, got {n_new.tolist()} — "
            "only the winner's count goes up by 1",
        )
        k = int(np.argmax(n_ref - counts))
        wrong_order = centers.copy()
        wrong_order[k] += (x - centers[k]) / max(counts[k], 1.0)
        if np.allclose(c_new, wrong_order) and not np.allclose(wrong_order, c_ref):
            raise ExerciseError(
                "divide by the count *after* adding this sample (N_k + 1), not before"
            )
        require(
            c_new.shape == c_ref.shape and np.allclose(c_new, c_ref, rtol=1e-12, atol=1e-12),
            "the new centres are wrong: only the nearest centre moves, by (x - c_k) / N_k with the "
            "updated N_k",
        )


@exercise(
    "Exercise 3 (how much a constant step remembers)",
    "unroll c_t = (1 - f) c_(t-1) + f x_t: the newest sample gets weight f, the one before f(1-f), "
    "then f(1-f)^2, ... Add up the 100 newest. For online k-means the centre is the mean of what "
    "it has won: every one of its samples weighs the same. Answer a pair of numbers.",
)
def check_memory_shares(answer: Any) -> None:
    """``answer``: ``(constant_share, online_share)``, the share of the centre's weight carried
    by the :data:`EX3_RECENT` most recent samples, with the constant fraction :data:`EX3_F` and
    with online k-means after :data:`EX3_WON` samples."""
    a = _as_float_array(answer, "answer", (2,))
    # the EX3_RECENT newest samples' weight: f (1 + (1-f) + ... ) with a constant step; each
    # of the EX3_WON samples weighs the same in online k-means
    const, online = 1.0 - (1.0 - EX3_F) ** EX3_RECENT, EX3_RECENT / EX3_WON
    if np.allclose(a, [online, const], rtol=1e-6):
        raise ExerciseError("the two numbers are swapped: (constant_share, online_share)")
    if np.isclose(a[0], 1.0 - const, rtol=1e-6):
        raise ExerciseError(
            f"{a[0]:.4f} = (1 - f)^{EX3_RECENT} is the weight of everything *older* than the "
            f"{EX3_RECENT} newest samples (and the init); the question asks for the newest")
    if np.isclose(a[0], min(1.0, EX3_F * EX3_RECENT), rtol=1e-6):
        raise ExerciseError(
            f"f x {EX3_RECENT} = {EX3_F * EX3_RECENT:g} would give every sample the weight f; "
            "but each step also shrinks the weights of all earlier samples by (1 - f)")
    approx = 1.0 - float(np.exp(-EX3_F * EX3_RECENT))
    if np.isclose(a[0], approx, rtol=1e-6):
        raise ExerciseError(f"{approx:.4f} uses (1 - f)^t ~ exp(-f t); compute it exactly")
    require(bool(np.isclose(a[0], const, rtol=1e-6)),
            f"constant step: {a[0]:.6g} is not the weight of the {EX3_RECENT} newest samples")
    if np.isclose(a[1], EX3_RECENT / (EX3_WON + 1), rtol=1e-6):
        raise ExerciseError("the init has no weight in online k-means: the first sample a centre "
                            "wins replaces it (a move of 1/1 of the way)")
    require(bool(np.isclose(a[1], online, rtol=1e-6)),
            f"online k-means: {a[1]:.6g} is not the weight of the {EX3_RECENT} newest of "
            f"{EX3_WON} samples, each of which weighs the same")


@exercise(
    "Exercise 4 (reading the race)",
    "history.loss holds the full-data loss at each checkpoint and history.samples_seen the "
    "samples seen before it. Walk through the checkpoints in order and stop at the first whose "
    "loss is at or below reference_loss; the answer is an entry of samples_seen (samples, "
    "not passes or steps).",
)
def check_samples_needed(answer: Any, history: Any, reference_loss: float) -> None:
    """``answer``: samples processed at the first checkpoint of ``history`` whose loss is at most
    ``reference_loss``."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(
            f"answer should be a number of samples, got {type(answer).__name__}"
        ) from e
    loss = np.asarray(history.loss, dtype=np.float64)
    seen = np.asarray(history.samples_seen, dtype=np.float64)
    ok = np.nonzero(loss <= float(reference_loss))[0]
    require(ok.size > 0, "this history never gets down to the reference loss: pick another run")
    i = int(ok[0])
    if np.isclose(a, seen[i]):
        return
    if np.isclose(a, float(history.passes[i])):
        raise ExerciseError("that is in passes; the question asks for samples (passes x n_samples)")
    if np.isclose(a, float(np.asarray(history.steps)[i])):
        raise ExerciseError(
            "that is the number of steps (batches); the question asks for samples (x batch_size)"
        )
    if i > 0 and np.isclose(a, seen[i - 1]):
        raise ExerciseError("that is the checkpoint just *before* the loss gets low enough")
    if ok.size > 1 and np.isclose(a, seen[ok[-1]]):
        raise ExerciseError(
            "that is the last checkpoint at or below the reference; the question asks for the first"
        )
    raise ExerciseError(
        f"got {a:.6g} samples; look for the FIRST checkpoint whose loss is low enough"
    )
