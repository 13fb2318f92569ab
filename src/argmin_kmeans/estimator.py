r"""``KMeans``: the course's k-means as a scikit-learn estimator.

``KMeans(n_clusters=3).fit(X)`` runs :func:`argmin_kmeans.fit` (the course's run loop: Lloyd,
Newton or gradient descent on the piecewise-quadratic loss) from a k-means++ or random start, and
exposes the result the scikit-learn way: ``cluster_centers_``, ``labels_``, ``inertia_``,
``n_iter_``, ``predict``, ``transform``, ``score``; ``history_`` keeps the course's record of the
best run (centres, loss and relabelled samples at every iteration). It passes scikit-learn's
``parametrize_with_checks`` and works in a ``Pipeline`` and ``GridSearchCV``.

Inputs and outputs
------------------
* NumPy arrays and other array-likes (lists, DataFrames) are validated by scikit-learn's
  ``validate_data``: integer data is converted to float64, float32 is kept (scikit-learn's
  conventions). Results are NumPy arrays.
* torch tensors follow the course's rules (:mod:`argmin_kmeans._validation`: float32 or float64,
  2-D, finite; integers are refused with a recipe). Results are tensors on the input's device.
* ``device`` (e.g. ``"cuda"``) sets where the computation runs; by default where the data is.

Numerics
--------
As scikit-learn does, ``fit`` subtracts the mean of ``X`` from the data and the initial centres
before iterating and adds it back to ``cluster_centers_``: the results do not depend on where the
data sits (data far from the origin gives the same clusters as centred data), and, with the same
initial centres, ``method="lloyd"`` and ``"newton"`` reproduce
``sklearn.cluster.KMeans(init=C0, n_init=1, algorithm="lloyd", tol=0)`` to rounding (labels
equal, centres to 1e-10 relative in float64, tested). Lloyd and Newton here always run to their
fixed point (the first update that changes no label) or ``max_iter``; scikit-learn's ``tol``
also stops them once the centres move less than ``tol`` times the data's variance, which may be
an update or two before the fixed point (hence ``tol=0`` for an exact comparison).
``predict``, ``transform`` and ``score`` subtract the same mean.

Sample weights
--------------
``fit(X, sample_weight=w)`` minimises :math:`\sum_i w_i \min_k \lVert x_i - c_k\rVert^2`: per
cluster :math:`W_k = \sum_{i \in C_k} w_i`, :math:`S_k = \sum_{i \in C_k} w_i x_i`, the gradient
:math:`2(W_k c_k - S_k)`, the Hessian :math:`2 W_k I`, and the Newton step (= Lloyd's weighted
mean) :math:`S_k / W_k`: ``argmin_kmeans.fit(..., sample_weight=w)`` (the weighted E-step,
:func:`argmin_kmeans.core.estep_weighted`, under the same rules and loop). With unit weights it
gives the unweighted run (tested), and with integer weights the same centres as repeated samples.
"""

from __future__ import annotations

import numbers
import secrets
import warnings
from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from ._validation import (
    ArrayLike,
    as_tensor,
    check_choice,
    check_finite,
    check_int,
    check_lr,
    check_real,
    check_sample_weight,
    check_seed,
    check_X,
)
from .core import estep, estep_weighted, sq_distances
from .engine import History
from .engine import fit as run_fit
from .initialization import kmeans_plusplus, random_init

__all__ = ["KMeans"]

METHODS = ("lloyd", "newton", "gd")
INITS = ("k-means++", "random")
_SEED_HIGH = 2**63 - 1


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    r"""k-means clustering by Lloyd's algorithm, Newton's method or gradient descent.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters :math:`k` (at most ``n_samples``).
    method : {"lloyd", "newton", "gd"}, default="lloyd"
        The update rule, with the labels of the current centres held fixed:
        ``"lloyd"`` moves each centre to its cluster mean :math:`S_k / n_k`; ``"newton"`` takes
        the Newton step :math:`c - H^{-1}g` with :math:`g_k = 2(n_k c_k - S_k)`,
        :math:`H = \mathrm{diag}(2 n_k I)` (algebraically the same centres); ``"gd"`` takes a
        gradient step :math:`c_k - \eta_k\, 2(n_k c_k - S_k)`. Empty clusters keep their centre.
    lr : float, array of shape (n_clusters,) or None, default=None
        Step size :math:`\eta` (or one :math:`\eta_k` per centre) of ``method="gd"``; ignored by
        the other methods. ``None`` means the per-centre step :math:`\eta_k = 1/(2 n_k)` of
        lesson 04, recomputed from the current clusters at every step: that step *is* the Newton
        step, so then ``"gd"`` = ``"newton"`` = ``"lloyd"`` (the run is computed as Newton's, and
        ``history_.method`` says ``"newton"``). A fixed ``lr`` crawls when small and zig-zags or
        diverges above :math:`1/n_k` (lesson 04); ``tol`` then decides when to stop.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), default="k-means++"
        ``"k-means++"``: :func:`argmin_kmeans.initialization.kmeans_plusplus` (greedy, weighted
        by ``sample_weight``). ``"random"``: :func:`argmin_kmeans.random_init` (distinct samples
        at random; with ``sample_weight``, drawn with probability proportional to the weight,
        without replacement). An array (NumPy or torch) is used as given, cast to the data's
        dtype; then only one run is made (a ``RuntimeWarning`` if ``n_init > 1``).
    n_init : int, default=1
        Number of runs from different starts; the one with the lowest inertia is kept (the
        first on ties).
    max_iter : int, default=300
        Most updates per run.
    tol : float, default=1e-4
        Gradient descent only (Lloyd and Newton stop at their fixed point: the first update that
        changes no label): a run also needs the centres within ``tol`` times the mean
        per-feature variance of ``X`` (squared distance) of their cluster means. See
        :func:`argmin_kmeans.fit`.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seeds the starts. An int gives the same result at every ``fit`` (a local
        ``torch.Generator``; the global torch and NumPy seeds are neither used nor changed). A
        NumPy generator is drawn from once per ``fit``; ``None`` draws fresh entropy.
    device : str, torch.device or None, default=None
        Where to compute (e.g. ``"cuda"``); ``None``: the data's device (CPU for NumPy).

    Attributes
    ----------
    cluster_centers_ : ndarray or tensor of shape (n_clusters, n_features)
        The centres of the best run (NumPy if ``fit`` got NumPy, else a tensor on its device).
    labels_ : ndarray or tensor of shape (n_samples,), int64
        The label of every training sample under ``cluster_centers_``.
    inertia_ : float
        :math:`\sum_i w_i \lVert x_i - c_{\mathrm{label}_i}\rVert^2` on the training data.
    n_iter_ : int
        Number of updates in the best run (scikit-learn counts one more: the update that
        confirms the fixed point).
    history_ : argmin_kmeans.fit.KMeansHistory
        The course's record of the best run: centres ``(n_iter_ + 1, n_clusters, n_features)``,
        loss ``(n_iter_ + 1,)``, relabelled samples per update, labels, convergence.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names (a DataFrame).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[0.0, 0.5], [10.0, 0.5]]
    >>> km.inertia_
    1.0
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        method: Literal["lloyd", "newton", "gd"] = "lloyd",
        lr: float | ArrayLike | None = None,
        init: str | ArrayLike = "k-means++",
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.method = method
        self.lr = lr
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.device = device

    # ------------------------------------------------------------------ scikit-learn protocol

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        """Number of columns of ``transform``'s output (for ``get_feature_names_out``)."""
        return int(self.cluster_centers_.shape[0])

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Cluster ``X``.

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like or tensor of shape (n_samples,), optional
            Non-negative weights, at least one positive (default: all 1).

        Returns
        -------
        self
        """
        Xt, as_numpy, out_device = self._data(X, reset=True)
        n, d = Xt.shape
        k = check_int(self.n_clusters, "n_clusters", low=1)
        if k > n:
            raise ValueError(f"n_clusters={k} is more than n_samples={n}")
        method = check_choice(self.method, "method", METHODS)
        n_init = check_int(self.n_init, "n_init", low=1)
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        tol = check_real(self.tol, "tol", low=0.0)
        w = None if sample_weight is None else check_sample_weight(sample_weight, n, Xt)
        lr = None
        if method == "gd" and self.lr is not None:
            check_lr(self.lr, k, Xt)  # the error names the value; the run uses self.lr itself
            lr = self.lr
        C0_fixed = self._fixed_init(k, d, Xt)
        if C0_fixed is not None and n_init != 1:
            warnings.warn(
                f"init is an array of centres: one run is made, not n_init={n_init}",
                RuntimeWarning,
                stacklevel=2,
            )
            n_init = 1
        seeds = _seeds(self.random_state, n_init)

        with torch.no_grad():
            mean = Xt.mean(dim=0)  # the reference point: results do not depend on it
            Xc = Xt - mean
            best: History | None = None
            for seed in seeds:
                if C0_fixed is not None:
                    C0 = C0_fixed - mean
                else:
                    C0 = self._start(Xc, k, w, seed)
                hist = _run(Xc, C0, w, method, lr, max_iter, tol)
                if best is None or hist.final_loss < best.final_loss:
                    best = hist
        assert best is not None
        self._mean = mean
        self._centers_c = _tensor(best.final_centers)  # centred, on the compute device

        def out(t: torch.Tensor) -> ArrayLike:
            return _to_output(t, as_numpy, out_device)

        self.cluster_centers_ = out(self._centers_c + mean)
        self.labels_ = out(_tensor(best.labels))
        self.inertia_ = best.final_loss
        self.n_iter_ = best.n_iter
        self.history_ = History(
            method=best.method,
            centers=out(_tensor(best.centers) + mean),
            loss=out(_tensor(best.loss)),
            n_changed=out(_tensor(best.n_changed)),
            labels=self.labels_,
            n_iter=best.n_iter,
            converged=best.converged,
            lr=best.lr,
        )
        return self

    def _start(self, Xc: torch.Tensor, k: int, w: torch.Tensor | None, seed: int) -> torch.Tensor:
        """Initial centres (centred coordinates) for one run."""
        init = check_choice(self.init, "init", INITS)
        if init == "k-means++":
            return _tensor(kmeans_plusplus(Xc, k, seed=seed, sample_weight=w))
        if w is None:
            return _tensor(random_init(Xc, k, seed=seed))
        if int((w > 0).sum()) < k:
            raise ValueError(
                f"init='random' with sample_weight needs n_clusters={k} samples of positive "
                f"weight, got {int((w > 0).sum())}"
            )
        g = torch.Generator().manual_seed(seed)
        idx = torch.multinomial(w.detach().cpu().double(), k, replacement=False, generator=g)
        return Xc[idx.to(Xc.device)].clone()

    def _fixed_init(self, k: int, d: int, Xt: torch.Tensor) -> torch.Tensor | None:
        """``init`` as a validated ``(k, d)`` tensor like ``Xt``, or None for a named init."""
        init = self.init
        if isinstance(init, str):
            check_choice(init, "init", INITS)
            return None
        if isinstance(init, (list, tuple)):
            init = np.asarray(init, dtype=np.float64)
        if not isinstance(init, (np.ndarray, torch.Tensor)):
            raise TypeError(
                f"init must be 'k-means++', 'random' or an array of shape (n_clusters, "
                f"n_features), got init={init!r} ({type(init).__name__})"
            )
        C = as_tensor(init, "init").detach().to(device=Xt.device, dtype=Xt.dtype)
        if tuple(C.shape) != (k, d):
            raise ValueError(
                f"init must have shape (n_clusters, n_features) = ({k}, {d}), "
                f"got shape {tuple(C.shape)}"
            )
        check_finite(C, "init")
        return C.clone()

    # ------------------------------------------------------------------ using the fit

    def predict(self, X: Any) -> ArrayLike:
        """The index of the nearest centre for every sample of ``X`` (int64; ties to the lowest).

        The labels come from the same kernel as ``fit``'s (:mod:`argmin_kmeans._kernel`), so
        ``predict(X_train)`` equals ``labels_``. Any number of samples, even fewer than
        ``n_clusters``.
        """
        Xc, as_numpy, out_device = self._centred(X)
        labels = estep(Xc, self._centers_c, with_inertia=False).labels
        return _to_output(labels, as_numpy, out_device)

    def transform(self, X: Any) -> ArrayLike:
        r"""Distances :math:`\lVert x_i - c_k\rVert` to every centre, shape (n_samples, n_clusters).

        Computed as :func:`argmin_kmeans.sq_distances` does (one matmul, clamped at 0), on
        coordinates centred at the training mean, then the square root.
        """
        Xc, as_numpy, out_device = self._centred(X)
        C = self._centers_c
        D = sq_distances(Xc, C.to(Xc.device))
        assert isinstance(D, torch.Tensor)
        return _to_output(torch.sqrt(D), as_numpy, out_device)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        r"""Minus the inertia of ``X``: :math:`-\sum_i w_i \min_k \lVert x_i - c_k\rVert^2`."""
        Xc, _, _ = self._centred(X)
        C = self._centers_c
        if sample_weight is None:
            inertia = estep(Xc, C).inertia
        else:
            inertia = estep_weighted(Xc, C, check_sample_weight(sample_weight, Xc.shape[0], Xc)).inertia
        assert inertia is not None
        return -float(inertia)

    def _centred(self, X: Any) -> tuple[torch.Tensor, bool, torch.device | None]:
        check_is_fitted(self)
        Xt, as_numpy, out_device = self._data(X, reset=False)
        with torch.no_grad():
            return Xt - self._mean, as_numpy, out_device

    def _data(self, X: Any, *, reset: bool) -> tuple[torch.Tensor, bool, torch.device | None]:
        """``X`` as a float tensor on the compute device, whether it was NumPy-like, and the
        device to give tensors back on."""
        if isinstance(X, torch.Tensor):
            Xt, _ = check_X(X, "X")
            d = Xt.shape[1]
            if reset:
                self.n_features_in_ = d
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            elif d != self.n_features_in_:
                raise ValueError(
                    f"X has {d} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input"
                )
            as_numpy, out_device = False, X.device
        else:
            Xa = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
            if not Xa.flags.writeable:  # e.g. a read-only memmap; torch wants writable memory
                Xa = Xa.copy()
            Xt, _ = check_X(Xa, "X")
            as_numpy, out_device = True, None
        if reset:
            return Xt.detach().to(self._compute_device(Xt)), as_numpy, out_device
        # a query runs where the model is, in the model's precision
        return Xt.detach().to(self._mean.device, self._mean.dtype), as_numpy, out_device

    def _compute_device(self, Xt: torch.Tensor) -> torch.device:
        if self.device is None:
            return Xt.device
        try:
            return torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"device must be None, a torch.device or a device string such as 'cpu' or "
                f"'cuda', got device={self.device!r}"
            ) from exc


# ---------------------------------------------------------------------- helpers


def _tensor(a: ArrayLike) -> torch.Tensor:
    """A result of the core on tensor inputs (always a tensor), typed as one."""
    assert isinstance(a, torch.Tensor)
    return a


def _to_output(t: torch.Tensor, as_numpy: bool, device: torch.device | None) -> ArrayLike:
    t = t.detach()
    return t.cpu().numpy() if as_numpy else t.to(device)


def _seeds(random_state: Any, n_init: int) -> list[int]:
    """``n_init`` seeds for the starts, from ``random_state`` (see :class:`KMeans`)."""
    if random_state is None:
        base = secrets.randbits(63)
    elif isinstance(random_state, np.random.RandomState):
        base = int(random_state.randint(np.iinfo(np.int32).max))
    elif isinstance(random_state, np.random.Generator):
        base = int(random_state.integers(_SEED_HIGH))
    elif isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(
        random_state, bool
    ):
        base = check_seed(random_state, "random_state")
    else:
        raise TypeError(
            "random_state must be None, an int, a numpy.random.RandomState or a "
            f"numpy.random.Generator, got random_state={random_state!r}"
        )
    if n_init == 1:
        return [base]
    g = torch.Generator().manual_seed(base)
    return [int(s) for s in torch.randint(0, _SEED_HIGH, (n_init,), generator=g)]


def _run(
    Xc: torch.Tensor,
    C0: torch.Tensor,
    w: torch.Tensor | None,
    method: str,
    lr: Any,
    max_iter: int,
    tol: float,
) -> History:
    """One run from ``C0``: :func:`argmin_kmeans.fit` (the course's run loop), weighted or not.

    ``method="gd"`` with ``lr=None`` (step :math:`1/(2 n_k)`, recomputed at every step) is the
    Newton update, and runs as such.
    """
    if method == "gd" and lr is None:
        method = "newton"
    return run_fit(Xc, C0, method=method, lr=lr, max_iter=max_iter, tol=tol, sample_weight=w)
