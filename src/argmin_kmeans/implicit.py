r"""How the optimal centres move with the data (lesson 08): implicit differentiation of the
k-means fixed point.

The k-means solution :math:`c^*` is a fixed point of an update map, :math:`c^* = \Phi(c^*, X)`:
Lloyd's step (:math:`\tau = 0`) or the soft-Lloyd step of :mod:`argmin_kmeans.relax`
(:math:`\tau > 0`). Differentiating both sides gives the implicit function theorem,

.. math:: J = \frac{\partial c^*}{\partial X}
          = \Big(I - \frac{\partial\Phi}{\partial c}\Big)^{-1}\frac{\partial\Phi}{\partial X},

which :func:`fixed_point_jacobian` evaluates in closed form; :func:`soft_fixed_point` iterates the
soft step to such a fixed point first. This is "backprop through argmin" in the bilevel sense:
the derivative of a solution, not of one assignment.
"""

from __future__ import annotations

import math

import torch

from ._validation import ArrayLike, check_int, check_pair, check_real, to_output
from .core import sq_distances
from .relax import soft_lloyd_step

__all__ = ["fixed_point_jacobian", "soft_fixed_point"]


def _scale(Xs: torch.Tensor) -> float:
    """The data's scale: the root-mean-square distance of the samples to their mean, or the
    largest coordinate of the shifted data if that is larger."""
    spread = float(((Xs - Xs.mean(dim=0)) ** 2).sum(dim=1).mean().sqrt())
    return max(spread, float(Xs.abs().max()))


def soft_fixed_point(
    X: ArrayLike,
    centers: ArrayLike,
    temperature: float,
    *,
    tol: float | None = None,
    max_steps: int = 10_000,
) -> ArrayLike:
    r"""Iterate :func:`~argmin_kmeans.relax.soft_lloyd_step` from ``centers`` to a fixed point.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        Where to start.
    temperature : float
        :math:`\tau > 0`.
    tol : float, optional
        Stop when one step moves no coordinate by more than ``tol`` (absolute). Default
        :math:`64\,\epsilon` times the data's scale (the root-mean-square distance of the
        samples to their mean, or the largest coordinate after shifting by the centres' mean):
        about ``1e-13`` for float64 data of scale 10.
    max_steps : int
        Most steps (at least 1).

    Returns
    -------
    centers : shape (n_clusters, n_features)
        The fixed point (no gradient: differentiate it with :func:`fixed_point_jacobian`).

    Raises
    ------
    RuntimeError
        If ``max_steps`` steps do not reach ``tol``: near a phase transition of annealing soft
        Lloyd converges very slowly (the spectral radius of :math:`\partial\Phi/\partial c`
        tends to 1).
    """
    Xt, Ct, np_out = check_pair(X, centers)
    tau = check_real(temperature, "temperature", low=0.0, low_open=True)
    steps = check_int(max_steps, "max_steps", low=1)
    with torch.no_grad():
        Xd, C = Xt.detach(), Ct.detach()
        if tol is None:
            atol = 64 * torch.finfo(Xt.dtype).eps * _scale(Xd - C.mean(dim=0))
        else:
            atol = check_real(tol, "tol", low=0.0, low_open=True)
        gap = math.inf
        for _ in range(steps):
            new = torch.as_tensor(soft_lloyd_step(Xd, C, tau))
            gap = float((new - C).abs().max())
            C = new
            if gap <= atol:
                return to_output(C, np_out)
    raise RuntimeError(
        f"soft Lloyd at temperature={tau!r} did not reach tol={atol:.3g} in {steps} steps "
        f"(last move {gap:.3g}); raise max_steps, or check that the temperature is not at a "
        "phase transition"
    )


def _fixed_point_error(kind: str, gap: float, atol: float, tau: float) -> ValueError:
    step = "lloyd_step" if kind == "lloyd" else f"soft_lloyd_step(X, centers, {tau!r})"
    return ValueError(
        f"centers is not a fixed point of {step}: max |step(centers) - centers| = {gap:.3g} "
        f"> tolerance {atol:.3g}; iterate the step to convergence first"
    )


def fixed_point_jacobian(
    X: ArrayLike,
    centers: ArrayLike,
    temperature: float = 0.0,
    *,
    rtol: float | None = None,
) -> ArrayLike:
    r"""How the optimal centres move with the data: :math:`J = \partial c^*/\partial X`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        A fixed point :math:`c^* = \Phi(c^*, X)` of Lloyd's step (``temperature=0``) or of
        :func:`~argmin_kmeans.relax.soft_lloyd_step` (``temperature > 0``).
    temperature : float
        :math:`\tau \ge 0`.
    rtol : float, optional
        Fixed-point tolerance: ``max |Phi(centers) - centers|`` must be at most ``rtol`` times the
        data's scale (the root-mean-square distance of the samples to their mean, or the largest
        distance to the centres' mean if that is larger). Default :math:`\sqrt{\epsilon}` of the
        dtype (1.5e-8 in float64, 3.5e-4 in float32).

    Returns
    -------
    J : shape (n_clusters, n_features, n_samples, n_features)
        ``J[k, a, i, b]`` :math:`= \partial c^*_{ka}/\partial x_{ib}`. Computed without autograd
        (the result does not require grad).

    Raises
    ------
    ValueError
        If ``centers`` is not a fixed point (to the tolerance); for :math:`\tau = 0`, if a
        sample is tied between two centres (relative gap of the squared distances below
        :math:`16(d+2)\epsilon`), where :math:`c^*` jumps and has no derivative; for
        :math:`\tau > 0`, if :math:`I - \partial\Phi/\partial c` is singular.

    Notes
    -----
    :math:`\tau = 0`: away from ties the labels are constant under a small move of the data, so
    :math:`c^*_k = \frac{1}{n_k}\sum_{i\in C_k} x_i` and
    :math:`J[k, :, i, :] = \mathbb 1[\mathrm{label}_i = k]\, I / n_k` (zero for an empty cluster,
    whose centre stays put).

    :math:`\tau > 0`: by the implicit function theorem applied to :math:`c = \Phi(c, X)`,
    :math:`J = (I - \partial\Phi/\partial c)^{-1}\,\partial\Phi/\partial X`, with
    (:math:`u_{ik} = x_i - \Phi_k`, :math:`v_{ik} = x_i - c_k`, :math:`\bar c_i = \sum_l r_{il}
    c_l`, :math:`\tilde n_k = \sum_i r_{ik}` the soft count)

    .. math::
        \frac{\partial \Phi_k}{\partial c_m} &= \frac{2}{\tau \tilde n_k}\sum_i r_{ik}
            (\delta_{km} - r_{im})\, u_{ik} v_{im}^\top, \\
        \frac{\partial \Phi_k}{\partial x_j} &= \frac{r_{jk}}{\tilde n_k}\Big(I + \frac{2}{\tau}\,
            u_{jk} (c_k - \bar c_j)^\top\Big).

    Dropping :math:`\partial\Phi/\partial c` leaves the one-step Jacobian
    :math:`\partial\Phi/\partial X`; both tend to the :math:`\tau = 0` answer as :math:`\tau\to 0`
    (away from ties). Cost: :math:`O(n k^2 d^2)` to build, one :math:`kd\times kd` solve.
    """
    Xt, Ct, np_out = check_pair(X, centers)
    tau = check_real(temperature, "temperature", low=0.0)
    eps = torch.finfo(Xt.dtype).eps
    tol = math.sqrt(eps) if rtol is None else check_real(rtol, "rtol", low=0.0, low_open=True)
    n, d = Xt.shape
    k = Ct.shape[0]
    with torch.no_grad():
        ref = Ct.detach().mean(dim=0)  # shift: differences and distances do not change
        Xs, Cs = Xt.detach() - ref, Ct.detach() - ref
        atol = tol * _scale(Xs)
        D = torch.as_tensor(sq_distances(Xs, Cs))
        eye = torch.eye(d, dtype=Xt.dtype, device=Xt.device)
        if tau == 0.0:
            return to_output(_jacobian_hard(Xs, Cs, D, eye, atol), np_out)
        R = torch.softmax(D / -tau, dim=1)  # (n, k)
        N = R.sum(dim=0)
        phi = (R.T @ Xs) / N.clamp(min=torch.finfo(Xt.dtype).tiny)[:, None]
        phi = torch.where((N > 0)[:, None], phi, Cs)
        gap = float((phi - Cs).abs().max())
        if gap > atol:
            raise _fixed_point_error("soft", gap, atol, tau)
        Rn = R / N.clamp(min=torch.finfo(Xt.dtype).tiny)  # r_ik / n~_k (soft counts)
        U = Xs[:, None, :] - phi[None]  # (n, k, d): x_i - Phi_k
        V = Xs[:, None, :] - Cs[None]  # (n, k, d): x_i - c_k
        W = Cs[None] - (R @ Cs)[:, None, :]  # (n, k, d): c_k - cbar_i
        diag = torch.einsum("ik,ika,ikb->kab", Rn, U, V)
        A = -torch.einsum("ik,im,ika,imb->kamb", Rn, R, U, V)
        ks = torch.arange(k, device=Xt.device)
        A[ks, :, ks, :] += diag
        A *= 2.0 / tau
        B = torch.einsum("ik,ab->kaib", Rn, eye) + (2.0 / tau) * torch.einsum(
            "ik,ika,ikb->kaib", Rn, U, W
        )
        lhs = torch.eye(k * d, dtype=Xt.dtype, device=Xt.device) - A.reshape(k * d, k * d)
        J, info = torch.linalg.solve_ex(lhs, B.reshape(k * d, n * d))
        if int(info) != 0 or not bool(torch.isfinite(J).all()):
            raise ValueError(
                f"I - dPhi/dc is singular at this fixed point (temperature={tau!r}): the fixed "
                "point is degenerate (e.g. at a phase transition of annealing), and the optimal "
                "centres have no derivative there"
            )
        J = J.reshape(k, d, n, d)
    return to_output(J, np_out)


def _jacobian_hard(
    Xs: torch.Tensor, Cs: torch.Tensor, D: torch.Tensor, eye: torch.Tensor, atol: float
) -> torch.Tensor:
    """``tau = 0``: check for ties and the fixed point, then ``1[label_i = k] I / n_k``."""
    n, d = Xs.shape
    k = Cs.shape[0]
    labels = D.argmin(dim=1)
    if k > 1:
        two = D.topk(2, dim=1, largest=False).indices  # the two nearest, by the fast formula
        direct = ((Xs[:, None, :] - Cs[two]) ** 2).sum(dim=2)  # (n, 2), direct differences
        gap = (direct[:, 1] - direct[:, 0]).abs()
        eps = torch.finfo(Xs.dtype).eps
        scale = direct.max(dim=1).values + eps * float((Xs * Xs).sum(dim=1).max())
        tied = gap <= 16 * (d + 2) * eps * scale
        if bool(tied.any()):
            i = int(tied.nonzero()[0, 0])
            a, b = sorted(int(j) for j in two[i])
            raise ValueError(
                f"sample {i} is tied between centres {a} and {b} (squared distances "
                f"{float(direct[i, 0]):.6g} and {float(direct[i, 1]):.6g}): at temperature=0 the "
                "optimal centres jump when it moves, so they have no derivative there; move the "
                "sample or use temperature > 0"
            )
        labels = torch.where(direct[:, 0] <= direct[:, 1], two[:, 0], two[:, 1])
    onehot = torch.zeros((n, k), dtype=Xs.dtype, device=Xs.device)
    onehot[torch.arange(n, device=Xs.device), labels] = 1.0
    counts = onehot.sum(dim=0)
    means = (onehot.T @ Xs) / counts.clamp(min=1)[:, None]
    phi = torch.where((counts > 0)[:, None], means, Cs)
    gap_fp = float((phi - Cs).abs().max())
    if gap_fp > atol:
        raise _fixed_point_error("lloyd", gap_fp, atol, 0.0)
    W = onehot.T / counts.clamp(min=1)[:, None]  # (k, n): 1[label_i = k] / n_k
    return W[:, None, :, None] * eye[None, :, None, :]
