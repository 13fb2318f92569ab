r"""Lesson 05: stochastic k-means — the question's mini-batch SGD, online, mini-batch k-means, Adam.

They all see the data a batch at a time. With labels from the *current* centres, a batch
:math:`B_t` of :math:`b` samples has counts :math:`m_k` and sums :math:`s_k`, and the batch loss
:math:`L_B(c) = \sum_{i\in B_t}\min_k\lVert x_i - c_k\rVert^2` has the argmin-constant gradient
:math:`g_k = 2(m_k c_k - s_k)` (see :mod:`argmin_kmeans.core`). They differ only in the step.
:math:`N_k` is a cumulative count: every sample centre *k* has won so far, over all batches.

================  ==========================================================================
``"sgd"``         the question's rule: :math:`c_k \leftarrow c_k - \eta\, g_k` with one global
                  :math:`\eta` — centre *k* moves a fraction :math:`2\eta m_k` of the way to
                  its batch mean, so big clusters move fast, small ones crawl, forever.
``"online"``      MacQueen (1967): one sample at a time, the winner moves
                  :math:`c_k \leftarrow c_k + (x - c_k)/N_k` after :math:`N_k \leftarrow
                  N_k + 1`. That is SGD on :math:`\lVert x - c_k\rVert^2` with the per-centre
                  rate :math:`1/(2 N_k)` = the inverse Hessian of the loss of the :math:`N_k`
                  samples seen: a stochastic Newton step (Bottou & Bengio, 1995). The centre
                  is the running mean of every sample it has won.
``"minibatch"``   Sculley (2010): labels for the whole batch from the centres at its start,
                  then :math:`N_k \leftarrow N_k + m_k`,
                  :math:`c_k \leftarrow c_k - g_k / (2 N_k) = c_k + (s_k - m_k c_k)/N_k`:
                  the per-centre rate :math:`\eta_k = 1/(2 N_k)`. Counts persist across batches.
``"adam"``        ``torch.optim.Adam`` on the batch loss (autograd through
                  :func:`~argmin_kmeans.kmeans_loss`'s constant labels).
``"sklearn"``     scikit-learn's ``MiniBatchKMeans.partial_fit`` fed the same batches.
================  ==========================================================================

Counts start at 0 (``counts=None``), as in Sculley's algorithm and scikit-learn, so the init
carries no weight: the first batch in which centre *k* wins samples moves it **all the way** to
their mean (a Lloyd step on that batch). Passing ``counts`` continues from earlier counts.

Matching scikit-learn
---------------------
``sklearn.cluster.MiniBatchKMeans(n_clusters=k, init=C0, n_init=1, reassignment_ratio=0.0,
compute_labels=False)`` fed the batches one ``partial_fit(X[batch])`` call at a time
(``sample_weight=None``) computes :func:`minibatch_step` with ``counts`` starting at 0, to
rounding (it multiplies by ``1 / (w + m)`` where we divide):

* the first ``partial_fit`` copies ``init`` as the centres (``n_init=1``, ``init_size`` only
  draws unused random indices) and sets its weight sums ``_counts`` to zeros;
* every call labels the batch with the centres at its start, then for each centre with
  :math:`m_k > 0` sets ``c = (c * w + s) * (1 / (w + m))``, ``w += m``
  (``_k_means_minibatch.pyx``, ``update_center_dense``); a centre with no sample keeps its place;
* ``reassignment_ratio=0`` disables its random re-seeding of small clusters (at the default
  0.01 it already runs on the first call, because every count is 0 before it);
* its **first** batch must hold at least ``n_clusters`` samples (its input check).

``MiniBatchKMeans.fit`` is different: it draws its own batches with replacement from its own RNG,
initialises from a subsample and stops early, so it cannot be fed our batches.

Batches
-------
:func:`batch_indices` draws them with a seeded ``torch.Generator``: by default a stream of
independent random permutations of ``range(n_samples)`` cut into consecutive batches, so after
``p`` passes every sample has been seen ``p`` times (a batch may straddle two passes); with
``replace=True`` the question's draws, ``torch.randint`` with replacement, one call per batch
(the batches of :func:`argmin_kmeans.question.question_experiment` with the same seed).

Runs
----
:func:`fit_stochastic` runs one method through :func:`argmin_kmeans.engine.run` (one loop, one
:class:`~argmin_kmeans.History` with ``samples_seen``); :func:`race` runs them all on the same
batches. Its data are :func:`argmin_kmeans.datasets.race_data`, its picture
:func:`argmin_kmeans.plotting.plot_race`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from ._validation import (
    ArrayLike,
    check_choice,
    check_int,
    check_lr,
    check_pair,
    check_seed,
    to_output,
)
from .core import estep, gd_update, means_update
from .engine import History, fit, run

__all__ = [
    "STOCHASTIC_METHODS",
    "batch_indices",
    "log_spaced_steps",
    "sgd_step",
    "online_step",
    "minibatch_step",
    "fit_stochastic",
    "race",
]

Method = Literal["sgd", "online", "minibatch", "adam", "sklearn"]

#: The methods :func:`fit_stochastic` runs, with the one-line rule each applies per batch.
STOCHASTIC_METHODS: dict[str, str] = {
    "sgd": "c_k -= lr * 2 (m_k c_k - s_k)   (global lr; the question's rule)",
    "online": "per sample: N_k += 1, c_k += (x - c_k) / N_k   (MacQueen 1967)",
    "minibatch": "N_k += m_k, c_k += (s_k - m_k c_k) / N_k   (Sculley 2010)",
    "adam": "torch.optim.Adam(lr) on the batch loss",
    "sklearn": "sklearn MiniBatchKMeans.partial_fit on the same batches (reassignment_ratio=0)",
}


# --------------------------------------------------------------------------- validation


def _check_batch(X: object, centers: object) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """:func:`check_pair` for a batch, which may hold fewer samples than there are centres."""
    return check_pair(X, centers, allow_more_clusters=True)


def _check_counts(counts: object, k: int, like: torch.Tensor) -> torch.Tensor:
    """Per-centre counts (weight sums) as float64 on ``like``'s device: ``None`` means zeros;
    else ``(k,)``, finite, >= 0. float64 counts stay exact up to 2**53 samples (float32 ones
    stop counting at 2**24 = 16,777,216)."""
    if counts is None:
        return torch.zeros(k, dtype=torch.float64, device=like.device)
    if not isinstance(counts, (np.ndarray, torch.Tensor)):
        raise TypeError(
            f"counts must be None or a ({k},) array of per-centre counts, "
            f"got {type(counts).__name__}"
        )
    t = torch.as_tensor(counts)
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"counts has dtype {t.dtype}; use floats or integers")
    if t.shape != (k,):
        raise ValueError(
            f"counts must have shape ({k},) (one per centre), got shape {tuple(t.shape)}"
        )
    t = t.to(device=like.device, dtype=torch.float64)
    bad = ~torch.isfinite(t) | (t < 0)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(f"counts must be finite and >= 0, got counts[{i}]={t[i].item()!r}")
    return t.clone()


# --------------------------------------------------------------------------- batches


def batch_indices(
    n_samples: int, batch_size: int, n_steps: int, *, seed: int = 0, replace: bool = False
) -> torch.Tensor:
    """The sample indices of every batch, reproducibly.

    Parameters
    ----------
    n_samples, batch_size, n_steps : int
        ``1 <= batch_size <= n_samples``, ``n_steps >= 0``.
    seed : int
        Seed of the ``torch.Generator`` that draws the batches.
    replace : bool
        ``False``: sample without replacement within each pass (below). ``True``: the
        question's draws — batch ``t`` is ``torch.randint(n_samples, (batch_size,),
        generator=g)``, one call per batch, so a batch can hold a sample twice; these are the
        batches of :func:`argmin_kmeans.question.question_experiment` with the same ``seed``.

    Returns
    -------
    indices : int64 tensor (CPU), shape (n_steps, batch_size)
        Row ``t`` is batch ``t``. Without replacement, the rows, read in order, are consecutive
        pieces of a stream of independent random permutations of ``range(n_samples)``.
    """
    n = check_int(n_samples, "n_samples", low=1)
    b = check_int(batch_size, "batch_size", low=1, high=n)
    t = check_int(n_steps, "n_steps", low=0)
    g = torch.Generator().manual_seed(check_seed(seed))
    if check_choice(replace, "replace", (False, True)):
        draws = [torch.randint(n, (b,), generator=g) for _ in range(t)]  # one call per batch
        return torch.stack(draws) if draws else torch.empty((0, b), dtype=torch.int64)
    n_perm = math.ceil(t * b / n)
    stream = [torch.randperm(n, generator=g) for _ in range(n_perm)]
    flat = torch.cat(stream) if stream else torch.empty(0, dtype=torch.int64)
    return flat[: t * b].reshape(t, b)


def log_spaced_steps(n_steps: int, num: int = 30) -> list[int]:
    """About ``num`` step counts ``0, 1, 2, ..., n_steps``, geometrically spaced.

    Handy as ``eval_every`` for a loss-versus-points plot on a log axis.
    """
    t = check_int(n_steps, "n_steps", low=0)
    num = check_int(num, "num", low=2)
    if t == 0:
        return [0]
    grid = np.unique(np.round(np.geomspace(1, t, num)).astype(np.int64))
    return [0, *(int(s) for s in grid)]


# --------------------------------------------------------------------------- step functions


def sgd_step(X: ArrayLike, centers: ArrayLike, lr: float | ArrayLike) -> ArrayLike:
    r"""The question's SGD step on one batch: :math:`c_k \leftarrow c_k - \eta\, 2(m_k c_k - s_k)`.

    Parameters
    ----------
    X : tensor or ndarray, shape (batch_size, n_features)
        The batch (it may hold fewer samples than there are centres).
    centers : tensor or ndarray, shape (n_clusters, n_features)
    lr : float or array of shape (n_clusters,)
        Global step size :math:`\eta` (or one per centre); positive, finite.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        Equal to the question's ``loss.backward(); c -= lr * c.grad`` on the batch
        (:func:`argmin_kmeans.naive.question_step`, tested).

    Notes
    -----
    Centre *k* moves :math:`2\eta m_k` of the way to the mean of its :math:`m_k` batch samples.
    The fraction depends on how many samples it won, not on how many it has seen before, so it
    never shrinks: SGD with a constant rate keeps jittering around the minimum.
    """
    Xt, Ct, np_out = _check_batch(X, centers)
    eta = check_lr(lr, Ct.shape[0], Ct)
    with torch.no_grad():
        out = _sgd(Xt, Ct.detach(), eta)
    return to_output(out, np_out)


def _sgd(X: torch.Tensor, C: torch.Tensor, eta: float | torch.Tensor) -> torch.Tensor:
    return gd_update(C, estep(X, C, with_inertia=False), eta)


def minibatch_step(
    X: ArrayLike, centers: ArrayLike, counts: ArrayLike | None = None
) -> tuple[ArrayLike, ArrayLike]:
    r"""One mini-batch k-means step (Sculley 2010; scikit-learn's ``partial_fit``).

    Parameters
    ----------
    X : tensor or ndarray, shape (batch_size, n_features)
    centers : tensor or ndarray, shape (n_clusters, n_features)
    counts : array of shape (n_clusters,), optional
        :math:`N_k`, the samples each centre has absorbed so far (``None``: zeros). Not modified.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
        :math:`(N_k c_k + s_k)/(N_k + m_k)` for centres that won :math:`m_k > 0` batch samples
        with sum :math:`s_k` (labels from ``centers``); the others stay.
    new_counts : float64, shape (n_clusters,)
        :math:`N_k + m_k`.

    Notes
    -----
    The update is :math:`c_k - \frac{1}{2(N_k+m_k)}\, 2(m_k c_k - s_k)`: gradient descent on the
    batch loss with the per-centre rate :math:`1/(2(N_k + m_k))`, the inverse Hessian of the
    loss of every sample the centre has absorbed. Sculley applies it one sample
    at a time, :math:`c_k \mathrel{+}= (x - c_k)/N_k`, with labels fixed at the start of the batch;
    that telescopes to the same running mean. With ``counts`` at zero and the whole data set as
    the batch it is :func:`argmin_kmeans.lloyd_step` (``empty="keep"``), bit for bit: both are
    :func:`argmin_kmeans.core.means_update` on the same statistics.
    """
    Xt, Ct, np_out = _check_batch(X, centers)
    n = _check_counts(counts, Ct.shape[0], Ct)
    with torch.no_grad():
        C, n = _minibatch(Xt, Ct.detach(), n)
    return to_output(C, np_out), to_output(n, np_out)


def _minibatch(
    X: torch.Tensor, C: torch.Tensor, n: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    s = estep(X, C, with_inertia=False)
    total = n + s.counts
    # Sculley's centre is the mean of everything it has absorbed: the old centre counts as N_k
    # samples at c_k, the batch adds its m_k samples; one M-step (core.means_update) on those
    # pooled statistics. A centre that won nothing keeps its place exactly (count 0 there).
    pooled = s._replace(
        counts=torch.where(s.counts > 0, total, torch.zeros_like(total)),
        sums=s.sums + n.to(C.dtype)[:, None] * (C - s.shift),
    )
    return means_update(C, pooled), total


def online_step(
    X: ArrayLike, centers: ArrayLike, counts: ArrayLike | None = None
) -> tuple[ArrayLike, ArrayLike]:
    r"""Online k-means (MacQueen 1967) over the rows of ``X``, one sample at a time, in order.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_points, n_features)
        Processed row by row; each sample is labelled with the centres as they are *after* the
        previous sample.
    centers : tensor or ndarray, shape (n_clusters, n_features)
    counts : array of shape (n_clusters,), optional
        Samples won so far (``None``: zeros). Not modified.

    Returns
    -------
    new_centers : shape (n_clusters, n_features)
    new_counts : float64, shape (n_clusters,)

    Notes
    -----
    For each sample :math:`x`: :math:`k = \arg\min_j \lVert x - c_j\rVert^2`,
    :math:`N_k \leftarrow N_k + 1`, :math:`c_k \leftarrow c_k + (x - c_k)/N_k`. With counts
    starting at 0 the centre is the running mean of the samples it has won. It equals
    :func:`minibatch_step` applied to batches of one sample (up to rounding, tested).

    The loop is sequential by nature, so it runs in NumPy on the CPU (a few microseconds per
    sample; per-sample GPU kernel launches would cost more) in X's precision, and the result is
    returned on X's device.
    """
    Xt, Ct, np_out = _check_batch(X, centers)
    n = _check_counts(counts, Ct.shape[0], Ct)
    with torch.no_grad():
        C, n = _online(Xt, Ct.detach(), n)
    return to_output(C, np_out), to_output(n, np_out)


def _online(X: torch.Tensor, C: torch.Tensor, n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    Xn = X.detach().cpu().numpy()
    Cn = C.detach().cpu().numpy().copy()
    nn = n.detach().cpu().numpy().astype(np.float64)  # exact counts up to 2**53
    for x in Xn:
        diff = Cn - x  # direct differences: translation-invariant, exact ties to the lowest index
        k = int(np.argmin(np.einsum("kd,kd->k", diff, diff)))
        nn[k] += 1
        ck = Cn[k]
        ck += (x - ck) / ck.dtype.type(nn[k])
    return torch.from_numpy(Cn).to(C.device), torch.from_numpy(nn).to(n.device)


# --------------------------------------------------------------------------- the driver


def _eval_steps(eval_every: object, n_steps: int) -> list[int]:
    if isinstance(eval_every, (int, np.integer)) and not isinstance(eval_every, bool):
        e = check_int(eval_every, "eval_every", low=1)
        return sorted(set(range(0, n_steps + 1, e)) | {0, n_steps})
    if isinstance(eval_every, (list, tuple, range, np.ndarray)):
        steps = [check_int(s, f"eval_every[{i}]", low=0, high=n_steps)
                 for i, s in enumerate(eval_every)]
        return sorted(set(steps) | {0, n_steps})
    raise TypeError(
        f"eval_every must be a positive integer or a sequence of step counts, got {eval_every!r}"
    )


def fit_stochastic(
    X: ArrayLike,
    init: ArrayLike,
    method: Method | str = "minibatch",
    *,
    batch_size: int | None = None,
    n_steps: int = 100,
    lr: float | ArrayLike | None = None,
    seed: int = 0,
    eval_every: int | Sequence[int] = 10,
    counts: ArrayLike | None = None,
    replace: bool = False,
) -> History:
    r"""Run a stochastic k-means method on seeded batches; record the full-data loss at checkpoints.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
        Initial centres (copied, never modified).
    method : {"minibatch", "online", "sgd", "adam", "sklearn"}
        See :data:`STOCHASTIC_METHODS` and the module docstring. ``"online"`` processes the
        samples of each batch one at a time (the batch only sets how often the loss can be
        recorded); ``"sklearn"`` needs ``batch_size >= n_clusters``.
    batch_size : int, optional
        Samples per step, ``1 <= batch_size <= n_samples``; default ``min(1024, n_samples)``
        (scikit-learn's default).
    n_steps : int
        Number of batches (``n_steps * batch_size / n_samples`` passes over the data).
    lr : float or array of shape (n_clusters,), optional
        Required by ``"sgd"`` (global or per-centre :math:`\eta`) and ``"adam"`` (a float);
        refused by the count-based methods, whose per-centre step sizes are :math:`1/(2 N_k)`
        (a move of :math:`m_k/N_k` of the way, :math:`N_k` the cumulative count).
    seed : int
        Seed of :func:`batch_indices`. The same ``(n_samples, batch_size, n_steps, seed,
        replace)`` gives every method the same batches in the same order.
    eval_every : int or sequence of int
        Record a checkpoint every ``eval_every`` steps, or after each listed number of steps
        (e.g. :func:`log_spaced_steps`). Step 0 (the init) and ``n_steps`` are always recorded.
        Each checkpoint costs one full-data loss evaluation (one pass of :func:`assign`).
    counts : array of shape (n_clusters,), optional
        Starting counts for "online"/"minibatch" (default zeros: the init has no weight).
    replace : bool
        Draw the batches with replacement, as the question does (see :func:`batch_indices`):
        with ``seed=1``, ``batch_size=100`` these are the batches of
        :func:`argmin_kmeans.question.question_experiment`'s default run.

    Returns
    -------
    History
        Tensors on X's device in X's dtype (NumPy arrays if ``X`` and ``init`` are NumPy).
    """
    method = check_choice(method, "method", tuple(STOCHASTIC_METHODS))
    Xt, C, np_out = check_pair(X, init)
    n, k = Xt.shape[0], C.shape[0]
    b = min(1024, n) if batch_size is None else check_int(batch_size, "batch_size", low=1, high=n)
    t_max = check_int(n_steps, "n_steps", low=0)
    seed = check_seed(seed)
    evals = _eval_steps(eval_every, t_max)
    eta: float | torch.Tensor | None = None
    if method in ("sgd", "adam"):
        if lr is None:
            raise ValueError(f"method={method!r} needs a step size: pass lr=... (e.g. lr=1e-5)")
        eta = check_lr(lr, k, C)
        if method == "adam" and not isinstance(eta, float):
            raise TypeError("method='adam' takes one float lr (Adam scales each coordinate itself)")
    elif lr is not None:
        raise ValueError(
            f"method={method!r} takes no lr (its per-centre step sizes are 1/(2 N_k), "
            f"N_k the samples centre k has won so far), got lr={lr!r}"
        )
    if counts is not None and method not in ("online", "minibatch"):
        raise ValueError(f"counts are only used by 'online' and 'minibatch', not {method!r}")
    if method == "sklearn" and t_max > 0 and b < k:
        raise ValueError(
            f"method='sklearn' needs batch_size >= n_clusters (scikit-learn checks its first "
            f"batch), got batch_size={b} < n_clusters={k}"
        )
    idx = batch_indices(n, b, t_max, seed=seed, replace=replace).to(Xt.device)
    step = _stepper(method, Xt, C.detach().clone(), eta, counts)

    def update(C: torch.Tensor, s: object, t: int) -> torch.Tensor:
        step(idx[t - 1])
        return step.state()[0]

    has_counts = method in ("online", "minibatch", "sklearn")
    return run(
        Xt, C, update, method=method, max_iter=t_max, lr=lr, tol=None, record_steps=evals,
        batch_size=b, counts=(lambda: step.state()[1]) if has_counts else None,
        numpy_out=np_out,
    )


class _Stepper:
    """Holds a method's state; ``step(batch_index)`` updates it, ``state()`` reads it."""

    def __init__(self, update: Callable[[torch.Tensor], None], state: Callable[[], tuple]) -> None:
        self.update, self.state = update, state

    def __call__(self, index: torch.Tensor) -> None:
        self.update(index)


def _stepper(
    method: str, X: torch.Tensor, C: torch.Tensor, eta: float | torch.Tensor | None, counts: object
) -> _Stepper:
    k = C.shape[0]
    s: dict[str, torch.Tensor | None] = {"C": C, "n": None}
    if method in ("online", "minibatch"):
        s["n"] = _check_counts(counts, k, C)
        rule = _online if method == "online" else _minibatch

        def update(i: torch.Tensor) -> None:
            s["C"], s["n"] = rule(X[i], s["C"], s["n"])  # type: ignore[arg-type]

        return _Stepper(update, lambda: (s["C"], s["n"]))

    if method == "sgd":

        def update_sgd(i: torch.Tensor) -> None:
            s["C"] = _sgd(X[i], s["C"], eta)  # type: ignore[arg-type]

        return _Stepper(update_sgd, lambda: (s["C"], None))

    if method == "adam":
        P = C.clone().requires_grad_(True)
        opt = torch.optim.Adam([P], lr=float(eta))  # type: ignore[arg-type]

        def update_adam(i: torch.Tensor) -> None:
            Xb = X[i]
            with torch.enable_grad():
                labels = estep(Xb, P.detach(), with_inertia=False).labels
                diff = Xb - P[labels]  # (batch, d): labels are constants, as in kmeans_loss
                loss = (diff * diff).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
            opt.step()

        return _Stepper(update_adam, lambda: (P.detach(), None))

    # "sklearn": MiniBatchKMeans.partial_fit on NumPy copies of the same batches
    from sklearn.cluster import MiniBatchKMeans

    Xn = X.detach().cpu().numpy()
    km = MiniBatchKMeans(
        n_clusters=k,
        init=C.detach().cpu().numpy(),
        n_init=1,
        reassignment_ratio=0.0,
        compute_labels=False,
        random_state=0,
    )

    def update_sk(i: torch.Tensor) -> None:
        km.partial_fit(Xn[i.cpu().numpy()])

    def state_sk() -> tuple[torch.Tensor, torch.Tensor]:
        if not hasattr(km, "cluster_centers_"):
            return C, torch.zeros(k, dtype=C.dtype, device=C.device)
        centers = torch.from_numpy(km.cluster_centers_.copy())
        weights = torch.from_numpy(km._counts.copy())  # scikit-learn's weight sums (private)
        return (centers.to(device=C.device, dtype=C.dtype),
                weights.to(device=C.device, dtype=C.dtype))

    return _Stepper(update_sk, state_sk)


# --------------------------------------------------------------------------- the race


def race(
    X: ArrayLike,
    init: ArrayLike,
    *,
    batch_size: int = 1000,
    passes: int = 5,
    online_passes: int = 1,
    lr_sgd: float = 1e-5,
    lr_gd: float = 1e-5,
    lr_adam: float = 0.03,
    seed: int = 0,
    n_checkpoints: int = 20,
) -> dict[str, History]:
    """Every method on the same data, init and batches, scored by full-data loss per pass.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
    batch_size : int
        Shared by every stochastic method (the same :func:`batch_indices` for all of them).
    passes : int
        Budget in passes over the data: ``passes`` iterations of batch GD and Lloyd (Lloyd stops
        earlier at its fixed point), ``passes * n_samples // batch_size`` steps of the others,
        except online k-means, which gets ``online_passes`` (its Python loop is the slow one).
    lr_sgd, lr_gd, lr_adam : float
        Step sizes of the question's SGD, batch gradient descent and Adam.
    seed : int
        Batch seed.
    n_checkpoints : int
        About this many log-spaced checkpoints per stochastic run, plus every whole pass.

    Returns
    -------
    dict
        Display label -> :class:`History`, in plotting order.
    """
    Xt, _, _ = check_pair(X, init)
    n = Xt.shape[0]
    passes = check_int(passes, "passes", low=1)
    online_passes = check_int(online_passes, "online_passes", low=1)

    def schedule(p: int) -> tuple[int, list[int]]:
        t = p * n // batch_size
        whole = [q * n // batch_size for q in range(1, p + 1)]
        return t, sorted(set(log_spaced_steps(t, n_checkpoints)) | set(whole))

    out: dict[str, History] = {}
    batch_runs = [(f"batch GD (lr={lr_gd:g})", "gd", lr_gd), ("Lloyd (= Newton)", "lloyd", None)]
    for label, method, lr in batch_runs:
        out[label] = fit(X, init, method, lr=lr, max_iter=passes, tol=0.0)
    runs = [
        ("online k-means (MacQueen)", "online", online_passes, None),
        ("mini-batch k-means (ours)", "minibatch", passes, None),
        ("scikit-learn MiniBatchKMeans", "sklearn", passes, None),
        (f"SGD, the question's (lr={lr_sgd:g})", "sgd", passes, lr_sgd),
        (f"Adam (lr={lr_adam:g})", "adam", passes, lr_adam),
    ]
    for label, method, p, lr in runs:
        t, ev = schedule(p)
        out[label] = fit_stochastic(
            X, init, method, batch_size=batch_size, n_steps=t, lr=lr, seed=seed, eval_every=ev
        )
    return out
