"""Checks for lesson 08 (learning through k-means).

1. :func:`check_most_influential` — read a fixed-point Jacobian: which sample moves centre 0 most?
2. :func:`check_translation` — predict how the optimal centres move when every sample moves by
   the same vector.
3. :func:`check_ema_step` — how far a VQ codebook's EMA moves a code per batch once its count
   has saturated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from . import ExerciseError, exercise, require

__all__ = [
    "EX2_V",
    "EX3_BATCH_COUNT",
    "EX3_GAMMA",
    "check_ema_step",
    "check_most_influential",
    "check_translation",
]

#: Exercise 2: the shift applied to every sample.
EX2_V = np.array([1.0, 0.0])

#: Exercise 3: the EMA decay and the samples a code wins in every batch.
EX3_GAMMA, EX3_BATCH_COUNT = 0.95, 16


@exercise(
    "Exercise 1 (the most influential sample)",
    "J[0] has shape (n_features, n_samples, n_features): for every sample i take the Frobenius "
    "norm of J[0, :, i, :] (the 2 x 2 block dc_0/dx_i) and return the index of the largest.",
)
def check_most_influential(answer: Any, J: Any) -> None:
    """``answer``: the index ``i`` maximising ``||J[0, :, i, :]||_F`` for ``J`` from
    :func:`argmin_kmeans.implicit.fixed_point_jacobian` at a temperature > 0 (at temperature 0
    the blocks of a cluster's samples tie, and the check says so)."""
    Jn = J.detach().cpu().numpy() if isinstance(J, torch.Tensor) else np.asarray(J)
    require(Jn.ndim == 4, "J should be the (n_clusters, n_features, n_samples, n_features) array")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
        raise ExerciseError(f"answer should be a sample index (an int), got {answer!r}")
    n = Jn.shape[2]
    require(0 <= int(answer) < n, f"a sample index is in [0, {n - 1}], got {answer}")
    block = np.sqrt((Jn[0] ** 2).sum(axis=(0, 2)))  # (n,)
    total = np.sqrt((Jn**2).sum(axis=(1, 3))).sum(axis=0)
    want = int(np.argmax(block))
    top2 = np.sort(block)[-2:]
    require(
        bool(top2[1] - top2[0] > 1e-9 * top2[1]),
        "this J has no single most influential sample: its largest blocks tie (at temperature "
        "0 every sample of a cluster has the same block I / n_k). Use J_03 (temperature 0.3)",
    )
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


@exercise(
    "Exercise 2 (moving all the data at once)",
    "if every sample and every centre moves by the same v, every distance stays the same, so the "
    "responsibilities (or labels) do too, and each weighted mean moves by v: the moved centres "
    "are still a fixed point. To first order the move of centre 0 is sum_i J[0, :, i, :] @ v.",
)
def check_translation(answer: Any) -> None:
    """``answer``: the first-order move of centre 0, shape (2,), when every sample moves by
    ``EX2_V``."""
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a vector of 2 numbers, got {answer!r}") from e
    require(a.shape == (2,), f"answer should be a vector of 2 numbers (the move of centre 0), "
            f"got shape {a.shape}")
    require(bool(np.isfinite(a).all()), "the move should be finite")
    if np.allclose(a, EX2_V, atol=1e-6):
        return
    if np.allclose(a, 0.0, atol=1e-6):
        raise ExerciseError("centre 0 does move: each sample pulls it a little, and all of them "
                            "pull the same way")
    if np.allclose(a, -EX2_V, atol=1e-6):
        raise ExerciseError("wrong direction: the centres follow the data")
    if np.allclose(a / np.linalg.norm(a), EX2_V, atol=1e-6):
        raise ExerciseError(
            f"right direction, wrong length ({np.linalg.norm(a):.4g}): the blocks dc_0/dx_i of "
            "all the samples add up, and the sum is the identity matrix"
        )
    raise ExerciseError(f"got {np.round(a, 4).tolist()}; think of translating the whole picture")


@exercise(
    "Exercise 3 (an EMA codebook's step)",
    "write the update with the new count: c_k = (gamma S + s_k) / (gamma N + m_k) with "
    "gamma S = gamma N c_k (the old centre) gives c_k + (m_k / N_new) (s_k / m_k - c_k). In the "
    "steady state N_new = N = gamma N + m_k.",
)
def check_ema_step(answer: Any) -> None:
    """``answer``: the fraction of the way from ``c_k`` to its batch mean ``s_k / m_k`` that
    the EMA moves code ``k`` per batch once ``\\hat N_k`` has settled, for ``EX3_GAMMA`` and
    ``EX3_BATCH_COUNT``."""
    try:
        a = float(answer)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"answer should be a number, got {type(answer).__name__}") from e
    require(math.isfinite(a), f"answer should be a finite number, got {a!r}")
    gamma, m = EX3_GAMMA, EX3_BATCH_COUNT
    N = m / (1 - gamma)
    if math.isclose(a, N, rel_tol=1e-3):
        raise ExerciseError(f"{N:.4g} is the settled count N_k itself; the step is the share "
                            "m_k / N_k of the way to the batch mean")
    if math.isclose(a, gamma, rel_tol=1e-3):
        raise ExerciseError("that is the share of the old centre that stays; the question is "
                            "how far the code moves")
    if math.isclose(a, 1 / N, rel_tol=1e-3):
        raise ExerciseError("that is the share of one sample; the batch holds m_k of them")
    if a == 0.0:
        raise ExerciseError("with gamma = 1 (mini-batch k-means) the step m_k / N_k falls to 0 "
                            "as N_k grows; with gamma < 1 the count stops growing")
    require(math.isclose(a, m / N, rel_tol=1e-3),
            f"got {a:.4g}; solve N = gamma N + m_k for the settled count first")
