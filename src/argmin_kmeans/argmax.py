r"""Why argmax (and argmin) has zero gradient: the evidence as data.

Nudge one input of ``argmax`` by a small :math:`\delta` and the index does not move, so the
central finite-difference slope
:math:`(\arg\max(z + \delta e_j) - \arg\max(z - \delta e_j)) / (2\delta)` is exactly 0 (lesson
01 calls the vector :math:`z`; the functions here call it ``t``).
Only where two entries tie does a nudge change the index — and there it jumps, so there is no
derivative at all. Almost everywhere the derivative is 0; nowhere is it useful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._validation import check_real

__all__ = ["QUESTION_T", "ArgmaxEvidence", "argmax_zero_gradient"]

#: Lesson 01's demo vector z (ten entries, indexed from 0); its argmax is 6, its margin 0.1181.
QUESTION_T: tuple[float, ...] = (
    -0.0627, 0.1373, 0.0616, -1.7994, 0.8853, -0.0656, 1.0034, 0.6974, -0.2919, -0.0456,
)


@dataclass(frozen=True)
class ArgmaxEvidence:
    """What :func:`argmax_zero_gradient` measured.

    Attributes
    ----------
    t : ndarray, shape (n,)
    delta : float
    argmax : int
        ``argmax(t)``.
    argmax_up, argmax_down : ndarray of int, shape (n,)
        ``argmax(t + delta * e_j)`` and ``argmax(t - delta * e_j)`` for every entry ``j``.
    slopes : ndarray of float, shape (n,)
        Central finite differences ``(argmax_up - argmax_down) / (2 delta)``.
    margin : float
        The gap between the largest and second-largest entries: any nudge of a single entry by
        less than this leaves the argmax where it is.
    """

    t: np.ndarray
    delta: float
    argmax: int
    argmax_up: np.ndarray
    argmax_down: np.ndarray
    slopes: np.ndarray
    margin: float

    @property
    def all_zero(self) -> bool:
        """True when every finite-difference slope is exactly 0."""
        return bool(np.all(self.slopes == 0.0))


def argmax_zero_gradient(t: object = QUESTION_T, delta: float = 1e-3) -> ArgmaxEvidence:
    r"""Nudge each entry of ``t`` by :math:`\pm\delta` and record where the argmax goes.

    Parameters
    ----------
    t : sequence of float, ndarray or tensor, shape (n,)
        Defaults to :data:`QUESTION_T`.
    delta : float
        Size of the nudge, positive and finite.

    Returns
    -------
    ArgmaxEvidence
        With ``delta < margin`` every slope is exactly 0 (``evidence.all_zero``). With
        ``delta > margin`` the runner-up entry overtakes when nudged up (or the winner loses
        when nudged down): the index jumps, a step, not a slope.
    """
    if isinstance(t, torch.Tensor):
        arr = t.detach().cpu().double().numpy()
    else:
        arr = np.asarray(t, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"t must be 1-D with at least 2 entries, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"t must be finite, got {arr.tolist()}")
    delta = check_real(delta, "delta", low=0.0, low_open=True)
    tt = torch.from_numpy(arr)
    base = int(torch.argmax(tt))
    eye = torch.eye(arr.size, dtype=torch.float64)
    up = torch.argmax(tt + delta * eye, dim=1).numpy()  # row j: t + delta e_j
    down = torch.argmax(tt - delta * eye, dim=1).numpy()
    slopes = (up - down).astype(np.float64) / (2.0 * delta)
    top2 = np.sort(arr)[-2:]
    return ArgmaxEvidence(
        t=arr,
        delta=float(delta),
        argmax=base,
        argmax_up=up,
        argmax_down=down,
        slopes=slopes,
        margin=float(top2[1] - top2[0]),
    )
