r"""Checks for lesson 06, the answer to the question.

1. :func:`check_step_without_autograd` — write the corrected mini-batch step in closed form,
   without autograd: :math:`N_k \leftarrow N_k + m_k`, :math:`c_k \leftarrow c_k +
   (s_k - m_k c_k)/N_k` (checked against :func:`argmin_kmeans.stochastic.minibatch_step`).
2. :func:`check_when_lr_is_newton` — after how many batches does the corrected per-centre step
   :math:`1/(2N_k)` fall to the question's fixed :math:`\eta = 10^{-5}`, for a centre that wins
   :data:`EX2_M` samples of every batch?
3. :func:`check_big_centre_step` — the same for the centre that wins :data:`EX3_M` samples of
   every batch in the question's run, and whether the fixed step was then too large or too small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..stochastic import minibatch_step
from . import ExerciseError, exercise, require

__all__ = [
    "EX2_LR",
    "EX2_M",
    "EX3_M",
    "check_step_without_autograd",
    "check_when_lr_is_newton",
    "check_big_centre_step",
]

#: Exercise 2: the question's step size, and the samples an average centre wins per batch
#: (a batch of 100 shared by 20 centres).
EX2_LR = 1e-5
EX2_M = 5
#: Exercise 3: the samples of each batch that the question's one big centre wins (lesson 06,
#: section 2: 981 of 1000 samples, so about 98 of a batch of 100).
EX3_M = 98


def _as_array(value: Any, name: str) -> np.ndarray:
    try:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ExerciseError(
            f"{name} should be an array or tensor of numbers, got {type(value).__name__}"
        ) from e


def _cases(seed: int = 6) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Batches, centres and counts: zero counts, a far centre that wins nothing, a batch
    smaller than the number of centres."""
    rng = np.random.default_rng(seed)
    out = []
    for t in range(6):
        k, d, b = 2 + t % 3, 1 + t % 4, [12, 30, 2][t % 3]
        centers = rng.normal(size=(k, d)) * 3
        centers[-1] += 100.0  # far away: wins nothing, must stay
        counts = np.zeros(k) if t < 2 else rng.integers(0, 40, size=k).astype(np.float64)
        xb = rng.normal(size=(b, d)) * 3
        out.append(tuple(torch.tensor(a, dtype=torch.float64) for a in (xb, centers, counts)))
    return out  # type: ignore[return-value]


@exercise(
    "Exercise 1 (the corrected step without autograd)",
    "write step(xb, centers, counts) -> (new_centers, new_counts) with torch and no autograd: "
    "label the batch with the current centres (the argmin), count m_k and sum s_k per centre "
    "(torch.bincount, index_add_), add m_k to the counts N_k, then move every centre that won "
    "samples by (s_k - m_k c_k) / N_k. A centre that won nothing stays (and N_k may be 0 there: "
    "avoid 0/0). Do not modify the inputs.",
    code=True,
    forbid=(minibatch_step,),
)
def check_step_without_autograd(answer: Callable[..., Any]) -> None:
    """``answer``: a function ``(xb, centers, counts) -> (new_centers, new_counts)`` on float64
    tensors of shapes ``(b, d)``, ``(K, d)``, ``(K,)``."""
    require(callable(answer), f"answer should be a function, got {type(answer).__name__}")
    for xb, centers, counts in _cases():
        c_in, n_in = centers.clone(), counts.clone()
        try:
            got = answer(xb, c_in, n_in)
        except Exception as e:  # the student's code: report, do not crash the check
            raise ExerciseError(f"your function raised {type(e).__name__}: {e}") from e
        require(isinstance(got, tuple) and len(got) == 2,
                "return a pair (new_centers, new_counts)")
        require(torch.equal(c_in, centers) and torch.equal(n_in, counts),
                "your function modified its inputs: work on copies (or return new tensors)")
        c_new, n_new = _as_array(got[0], "new_centers"), _as_array(got[1], "new_counts")
        ref = minibatch_step(xb, centers, counts)
        c_ref, n_ref = (np.asarray(v, dtype=np.float64) for v in ref)
        require(c_new.shape == c_ref.shape, f"new_centers should have shape {c_ref.shape}, "
                f"got {c_new.shape}")
        require(n_new.shape == n_ref.shape and np.array_equal(n_new, n_ref),
                f"counts: expected {n_ref.tolist()}, got {np.round(n_new, 6).tolist()} — "
                "each N_k goes up by m_k, the batch samples centre k wins")
        if not np.isfinite(c_new).all():
            raise ExerciseError("your centres contain NaN or inf: a centre that won no sample "
                                "has m_k = 0 (and maybe N_k = 0); leave it where it is")
        m = n_ref - counts.numpy()
        if not np.allclose(c_new[m == 0], centers.numpy()[m == 0], rtol=0, atol=1e-12):
            raise ExerciseError("a centre that won no sample of the batch must not move")
        _diagnose(c_new, xb.numpy(), centers.numpy(), counts.numpy(), m)
        require(np.allclose(c_new, c_ref, rtol=1e-10, atol=1e-10),
                "the moved centres are wrong: c_k + (s_k - m_k c_k) / N_k, with N_k the count "
                "after adding the batch")


def _diagnose(c_new: np.ndarray, xb: np.ndarray, C: np.ndarray, N: np.ndarray,
              m: np.ndarray) -> None:
    """Name the usual mistakes: the batch mean (Lloyd on the batch), the old count."""
    won = m > 0
    if not won.any():
        return
    # squared distances as |x|^2 - 2 x.c + |c|^2 (for the diagnosis only: no (b, K, d) tensor)
    labels = ((xb * xb).sum(1)[:, None] - 2.0 * xb @ C.T + (C * C).sum(1)[None, :]).argmin(1)
    s = np.zeros_like(C)
    np.add.at(s, labels, xb)
    step = s[won] - m[won, None] * C[won]  # s_k - m_k c_k
    right = C[won] + step / (N[won] + m[won])[:, None]
    batch_mean = s[won] / m[won, None]
    old = C[won] + step / np.maximum(N[won], 1.0)[:, None]
    if not np.allclose(batch_mean, right) and np.allclose(c_new[won], batch_mean):
        raise ExerciseError("your centres jump to the batch mean s_k / m_k: that forgets "
                            "everything seen before. Divide by the cumulative N_k, not m_k")
    if not np.allclose(old, right) and np.allclose(c_new[won], old):
        raise ExerciseError("divide by the count *after* adding the batch (N_k + m_k), not "
                            "before")


@exercise(
    "Exercise 2 (when is lr = 1e-5 the right step?)",
    "the corrected step of a centre is eta_k = 1 / (2 N_k), where N_k counts every sample it "
    "has won so far. A centre that wins m = 5 samples of every batch has N_k = 5 t after t "
    "batches. Solve 1 / (2 N_k) = 1e-5 for t (a number of batches, not of samples).",
)
def check_when_lr_is_newton(answer: Any) -> None:
    """``answer``: the number of batches ``t`` after which :math:`1/(2 N_k)` equals
    :data:`EX2_LR`, for a centre winning :data:`EX2_M` samples per batch."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(
            f"answer should be a number of batches, got {type(answer).__name__}"
        ) from e
    require(bool(np.isfinite(a)) and a > 0, f"answer should be a positive number, got {a}")
    _diagnose_batches(a, EX2_M)


def _solves(a: float, m: float, two: float = 2.0) -> bool:
    """Whether t = a solves 1 / (two m t) = lr to within one batch: the step at a + 1 is at most
    lr and the step at a - 1 at least lr (checked by the equation itself)."""
    return (1.0 / (two * m * (a + 1.0)) <= EX2_LR
            and (a <= 1.0 or EX2_LR <= 1.0 / (two * m * (a - 1.0))))


def _diagnose_batches(a: float, m: int) -> None:
    """Accept t = a if it solves 1 / (2 m t) = lr to within one batch; else name the usual
    slip."""
    if _solves(a, m):
        return
    if _solves(a, 1.0):
        raise ExerciseError(f"{a:g} is N_k, the samples won; the question asks for the batches "
                            f"t, with N_k = {m} t")
    if _solves(a, m, two=1.0):
        raise ExerciseError("the step is 1 / (2 N_k): keep the factor 2 (the Hessian of a "
                            "centre's loss is 2 N_k)")
    if _solves(a, 100.0):
        raise ExerciseError(f"a centre wins m = {m} samples of a batch of 100, not all 100")
    other = EX3_M if m == EX2_M else EX2_M
    if _solves(a, other):
        raise ExerciseError(f"that is the answer for a centre winning {other} samples per "
                            f"batch; this one wins {m}")
    if np.isclose(a, 4001):
        raise ExerciseError("4001 is the length of the question's run; solve 1 / (2 N_k) = 1e-5")
    raise ExerciseError(f"got {a:g} batches; with N_k = {m} t, solve 1 / (2 N_k) = "
                        f"{EX2_LR:g}")


_VERDICTS = ("too large", "too small")


@exercise(
    "Exercise 3 (and for their big centre?)",
    "the big centre wins m = 98 samples of every batch, so N_k = 98 t after t batches. Solve "
    "1 / (2 N_k) = 1e-5 for t, as in exercise 2. Then compare for the batches after t: is the "
    "corrected step 1 / (2 N_k) there larger or smaller than lr? Answer a pair (t, verdict), "
    "verdict \"too large\" or \"too small\" (for lr).",
)
def check_big_centre_step(answer: Any) -> None:
    """``answer``: a pair ``(t, verdict)``: the batches ``t`` after which :math:`1/(2 N_k)` equals
    :data:`EX2_LR` for a centre winning :data:`EX3_M` samples per batch, and whether the fixed
    ``lr`` was ``"too large"`` or ``"too small"`` for it over the rest of the 4001 batches."""
    require(isinstance(answer, (tuple, list)) and len(answer) == 2,
            f"answer should be a pair (t, verdict), got {type(answer).__name__}")
    t, verdict = answer
    try:
        a = float(t)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"t should be a number of batches, got {type(t).__name__}") from e
    require(bool(np.isfinite(a)) and a > 0, f"t should be a positive number, got {a}")
    require(isinstance(verdict, str) and verdict.strip().lower() in _VERDICTS,
            f"verdict is one of {_VERDICTS}, got {verdict!r}")
    _diagnose_batches(a, EX3_M)
    # after batch t the corrected step 1 / (2 * EX3_M * t') is below lr for every t' > t
    later = 1.0 / (2.0 * EX3_M * (a + 1.0))
    if verdict.strip().lower() != ("too large" if later < EX2_LR else "too small"):
        raise ExerciseError(
            f"t is right. After batch {a:.0f} the corrected step 1 / (2 N_k) is "
            f"{later:.1e} and keeps falling, while lr stays {EX2_LR:g}: which is larger, for "
            "the remaining batches of the 4001?")
