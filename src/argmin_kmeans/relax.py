r"""Gradients through the choice itself: soft k-means, straight-through, perturbed argmax and
implicit differentiation of the k-means fixed point.

Lessons 01-05 show that training k-means by gradient descent never differentiates the argmin.
This module is for the cases where a gradient *through the choice* is wanted (lesson 07):

* :func:`soft_assign`, :func:`soft_kmeans_loss`, :func:`soft_lloyd_step` — the soft k-means
  relaxation at temperature :math:`\tau`: responsibilities
  :math:`r_{ik} = \mathrm{softmax}_k(-d_{ik}/\tau)` with :math:`d_{ik} = \lVert x_i - c_k\rVert^2`,
  the free energy :math:`L_\tau = -\tau\sum_i \log\sum_k e^{-d_{ik}/\tau}`, and its EM step
  (deterministic annealing, Rose, Gurewitz & Fox 1990).
* :func:`straight_through_assign` — one-hot forward, the soft gradient backward (Bengio, Léonard &
  Courville 2013), the estimator behind VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017) and,
  with Gumbel noise added to the logits, behind the straight-through Gumbel-softmax (Jang, Gu &
  Poole 2017; Maddison, Mnih & Teh 2017).
* :func:`perturbed_argmax` — the perturbed optimizer of Berthet et al. (2020): a Monte Carlo
  estimate of :math:`\mathbb E[\mathrm{onehot}(\arg\max(\theta + \sigma Z))]` whose backward is
  their Jacobian estimator.
* :func:`fixed_point_jacobian` — how the optimal centres move with the data:
  :math:`\partial c^*/\partial X` at a fixed point of Lloyd's step (:math:`\tau = 0`) or of the
  soft step (:math:`\tau > 0`, implicit function theorem).

Numerics
--------
Squared distances come from :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2` *after*
subtracting a reference point (the centres' mean, detached) from ``X`` and ``centers``. Distances
do not depend on the reference, so neither values nor gradients change (the reference is
constant for autograd and the exact derivative with respect to it is zero), but the cancellation
of the expanded formula on data far from the origin goes away. Log-sum-exps subtract the row
minimum first. Inputs: float32/float64 tensors on any device, or NumPy arrays (NumPy in, NumPy
out). Unlike the core's functions, the soft functions keep the autograd graph: gradients flow to
``X`` and ``centers`` when they require grad.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from ._validation import (
    ArrayLike,
    as_tensor,
    check_choice,
    check_finite,
    check_int,
    check_pair,
    check_real,
    to_output,
)

__all__ = [
    "fixed_point_jacobian",
    "perturbed_argmax",
    "soft_assign",
    "soft_kmeans_loss",
    "soft_lloyd_step",
    "straight_through_assign",
]

Noise = Literal["gumbel", "normal"]


# --------------------------------------------------------------------------- helpers


def _shifted(X: torch.Tensor, C: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``X - ref``, ``C - ref`` and ``ref``, the centres' mean (detached: a constant)."""
    ref = C.detach().mean(dim=0)
    return X - ref, C - ref, ref


def _sq_dist(Xs: torch.Tensor, Cs: torch.Tensor) -> torch.Tensor:
    r"""``(n, k)`` squared distances of shifted inputs, clamped at 0; differentiable."""
    D = (Xs * Xs).sum(dim=1, keepdim=True) - 2.0 * Xs @ Cs.T + (Cs * Cs).sum(dim=1)
    return D.clamp(min=0.0)


def _validated(
    X: object, centers: object, temperature: object
) -> tuple[torch.Tensor, torch.Tensor, bool, float]:
    Xt, Ct, np_out = check_pair(X, centers, allow_more_clusters=True)
    tau = check_real(temperature, "temperature", low=0.0, low_open=True)
    return Xt, Ct, np_out, tau


def _soft(Xt: torch.Tensor, Ct: torch.Tensor, tau: float) -> torch.Tensor:
    Xs, Cs, _ = _shifted(Xt, Ct)
    return torch.softmax(_sq_dist(Xs, Cs) / -tau, dim=1)


# --------------------------------------------------------------------------- soft k-means


def soft_assign(X: ArrayLike, centers: ArrayLike, temperature: float) -> ArrayLike:
    r"""Soft assignments (responsibilities) at temperature :math:`\tau`.

    .. math:: r_{ik} = \frac{\exp(-\lVert x_i - c_k\rVert^2/\tau)}
                            {\sum_l \exp(-\lVert x_i - c_l\rVert^2/\tau)}

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        ``n_clusters`` may exceed ``n_samples`` (a batch smaller than the codebook).
    temperature : float
        :math:`\tau > 0`. As :math:`\tau \to 0` each row tends to the one-hot vector of the
        nearest centre; as :math:`\tau \to \infty`, to the uniform :math:`1/K`.

    Returns
    -------
    R : shape (n_samples, n_clusters)
        Rows are probability vectors. Differentiable in ``X`` and ``centers``.

    Notes
    -----
    These are the E-step posteriors of an equal-weight isotropic Gaussian mixture with variance
    :math:`\sigma^2 = \tau/2` (Rose, Gurewitz & Fox 1990, *Statistical mechanics and phase
    transitions in clustering*).
    """
    Xt, Ct, np_out, tau = _validated(X, centers, temperature)
    return to_output(_soft(Xt, Ct, tau), np_out)


def soft_kmeans_loss(X: ArrayLike, centers: ArrayLike, temperature: float) -> ArrayLike:
    r"""The soft k-means loss (free energy) :math:`L_\tau`.

    .. math:: L_\tau(c) = -\tau \sum_i \log \sum_k \exp(-d_{ik}/\tau),
              \qquad d_{ik} = \lVert x_i - c_k\rVert^2 .

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    temperature : float
        :math:`\tau > 0`.

    Returns
    -------
    loss : 0-d tensor (NumPy 0-d array for NumPy inputs)
        Differentiable in both arguments, with
        :math:`\partial L_\tau/\partial c_k = 2\sum_i r_{ik}(c_k - x_i)` and
        :math:`\partial L_\tau/\partial x_i = 2\sum_k r_{ik}(x_i - c_k)`.

    Notes
    -----
    Since :math:`\max_k a_k \le \log\sum_k e^{a_k} \le \max_k a_k + \log K`,

    .. math:: L_{\mathrm{hard}} - n\tau\log K \;\le\; L_\tau \;\le\; L_{\mathrm{hard}},

    where :math:`L_{\mathrm{hard}} = \sum_i \min_k d_{ik}` is the k-means loss (inertia). It is
    computed in that form, :math:`\sum_i m_i - \tau\sum_i \log\sum_k e^{-(d_{ik} - m_i)/\tau}`
    with :math:`m_i = \min_k d_{ik}`, so it never overflows and the bounds hold in floating
    point. Up to a constant, :math:`L_\tau/\tau` is the negative log-likelihood of the Gaussian
    mixture of :func:`soft_assign`.
    """
    Xt, Ct, np_out, tau = _validated(X, centers, temperature)
    Xs, Cs, _ = _shifted(Xt, Ct)
    D = _sq_dist(Xs, Cs)
    m = D.min(dim=1, keepdim=True).values
    lse = torch.logsumexp((D - m) / -tau, dim=1)  # in [0, log K]
    loss = m.sum() - tau * lse.sum()
    return to_output(loss, np_out)


def soft_lloyd_step(X: ArrayLike, centers: ArrayLike, temperature: float) -> ArrayLike:
    r"""One soft-Lloyd (EM) step: every centre moves to the responsibility-weighted mean.

    .. math:: c_k \leftarrow \frac{\sum_i r_{ik} x_i}{N_k}, \qquad N_k = \sum_i r_{ik}.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    temperature : float
        :math:`\tau > 0`.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        Differentiable in ``X`` and ``centers`` (so a loop of steps can be unrolled, as in DKM,
        Cho et al. 2022). A centre whose :math:`N_k` underflows to exactly 0 stays where it is.

    Notes
    -----
    EM for the equal-weight isotropic Gaussian mixture with :math:`\sigma^2 = \tau/2`: it never
    increases :func:`soft_kmeans_loss`. It is also a gradient step on :math:`L_\tau` with the
    per-centre step size :math:`1/(2N_k)` — the inverse of the Hessian of the M-step objective,
    the soft twin of "Newton = Lloyd" — because
    :math:`c_k - \frac{1}{2N_k}\,2(N_k c_k - \sum_i r_{ik}x_i) = \sum_i r_{ik}x_i/N_k`.
    As :math:`\tau\to 0` it becomes :func:`argmin_kmeans.lloyd_step`.
    """
    Xt, Ct, np_out, tau = _validated(X, centers, temperature)
    Xs, Cs, ref = _shifted(Xt, Ct)
    R = torch.softmax(_sq_dist(Xs, Cs) / -tau, dim=1)
    N = R.sum(dim=0)
    S = R.T @ Xs  # (k, d), shifted
    tiny = torch.finfo(Xt.dtype).tiny
    new = torch.where((N > 0)[:, None], S / N.clamp(min=tiny)[:, None], Cs) + ref
    return to_output(new, np_out)


def straight_through_assign(X: ArrayLike, centers: ArrayLike, temperature: float) -> ArrayLike:
    r"""Hard one-hot assignments forward, the gradient of :func:`soft_assign` backward.

    Returns ``H + R - R.detach()`` where ``H`` is the one-hot matrix of the nearest centre and
    ``R = soft_assign(X, centers, temperature)``: the value is exactly ``H`` (for finite ``R``,
    ``R - R`` is exactly 0), the Jacobian is that of ``R``.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    temperature : float
        :math:`\tau > 0`, the temperature of the surrogate used backward.

    Returns
    -------
    H : shape (n_samples, n_clusters)
        One-hot rows; the nearest centre, ties to the lowest index.

    Notes
    -----
    The straight-through estimator (Hinton's lectures 2012; Bengio, Léonard & Courville 2013):
    biased — it is the gradient of a different function — but deterministic and cheap.
    """
    Xt, Ct, np_out, tau = _validated(X, centers, temperature)
    R = _soft(Xt, Ct, tau)
    labels = R.detach().argmax(dim=1)  # largest r = smallest distance; first maximum wins
    H = torch.zeros_like(R).scatter_(1, labels[:, None], 1.0)
    return to_output(H + (R - R.detach()), np_out)


# --------------------------------------------------------------------------- perturbed argmax


class _PerturbedArgmax(torch.autograd.Function):
    """Forward: the mean of the sampled one-hots. Backward: Berthet et al.'s estimator
    :math:`\\frac{1}{M\\sigma}\\sum_m (g\\cdot y_m)\\,\\nabla\\nu(Z_m)`."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx,
        theta: torch.Tensor,
        Z: torch.Tensor,
        dnu: torch.Tensor,
        sigma: float,
    ) -> torch.Tensor:
        labels = (theta + sigma * Z).argmax(dim=-1)  # (M, ...)
        Y = torch.zeros_like(Z).scatter_(-1, labels[..., None], 1.0)
        ctx.save_for_backward(labels, dnu)
        ctx.sigma = sigma  # type: ignore[attr-defined]
        return Y.mean(dim=0)

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad_out: torch.Tensor
    ) -> tuple[torch.Tensor, None, None, None]:
        labels, dnu = ctx.saved_tensors  # type: ignore[attr-defined]
        M = labels.shape[0]
        g = grad_out.expand(dnu.shape).gather(-1, labels[..., None])  # (M, ..., 1): g . y_m
        grad = (g * dnu).sum(dim=0) / (M * ctx.sigma)  # type: ignore[attr-defined]
        return grad, None, None, None


def perturbed_argmax(
    theta: ArrayLike,
    *,
    sigma: float,
    n_samples: int,
    noise: Noise = "gumbel",
    generator: torch.Generator | None = None,
) -> ArrayLike:
    r"""Perturbed argmax (Berthet et al. 2020): a Monte Carlo estimate of the smoothed one-hot.

    .. math:: y_\sigma(\theta) = \mathbb E_Z\big[\mathrm{onehot}(\arg\max_j\,
              (\theta_j + \sigma Z_j))\big] \approx \frac1M \sum_{m=1}^M y_m ,

    with the Jacobian estimator of Berthet et al. (2020, *Learning with differentiable perturbed
    optimizers*, Prop. 3.1) as its backward:

    .. math:: J_\theta\, y_\sigma \approx \frac{1}{M\sigma}\sum_m y_m\,\nabla\nu(Z_m)^\top,

    where :math:`\nu = -\log(\text{density of } Z)`: :math:`\nabla\nu(z) = z` for standard normal
    noise and :math:`1 - e^{-z}` for standard Gumbel noise.

    Parameters
    ----------
    theta : tensor or ndarray, shape (..., n_choices)
        Scores; the argmax is over the last axis, the leading axes are a batch.
    sigma : float
        Noise scale :math:`\sigma > 0`.
    n_samples : int
        :math:`M \ge 1`, the number of perturbations (the same ones are used forward and
        backward).
    noise : {"gumbel", "normal"}
    generator : torch.Generator, optional
        On ``theta``'s device; ``None`` uses torch's global generator.

    Returns
    -------
    y : shape (..., n_choices)
        Rows are probability vectors (averages of one-hots). Differentiable in ``theta`` when it
        requires grad (NumPy in: NumPy out, no gradient).

    Notes
    -----
    With Gumbel noise the smoothed map is exactly :math:`\mathrm{softmax}(\theta/\sigma)` (the
    Gumbel-max trick) and the estimator's expectation is its Jacobian
    :math:`(\mathrm{diag}\,p - pp^\top)/\sigma`: unbiased for the *smoothed* map, not for the
    argmax, whose derivative is 0 almost everywhere. Memory: ``M`` times the size of ``theta``.
    """
    th = as_tensor(theta, "theta")
    if th.ndim == 0 or th.shape[-1] == 0:
        raise ValueError(
            f"theta must have shape (..., n_choices) with n_choices >= 1, got shape {tuple(th.shape)}"
        )
    check_finite(th, "theta")
    s = check_real(sigma, "sigma", low=0.0, low_open=True)
    M = check_int(n_samples, "n_samples", low=1)
    kind = check_choice(noise, "noise", ("gumbel", "normal"))
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    shape = (M, *th.shape)
    with torch.no_grad():
        if kind == "normal":
            Z = torch.randn(shape, generator=generator, dtype=th.dtype, device=th.device)
            dnu = Z
        else:
            E = torch.empty(shape, dtype=th.dtype, device=th.device).exponential_(
                generator=generator
            )
            E.clamp_(min=torch.finfo(th.dtype).tiny)
            Z = -torch.log(E)  # standard Gumbel
            dnu = 1.0 - E  # 1 - exp(-Z)
    y = _PerturbedArgmax.apply(th, Z, dnu, s)
    return to_output(y, not isinstance(theta, torch.Tensor))


# --------------------------------------------------------------------------- implicit


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
        A fixed point :math:`c^* = T(c^*, X)` of Lloyd's step (``temperature=0``) or of
        :func:`soft_lloyd_step` (``temperature > 0``).
    temperature : float
        :math:`\tau \ge 0`.
    rtol : float, optional
        Fixed-point tolerance: ``max |T(centers) - centers|`` must be at most ``rtol`` times the
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
        :math:`\tau > 0`, if :math:`I - \partial T/\partial c` is singular.

    Notes
    -----
    :math:`\tau = 0`: away from ties the labels are constant under a small move of the data, so
    :math:`c^*_k = \frac{1}{n_k}\sum_{i\in C_k} x_i` and
    :math:`J[k, :, i, :] = \mathbb 1[\mathrm{label}_i = k]\, I / n_k` (zero for an empty cluster,
    whose centre stays put).

    :math:`\tau > 0`: by the implicit function theorem applied to :math:`c = T(c, X)`,
    :math:`J = (I - \partial T/\partial c)^{-1}\,\partial T/\partial X`, with (:math:`u_{ik} =
    x_i - T_k`, :math:`v_{ik} = x_i - c_k`, :math:`\bar c_i = \sum_l r_{il} c_l`)

    .. math::
        \frac{\partial T_k}{\partial c_m} &= \frac{2}{\tau N_k}\sum_i r_{ik}
            (\delta_{km} - r_{im})\, u_{ik} v_{im}^\top, \\
        \frac{\partial T_k}{\partial x_j} &= \frac{r_{jk}}{N_k}\Big(I + \frac{2}{\tau}\,
            u_{jk} (c_k - \bar c_j)^\top\Big).

    Dropping :math:`\partial T/\partial c` leaves the one-step Jacobian
    :math:`\partial T/\partial X`; both tend to the :math:`\tau = 0` answer as :math:`\tau\to 0`
    (away from ties). Cost: :math:`O(n k^2 d^2)` to build, one :math:`kd\times kd` solve.
    """
    Xt, Ct, np_out = check_pair(X, centers)
    tau = check_real(temperature, "temperature", low=0.0)
    eps = torch.finfo(Xt.dtype).eps
    tol = math.sqrt(eps) if rtol is None else check_real(rtol, "rtol", low=0.0, low_open=True)
    n, d = Xt.shape
    k = Ct.shape[0]
    with torch.no_grad():
        Xs, Cs, _ = _shifted(Xt.detach(), Ct.detach())
        spread = float(((Xs - Xs.mean(dim=0)) ** 2).sum(dim=1).mean().sqrt())
        atol = tol * max(spread, float(Xs.abs().max()))
        D = _sq_dist(Xs, Cs)
        eye = torch.eye(d, dtype=Xt.dtype, device=Xt.device)
        if tau == 0.0:
            return to_output(_jacobian_hard(Xs, Cs, D, eye, atol), np_out)
        R = torch.softmax(D / -tau, dim=1)  # (n, k)
        N = R.sum(dim=0)
        T = (R.T @ Xs) / N.clamp(min=torch.finfo(Xt.dtype).tiny)[:, None]
        T = torch.where((N > 0)[:, None], T, Cs)
        gap = float((T - Cs).abs().max())
        if gap > atol:
            raise _fixed_point_error("soft", gap, atol, tau)
        Rn = R / N.clamp(min=torch.finfo(Xt.dtype).tiny)  # r_ik / N_k
        U = Xs[:, None, :] - T[None]  # (n, k, d): x_i - T_k
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
                f"I - dT/dc is singular at this fixed point (temperature={tau!r}): the fixed "
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
    T = torch.where((counts > 0)[:, None], means, Cs)
    gap_fp = float((T - Cs).abs().max())
    if gap_fp > atol:
        raise _fixed_point_error("lloyd", gap_fp, atol, 0.0)
    W = onehot.T / counts.clamp(min=1)[:, None]  # (k, n): 1[label_i = k] / n_k
    return W[:, None, :, None] * eye[None, :, None, :]
