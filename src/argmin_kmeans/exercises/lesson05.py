"""Checks for lesson 05 (stochastic k-means).

1. :func:`check_sgd_fractions` — how far the question's SGD moves each centre in one step.
2. :func:`check_online_update` — write MacQueen's online k-means update.
3. :func:`check_best_global_lr` — the one global lr that best serves big and small clusters.
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
    "EX1_LR",
    "EX1_COUNTS",
    "EX3_COUNTS",
    "check_sgd_fractions",
    "check_online_update",
    "check_best_global_lr",
    "check_samples_needed",
]

#: Exercise 1: the question's step size and the batch counts m_k of four centres.
EX1_LR = 1e-5
EX1_COUNTS = np.array([12, 67, 167, 30])

#: Exercise 3: batch counts m_k of five centres (one won no sample).
EX3_COUNTS = np.array([55, 9, 180, 120, 0])


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
    "Exercise 1 (SGD fractions)",
    "the batch-loss gradient for centre k is 2 (m_k c_k - S_k) = 2 m_k (c_k - mean_k); a step "
    "c_k - lr * g_k moves c_k a fraction of the way to mean_k. Which fraction? One number per "
    "centre, from EX1_LR and EX1_COUNTS.",
)
def check_sgd_fractions(answer: Any) -> None:
    """``answer``: array (4,), the fraction of the way to its batch mean each centre moves."""
    a = _as_float_array(answer, "answer", EX1_COUNTS.shape)
    want = 2.0 * EX1_LR * EX1_COUNTS
    if np.allclose(a, want / 2.0, rtol=1e-9):
        raise ExerciseError(
            "off by a factor 2: the derivative of ||x - c||^2 is 2 (c - x), not (c - x)"
        )
    if np.allclose(a, 1.0 - want, rtol=1e-9):
        raise ExerciseError(
            "that is the fraction of the way that is *left* (1 - f); "
            "the question asks how far it moves"
        )
    require(
        np.allclose(a, want, rtol=1e-9, atol=0),
        f"expected one fraction per centre, proportional to m_k; got {np.round(a, 6).tolist()}",
    )


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
                "divide by the count *after* adding this sample (n_k + 1), not before"
            )
        require(
            c_new.shape == c_ref.shape and np.allclose(c_new, c_ref, rtol=1e-12, atol=1e-12),
            "the new centres are wrong: only the nearest centre moves, by (x - c_k) / n_k with the "
            "updated n_k",
        )


@exercise(
    "Exercise 3 (the best single global lr)",
    "one SGD step multiplies centre k's distance to its batch mean by |1 - 2 lr m_k|. Sketch that "
    "factor against lr for the smallest and for the largest count among the centres that won "
    "samples: one falls as lr grows, the other eventually rises again. Where is the larger of the "
    "two at its lowest? Centres with m_k = 0 do not move at all. (Counts in EX3_COUNTS.)",
)
def check_best_global_lr(answer: Any) -> None:
    """``answer``: a float, the lr minimising ``max_k |1 - 2 lr m_k|`` over the non-empty
    centres of ``EX3_COUNTS``."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number, got {type(answer).__name__}") from e
    require(bool(np.isfinite(a)) and a > 0, f"lr should be a positive number, got {a!r}")
    m = EX3_COUNTS[EX3_COUNTS > 0].astype(np.float64)
    lo, hi = float(m.min()), float(m.max())
    want = 1.0 / (lo + hi)
    if np.isclose(a, 1.0 / float(EX3_COUNTS.max() + EX3_COUNTS.min()), rtol=1e-9):
        raise ExerciseError(
            "you counted the empty centre (m_k = 0): it has no batch mean and does not move "
            "whatever lr is, so leave it out. (At this lr the biggest cluster's factor is 1: "
            "the edge of divergence.)"
        )
    if np.isclose(a, 1.0 / (2.0 * hi), rtol=1e-9):
        raise ExerciseError(
            "that is the no-overshoot bound: the biggest cluster's centre lands on its mean, but "
            f"the smallest (m_k = {lo:g}) keeps a factor {1 - lo / hi:.3f}. A slightly larger lr "
            "overshoots the big one a little and helps the small one more."
        )
    if np.isclose(a, 1.0 / (2.0 * lo), rtol=1e-9):
        raise ExerciseError(
            "the smallest cluster's centre then lands on its mean, but the biggest one's distance "
            f"is multiplied by |1 - {hi / lo:g}| = {hi / lo - 1:g}: it diverges"
        )
    worst = float(np.abs(1.0 - 2.0 * a * m).max())
    require(
        bool(np.isclose(a, want, rtol=1e-9)),
        f"got lr = {a:.6g}, where the worst factor max_k |1 - 2 lr m_k| is {worst:.4f}; "
        "a better lr makes it smaller",
    )


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
