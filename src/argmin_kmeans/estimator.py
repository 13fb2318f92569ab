r"""``KMeans``: the course's k-means as a drop-in for ``sklearn.cluster.KMeans``.

``KMeans(n_clusters=3).fit(X)`` runs the course's run loop (:func:`argmin_kmeans.engine.run`:
Lloyd, Newton or gradient descent on the piecewise-quadratic loss) and behaves as scikit-learn's
``KMeans`` does: the same parameters (``init`` a name, an array or a callable, ``n_init="auto"``,
``max_iter``, ``tol``, ``verbose``, ``random_state``, ``copy_x``, ``algorithm``), the same
attributes (``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_``), the same methods
(``fit``, ``predict``, ``transform``, ``score``, ``fit_predict``, ``fit_transform``), the same
empty-cluster relocation, stopping rules, iteration count, warnings and error classes. On top:
``method`` (the course's update rule), ``empty="keep"`` (the course's empty-cluster rule),
``device`` and torch tensors, and ``history_``, the course's record of the best run. It passes
scikit-learn's ``parametrize_with_checks``.

Equal to scikit-learn (tested in ``tests/test_sklearn_dropin.py``)
------------------------------------------------------------------
scikit-learn 1.9.1's own ``KMeans`` tests (every dense one) pass on both classes. With the same
initial centres (an array, or a callable ``init`` fed the same ``random_state``), float64: the
same ``labels_``, ``fit_predict``, ``predict``, ``n_iter_`` and warnings; ``cluster_centers_``,
``inertia_``, ``transform`` and ``score`` within 1e-10 relative (measured over 14 sessions —
toy data, clusters that empty, with and without weights, duplicates, ``n_init`` 3 and 10,
``max_iter``, ``tol``, Elkan, Fortran order, integer data, ``copy_x=False`` — at most 9e-16 for
the centres, 1e-15 for the inertia). Empty clusters are relocated as scikit-learn does (the
farthest samples, their weights, its order). float32: labels and ``n_iter_`` equal, centres to
1.4e-7 and inertia to 4.8e-7 relative. ``predict``, ``transform`` and ``score`` use
``cluster_centers_`` as scikit-learn does (centres set by hand are used).

Where it differs (measured, and why)
------------------------------------
* **Random starts.** ``init="k-means++"`` (the same greedy algorithm) and ``"random"`` draw from
  a torch generator, not from NumPy's ``RandomState``: the same ``random_state`` gives other
  starts than scikit-learn's, so other runs, equally good on average (uniform data, K = 10, 30
  seeds: mean inertia 33.22 against 33.29 for k-means++, 33.27 against 33.39 for random). The
  seeds of ``n_init`` runs are prefix-consistent, as scikit-learn's stream is. A callable ``init``
  receives a ``RandomState`` built as scikit-learn builds it, so its starts are the same.
  ``random_state=None`` never touches NumPy's global generator (scikit-learn draws from it).
* **dtypes of the results.** ``labels_`` and ``predict`` are int64 (scikit-learn: int32);
  ``inertia_`` and ``score`` are Python floats; sums of float32 data are accumulated in higher
  precision, so float32 centres and inertia differ from scikit-learn's in the last digits.
* **Weights.** Negative ``sample_weight`` is refused (scikit-learn accepts it and then minimises
  a loss that is not bounded below); weights are float64 whatever the data's dtype.
* **Degenerate relocation.** When a cluster stays empty (every sample sits on its centre, i.e.
  fewer distinct points than clusters), its centre goes to the heaviest cluster's mean, as
  scikit-learn's comment says; scikit-learn 1.9's loop puts it at that cluster's weighted *sum*
  when the empty cluster's index is the lower one. The ``ConvergenceWarning`` is raised in both.
* ``transform`` is computed on centred coordinates, in float64, with exact differences where
  the expansion :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2` cancels: a zero distance
  is exactly 0.0 and far-from-the-origin data keep their digits (scikit-learn's expansion on raw
  coordinates loses them). ``copy_x=False`` centres ``X`` in place and restores it, as
  scikit-learn does; a copy that validation made anyway is centred in place even with
  ``copy_x=True``.

Inputs and outputs
------------------
* NumPy arrays and other array-likes (lists, DataFrames) are validated by scikit-learn's
  ``validate_data``: integer data becomes float64, float32 is kept. Results are NumPy arrays.
* torch tensors follow the course's rules (:mod:`argmin_kmeans._validation`: float32 or float64,
  2-D, finite; integers are refused with a recipe). Results are tensors on the input's device.
* ``device`` (e.g. ``"cuda"``) sets where the computation runs; by default where the data is.

Every argument is checked once, at the public method: the runs, starts and E-steps inside take
the validated tensors (one NaN scan of ``X`` per ``fit``, one check of ``sample_weight``).
Sample weights: ``fit(X, sample_weight=w)`` minimises :math:`\sum_i w_i \min_k
\lVert x_i - c_k\rVert^2`, with :math:`W_k = \sum_{i\in C_k} w_i` in place of :math:`n_k`
(:func:`argmin_kmeans.core.estep_weighted`); integer weights give the fit of repeated rows.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import ArrayLike, check_finite, check_lr, check_sample_weight, check_X
from .core import estep, estep_weighted
from .engine import History, fit_validated, tol_scale
from .initialization import kmeans_plusplus_validated, random_init_validated
from .sklearn_compat import (
    Params,
    callable_random_state,
    check_param,
    distances,
    may_share_memory,
    print_run,
    same_clustering,
    sklearn_n_iter,
    start_seeds,
)

__all__ = ["KMeans"]


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    r"""k-means clustering by Lloyd's algorithm, Newton's method or gradient descent.

    A drop-in for ``sklearn.cluster.KMeans`` (its parameters, attributes, methods, warnings and
    results; the module docstring lists the measured differences), plus the course's
    ``method``, ``lr``, ``empty`` and ``device``.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters :math:`K` (at most ``n_samples``).
    init : {"k-means++", "random"}, callable or array of shape (n_clusters, n_features), \
default="k-means++"
        ``"k-means++"``: greedy k-means++ (:func:`argmin_kmeans.kmeans_plusplus`, weighted by
        ``sample_weight``). ``"random"``: ``n_clusters`` distinct samples (with
        ``sample_weight``: drawn with probability proportional to the weight, without
        replacement). An array (NumPy of any real dtype, torch, list) is cast to the data's
        dtype and used as given. A callable is called as scikit-learn calls it,
        ``init(X_centred, n_clusters, random_state=RandomState)`` (``X`` minus its mean, NumPy
        for NumPy data, a tensor for tensors), once per run, and returns the centres in those
        centred coordinates.
    n_init : "auto" or int, default="auto"
        Number of runs from different starts; the one with the lowest inertia is kept (a later
        run only if its inertia is lower and its clustering differs, as in scikit-learn).
        ``"auto"``: 1 for ``"k-means++"`` and an array, 10 for ``"random"`` and a callable
        (scikit-learn 1.4+). An array ``init`` with an explicit ``n_init > 1`` makes one run
        and a ``RuntimeWarning``.
    max_iter : int, default=300
        Most iterations per run (any size: memory grows with the iterations made).
    tol : float, default=1e-4
        Relative to the mean per-feature variance of ``X``. Lloyd and Newton stop, as
        scikit-learn does, when no label changed or when the centres moved (total squared
        distance) at most ``tol`` times that variance. Gradient descent with a fixed ``lr``
        stops when no label changed and its centres are within ``tol`` (same scale) of their
        cluster means (a small step would make the move criterion stop it at once).
    verbose : int, default=0
        Print scikit-learn's lines ("Initialization complete", "Iteration i, inertia ...",
        "Converged at iteration i: ..."), after each run.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seeds the starts. An int gives the same result at every ``fit`` (local generators;
        the global torch and NumPy generators are neither used nor changed).
    copy_x : bool, default=True
        ``False``: centre ``X`` in place and add the mean back after the fit (saves one copy;
        the data may change in the last digit, as in scikit-learn).
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        scikit-learn's choice of *how* to compute Lloyd's iterates. Elkan's algorithm skips
        distance computations it can bound by the triangle inequality but reaches the same
        labels and centres; here both values run the course's chunked E-step (tested equal to
        scikit-learn's ``"lloyd"`` and ``"elkan"``). ``"elkan"`` with one cluster warns as
        scikit-learn does.
    method : {"lloyd", "newton", "gd"}, default="lloyd"
        The course's update rule (lessons 02-04) with the labels of the current centres held
        fixed: ``"lloyd"`` moves each centre to its cluster mean :math:`S_k / n_k` (what
        scikit-learn computes, whatever its ``algorithm``); ``"newton"`` takes the Newton step
        :math:`c - H^{-1}g`, :math:`g_k = 2(n_k c_k - S_k)`, :math:`H = \mathrm{diag}(2 n_k I)`
        (algebraically the same centres, computed through the gradient); ``"gd"`` takes a
        gradient step :math:`c_k - \eta_k\, 2(n_k c_k - S_k)`.
    lr : float, array of shape (n_clusters,) or None, default=None
        Step size :math:`\eta` (or one :math:`\eta_k` per centre) of ``method="gd"``; ignored by
        the other methods. ``None``: the per-centre step :math:`\eta_k = 1/(2 n_k)` of lesson
        04, which *is* the Newton step (the run is computed as Newton's).
    empty : {"relocate", "keep"}, default="relocate"
        A cluster left without samples: ``"relocate"`` (scikit-learn's rule) gives it the
        sample farthest from its centre (:func:`argmin_kmeans.core.relocate_empty`);
        ``"keep"`` (the course's rule) leaves its centre where it is.
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
        Iterations of the best run, counted as scikit-learn counts them: the E-steps of the
        loop, including the one that found no label changed (``history_.n_iter + 1`` then,
        at most ``max_iter``); a run stopped by the move criterion counts its updates.
    history_ : argmin_kmeans.engine.History
        The course's record of the best run: centres ``(history_.n_iter + 1, n_clusters,
        n_features)``, loss, relabelled samples per update, labels, ``converged``,
        ``stopped_by``.
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
        init: str | ArrayLike | Callable[..., Any] = "k-means++",
        n_init: int | Literal["auto"] = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        copy_x: bool = True,
        algorithm: Literal["lloyd", "elkan"] = "lloyd",
        method: Literal["lloyd", "newton", "gd"] = "lloyd",
        lr: float | ArrayLike | None = None,
        empty: Literal["relocate", "keep"] = "relocate",
        device: str | torch.device | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.method = method
        self.lr = lr
        self.empty = empty
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
        sample_weight : array-like, tensor or number, optional
            Non-negative weights of shape (n_samples,), at least one positive (a number: the
            same for all; default 1). Not used by an array or callable ``init``.

        Returns
        -------
        self
        """
        self._fit(X, sample_weight, transform=False)
        return self

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> ArrayLike:
        """``fit(X).transform(X)``, without validating ``X`` twice."""
        D = self._fit(X, sample_weight, transform=True)
        assert D is not None
        return D

    def _fit(self, X: Any, sample_weight: Any, *, transform: bool) -> ArrayLike | None:
        p = Params(self)
        Xt, as_numpy, out_device, owned = self._data(X, reset=True)
        n = Xt.shape[0]
        if p.k > n:
            raise ValueError(f"n_samples={n} should be >= n_clusters={p.k}.")
        w = self._weights(sample_weight, n, Xt)
        eta = None
        if p.method == "gd" and self.lr is not None:
            eta = check_param(check_lr, self.lr, p.k, Xt)
        fixed = self._as_centers(self.init, p.k, Xt) if p.init == "array" else None
        n_init = p.n_init
        if fixed is not None and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        if p.algorithm == "elkan" and p.k == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' "
                "instead.",
                RuntimeWarning,
                stacklevel=3,
            )
        with torch.no_grad():
            mean = Xt.mean(dim=0)
            restore = not owned and not p.copy_x
            # centre our own copy, or the caller's array if asked (fit_transform needs X)
            in_place = (owned and not transform) or restore
            Xc = Xt.sub_(mean) if in_place else Xt - mean  # the centred data of every run
            fixed_c = None if fixed is None else fixed - mean
            try:
                best, n_iter = self._runs(Xc, w, p, eta, fixed_c, n_init, as_numpy)
            finally:
                if restore:  # the caller's array: put its values back
                    Xc.add_(mean)
            centers = _tensor(best.final_centers) + mean  # what cluster_centers_ holds
            D = distances(Xt, centers, mean) if transform else None

        def out(t: torch.Tensor) -> ArrayLike:
            return _to_output(t, as_numpy, out_device)

        labels = _tensor(best.labels)
        distinct = int(torch.unique(labels).numel())
        if distinct < p.k:
            why = (
                "Possibly due to duplicate points in X."
                if p.empty == "relocate"
                else "With empty='keep' the centre of a cluster that lost all its samples "
                "stays where it is (empty='relocate' moves it)."
            )
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({p.k}). {why}",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._mean = mean
        self._centers = centers  # on the compute device, in the data's coordinates
        self._centers_c = _tensor(best.final_centers)  # the same, centred
        self.cluster_centers_ = out(centers)
        self.labels_ = out(labels)
        self.inertia_ = best.final_loss
        self.n_iter_ = n_iter
        self._n_init = n_init  # scikit-learn's private record of the runs made
        self.history_ = History(
            method=best.method,
            centers=out(_tensor(best.centers) + mean),
            loss=out(_tensor(best.loss)),
            n_changed=out(_tensor(best.n_changed)),
            labels=self.labels_,
            n_iter=best.n_iter,
            converged=best.converged,
            lr=self.lr if p.method == "gd" else None,
            stopped_by=best.stopped_by,
        )
        return None if D is None else out(D)

    def _runs(
        self,
        Xc: torch.Tensor,
        w: torch.Tensor | None,
        p: Params,
        eta: float | torch.Tensor | None,
        fixed: torch.Tensor | None,
        n_init: int,
        as_numpy: bool,
    ) -> tuple[History, int]:
        """``n_init`` runs on the centred, validated data; the best and its ``n_iter_``."""
        n = Xc.shape[0]
        scale = tol_scale(Xc) if n > 1 else 0.0  # scikit-learn's _tolerance
        gd = p.method == "gd" and eta is not None  # gd with lr=None is Newton's step
        rule = p.method if gd or p.method != "gd" else "newton"
        rs: np.random.RandomState | None = None
        seeds: list[int] = []
        if p.init == "callable":
            rs = callable_random_state(self.random_state)
        elif p.init != "array":
            seeds = start_seeds(self.random_state, n_init)
        ones = torch.ones(n, dtype=torch.float64, device=Xc.device) if w is None else w
        best: History | None = None
        best_n_iter = 0
        for r in range(n_init):
            if fixed is not None:
                C0 = fixed
            elif p.init == "callable":
                arg = Xc.cpu().numpy() if as_numpy else Xc
                init = self.init
                assert callable(init)
                C0 = self._as_centers(init(arg, p.k, random_state=rs), p.k, Xc)
            else:
                g = torch.Generator().manual_seed(seeds[r])
                if p.init == "k-means++":
                    C0 = kmeans_plusplus_validated(Xc, p.k, ones, g)
                else:
                    C0 = random_init_validated(Xc, p.k, g, w)
            if p.verbose:
                print("Initialization complete")
            hist = fit_validated(
                Xc, C0, method=rule, lr=eta, max_iter=p.max_iter,
                residual_tol=p.tol * scale, shift_tol=None if gd else p.tol * scale,
                sample_weight=w, empty=p.empty,
            )
            n_iter = sklearn_n_iter(hist, p.max_iter)
            if p.verbose:
                print_run(hist, n_iter, p.max_iter, p.tol * scale)
            if best is None or (
                hist.final_loss < best.final_loss
                and not same_clustering(_tensor(hist.labels), _tensor(best.labels), p.k)
            ):
                best, best_n_iter = hist, n_iter
        assert best is not None
        return best, best_n_iter

    def _as_centers(self, value: Any, k: int, like: torch.Tensor) -> torch.Tensor:
        """Initial centres (an array ``init`` or what a callable returned) from an array-like
        of any real dtype or a tensor, cast to ``like``'s dtype and device, checked for shape
        and finiteness (scikit-learn's ``check_array`` and ``_validate_center_shape``)."""
        name = "init"
        if isinstance(value, torch.Tensor):
            C = value.detach()
            if C.dtype == torch.bool or C.is_complex():
                raise ValueError(f"{name} has dtype {C.dtype}; centres must be real numbers")
        else:
            a = np.asarray(value)
            if a.dtype.kind not in "biuf":
                raise ValueError(
                    f"{name} must be 'k-means++', 'random', a callable or an array of shape "
                    f"(n_clusters, n_features) of numbers, got {name}={value!r}"
                )
            C = torch.from_numpy(np.array(a, dtype=np.float64))
        C = C.to(device=like.device, dtype=like.dtype)
        d = like.shape[1]
        if C.ndim != 2 or C.shape[0] != k:
            raise ValueError(
                f"The shape of the initial centers {tuple(C.shape)} does not match the number "
                f"of clusters {k}."
            )
        if C.shape[1] != d:
            raise ValueError(
                f"The shape of the initial centers {tuple(C.shape)} does not match the number "
                f"of features of the data {d}."
            )
        check_finite(C, name)
        return C.clone()

    # ------------------------------------------------------------------ using the fit

    def predict(self, X: Any) -> ArrayLike:
        """The index of the nearest centre for every sample of ``X`` (int64; ties to the lowest).

        The labels come from the same kernel as ``fit``'s, so ``predict(X_train)`` equals
        ``labels_``. Any number of samples, even fewer than ``n_clusters``.
        """
        Xc, as_numpy, out_device = self._centred(X)
        labels = estep(Xc, self._model()[1], with_inertia=False).labels
        return _to_output(labels, as_numpy, out_device)

    def transform(self, X: Any) -> ArrayLike:
        r"""Distances :math:`\lVert x_i - c_k\rVert` to every centre, shape (n_samples, n_clusters).

        In float64 (as scikit-learn computes float32 data), on coordinates centred at the
        training mean, by the expansion :math:`\lVert x\rVert^2 - 2x\cdot c + \lVert c\rVert^2`
        and by direct differences where it cancels (a zero distance is exactly 0.0); returned
        in the model's dtype. Any number of samples.
        """
        check_is_fitted(self)
        Xt, as_numpy, out_device, _ = self._data(X, reset=False)
        D = distances(Xt, self._model()[0], self._mean)
        return _to_output(D, as_numpy, out_device)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        r"""Minus the inertia of ``X``: :math:`-\sum_i w_i \min_k \lVert x_i - c_k\rVert^2`."""
        Xc, _, _ = self._centred(X)
        C = self._model()[1]
        w = self._weights(sample_weight, Xc.shape[0], Xc)
        inertia = estep(Xc, C).inertia if w is None else estep_weighted(Xc, C, w).inertia
        assert inertia is not None
        return -float(inertia)

    # ------------------------------------------------------------------ validation, once

    def _model(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The centres to predict with, in data and in centred coordinates, on the compute
        device: ``cluster_centers_``, as scikit-learn reads it (a user may set it). Unless it
        was changed, the exact tensors of the fit."""
        C = self.cluster_centers_
        Ct = C.detach() if isinstance(C, torch.Tensor) else torch.tensor(np.asarray(C))
        Ct = Ct.to(self._mean.device, self._mean.dtype)
        if Ct.shape == self._centers.shape and torch.equal(Ct, self._centers):
            return self._centers, self._centers_c
        return Ct, Ct - self._mean

    def _centred(self, X: Any) -> tuple[torch.Tensor, bool, torch.device | None]:
        check_is_fitted(self)
        Xt, as_numpy, out_device, _ = self._data(X, reset=False)
        with torch.no_grad():
            return Xt - self._mean, as_numpy, out_device

    def _data(
        self, X: Any, *, reset: bool
    ) -> tuple[torch.Tensor, bool, torch.device | None, bool]:
        """``X`` as a finite float tensor on the compute device (one NaN scan), whether it was
        NumPy-like, the device to give tensors back on, and whether the tensor is a copy made
        here (free to modify)."""
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
            Xt, _ = check_X(Xa, "X", finite=False)  # validate_data has scanned for NaN/inf
            as_numpy, out_device = True, None
        src = Xt
        if reset:
            Xt = Xt.detach().to(self._compute_device(Xt))
        else:  # a query runs where the model is, in the model's precision
            Xt = Xt.detach().to(self._mean.device, self._mean.dtype)
        owned = Xt.data_ptr() != src.data_ptr() or not may_share_memory(X, src)
        if isinstance(X, torch.Tensor) and X.requires_grad and not owned:
            Xt = Xt.clone()  # never centre in place a tensor that autograd tracks
            owned = True
        return Xt, as_numpy, out_device, owned

    def _weights(self, sample_weight: Any, n: int, like: torch.Tensor) -> torch.Tensor | None:
        """``sample_weight`` checked once (a number means that weight for every sample)."""
        if sample_weight is None:
            return None
        if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
            sample_weight = np.full(n, float(sample_weight))
        elif not isinstance(sample_weight, torch.Tensor):
            # array-likes read through __array__, as scikit-learn reads them (an object whose
            # __array_function__ refuses NumPy's functions is one of its estimator checks)
            sample_weight = np.asanyarray(sample_weight)
        return check_sample_weight(sample_weight, n, like)

    def _compute_device(self, Xt: torch.Tensor) -> torch.device:
        if self.device is None:
            return Xt.device
        try:
            return torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidParameterError(
                f"device must be None, a torch.device or a device string such as 'cpu' or "
                f"'cuda', got device={self.device!r}"
            ) from exc


def _tensor(a: ArrayLike) -> torch.Tensor:
    """A result of the core on tensor inputs (always a tensor), typed as one."""
    assert isinstance(a, torch.Tensor)
    return a


def _to_output(t: torch.Tensor, as_numpy: bool, device: torch.device | None) -> ArrayLike:
    t = t.detach()
    return t.cpu().numpy() if as_numpy else t.to(device)
