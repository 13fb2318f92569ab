r"""Every data set the lessons use, at fixed seeds.

=======================  ===========  ==================================================
function                 lesson       what
=======================  ===========  ==================================================
:func:`uniform_data`     02           the question's 1000 points uniform in [0, 1)^200
:func:`blob_data`        02           the same scale with 20 real clusters
:func:`example_data_1d`  03, 04       ten 1-D samples in three groups (the (c1, c2) plane)
:func:`example_data_2d`  03           three Gaussian blobs in the plane
:func:`make_blobs`       04           blobs of unequal sizes 40/80/160/320 (step sizes)
:func:`load_dataset`     04           ``"blobs"``, scikit-learn's bundled iris and digits
:func:`race_data`        05           a 200k-sample Gaussian mixture for the race
:func:`square_blobs`     07, 08       four blobs of 50 at the corners of a square (2-D)
=======================  ===========  ==================================================

Nothing is downloaded: iris and digits are the copies bundled inside scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ._validation import check_choice, check_int, check_real, check_seed

__all__ = [
    "uniform_data",
    "blob_data",
    "example_data_1d",
    "example_data_2d",
    "make_blobs",
    "Dataset",
    "DATASETS",
    "load_dataset",
    "race_data",
    "square_blobs",
]


# --------------------------------------------------------------------------- lesson 02


def uniform_data(
    n_samples: int = 1000,
    n_features: int = 200,
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The question's data: ``n_samples`` points uniform in the unit cube.

    Returns
    -------
    X : tensor, shape (n_samples, n_features)
        Entries i.i.d. uniform on :math:`[0, 1)`. It has **no cluster structure**: the expected
        loss of a single centre at the centre of the cube, 1/2, is :math:`n d / 12` (the variance
        of U(0, 1) is 1/12).
    """
    n = check_int(n_samples, "n_samples", low=1)
    d = check_int(n_features, "n_features", low=1)
    g = torch.Generator().manual_seed(check_seed(seed))
    return torch.rand(n, d, generator=g, dtype=dtype)


def blob_data(
    n_samples: int = 1000,
    n_features: int = 200,
    n_clusters: int = 20,
    *,
    spread: float = 0.05,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Data with real cluster structure, on the question's scale.

    ``n_clusters`` true centres uniform in :math:`[0, 1)^{d}`; each sample is a true centre
    (chosen uniformly) plus Gaussian noise of standard deviation ``spread`` per feature.

    Returns
    -------
    X : tensor, shape (n_samples, n_features)
    true_centers : tensor, shape (n_clusters, n_features)
    true_labels : int64 tensor, shape (n_samples,)

    Notes
    -----
    Two true centres are :math:`\sqrt{d/6} \approx 5.8` apart on average for :math:`d = 200`,
    while a sample lies about :math:`\sigma\sqrt{d} \approx 0.71` from its own: well separated.
    """
    n = check_int(n_samples, "n_samples", low=1)
    d = check_int(n_features, "n_features", low=1)
    k = check_int(n_clusters, "n_clusters", low=1)
    sigma = check_real(spread, "spread", low=0.0)
    g = torch.Generator().manual_seed(check_seed(seed))
    true_centers = torch.rand(k, d, generator=g, dtype=dtype)
    labels = torch.randint(k, (n,), generator=g)
    X = true_centers[labels] + sigma * torch.randn(n, d, generator=g, dtype=dtype)
    return X, true_centers, labels


# --------------------------------------------------------------------------- lesson 03


def example_data_1d() -> np.ndarray:
    """Ten 1-D samples in three groups (left, middle, right), shape (10,), float64.

    Small enough to label every region of the :math:`(c_1, c_2)` plane, and grouped so that
    two centres have more than one Lloyd fixed point.
    """
    return np.array([-4.6, -4.0, -3.3, -2.9, -0.4, 0.2, 0.7, 3.9, 4.5, 5.3])


def example_data_2d(seed: int = 0, n_per_blob: int = 20) -> np.ndarray:
    """Three Gaussian blobs in the plane, shape (3 * n_per_blob, 2), float64, fixed seed."""
    m = check_int(n_per_blob, "n_per_blob", low=1)
    rng = np.random.default_rng(check_seed(seed))
    means = np.array([[-3.0, -1.5], [2.5, -2.0], [0.0, 3.0]])
    X = means[:, None, :] + 0.9 * rng.normal(size=(3, m, 2))
    return X.reshape(-1, 2)


# --------------------------------------------------------------------------- lesson 04


def make_blobs(seed: int = 0, sizes: Sequence[int] = (40, 80, 160, 320),
               spread: float = 0.8, separation: float = 8.0) -> np.ndarray:
    """Gaussian blobs in the plane with the given (unequal) sizes, shape (sum(sizes), 2), float64.

    The blob centres sit on a square grid ``separation`` apart, so clusters are well separated
    and their sizes are known: the global step size story needs clusters of different sizes.
    """
    if len(sizes) == 0:
        raise ValueError(f"sizes must be positive integers, got {list(sizes)}")
    ns = [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    sigma = check_real(spread, "spread", low=0.0)
    sep = check_real(separation, "separation", low=0.0)
    k = len(ns)
    side = math.ceil(math.sqrt(k))
    grid = sep * np.array([[i % side, i // side] for i in range(k)], dtype=np.float64)
    grid -= grid.mean(axis=0)
    rng = np.random.default_rng(check_seed(seed))
    return np.vstack([m + sigma * rng.normal(size=(s, 2)) for m, s in zip(grid, ns)])


@dataclass(frozen=True)
class Dataset:
    """A data set for the comparison.

    Attributes
    ----------
    name : str
    X : ndarray, shape (n_samples, n_features)
    n_clusters : int
        The number of centres the lesson fits (the number of classes for iris and digits).
    description : str
    """

    name: str
    X: np.ndarray
    n_clusters: int
    description: str


#: Names accepted by :func:`load_dataset`.
DATASETS = ("blobs", "iris", "digits")


def load_dataset(name: str, dtype: type = np.float64) -> Dataset:
    """``"blobs"`` (600 x 2, 4 clusters of 40/80/160/320), ``"iris"`` (150 x 4, k=3) or
    ``"digits"`` (1797 x 64, k=10).

    iris and digits are read from the copies bundled inside scikit-learn
    (``sklearn.datasets.load_iris`` / ``load_digits``): nothing is downloaded.
    """
    name = check_choice(name, "name", DATASETS)
    if name == "blobs":
        X, k, desc = make_blobs(), 4, "4 Gaussian blobs of 40, 80, 160, 320 points in 2-D (seed 0)"
    elif name == "iris":
        from sklearn.datasets import load_iris

        X, k, desc = load_iris().data, 3, "Fisher's iris: 150 flowers, 4 measurements (cm)"
    else:
        from sklearn.datasets import load_digits

        X, k, desc = load_digits().data, 10, "8x8 handwritten digits: 1797 images, 64 pixels (0-16)"
    return Dataset(name=name, X=np.ascontiguousarray(X, dtype=dtype), n_clusters=k,
                   description=desc)


# --------------------------------------------------------------------------- lesson 05


def race_data(
    n_samples: int = 200_000,
    n_features: int = 5,
    n_clusters: int = 15,
    *,
    box: float = 8.0,
    seed: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    r"""A Gaussian mixture for the passes-over-the-data race (float64, reproducible).

    ``n_clusters`` means uniform in :math:`[-\mathrm{box}, \mathrm{box}]^{d}`, unequal mixing
    weights (Dirichlet(2)), unit isotropic noise.

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    means : ndarray, shape (n_clusters, n_features)
        The generating means (their loss is about ``n_samples * n_features``).
    """
    n = check_int(n_samples, "n_samples", low=1)
    d = check_int(n_features, "n_features", low=1)
    k = check_int(n_clusters, "n_clusters", low=1)
    half = check_real(box, "box", low=0.0)
    rng = np.random.default_rng(check_seed(seed))
    means = rng.uniform(-half, half, size=(k, d))
    weights = rng.dirichlet(np.full(k, 2.0))
    X = means[rng.choice(k, size=n, p=weights)] + rng.normal(size=(n, d))
    return X, means


# --------------------------------------------------------------------------- lessons 07, 08


def square_blobs(seed: int = 0) -> torch.Tensor:
    """Four Gaussian blobs of 50 samples at the corners of a 4 x 4 square (standard deviation
    0.7), in that order, shape (200, 2), float64 (soft k-means, annealing, implicit
    differentiation)."""
    g = torch.Generator().manual_seed(check_seed(seed))
    means = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]], dtype=torch.float64)
    noise = torch.randn(200, 2, generator=g, dtype=torch.float64)
    return means.repeat_interleave(50, 0) + 0.7 * noise
