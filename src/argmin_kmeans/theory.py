r"""Lesson 04's step-size theory: what one gradient step with a global step size does.

Hold the labels fixed and the loss is :math:`\sum_k n_k \lVert c_k - \bar x_k\rVert^2` plus a
constant, with gradient :math:`2(n_k c_k - S_k)` and Hessian :math:`2 n_k I` per centre. One
gradient step with a *global* step size :math:`\eta` therefore gives

.. math:: c_k' - \bar x_k = (1 - 2\eta n_k)\,(c_k - \bar x_k),

so each centre has its own contraction factor :math:`\rho_k = 1 - 2\eta n_k`: it creeps
(:math:`0 < \rho_k < 1`), lands on the mean (:math:`\rho_k = 0`, the Newton/Lloyd step
:math:`\eta = 1/(2n_k)`), zig-zags (:math:`-1 < \rho_k < 0`) or is thrown further out every step
(:math:`\rho_k < -1`, i.e. :math:`\eta > 1/n_k`). One :math:`\eta` cannot suit clusters of
different sizes; the best global choice :math:`\eta^* = 1/(n_{\min} + n_{\max})` still leaves the
rate :math:`(n_{\max} - n_{\min})/(n_{\max} + n_{\min})`.

The step size is that of the *summed* loss :math:`L` (the question's convention). Code that
minimises the mean loss :math:`\bar L = L/n` (``loss.mean()``) has a gradient :math:`1/n` times
as large, so its step size :math:`\eta` acts as :math:`\eta/n` here: pass ``lr / n``. Its
Newton step is then :math:`\eta_k = n/(2 n_k)`.

The predictions are :func:`contraction_factors`, :func:`step_regimes`, :func:`max_stable_lr`,
:func:`best_global_lr` and :func:`iterations_to_shrink`; the measurements they predict are
:func:`measured_contraction` (one real step) and :func:`signed_errors` (a whole trajectory),
both on the core's E-step and update rules.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validation import ArrayLike, check_lr, check_pair, check_real
from .core import estep, gd_update, means_update

__all__ = [
    "cluster_sizes",
    "contraction_factors",
    "step_regimes",
    "max_stable_lr",
    "best_global_lr",
    "iterations_to_shrink",
    "measured_contraction",
    "signed_errors",
]


def cluster_sizes(counts: object) -> np.ndarray:
    """Cluster sizes :math:`n_k` as a float64 array, shape (n_clusters,): 1-D, finite, >= 0."""
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    a = np.asarray(counts, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"counts must be a 1-D array of cluster sizes, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"counts must be finite and >= 0, got {a.tolist()}")
    return a


def contraction_factors(counts: object, lr: float) -> np.ndarray:
    r"""Predicted per-centre factor :math:`\rho_k = 1 - 2\eta n_k` of one gradient step.

    Parameters
    ----------
    counts : array_like, shape (n_clusters,)
        Cluster sizes :math:`n_k` (the labels held fixed).
    lr : float
        Global step size :math:`\eta > 0` of the summed loss (for the mean loss
        :math:`L/n`, pass :math:`\eta/n`).

    Returns
    -------
    rho : ndarray, shape (n_clusters,)
        :math:`c_k' - \bar x_k = \rho_k (c_k - \bar x_k)`. An empty cluster has
        :math:`\rho = 1` (its centre does not move).
    """
    return 1.0 - 2.0 * check_real(lr, "lr", low=0.0, low_open=True) * cluster_sizes(counts)


def step_regimes(factors: object, atol: float = 1e-12) -> list[str]:
    r"""Name the behaviour of each contraction factor :math:`\rho`.

    Returns
    -------
    list of str, one per factor:
        ``"frozen"`` (:math:`\rho = 1`: empty cluster), ``"creep"`` (:math:`0 < \rho < 1`),
        ``"newton"`` (:math:`\rho = 0`: lands on the mean), ``"zig-zag"``
        (:math:`-1 < \rho < 0`), ``"2-cycle"`` (:math:`\rho = -1`), ``"diverge"``
        (:math:`\rho < -1`). Equalities are up to ``atol``; :math:`\rho > 1` cannot happen for
        a positive step and raises.
    """
    out = []
    for r in np.asarray(factors, dtype=np.float64).ravel():
        if r > 1 + atol:
            raise ValueError(f"a contraction factor above 1 needs a negative step, got {r}")
        if abs(r - 1) <= atol:
            out.append("frozen")
        elif abs(r) <= atol:
            out.append("newton")
        elif abs(r + 1) <= atol:
            out.append("2-cycle")
        elif r > 0:
            out.append("creep")
        elif r > -1:
            out.append("zig-zag")
        else:
            out.append("diverge")
    return out


def max_stable_lr(counts: object) -> float:
    r"""The supremum of global step sizes for which every centre converges: :math:`1/\max_k n_k`.

    (At exactly that value the largest cluster's centre oscillates forever, :math:`\rho = -1`.)
    """
    c = cluster_sizes(counts)
    if c.max() == 0:
        raise ValueError("every cluster is empty: no step size matters")
    return float(1.0 / c.max())


def best_global_lr(counts: object) -> tuple[float, float]:
    r"""The global step size that makes the slowest centre fastest, and its rate.

    Minimises :math:`\max_k |1 - 2\eta n_k|` over :math:`\eta` (empty clusters ignored):
    :math:`\eta^* = 1/(n_{\min} + n_{\max})`, rate
    :math:`(n_{\max} - n_{\min})/(n_{\max} + n_{\min})` — zero only when all clusters have
    the same size (then :math:`\eta^* = 1/(2n_k)` is Newton).

    Returns
    -------
    lr, rate : float
    """
    c = cluster_sizes(counts)
    c = c[c > 0]
    if c.size == 0:
        raise ValueError("every cluster is empty: no step size matters")
    lo, hi = float(c.min()), float(c.max())
    return 1.0 / (lo + hi), (hi - lo) / (hi + lo)


def iterations_to_shrink(factor: float, eps: float) -> float:
    r"""Steps :math:`t` until :math:`|\rho|^t \le \varepsilon`: :math:`\lceil \ln\varepsilon / \ln|\rho| \rceil`.

    Returns ``1`` for :math:`\rho = 0`, ``0`` for :math:`\varepsilon \ge 1`, and ``inf`` when
    :math:`|\rho| \ge 1` (the distance never shrinks).
    """
    f = check_real(factor, "factor")
    e = check_real(eps, "eps", low=0.0, low_open=True)
    if e >= 1:
        return 0
    if f == 0:
        return 1
    if abs(f) >= 1:
        return math.inf
    t = math.log(e) / math.log(abs(f))
    # guard against log rounding just above an integer (e.g. 0.5 ** 3 == 0.125 exactly)
    return math.ceil(t - 1e-12)


def measured_contraction(X: ArrayLike, centers: ArrayLike, lr: float) -> np.ndarray:
    r"""Measure :math:`\rho_k` from one real gradient step.

    Takes the gradient step ``c'`` (:func:`argmin_kmeans.core.gd_update`) and the cluster
    means :math:`\bar x_k` of the labels at ``centers``, and returns
    :math:`\langle c_k' - \bar x_k, c_k - \bar x_k\rangle / \lVert c_k - \bar x_k\rVert^2`.

    Returns
    -------
    rho : ndarray of float64, shape (n_clusters,)
        NaN for an empty cluster or a centre already on its mean.
    """
    Xt, Ct, _ = check_pair(X, centers)
    eta = check_lr(lr, Ct.shape[0], Ct)
    with torch.no_grad():
        C = Ct.detach()
        s = estep(Xt, C, with_inertia=False)
        means = means_update(C, s)  # an empty cluster's "mean" is its centre: rho is NaN there
        before = (C - means).double()
        after = (gd_update(C, s, eta) - means).double()
        den = (before * before).sum(dim=1)
        rho = (after * before).sum(dim=1) / den
        rho = torch.where((s.counts > 0) & (den > 0), rho, torch.full_like(rho, float("nan")))
    return rho.cpu().numpy()


def signed_errors(X: ArrayLike, centers: ArrayLike) -> np.ndarray:
    r"""Signed distance of each centre to the mean of its *initial* cluster, along its first offset.

    With :math:`\bar x_k` the cluster means of the labels at ``centers[0]`` and
    :math:`\hat o_k = (c_k^{(0)} - \bar x_k)/\lVert c_k^{(0)} - \bar x_k\rVert` (the unit
    offset), returns :math:`e_k(t) = \langle c_k^{(t)} - \bar x_k, \hat o_k\rangle /
    \lVert c_k^{(0)} - \bar x_k\rVert` at every iteration :math:`t`.
    While no label changes, gradient descent gives exactly :math:`e_k(t) = \rho_k^t`.

    Parameters
    ----------
    X : shape (n_samples, n_features)
    centers : shape (n_steps, n_clusters, n_features)
        A trajectory, e.g. ``fit(...).centers``.

    Returns
    -------
    e : ndarray of float64, shape (n_steps, n_clusters)
        NaN columns for a centre that owns no sample at ``centers[0]`` or sits on its mean.
    """
    C = torch.as_tensor(np.asarray(centers) if isinstance(centers, np.ndarray) else centers)
    if C.ndim != 3:
        raise ValueError(f"centers must be a trajectory of shape (n_steps, n_clusters, "
                         f"n_features), got shape {tuple(C.shape)}")
    Xt, C0, _ = check_pair(X, C[0])
    with torch.no_grad():
        s = estep(Xt, C0, with_inertia=False)
        means = means_update(C0, s).double()
        off = C0.double() - means
        norm = off.norm(dim=1)
        u = off / norm.clamp(min=1e-300)[:, None]
        e = ((C.to(Xt.device).double() - means) * u).sum(dim=2) / norm.clamp(min=1e-300)
        e[:, (s.counts == 0) | (norm == 0)] = float("nan")
    return e.cpu().numpy()
