"""argmin_kmeans: k-means by gradient descent, EM (Lloyd) and Newton, in a few hundred lines.

The course "Backprop through argmin" is built on these names. Inputs are ``X`` of shape
``(n_samples, n_features)`` and ``centers`` of shape ``(n_clusters, n_features)``, as torch
tensors or NumPy arrays, float32 or float64, on any device.
"""

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
from .fit import METHODS, KMeansHistory, fit, random_init

__version__ = "0.1.0"

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
    "KMeansHistory",
    "fit",
    "random_init",
]
