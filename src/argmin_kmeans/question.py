r"""Lesson 02: the question's experiment, run end to end and reproducibly, with baselines to judge it.

The question: :math:`n = 1000` points uniform in :math:`[0, 1)^{d}`, :math:`d = 200`,
:math:`K = 20` clusters, initial centres = 20 samples picked at random **with replacement**,
then 4001 steps of mini-batch SGD on the centres (step :math:`t` draws a batch :math:`B_t` of
:math:`b = 100` samples with replacement, :math:`\eta = 10^{-5}`, the loss *summed* over the
batch). Each step is :func:`argmin_kmeans.naive.question_loss` (the ``(K, b, d)`` difference
tensor, ``torch.min(distances, 0)[1]`` memberships, a per-cluster loop over boolean masks that
skips empty clusters), ``backward()``, and ``c -= lr * c.grad`` under ``torch.no_grad()``.

What one step does, in closed form: with the batch memberships held constant, centre *k* owning
:math:`m_k` samples of the batch with sum :math:`s_k` gets the gradient
:math:`2(m_k c_k - s_k)`, so

.. math:: c_k \leftarrow (1 - 2\eta m_k)\, c_k + 2\eta m_k\, s_k / m_k ,

a fraction :math:`2\eta m_k` of the way to the mean of the samples it won. With
:math:`m_k \approx b/K = 5` and :math:`\eta = 10^{-5}` that is :math:`10^{-4}` per step.
A per-centre step :math:`\eta_k = 1/(2 m_k)` would jump to that batch mean at every step and
never settle; :math:`\eta_k = 1/(2 N_k)` with the cumulative count :math:`N_k` (all batch
samples centre *k* has won so far) is one decreasing step that settles: mini-batch k-means
(:func:`argmin_kmeans.stochastic.minibatch_step`, scikit-learn's ``MiniBatchKMeans`` with
``reassignment_ratio=0``). It fixes the step, not the start: on the question's uniform data it
still leaves centres with a single sample (lesson 02). With
the full data as the batch (:math:`m_k = n_k`, :math:`s_k = S_k`), :math:`\eta_k = 1/(2 n_k)`
is Lloyd's update.

Everything here is seeded through one ``torch.Generator`` per call, so a run is a pure function
of its arguments (up to float32 summation order, which depends on the thread count). The data
are :func:`argmin_kmeans.datasets.uniform_data` and :func:`~argmin_kmeans.datasets.blob_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    check_X,
)
from .core import Stats, estep, gd_update, kmeans_loss
from .engine import History, run
from .naive import question_loss

__all__ = [
    "QUESTION_SETUP",
    "QuestionRun",
    "init_with_replacement",
    "question_experiment",
    "mean_centers",
    "box_centers",
    "sklearn_centers",
    "loss64",
    "saved_tensor_bytes",
    "difference_tensor_bytes",
]

#: The question's numbers.
QUESTION_SETUP: dict[str, float | int] = {
    "n_samples": 1000,
    "n_features": 200,
    "n_clusters": 20,
    "n_steps": 4001,
    "batch_size": 100,
    "lr": 1e-5,
}

Implementation = Literal["question", "core"]




# --------------------------------------------------------------------------- the init


def init_with_replacement(X: ArrayLike, n_clusters: int, *, seed: int = 0) -> torch.Tensor:
    """The question's init: ``n_clusters`` samples of ``X`` drawn **with replacement**.

    Returns
    -------
    centers : tensor, shape (n_clusters, n_features)
        A copy. Two rows can be the same sample (probability 17.4 % for 20 of 1000). At the
        start a duplicate wins no sample (ties go to the lowest index), but it is not dead: as
        soon as the original moves off their common seed point, the duplicate is the nearest
        centre to it (at distance 0) and owns it — with the question's loop and centre 5 a copy
        of centre 3, from the first step on (lesson 02).
    """
    Xt, _ = check_X(X)
    k = check_int(n_clusters, "n_clusters", low=1)
    g = torch.Generator().manual_seed(check_seed(seed))
    idx = torch.randint(Xt.shape[0], (k,), generator=g)
    return Xt.detach()[idx.to(Xt.device)].clone()


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class QuestionRun:
    """What :func:`question_experiment` recorded: the engine's :class:`History` and what the
    question's loop adds to it.

    Attributes
    ----------
    history : History
        The checkpoints (every ``record_every`` steps and after the last), from
        :func:`argmin_kmeans.engine.run`: ``history.loss`` is the inertia of the full data in
        float64, ``history.centers`` the centres at each checkpoint (float64 copies).
    init, centers : tensor, shape (n_clusters, n_features)
        The starting and the final centres, in X's dtype.
    batch_loss : ndarray, shape (n_steps,)
        The loss the question prints: step ``t``'s mini-batch loss, before its update.
    moves : ndarray of int, shape (n_clusters,)
        In how many steps each centre moved, i.e. won at least one sample of the batch.
    lr : float
    batch_size : int
    implementation : {"question", "core"}
    """

    history: History
    init: torch.Tensor
    centers: torch.Tensor
    batch_loss: np.ndarray
    moves: np.ndarray
    lr: float
    batch_size: int
    implementation: str

    @property
    def steps(self) -> np.ndarray:
        """Steps at which the full-data loss was recorded (0, ``record_every``, ..., ``n_steps``)."""
        return self.history.steps

    @property
    def full_loss(self) -> np.ndarray:
        """``kmeans_loss(X, centres after steps[j] updates)`` in float64, shape (n_records,)."""
        return torch.as_tensor(self.history.loss).detach().cpu().numpy().astype(np.float64)

    @property
    def final_loss(self) -> float:
        """Full-data loss of the final centres."""
        return self.history.final_loss

    @property
    def n_steps(self) -> int:
        return int(self.batch_loss.shape[0])


def question_experiment(
    X: ArrayLike,
    init: ArrayLike,
    *,
    n_steps: int = 4001,
    batch_size: int = 100,
    lr: float = 1e-5,
    seed: int = 1,
    record_every: int = 10,
    implementation: Implementation = "question",
) -> QuestionRun:
    r"""Run the question's mini-batch SGD from ``init`` and record it.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
        Starting centres (copied, never modified).
    n_steps, batch_size : int
        Number of updates; samples per batch, drawn **with replacement** from a
        ``torch.Generator`` seeded with ``seed`` (the same batches for both implementations).
    seed : int
        Seed of the batch stream. Keep it different from the seed of
        :func:`init_with_replacement`: both draw with ``torch.randint(n_samples, ...)``, so with
        equal seeds the first batch would start with the very samples the centres sit on.
    lr : float
        The global step size :math:`\eta` on the *summed* batch loss.
    record_every : int
        Record the full-data loss every this many steps (and after the last).
    implementation : {"question", "core"}
        ``"question"``: the question's loop — one leaf tensor ``c``, the loss of
        :func:`~argmin_kmeans.naive.question_loss`, ``backward()``, ``c -= lr * c.grad`` under
        ``torch.no_grad()``, ``c.grad.zero_()``. ``"core"``: the same update in closed form,
        :func:`argmin_kmeans.core.gd_update` on the E-step of the batch (no autograd, no
        ``(K, b, d)`` tensor). Both compute :math:`c_k - 2\eta(m_k c_k - s_k)`, to rounding.

    Returns
    -------
    QuestionRun

    Notes
    -----
    The loop is :func:`argmin_kmeans.engine.run`: the update closure draws the batch, takes the
    step in X's dtype and notes the batch loss and which centres moved; the engine keeps the
    checkpoints. It runs on a float64 copy of ``X`` so that the recorded full-data loss is
    float64 whatever the working precision (the steps themselves are taken in X's dtype).
    """
    Xt, C0, _ = check_pair(X, init)
    steps_n = check_int(n_steps, "n_steps", low=0)
    b = check_int(batch_size, "batch_size", low=1)
    every = check_int(record_every, "record_every", low=1)
    g = torch.Generator().manual_seed(check_seed(seed))
    method = check_choice(implementation, "implementation", ("question", "core"))
    eta = check_lr(lr, C0.shape[0], C0)
    if not isinstance(eta, float):
        raise TypeError("the question uses one global lr (a float), not one per centre")
    Xt = Xt.detach()
    n = Xt.shape[0]
    # the question's trainable centres; it wrote torch.tensor(init, requires_grad=True), which
    # warns: copying a tensor that way is spelled .detach().clone().requires_grad_(True)
    c = C0.detach().clone().requires_grad_(method == "question")
    batch_loss = np.empty(steps_n)
    moves = torch.zeros(C0.shape[0], dtype=torch.int64, device=Xt.device)

    def update(_: torch.Tensor, __: Stats | None, t: int) -> torch.Tensor:
        nonlocal c
        xb = Xt[torch.randint(n, (b,), generator=g).to(Xt.device)]
        before = c.detach().clone()
        if method == "question":
            with torch.enable_grad():  # the engine runs under no_grad; the question's loop does not
                loss = question_loss(xb, c)
                loss.backward()
            assert c.grad is not None
            with torch.no_grad():
                c -= eta * c.grad
            c.grad.zero_()
            batch_loss[t - 1] = float(loss.detach())
        else:
            s = estep(xb, c)  # one E-step of the batch: the statistics and the batch loss
            batch_loss[t - 1] = float(s.inertia)  # type: ignore[arg-type]
            c = gd_update(c, s, eta)
        moves.add_((c.detach() != before).any(dim=1))
        return c.detach().to(torch.float64, copy=True)

    record = sorted(set(range(0, steps_n + 1, every)) | {steps_n})
    history = run(
        Xt.double(), C0.detach().double(), update, method=f"question ({method})",
        max_iter=steps_n, lr=eta, tol=None, record_steps=record, batch_size=b,
    )
    return QuestionRun(
        history=history,
        init=C0.detach().clone(),
        centers=c.detach().clone(),
        batch_loss=batch_loss,
        moves=moves.cpu().numpy(),
        lr=eta,
        batch_size=b,
        implementation=method,
    )


# --------------------------------------------------------------------------- baselines


def mean_centers(X: ArrayLike, n_clusters: int) -> torch.Tensor:
    r"""Every centre at the data mean: no clustering at all.

    Returns
    -------
    centers : tensor, shape (n_clusters, n_features)
        Its loss is the one-cluster loss :math:`\sum_i \lVert x_i - \bar x\rVert^2`, the
        smallest loss any *single* centre can reach (all ties go to centre 0).
    """
    Xt, _ = check_X(X)
    k = check_int(n_clusters, "n_clusters", low=1)
    return Xt.detach().mean(dim=0, keepdim=True).repeat(k, 1)


def box_centers(X: ArrayLike, n_clusters: int, *, seed: int = 0) -> torch.Tensor:
    """Centres drawn uniformly in the bounding box of ``X``: random guesses, no data used.

    Returns
    -------
    centers : tensor, shape (n_clusters, n_features)
    """
    Xt, _ = check_X(X)
    k = check_int(n_clusters, "n_clusters", low=1)
    lo, hi = Xt.detach().min(dim=0).values, Xt.detach().max(dim=0).values
    g = torch.Generator().manual_seed(check_seed(seed))
    u = torch.rand(k, Xt.shape[1], generator=g, dtype=Xt.dtype).to(Xt.device)
    return lo + u * (hi - lo)


def sklearn_centers(
    X: ArrayLike,
    n_clusters: int,
    *,
    init: ArrayLike | str = "k-means++",
    n_init: int = 1,
    seed: int = 0,
) -> torch.Tensor:
    """scikit-learn's ``KMeans`` (Lloyd, run to convergence), fitted in float64.

    Parameters
    ----------
    init : array of shape (n_clusters, n_features), or "k-means++" / "random"
    n_init : int
        Number of restarts; scikit-learn keeps the one with the lowest inertia. Must be 1 for
        an explicit array ``init``.

    Returns
    -------
    centers : tensor, shape (n_clusters, n_features), float64
    """
    from sklearn.cluster import KMeans

    Xn = check_X(X)[0].detach().cpu().double().numpy()
    k = check_int(n_clusters, "n_clusters", low=1)
    r = check_int(n_init, "n_init", low=1)
    seed = check_seed(seed)
    if isinstance(init, str):
        init = check_choice(init, "init", ("k-means++", "random"))
    else:
        init = check_X(init, "init")[0].detach().cpu().double().numpy()
        if r != 1:
            raise ValueError(f"an explicit init is one start: use n_init=1, got n_init={r}")
    km = KMeans(n_clusters=k, init=init, n_init=r, random_state=seed, algorithm="lloyd")
    km.fit(Xn)
    return torch.from_numpy(km.cluster_centers_)


def loss64(X: ArrayLike, centers: ArrayLike) -> float:
    """``kmeans_loss`` computed in float64 (so losses of float32 and float64 runs compare)."""
    Xt, Ct = check_X(X)[0], check_X(centers, "centers")[0]
    with torch.no_grad():
        return float(kmeans_loss(Xt.detach().double(), Ct.detach().double().to(Xt.device)))


# --------------------------------------------------------------------------- memory


def saved_tensor_bytes(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    centers: torch.Tensor,
) -> int:
    """Bytes that autograd keeps alive for the backward pass of ``loss_fn(X, centers)``.

    Every tensor saved for backward is caught with
    ``torch.autograd.graph.saved_tensors_hooks``; storages shared by several saved tensors
    (``diff * diff`` saves ``diff`` twice) are counted once. Exact and machine-independent:
    it depends only on shapes and dtypes, not on the allocator.
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    Xt, Ct, _ = check_pair(X, centers)
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        seen[s.data_ptr()] = s.nbytes()
        return t

    c = Ct.detach().clone().requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_fn(Xt, c)
    del loss
    return int(sum(seen.values()))


def difference_tensor_bytes(
    n_clusters: int, n_samples: int, n_features: int, dtype: torch.dtype = torch.float32
) -> int:
    """Size in bytes of the question's ``(n_clusters, n_samples, n_features)`` difference tensor."""
    k = check_int(n_clusters, "n_clusters", low=1)
    n = check_int(n_samples, "n_samples", low=1)
    d = check_int(n_features, "n_features", low=1)
    return k * n * d * torch.empty((), dtype=dtype).element_size()
