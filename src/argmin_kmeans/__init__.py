"""argmin_kmeans: k-means by gradient descent, EM (Lloyd) and Newton, in PyTorch.

The course "Backprop through argmin" is built on these names. Inputs are ``X`` of shape
``(n_samples, n_features)`` and ``centers`` of shape ``(n_clusters, n_features)``, as torch
tensors or NumPy arrays, float32 or float64, on any device. The layers, bottom up:
``_validation`` (every argument check) → ``kernel`` (the one hot loop) → ``core`` (E-step,
statistics, each update rule once) → ``engine`` (one run loop, one :class:`History`) → the
lessons' modules (``argmax`` 01, ``naive`` and ``question`` 02, ``landscape`` and ``landscape_1d``
03, ``compare`` and ``theory`` 04, ``stochastic`` 05, ``datasets`` for all) → ``plotting``,
``widgets`` and ``exercises`` on top.
"""

from typing import TYPE_CHECKING, Any

from . import kernel
from .argmax import QUESTION_T, ArgmaxEvidence, argmax_zero_gradient
from .core import (
    assign,
    cluster_stats,
    gd_step,
    kmeans_loss,
    lloyd_step,
    loss_gradient,
    newton_step,
    sq_distances,
)
from .engine import METHODS, History, fit
from .implicit import fixed_point_jacobian
from .initialization import kmeans_plusplus, random_init
from .kernel import show_config
from .relax import (
    perturbed_argmax,
    soft_assign,
    soft_kmeans_loss,
    soft_lloyd_step,
    straight_through_assign,
)
from .stochastic import fit_stochastic, minibatch_step, online_step, sgd_step

__version__ = "0.3.0"  # the one version number (pyproject.toml reads it)

__all__ = [
    "QUESTION_T",
    "ArgmaxEvidence",
    "argmax_zero_gradient",
    "assign",
    "cluster_stats",
    "gd_step",
    "kmeans_loss",
    "lloyd_step",
    "loss_gradient",
    "newton_step",
    "sq_distances",
    "METHODS",
    "History",
    "fit",
    "random_init",
    "kmeans_plusplus",
    "KMeans",
    "soft_assign",
    "soft_kmeans_loss",
    "soft_lloyd_step",
    "straight_through_assign",
    "perturbed_argmax",
    "fixed_point_jacobian",
    "fit_stochastic",
    "minibatch_step",
    "online_step",
    "sgd_step",
    "show_config",
    "kernel",
]

if TYPE_CHECKING:
    from .estimator import KMeans


def __getattr__(name: str) -> Any:
    """``KMeans`` on first use: the estimator imports scikit-learn (about 40 % of the package's
    import time), which nothing else at import needs."""
    if name == "KMeans":
        from .estimator import KMeans

        return KMeans
    raise AttributeError(f"module 'argmin_kmeans' has no attribute {name!r}")
