r"""One run loop and one record: every k-means run of the course goes through :func:`run`.

A run is an **update rule** applied again and again, with a **checkpoint** (the centres, their
loss on the full data, how many labels changed) after chosen steps. What differs between the
course's runs is only the update: a full-batch rule on the E-step statistics (:func:`fit`:
gradient descent, Lloyd, Newton), a ``torch.optim`` optimiser on the loss (lesson 04), or a
stochastic rule on a mini-batch (lesson 05, the question's experiment in lesson 02). They all
return the same :class:`History`.

Stopping: a full-batch run stops at the first checkpoint where **no label changed** and, for
rules whose next centres do not depend on the labels alone (gradient descent, optimisers), the
centres are also within ``tol`` of their cluster means (see :func:`fit`). A caller may also ask
for scikit-learn's second rule, a small total move of the centres (``shift_tol``, see
:func:`run`); :class:`argmin_kmeans.KMeans` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ._validation import (
    ArrayLike,
    check_choice,
    check_int,
    check_lr,
    check_pair,
    check_real,
    check_sample_weight,
    to_output,
)
from .core import (
    Stats,
    estep,
    estep_weighted,
    gd_update,
    means_update,
    newton_update,
    relocate_empty,
)

__all__ = [
    "History",
    "Update",
    "EStep",
    "run",
    "fit",
    "fit_validated",
    "center_shift",
    "tol_scale",
    "METHODS",
    "LABEL_FIXED_POINT",
]

#: ``update(C, stats, step) -> new C`` on validated tensors. ``stats`` are the E-step
#: statistics of ``C`` on the full data when the previous step was a checkpoint (always, in a
#: full-batch run), else None. ``step`` counts from 1.
Update = Callable[[torch.Tensor, "Stats | None", int], torch.Tensor]

#: ``estep(X, C, previous_labels) -> (stats, n_changed)``: the checkpoint's E-step. The default
#: is :func:`~argmin_kmeans.core.estep` on ``X`` and a count of the labels that changed; a
#: data-parallel run sums the statistics of every process instead (lesson 09).
EStep = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], "tuple[Stats, int]"]


def _local_estep(X: torch.Tensor, C: torch.Tensor, prev: torch.Tensor | None) -> tuple[Stats, int]:
    s = estep(X, C)
    return s, (0 if prev is None else int((s.labels != prev).sum()))


#: The full-batch rules of :func:`fit`, on the E-step statistics of the current centres.
METHODS: dict[str, Callable[[torch.Tensor, torch.Tensor, Stats, object], torch.Tensor]] = {
    "gd": lambda X, C, s, lr: gd_update(C, s, lr),  # type: ignore[arg-type]
    "lloyd": lambda X, C, s, lr: means_update(C, s),
    "lloyd-relocate": lambda X, C, s, lr: means_update(C, relocate_empty(X, C, s)),
    "newton": lambda X, C, s, lr: newton_update(C, s),
}

#: Rules whose next centres depend on the labels alone: once an update changes no label, the
#: next update would reproduce the same centres, so the run has reached a fixed point.
LABEL_FIXED_POINT = frozenset({"lloyd", "lloyd-relocate", "newton"})


@dataclass
class History:
    """The record of one run: checkpoints of the centres and of their full-data loss.

    Attributes
    ----------
    method : str
    centers : shape (n_records, n_clusters, n_features)
        ``centers[0]`` is the init, ``centers[j]`` the centres after ``steps[j]`` updates.
    loss : shape (n_records,)
        The inertia of ``centers[j]`` on the full data.
    n_changed : int64, shape (n_records - 1,)
        Samples whose label under ``centers[j + 1]`` differs from their label under ``centers[j]``.
    labels : int64, shape (n_samples,)
        Assignments under the final centres.
    n_iter : int
        Updates performed.
    converged : bool
        True when the run stopped by its stopping rule (not by ``max_iter``).
    lr : the step size given, if any
    steps : int64 ndarray, shape (n_records,)
        Updates performed before each checkpoint (``0, 1, 2, ...`` for a full-batch run).
    samples_seen : int64 ndarray, shape (n_records,)
        Samples processed before each checkpoint (``steps * batch_size``).
    n_samples, batch_size : int
    times : float ndarray, shape (n_records,) or None
        Seconds spent in the updates (and the E-steps they need) before each checkpoint;
        loss evaluations that only serve the record are excluded. Varies with the machine.
    counts : shape (n_records, n_clusters) or None
        Per-centre counts of count-based stochastic rules at each checkpoint.
    diverged : bool
        True when the run ended at the last finite centres because an update overflowed.
    stopped_by : {"labels", "shift"} or None
        Which rule ended a converged run: no label changed (and, for gradient descent, the
        residual was within ``tol``), or the centres moved at most ``shift_tol`` (scikit-learn's
        rule, see :func:`run`); None when the run ended by ``max_iter`` or divergence.
    """

    method: str
    centers: ArrayLike
    loss: ArrayLike
    n_changed: ArrayLike
    labels: ArrayLike
    n_iter: int
    converged: bool
    lr: object = field(default=None, repr=False)
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    samples_seen: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False
    )
    n_samples: int = 0
    batch_size: int = 0
    times: np.ndarray | None = field(default=None, repr=False)
    counts: ArrayLike | None = field(default=None, repr=False)
    diverged: bool = False
    stopped_by: str | None = None

    def __post_init__(self) -> None:
        n_rec = len(self.loss)
        if len(self.steps) == 0:
            self.steps = np.arange(n_rec, dtype=np.int64)
        if len(self.samples_seen) == 0:
            self.samples_seen = self.steps * max(self.batch_size, self.n_samples)

    @property
    def final_centers(self) -> ArrayLike:
        """The centres at the last checkpoint, shape (n_clusters, n_features)."""
        return self.centers[-1]

    @property
    def final_loss(self) -> float:
        """The inertia of :attr:`final_centers`."""
        return float(self.loss[-1])

    @property
    def seconds(self) -> float:
        """Total seconds of the updates (``times[-1]``); 0.0 when the run was not timed."""
        return 0.0 if self.times is None else float(self.times[-1])

    @property
    def passes(self) -> np.ndarray:
        """Passes over the data before each checkpoint, ``samples_seen / n_samples``."""
        return self.samples_seen / max(self.n_samples, 1)

    def loss_at(self, passes: float) -> float:
        """The full-data loss at the last checkpoint reached within ``passes`` passes."""
        ok = np.nonzero(self.passes <= passes + 1e-12)[0]
        if ok.size == 0:
            raise ValueError(
                f"no checkpoint within passes={passes!r}; the first is at {self.passes[0]}"
            )
        return float(self.loss[int(ok[-1])])


def _residual(C: torch.Tensor, s: Stats) -> float:
    """:math:`\\sum_k \\lVert c_k - \\bar x_k\\rVert^2` over non-empty clusters: the distance
    still to go to the fixed point of the current labels."""
    return float(((C - means_update(C, s))[s.counts > 0] ** 2).sum())


def center_shift(C_new: torch.Tensor, C_old: torch.Tensor) -> float:
    r"""The total squared move of the centres, :math:`\sum_k \lVert c^{new}_k - c^{old}_k\rVert^2`,
    computed as scikit-learn does (each centre's Euclidean move, then the sum of its squares)."""
    moves = torch.sqrt(((C_new - C_old) ** 2).sum(dim=1))
    return float((moves * moves).sum())


def run(
    X: torch.Tensor,
    C0: torch.Tensor,
    update: Update,
    *,
    method: str,
    max_iter: int,
    lr: object = None,
    tol: float | None = 0.0,
    shift_tol: float | None = None,
    fixed_point: bool = False,
    record_steps: Sequence[int] | None = None,
    batch_size: int | None = None,
    counts: Callable[[], torch.Tensor] | None = None,
    on_nonfinite: str = "raise",
    numpy_out: bool = False,
    estep_fn: EStep = _local_estep,
) -> History:
    """Apply ``update`` up to ``max_iter`` times from ``C0``; record checkpoints.

    Parameters
    ----------
    X : (n_samples, n_features), C0 : (n_clusters, n_features)
        Validated tensors.
    update : :data:`Update`
    method : str
        Recorded as :attr:`History.method`.
    max_iter : int
    tol : float or None
        Stop at a checkpoint where no label changed and (unless ``fixed_point``) the squared
        distance still to go to the cluster means is at most ``tol`` (absolute). ``None``:
        never stop early (stochastic runs).
    shift_tol : float or None
        scikit-learn's rule, checked first at every checkpoint of a full-batch run: stop when
        the centres moved at most ``shift_tol`` (absolute, :func:`center_shift`) in the last
        update. ``None`` (default): not used.
    fixed_point : bool
        The update depends on the labels alone (Lloyd, Newton): no label change means done.
    record_steps : sequence of int, optional
        Checkpoint after these steps (0 and ``max_iter`` always); default every step.
    batch_size : int, optional
        Samples per update (default: all of them).
    counts : callable, optional
        Returns the rule's per-centre counts, recorded at each checkpoint.
    on_nonfinite : {"raise", "stop"}
        Non-finite centres: ``FloatingPointError``, or end the record (``diverged=True``).
    numpy_out : bool
        Return NumPy arrays in the record.
    estep_fn : :data:`EStep`
        The checkpoints' E-step (default: this process's data).
    """
    n = X.shape[0]
    every = record_steps is None
    # every step is a checkpoint unless record_steps says otherwise (no set of max_iter + 1
    # integers: max_iter may be huge when a run is meant to stop by its rule)
    marks = set() if every else set(record_steps or ()) | {0, max_iter}
    with torch.no_grad():
        C = C0.detach().clone()
        s, _ = estep_fn(X, C, None)
        assert s.inertia is not None
        rec_c, rec_l, rec_n, rec_t, rec_s = [C], [s.inertia], [], [0.0], [0]
        rec_counts = [counts().clone()] if counts is not None else []
        labels = s.labels
        fresh: Stats | None = s
        seconds = 0.0
        converged = diverged = False
        stopped_by: str | None = None
        t = 0
        for t in range(1, max_iter + 1):
            tic = time.perf_counter()
            C_new = update(C, fresh, t)
            seconds += time.perf_counter() - tic
            finite = bool(torch.isfinite(C_new).all())
            overflow: ValueError | None = None
            tic = time.perf_counter()
            if finite and (every or t in marks):
                try:
                    s, n_changed = estep_fn(X, C_new, labels)
                except ValueError as err:  # the init's loss was in range: the update blew it up
                    overflow = err
            if not finite or overflow is not None:
                if on_nonfinite == "stop":
                    diverged, t = True, t - 1
                    break
                raise FloatingPointError(
                    f"method={method!r} produced non-finite centres or loss at step {t}"
                    f" (lr={lr!r} is far too large: the run diverged)"
                ) from overflow
            C, C_prev, fresh = C_new, C, None
            if not (every or t in marks):
                continue
            if every:  # the next update uses these statistics: part of its cost
                seconds += time.perf_counter() - tic
            fresh = s if every else None
            rec_c.append(C)
            rec_l.append(s.inertia)  # type: ignore[arg-type]
            rec_n.append(n_changed)
            rec_t.append(seconds)
            rec_s.append(t)
            if counts is not None:
                rec_counts.append(counts().clone())
            labels = s.labels
            if shift_tol is not None and center_shift(C, C_prev) <= shift_tol:
                converged, stopped_by = True, "shift"
                break
            if tol is not None and rec_n[-1] == 0 and (fixed_point or _residual(C, s) <= tol):
                converged, stopped_by = True, "labels"
                break
        hist_c = torch.stack(rec_c)
        hist_l = torch.stack(rec_l)
    steps = np.asarray(rec_s, dtype=np.int64)
    b = n if batch_size is None else batch_size
    changed = torch.tensor(rec_n, dtype=torch.int64)
    return History(
        method=method,
        centers=to_output(hist_c, numpy_out),
        loss=to_output(hist_l, numpy_out),
        n_changed=changed.numpy() if numpy_out else changed,
        labels=to_output(labels, numpy_out),
        n_iter=t,
        converged=converged,
        lr=lr,
        steps=steps,
        samples_seen=steps * b,
        n_samples=n,
        batch_size=b,
        times=np.asarray(rec_t),
        counts=to_output(torch.stack(rec_counts), numpy_out) if rec_counts else None,
        diverged=diverged,
        stopped_by=stopped_by,
    )


def tol_scale(X: torch.Tensor) -> float:
    """scikit-learn's scaling of ``tol``: the mean per-feature variance of ``X``."""
    return float(X.var(dim=0, unbiased=False).mean()) if X.shape[0] > 1 else 1.0


def fit(
    X: ArrayLike,
    init: ArrayLike,
    method: str = "lloyd",
    lr: float | ArrayLike | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: ArrayLike | None = None,
    on_nonfinite: str = "raise",
    *,
    empty: str = "keep",
) -> History:
    r"""Minimise the k-means loss from ``init`` with one update rule, recording every iteration.

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
        Initial centres (copied, never modified).
    method : {"gd", "lloyd", "newton", "lloyd-relocate"}
        ``"gd"``: :math:`c \leftarrow c - \eta\,2(n_k c_k - S_k)` (needs ``lr``);
        ``"lloyd"``: assign then means; ``"newton"``: :math:`c - H^{-1}g`;
        ``"lloyd-relocate"``: ``"lloyd"`` with ``empty="relocate"``.
    lr : float or array of shape (n_clusters,), optional
        Step size for ``"gd"`` (required there, refused by the others).
    max_iter : int
        Most updates to perform (0 is allowed: the record then holds only the init). Any size:
        nothing is allocated per allowed update, only per update made.
    tol : float
        Used by gradient descent only: threshold on the squared distance still to go to the
        fixed point, :math:`\sum_k \lVert c_k - S_k/n_k\rVert^2` (non-empty clusters), relative
        to the mean per-feature variance of ``X`` (scikit-learn's scaling of ``tol``).
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights: the loss becomes :math:`\sum_i w_i \min_k \lVert x_i - c_k\rVert^2`,
        and :math:`n_k, S_k` become weighted sums (:func:`~argmin_kmeans.core.estep_weighted`);
        every rule is unchanged. Integer weights give the run of the repeated rows.
    on_nonfinite : {"raise", "stop"}
        When an update overflows (gradient descent with far too large a step):
        ``FloatingPointError`` (default), or end the record at the last finite centres with
        ``diverged=True`` (lesson 04 draws such runs).
    empty : {"keep", "relocate"}
        A cluster that owns no sample: ``"keep"`` (the course's rule) leaves its centre where it
        is; ``"relocate"`` applies scikit-learn's rule before every update
        (:func:`~argmin_kmeans.core.relocate_empty`: the farthest samples, weighted).

    Returns
    -------
    History

    Notes
    -----
    The run stops at the first update that changes **no label** (``converged=True``). For
    Lloyd and Newton that is a fixed point: the next centres are the means of the same clusters,
    the centres already there. Gradient descent only moves a fraction of the way to those means,
    so it must also be close to them: its run stops when no label changed *and* the centres are
    within ``tol`` (times the mean per-feature variance of ``X``, squared distance) of their
    cluster means. This is not the size of the last step, which is only :math:`2\eta n_k`
    times the distance to go and would stop a small-``lr`` run early. One E-step per iteration
    gives the labels, the loss and the statistics of the next update.
    """
    method = check_choice(method, "method", tuple(METHODS))
    check_choice(on_nonfinite, "on_nonfinite", ("raise", "stop"))
    empty = check_choice(empty, "empty", ("keep", "relocate"))
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_real(tol, "tol", low=0.0)
    Xt, C, np_out = check_pair(X, init)
    if method == "gd":
        if lr is None:
            raise ValueError("method='gd' needs a step size: pass lr=... (e.g. 1 / (2 * n_samples))")
        eta: float | torch.Tensor | None = check_lr(lr, C.shape[0], C)
    elif lr is not None:
        raise ValueError(f"method={method!r} takes no lr (its step is exact), got lr={lr!r}")
    else:
        eta = None
    w = None if sample_weight is None else check_sample_weight(sample_weight, Xt.shape[0], Xt)
    hist = fit_validated(
        Xt, C, method=method, lr=eta, max_iter=max_iter, residual_tol=tol * tol_scale(Xt),
        sample_weight=w, empty=empty, on_nonfinite=on_nonfinite, numpy_out=np_out,
    )
    hist.lr = lr  # the step size as given
    return hist


def fit_validated(
    X: torch.Tensor,
    C0: torch.Tensor,
    *,
    method: str,
    lr: float | torch.Tensor | None = None,
    max_iter: int,
    residual_tol: float = 0.0,
    shift_tol: float | None = None,
    sample_weight: torch.Tensor | None = None,
    empty: str = "keep",
    on_nonfinite: str = "raise",
    numpy_out: bool = False,
) -> History:
    r""":func:`fit` on arguments its caller has already validated: nothing is checked again.

    For callers that validate once at their own boundary (:class:`argmin_kmeans.KMeans` fits
    ``n_init`` runs of one validated ``X``; scikit-learn's ``_kmeans_single_lloyd`` is the same
    idea).

    Parameters
    ----------
    X : (n_samples, n_features), C0 : (n_clusters, n_features)
        Tensors as :func:`~argmin_kmeans._validation.check_pair` returns them (finite, one dtype
        and device).
    method : a key of :data:`METHODS`
    lr : float, (n_clusters,) tensor or None
        As :func:`~argmin_kmeans._validation.check_lr` returns it; ``"gd"`` only.
    max_iter : int, >= 0
    residual_tol : float
        :func:`run`'s ``tol``, absolute (:func:`fit` passes ``tol * tol_scale(X)``); gradient
        descent only: Lloyd and Newton stop at their fixed point.
    shift_tol : float or None
        :func:`run`'s ``shift_tol`` (absolute): scikit-learn's stop on a small move.
    sample_weight : float64 (n_samples,) tensor or None
        As :func:`~argmin_kmeans._validation.check_sample_weight` returns it.
    empty : {"keep", "relocate"}
    on_nonfinite : {"raise", "stop"}
    numpy_out : bool
        Return NumPy arrays in the record.
    """
    given = method  # recorded as History.method
    if method == "lloyd-relocate":
        method, empty = "lloyd", "relocate"
    rule = METHODS[method]
    relocate = empty == "relocate"
    w = sample_weight

    def update(C: torch.Tensor, s: Stats | None, t: int) -> torch.Tensor:
        assert s is not None  # a full-batch run records every step
        if relocate:
            s = relocate_empty(X, C, s, w)
        return rule(X, C, s, lr)

    estep_fn = _local_estep
    if w is not None:
        w_t = w

        def estep_fn(X: torch.Tensor, C: torch.Tensor, prev: torch.Tensor | None) -> tuple[Stats, int]:
            s = estep_weighted(X, C, w_t)
            return s, (0 if prev is None else int((s.labels != prev).sum()))

    return run(
        X, C0, update, method=given, max_iter=max_iter, lr=lr, tol=residual_tol,
        shift_tol=shift_tol, fixed_point=method in LABEL_FIXED_POINT, numpy_out=numpy_out,
        estep_fn=estep_fn, on_nonfinite=on_nonfinite,
    )
