r"""Gradients through the choice itself (lesson 07): soft k-means and deterministic annealing,
straight-through, perturbed argmax.

Lessons 01-06 show that training k-means by gradient descent never differentiates the argmin.
This module is for the cases where a gradient *through the choice* is wanted:

* :func:`soft_assign`, :func:`soft_kmeans_loss`, :func:`soft_lloyd_step` — the soft k-means
  relaxation at temperature :math:`\tau`: responsibilities
  :math:`r_{ik} = \mathrm{softmax}_k(-d_{ik}/\tau)` with :math:`d_{ik} = \lVert x_i - c_k\rVert^2`,
  the free energy :math:`L_\tau = -\tau\sum_i \log\sum_k e^{-d_{ik}/\tau}`, and its EM step.
* :func:`critical_temperature`, :func:`anneal` — deterministic annealing (Rose, Gurewitz & Fox
  1990): soft Lloyd followed down a cooling schedule, with the small perturbation per temperature
  that lets equal centres split below :math:`\tau_c = 2\lambda_{\max}`.
* :func:`straight_through_assign` — one-hot forward, the soft gradient backward (Bengio, Léonard &
  Courville 2013), the estimator behind VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017) and,
  with Gumbel noise added to the logits, behind the straight-through Gumbel-softmax (Jang, Gu &
  Poole 2017; Maddison, Mnih & Teh 2017).
* :func:`perturbed_argmax` — the perturbed optimizer of Berthet et al. (2020): a Monte Carlo
  estimate of :math:`\mathbb E[\mathrm{onehot}(\arg\max(\theta + \sigma Z))]` whose backward is
  their Jacobian estimator.

How the optimal centres move with the data (implicit differentiation of the fixed point,
lesson 08) is :mod:`argmin_kmeans.implicit`.

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

from collections.abc import Sequence
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
    check_seed,
    check_X,
    to_output,
)

__all__ = [
    "anneal",
    "critical_temperature",
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
    :math:`\tau/2` in every direction (Rose, Gurewitz & Fox 1990, *Statistical mechanics and phase
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
    computed in that form, :math:`\sum_i \delta_i - \tau\sum_i \log\sum_k
    e^{-(d_{ik} - \delta_i)/\tau}` with :math:`\delta_i = \min_k d_{ik}`, so it never overflows and the bounds hold in floating
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

    .. math:: c_k \leftarrow \frac{\sum_i r_{ik} x_i}{\tilde n_k}, \qquad
              \tilde n_k = \sum_i r_{ik}\ \text{(the soft count)}.

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
        Cho et al. 2022). A centre whose :math:`\tilde n_k` underflows to exactly 0 stays where it is.

    Notes
    -----
    EM for the equal-weight isotropic Gaussian mixture with variance :math:`\tau/2`: it never
    increases :func:`soft_kmeans_loss`. It is also a gradient step on :math:`L_\tau` with the
    per-centre step size :math:`1/(2\tilde n_k)` — the inverse of the Hessian of the M-step
    objective, the soft twin of "Newton = Lloyd" — because
    :math:`c_k - \frac{1}{2\tilde n_k}\,2(\tilde n_k c_k - \sum_i r_{ik}x_i)
    = \sum_i r_{ik}x_i/\tilde n_k`.
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


# --------------------------------------------------------------------------- annealing


def critical_temperature(X: ArrayLike) -> float:
    r"""The first critical temperature of deterministic annealing, :math:`\tau_c = 2\lambda_{\max}`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)

    Returns
    -------
    tau_c : float
        Twice the largest eigenvalue of the covariance of ``X`` (divided by ``n_samples``, as
        the soft-Lloyd step averages over the samples).

    Notes
    -----
    Above :math:`\tau_c` the only minimum of :func:`soft_kmeans_loss` has every centre at the
    data mean :math:`\bar x`. Linearise one :func:`soft_lloyd_step` there: with
    :math:`c_k = \bar x + \delta_k` and :math:`\bar\delta` the mean of the :math:`\delta_k`,
    :math:`r_{ik} \approx \frac1K\big(1 + \frac2\tau (x_i - \bar x)\cdot(\delta_k -
    \bar\delta)\big)`, so the step maps :math:`\delta_k - \bar\delta` to
    :math:`\frac2\tau\Sigma(\delta_k - \bar\delta)`, :math:`\Sigma` the covariance. The centres
    drift apart along the top eigenvector of :math:`\Sigma` once :math:`2\lambda_{\max}/\tau > 1`
    (Rose, Gurewitz & Fox 1990). Centres that are *exactly* equal have
    :math:`\delta_k - \bar\delta = 0` and stay equal at every temperature.
    """
    Xt, _ = check_X(X)
    with torch.no_grad():
        Xd = Xt.detach().double()
        Xc = Xd - Xd.mean(dim=0)
        cov = Xc.T @ Xc / Xd.shape[0]
        return 2.0 * float(torch.linalg.eigvalsh(cov)[-1])


def anneal(
    X: ArrayLike,
    centers: ArrayLike,
    temperatures: Sequence[float],
    *,
    steps: int = 10,
    perturbation: float = 0.0,
    seed: int = 0,
) -> tuple[ArrayLike, ArrayLike]:
    r"""Deterministic annealing: soft-Lloyd steps down a cooling schedule.

    At each temperature :math:`\tau` of ``temperatures`` (in the order given), every centre is
    moved by an independent Gaussian perturbation of standard deviation ``perturbation`` times
    the data's scale (the root-mean-square distance of the samples to their mean) in each
    coordinate, then ``steps`` :func:`soft_lloyd_step` calls follow the minimum of
    :math:`L_\tau`.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
        Where to start, e.g. every centre at the data mean (the minimum above
        :func:`critical_temperature`).
    temperatures : sequence of float
        Positive temperatures, usually decreasing.
    steps : int
        Soft-Lloyd steps per temperature (at least 1).
    perturbation : float
        Relative size of the symmetry-breaking noise (0: none). Without it, centres that start
        equal stay equal for ever (see Notes).
    seed : int
        Seed of the perturbation's ``torch.Generator`` (on the CPU).

    Returns
    -------
    centers : shape (n_clusters, n_features)
        After the last temperature (no gradient: annealing is a solver here, not a layer).
    path : shape (n_temperatures, n_clusters, n_features)
        The centres after the steps at each temperature.

    Notes
    -----
    The soft-Lloyd step treats equal centres identically (equal distances, equal
    responsibilities, equal weighted means), so the symmetric point is a fixed point at every
    temperature; below :math:`\tau_c` it is an unstable one, and a perturbation of any size grows
    by about :math:`2\lambda_{\max}/\tau` per step along the top eigenvector. Rose (1998,
    *Deterministic annealing for clustering, compression, classification, regression, and
    related optimization problems*) perturbs duplicated codevectors in the same way.
    """
    Xt, Ct, np_out = check_pair(X, centers)
    taus = [check_real(t, f"temperatures[{j}]", low=0.0, low_open=True)
            for j, t in enumerate(temperatures)]
    if not taus:
        raise ValueError("temperatures is empty: give at least one temperature")
    n_steps = check_int(steps, "steps", low=1)
    size = check_real(perturbation, "perturbation", low=0.0)
    gen = torch.Generator().manual_seed(check_seed(seed))
    path = []
    with torch.no_grad():
        Xd, C = Xt.detach(), Ct.detach().clone()
        scale = float(((Xd - Xd.mean(dim=0)) ** 2).sum(dim=1).mean().sqrt())
        for tau in taus:
            if size > 0:
                noise = torch.randn(C.shape, generator=gen, dtype=C.dtype)
                C = C + (size * scale) * noise.to(C.device)
            for _ in range(n_steps):
                C = torch.as_tensor(soft_lloyd_step(Xd, C, tau))
            path.append(C)
    return to_output(C, np_out), to_output(torch.stack(path), np_out)


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
