r"""Run an update rule to convergence and keep the whole trajectory.

``fit(X, init, method="lloyd")`` repeats one update rule and records, at every iteration, the
centres, the loss on the full data, and how many samples changed label. The record is what the
lessons plot and what the tests compare against scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
import torch

from ._validation import ArrayLike, as_tensor, check_lr, check_pair, to_output
from .core import _means, _newton_from_stats, _pass

__all__ = ["KMeansHistory", "fit", "random_init", "METHODS"]

Method = Literal["gd", "lloyd", "newton"]

#: ``step(X, centers, labels, counts, sums, lr) -> new centers`` for validated tensors, where
#: ``labels`` (n,), ``counts`` (k,) and ``sums`` (k, d) describe the current assignment of ``X``
#: to ``centers``. Add an entry to give ``fit`` a new method.
StepFn = Callable[..., torch.Tensor]


def _gd(X, C, labels, counts, sums, lr) -> torch.Tensor:
    g = 2.0 * (counts[:, None] * C - sums)  # (k, d): the argmin-constant gradient
    return C - g * (lr[:, None] if isinstance(lr, torch.Tensor) else lr)


METHODS: dict[str, StepFn] = {
    "gd": _gd,
    "lloyd": lambda X, C, labels, counts, sums, lr: _means(X, C, labels, counts, sums, "keep"),
    "lloyd-relocate": lambda X, C, labels, counts, sums, lr: _means(
        X, C, labels, counts.clone(), sums.clone(), "relocate"
    ),
    "newton": lambda X, C, labels, counts, sums, lr: _newton_from_stats(C, counts, sums),
}

#: Methods whose next centres depend on the labels alone: once an update changes no label, the
#: next update would reproduce the same centres, so the run has reached a fixed point.
LABEL_FIXED_POINT = {"lloyd", "lloyd-relocate", "newton"}


@dataclass
class KMeansHistory:
    """The trajectory of one run of :func:`fit`.

    Attributes
    ----------
    method : str
    centers : shape (n_iter + 1, n_clusters, n_features)
        ``centers[0]`` is the init, ``centers[t]`` the centres after ``t`` updates.
    loss : shape (n_iter + 1,)
        ``loss[t]`` is the inertia of ``centers[t]`` on the full data.
    n_changed : int64, shape (n_iter,)
        ``n_changed[t]`` is the number of samples whose label under ``centers[t + 1]`` differs
        from their label under ``centers[t]``.
    labels : int64, shape (n_samples,)
        Assignments under the final centres.
    n_iter : int
        Number of updates performed.
    converged : bool
        True when the last update changed no label (and, for gradient descent, left the centres
        within ``tol`` of their cluster means; see :func:`fit`).
    """

    method: str
    centers: ArrayLike
    loss: ArrayLike
    n_changed: ArrayLike
    labels: ArrayLike
    n_iter: int
    converged: bool
    lr: object = field(default=None, repr=False)

    @property
    def final_centers(self) -> ArrayLike:
        """The centres after the last update, shape (n_clusters, n_features)."""
        return self.centers[-1]

    @property
    def final_loss(self) -> float:
        """The inertia of :attr:`final_centers`."""
        return float(self.loss[-1])


def fit(
    X: ArrayLike,
    init: ArrayLike,
    method: Method | str = "lloyd",
    lr: float | ArrayLike | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> KMeansHistory:
    r"""Minimise the k-means loss from ``init`` with one update rule, recording every iteration.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
        Initial centres (copied, never modified).
    method : {"gd", "lloyd", "newton", "lloyd-relocate"} or a key of :data:`METHODS`
        ``"gd"``: :math:`c \leftarrow c - \eta\,2(n_k c_k - S_k)` (needs ``lr``);
        ``"lloyd"``: assign then means; ``"newton"``: :math:`c - H^{-1}g`;
        ``"lloyd-relocate"``: Lloyd with scikit-learn's relocation of empty clusters.
    lr : float or array of shape (n_clusters,), optional
        Step size for ``"gd"`` (required there, ignored by the others).
    max_iter : int
        Most updates to perform (0 is allowed: the record then holds only the init).
    tol : float
        Used by gradient descent only: threshold on the squared distance still to go to the
        fixed point, :math:`\sum_k \lVert c_k - S_k/n_k\rVert^2` (non-empty clusters), relative
        to the mean per-feature variance of ``X`` (scikit-learn's scaling of ``tol``).

    Notes
    -----
    The run stops at the first update that changes **no label** (``converged=True``). For
    Lloyd and Newton that is a fixed point: the next centres are the means of the same clusters,
    the centres already there. Gradient descent only moves a fraction of the way to those means,
    so it must also be close to them: its run stops when no label changed *and* the centres are
    within ``tol`` (times the mean per-feature variance of ``X``, squared distance) of their
    cluster means. This is not the size of the last step, which is only :math:`2\eta n_k`
    times the distance to go and would stop a small-``lr`` run early.

    Returns
    -------
    KMeansHistory
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got max_iter={max_iter!r}")
    if not isinstance(tol, (int, float)) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got tol={tol!r}")
    Xt, C, np_out = check_pair(X, init)
    k = C.shape[0]
    if method == "gd":
        if lr is None:
            raise ValueError("method='gd' needs a step size: pass lr=... (e.g. 1 / (2 * n_samples))")
        eta = check_lr(lr, k, C)
    else:
        eta = None
    with torch.no_grad():
        C = C.detach().clone()
        scale = float(Xt.var(dim=0, unbiased=False).mean()) if Xt.shape[0] > 1 else 1.0
        abs_tol = tol * scale
        step = METHODS[method]
        # one chunked pass per iteration gives the labels, the loss and the M-step statistics
        labels, counts, sums, inertia = _pass(Xt, C, with_stats=True, with_inertia=True)
        centers, losses, changed = [C], [inertia], []
        converged = False
        for _ in range(max_iter):
            C_new = step(Xt, C, labels, counts, sums, eta)
            if not bool(torch.isfinite(C_new).all()):
                raise FloatingPointError(
                    f"method={method!r} produced non-finite centres at iteration {len(changed) + 1}"
                    f" (lr={lr!r} is far too large: gradient descent diverged)"
                )
            new_labels, counts, sums, inertia = _pass(Xt, C_new, with_stats=True, with_inertia=True)
            n_changed = int((new_labels != labels).sum())
            # distance still to go: sum_k ||c_k - S_k/n_k||^2 over non-empty clusters (for GD;
            # the step itself, 2 lr n_k times this, would look converged when lr is small)
            nonempty = counts > 0
            means = sums / counts.clamp(min=1)[:, None]
            residual = float(((C_new - means)[nonempty] ** 2).sum())
            centers.append(C_new)
            losses.append(inertia)
            changed.append(n_changed)
            C, labels = C_new, new_labels
            if n_changed == 0 and (method in LABEL_FIXED_POINT or residual <= abs_tol):
                converged = True
                break
        hist_c = torch.stack(centers)
        hist_l = torch.stack(losses)  # type: ignore[arg-type]
        hist_n = torch.tensor(changed, dtype=torch.int64)
    return KMeansHistory(
        method=method,
        centers=to_output(hist_c, np_out),
        loss=to_output(hist_l, np_out),
        n_changed=hist_n.numpy() if np_out else hist_n,
        labels=to_output(labels, np_out),
        n_iter=len(changed),
        converged=converged,
        lr=lr,
    )


def random_init(X: ArrayLike, n_clusters: int, *, seed: int = 0) -> ArrayLike:
    """``n_clusters`` distinct samples of ``X`` picked at random (Forgy), reproducibly.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    n_clusters : int
    seed : int
        Seed of the ``torch.Generator`` that draws the indices.

    Returns
    -------
    centers : shape (n_clusters, n_features), a copy, same type/dtype/device as ``X``.
    """
    Xt = as_tensor(X, "X")
    if Xt.ndim != 2 or Xt.shape[0] == 0:
        raise ValueError(f"X must be 2-D with at least one sample, got shape {tuple(Xt.shape)}")
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)) or not (
        1 <= n_clusters <= Xt.shape[0]
    ):
        raise ValueError(
            f"n_clusters must be an integer in [1, n_samples={Xt.shape[0]}], got {n_clusters!r}"
        )
    g = torch.Generator().manual_seed(int(seed))
    idx = torch.randperm(Xt.shape[0], generator=g)[: int(n_clusters)]
    C = Xt.detach()[idx.to(Xt.device)].clone()
    return to_output(C, isinstance(X, np.ndarray))
