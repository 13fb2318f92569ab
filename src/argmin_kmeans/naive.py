r"""The question's k-means, written the way the question wrote it — the reference we test against.

The question broadcasts the centres, kept as a ``(n_clusters, 1, n_features)`` tensor, against
a batch to get the full ``(n_clusters, batch, n_features)`` difference tensor — ``(K, n, d)``
in the course's notation — sums squares to ``(n_clusters, batch)`` distances, takes
``torch.min(distances, 0)[1]`` as the membership, and adds up each cluster's distances with a
boolean mask, skipping empty clusters. It is correct but uses ``n_clusters * batch *
n_features`` numbers of memory: 1.6 GB in float32 for ``(K, n, d) = (20, 100_000, 200)``. The core (:mod:`argmin_kmeans.core`) never builds it.
"""

from __future__ import annotations

import torch

__all__ = ["question_distances", "question_loss", "question_step"]


def question_distances(X: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """Squared distances ``(n_clusters, n_samples)`` through the ``(K, n, d)`` difference tensor."""
    diff = centers[:, None, :] - X[None, :, :]  # (K, n, d): the memory hog
    return (diff * diff).sum(dim=2)


def question_loss(X: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """The question's loss: a per-cluster loop over boolean masks of the argmin membership."""
    distances = question_distances(X, centers)  # (K, n)
    membership = torch.min(distances, 0)[1]  # (n,) int64, no grad_fn
    loss = torch.zeros((), dtype=X.dtype, device=X.device)
    for k in range(centers.shape[0]):
        mask = membership == k
        if bool(mask.any()):  # the question skips empty clusters
            loss = loss + distances[k][mask].sum()
    return loss


def question_step(X: torch.Tensor, centers: torch.Tensor, lr: float) -> torch.Tensor:
    """One step of the question's training loop: loss, ``backward()``, ``c -= lr * c.grad``.

    Returns new centres (the input is not modified).
    """
    c = centers.detach().clone().requires_grad_(True)
    question_loss(X, c).backward()
    assert c.grad is not None
    with torch.no_grad():
        c -= lr * c.grad
    return c.detach()
