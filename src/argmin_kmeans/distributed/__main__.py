"""``python -m argmin_kmeans.distributed``: data-parallel k-means on one machine or a cluster.

See ``--help`` (the text is :data:`EPILOG`). Every rank checks the files first — a missing file,
a bad shape or a dtype mismatch is an error before any process group starts — then memory-maps
its own block of rows, runs k-means‖ (or reads the init) and Lloyd, and rank 0 writes
``centers.npy`` and ``history.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ._comm import row_range
from ._lloyd import lloyd_distributed
from ._parallel_init import kmeans_parallel_init

PROG = "python -m argmin_kmeans.distributed"
KMEANS_PARALLEL = "kmeans||"

EPILOG = f"""\
The data is one .npy file of shape (n_samples, n_features), float32 or float64, readable at
the same path on every machine (a shared file system, or a copy on each). Rank r of p reads
only its block of rows, [r*n//p, (r+1)*n//p), through a memory map. Per Lloyd iteration the
ranks exchange one all_reduce of K*(d+1)+2 float64 numbers (K = --n-clusters, d = features).

Launch with torchrun (it sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT for each process):

  one machine, 4 processes (CPU, gloo):
    torchrun --standalone --nproc-per-node 4 -m argmin_kmeans.distributed \\
        --data X.npy --n-clusters 100 --out run1

  several machines, here 2 nodes x 8 processes: run the same command on every node
  (HOST:PORT = an address of one of the nodes that all can reach; RUN = any shared id):
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d \\
        --rdzv-endpoint HOST:29500 --rdzv-id RUN -m argmin_kmeans.distributed \\
        --data /shared/X.npy --n-clusters 1000 --out /shared/run1

  GPUs (one per process, NCCL): add --device cuda (sets --backend nccl); --nproc-per-node
  is then the number of GPUs per node.

Without torchrun ({PROG} ...) it runs as one process.
(`python -m torch.distributed.run` is the same program as `torchrun`.)

Outputs (written by rank 0 into --out): centers.npy (n_clusters, n_features), in the data's
dtype; history.json: loss and n_changed per iteration, n_iter, converged, the sizes, the
world size and the seconds spent in the init and in Lloyd.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Data-parallel k-means (Lloyd, k-means|| init) on torch.distributed.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", required=True, help="X.npy, shape (n_samples, n_features)")
    p.add_argument("--n-clusters", type=int, required=True, help="k")
    p.add_argument(
        "--init",
        default=KMEANS_PARALLEL,
        help=f"C.npy of shape (k, n_features), or {KMEANS_PARALLEL!r} (the default; quote it in a "
        f"shell: --init '{KMEANS_PARALLEL}')",
    )
    p.add_argument("--max-iter", type=int, default=100, help="most Lloyd updates (default 100)")
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument("--seed", type=int, default=0, help="seed of k-means|| (default 0)")
    p.add_argument("--rounds", type=int, default=5, help="k-means|| rounds (default 5)")
    p.add_argument("--oversampling", type=float, default=2.0,
                   help="k-means|| candidates per round per centre (default 2)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--backend", choices=["gloo", "nccl"], default=None,
                   help="default: gloo on cpu, nccl on cuda")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds allowed for the group's start and for each collective")
    return p


def check_inputs(args: argparse.Namespace) -> tuple[tuple[int, int], np.dtype]:
    """Everything that can be checked from the files alone, before any process group starts.

    Returns the data's shape and dtype; raises ``ValueError`` / ``FileNotFoundError`` with a
    message naming the file.
    """
    data = Path(args.data)
    if not data.is_file():
        raise FileNotFoundError(f"--data {data}: no such file")
    try:
        X = np.load(data, mmap_mode="r")
    except Exception as e:  # noqa: BLE001 - np.load fails in many ways on a non-.npy file
        raise ValueError(f"--data {data}: not a readable .npy array ({e})") from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"--data {data}: need shape (n_samples, n_features), got {X.shape}")
    if X.dtype not in (np.float32, np.float64):
        raise ValueError(f"--data {data}: dtype {X.dtype}; use float32 or float64")
    k = args.n_clusters
    if not 1 <= k <= X.shape[0]:
        raise ValueError(f"--n-clusters {k}: must be in [1, n_samples={X.shape[0]}]")
    if args.max_iter < 0:
        raise ValueError(f"--max-iter {args.max_iter}: must be >= 0")
    if args.timeout <= 0:
        raise ValueError(f"--timeout {args.timeout}: must be > 0")
    if args.init != KMEANS_PARALLEL:
        init = Path(args.init)
        if not init.is_file():
            raise FileNotFoundError(f"--init {init}: no such file (or pass --init {KMEANS_PARALLEL})")
        C = np.load(init, mmap_mode="r")
        if C.shape != (k, X.shape[1]):
            raise ValueError(
                f"--init {init}: shape {C.shape} does not match (n_clusters, n_features) = "
                f"({k}, {X.shape[1]}) of --n-clusters and --data {data}"
            )
        if C.dtype != X.dtype:
            raise ValueError(f"--init {init}: dtype {C.dtype} differs from --data's {X.dtype}")
    return (int(X.shape[0]), int(X.shape[1])), X.dtype


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Check the files, start the group (under torchrun), cluster, write the outputs."""
    (n, d), dtype = check_inputs(args)
    backend = args.backend or ("nccl" if args.device == "cuda" else "gloo")
    in_group = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if in_group:
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=args.timeout))
    try:
        rank, world = (dist.get_rank(), dist.get_world_size()) if in_group else (0, 1)
        device = torch.device("cpu")
        if args.device == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        start, stop = row_range(n, rank, world)
        rows = np.load(args.data, mmap_mode="r")[start:stop]  # only this block is read
        X = torch.from_numpy(np.array(rows)).to(device)
        t0 = time.perf_counter()
        if args.init == KMEANS_PARALLEL:
            C0 = kmeans_parallel_init(X, args.n_clusters, rounds=args.rounds,
                                      oversampling=args.oversampling, seed=args.seed)
        else:
            C0 = torch.from_numpy(np.load(args.init)).to(device)
        t1 = time.perf_counter()
        h = lloyd_distributed(X, C0, max_iter=args.max_iter, gather_labels=False)
        t2 = time.perf_counter()
        record = {
            "n_samples": n, "n_features": d, "n_clusters": args.n_clusters,
            "dtype": str(dtype), "world_size": world, "backend": backend if in_group else None,
            "device": args.device, "init": args.init, "n_iter": h.n_iter,
            "converged": h.converged, "final_loss": float(h.loss[-1]),
            "loss": [float(v) for v in h.loss], "n_changed": [int(v) for v in h.n_changed],
            "seconds_init": t1 - t0, "seconds_lloyd": t2 - t1,
        }
        if rank == 0:
            out = Path(args.out)
            np.save(out / "centers.npy", h.centers[-1].detach().cpu().numpy())
            (out / "history.json").write_text(json.dumps(record, indent=1) + "\n")
            print(f"{PROG}: {n} x {d} on {world} process(es): {h.n_iter} iterations, "
                  f"converged={h.converged}, loss={record['final_loss']:.6g}; wrote {out}")
        return record
    finally:
        if in_group and dist.is_initialized():
            dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0, or 1 with a one-line error on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (OSError, ValueError, TypeError, RuntimeError) as e:
        rank = os.environ.get("RANK", "0")
        print(f"{PROG}: error on rank {rank}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
