"""Start ``world_size`` real ``torch.distributed`` processes on this machine, for lessons and tests.

:func:`run_workers` starts the processes (``torch.multiprocessing``, forkserver context where the
platform has one, else spawn; see :func:`_context`), connects them
through a ``TCPStore`` on 127.0.0.1 that the parent opens on a free port, runs one function in
each inside an initialised process group, and returns every rank's result. It never hangs:

* the process group has a timeout (``datetime.timedelta``) on its start and on every collective;
* the parent waits at most ``timeout`` seconds in all;
* the first worker that raises stops the run: the parent terminates every other worker and
  raises :class:`WorkerError`, naming the rank and carrying its traceback;
* a worker that dies without a Python error (a segfault, ``kill -9``, the out-of-memory
  killer) is named as the cause, with its signal, even when another rank reports the broken
  connection first: after the first error the parent waits a moment
  (:data:`SETTLE_S`) for the processes to settle, and a rank that died silently outranks the
  ranks that only saw it go.
"""

from __future__ import annotations

import dataclasses
import datetime
import faulthandler
import os
import pickle
import queue as queue_mod
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .._validation import ArrayLike, check_choice, check_int, check_pair, check_real
from ..engine import History
from ._comm import row_range
from ._lloyd import lloyd_distributed

__all__ = ["WorkerError", "run_local", "run_workers"]

HOST = "127.0.0.1"

#: Seconds the parent waits, after the first error, for other workers' errors or deaths: a
#: rank that segfaults closes its sockets while it dies, and its peers' "connection reset"
#: can arrive before the parent sees the dead process.
SETTLE_S = 1.0


class WorkerError(RuntimeError):
    """A worker process raised: ``rank``, the exception's ``kind`` (class name), its ``message``
    and the worker's ``traceback`` (text)."""

    def __init__(self, rank: int, kind: str, message: str, tb: str) -> None:
        super().__init__(f"rank {rank} raised {kind}: {message}\n--- traceback of rank {rank} ---\n"
                         f"{tb}")
        self.rank, self.kind, self.message, self.traceback = rank, kind, message, tb


def _default_threads(world_size: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // world_size)


def _entry(
    rank: int,
    world_size: int,
    port: int,
    backend: str,
    timeout_s: float,
    threads: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    results: Any,
) -> None:
    """A worker: join the group, run ``fn(*args)``, send back ``("ok"|"error", rank, payload)``."""
    timeout = datetime.timedelta(seconds=timeout_s)
    faulthandler.enable()  # a segfault prints this worker's Python stack to stderr
    try:
        torch.set_num_threads(threads)
        store = dist.TCPStore(HOST, port, is_master=False, timeout=timeout)
        dist.init_process_group(
            backend, store=store, rank=rank, world_size=world_size, timeout=timeout
        )
        out = fn(*args)
        results.put(("ok", rank, pickle.dumps(out)))
    except BaseException as e:  # noqa: BLE001 - report anything, then die; the parent stops the rest
        results.put(("error", rank, (type(e).__name__, str(e), traceback.format_exc())))
        results.close()
        results.join_thread()  # the message is sent before this process's sockets close
        raise SystemExit(1) from None
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _context() -> Any:
    """The multiprocessing context of the workers: ``forkserver`` where the platform has it
    (Linux, macOS), with torch and this package imported once in the server, which then forks
    every worker of this parent process's launches; else ``spawn`` (Windows).

    Spawned workers each import torch anew (measured: ~2-4 s per launch of 2 workers on 2
    cores, most of a launch); forked from the server they start in a fraction of that. The
    server has run no torch op (no thread pool to inherit); the workers set their own
    threads and start their process groups after the fork."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["torch", "argmin_kmeans.distributed"])
        return ctx
    return mp.get_context("spawn")


def run_workers(
    fn: Callable[..., Any],
    world_size: int,
    args: Sequence[Any] = (),
    *,
    backend: str = "gloo",
    timeout: float = 120.0,
    threads: int | None = None,
) -> list[Any]:
    """Run ``fn(*args)`` in ``world_size`` local processes that form one process group.

    Parameters
    ----------
    fn : callable
        Importable by name (a module-level function of an installed module, not a lambda or a
        notebook function): the worker processes import it. Inside, ``torch.distributed`` is
        initialised; ``dist.get_rank()`` tells the rank. Its return value must pickle.
    world_size : int
    args : sequence
        Pickled to every worker.
    backend : {"gloo", "nccl"}
        ``"nccl"`` needs one GPU per rank (not exercised by the course's tests).
    timeout : float
        Seconds: the limit for the whole run, and for the group's start and each collective.
    threads : int, optional
        torch threads per worker; default: the cores divided among the workers (at least 1).

    Returns
    -------
    list
        ``fn``'s return value on each rank, in rank order.

    Raises
    ------
    WorkerError
        The first worker that raised, with its rank and traceback; every worker is stopped.
    TimeoutError
        The run took longer than ``timeout`` seconds (every worker is stopped).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    try:
        pickle.dumps(fn)
    except Exception as e:  # noqa: BLE001 - pickling fails in many ways; all mean the same
        raise TypeError(
            f"fn={fn!r} cannot be sent to a spawned process ({e}); define it at module level in "
            "an importable module"
        ) from None
    ws = check_int(world_size, "world_size", low=1)
    backend = check_choice(backend, "backend", ["gloo", "nccl"])
    limit = check_real(timeout, "timeout", low=0.0, low_open=True)
    n_threads = _default_threads(ws) if threads is None else check_int(threads, "threads", low=1)
    ctx = _context()
    store = dist.TCPStore(HOST, 0, is_master=True, wait_for_workers=False,
                          timeout=datetime.timedelta(seconds=limit))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_entry,
            args=(r, ws, store.port, backend, limit, n_threads, fn, tuple(args), results),
            daemon=True,
        )
        for r in range(ws)
    ]
    deadline = time.monotonic() + limit
    out: dict[int, Any] = {}
    try:
        for p in procs:
            p.start()
        dead_since: dict[int, float] = {}
        while len(out) < ws:
            now = time.monotonic()
            if now > deadline:
                missing = [r for r in range(ws) if r not in out]
                raise TimeoutError(f"ranks {missing} did not finish within timeout={limit} s")
            try:
                kind, rank, payload = results.get(timeout=min(0.1, deadline - now))
            except queue_mod.Empty:
                for r, p in enumerate(procs):  # a worker that died without a word (killed)
                    dead = r not in out and not p.is_alive()
                    if dead and now - dead_since.setdefault(r, now) > 2.0:
                        raise _first_cause(procs, {}, r) from None
                continue
            if kind == "error":
                raise _first_cause(procs, {rank: payload}, rank, results, out) from None
            out[rank] = pickle.loads(payload)
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        started = [p for p in procs if p.pid is not None]
        for p in started:
            if p.is_alive():
                p.terminate()
        for p in started:
            p.join(timeout=5.0)
            if p.is_alive():
                p.kill()
                p.join(timeout=5.0)
        results.close()
        del store
    return [out[r] for r in range(ws)]


def _exit_text(code: int | None) -> tuple[str, str]:
    """``(kind, message)`` for a worker that exited with ``code`` without reporting."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "ProcessKilled", f"killed by {name} (exit code {code}) without a Python error"
    return "ProcessExit", f"exited with code {code} without a Python error"


def _first_cause(
    procs: Sequence[Any],
    errors: dict[int, tuple[str, str, str]],
    first: int,
    results: Any = None,
    done: dict[int, Any] | None = None,
) -> WorkerError:
    """The error to raise: a rank that died without a word (a signal, a bare exit) outranks
    ranks that reported errors (they are usually its peers seeing the broken connection);
    else the first reported error. Waits up to :data:`SETTLE_S` for the processes to settle
    (more reports, or deaths) when an error was reported."""
    done = {} if done is None else done
    end = time.monotonic() + (SETTLE_S if results is not None else 0.0)
    while True:
        while results is not None:  # every report already sent, before judging the deaths
            try:
                kind, rank, payload = results.get(timeout=0.05)
            except queue_mod.Empty:
                break
            if kind == "error":
                errors.setdefault(rank, payload)
            else:
                done[rank] = payload
        silent = [r for r, p in enumerate(procs)
                  if r not in errors and r not in done and p.exitcode not in (None, 0)]
        if silent or time.monotonic() >= end:
            break
    if silent:
        r = silent[0]
        kind, message = _exit_text(procs[r].exitcode)
        also = "".join(f"\n  rank {q} then raised {e[0]}: {e[1]}"
                       for q, e in sorted(errors.items()))
        after = f"; the other ranks failed after it:{also}" if also else ""
        return WorkerError(r, kind, message + after, "")
    if first in errors:
        return WorkerError(first, *errors[first])
    kind, message = _exit_text(procs[first].exitcode)
    return WorkerError(first, kind, message, "")


def _lloyd_worker(X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> History:
    """One rank of :func:`run_local`: Lloyd on this rank's row range."""
    start, stop = row_range(X.shape[0], dist.get_rank(), dist.get_world_size())
    X_local: ArrayLike = X[start:stop]
    C: ArrayLike = init
    if dist.get_backend() == "nccl":
        dev = torch.device("cuda", dist.get_rank() % torch.cuda.device_count())
        torch.cuda.set_device(dev)  # NCCL's object collectives use the current device
        X_local, C = torch.from_numpy(X[start:stop]).to(dev), torch.from_numpy(init).to(dev)
    h = lloyd_distributed(X_local, C, max_iter=max_iter, tol=tol)
    return _numpy_history(h)


def _numpy_history(h: History) -> History:
    def np_(a: Any) -> np.ndarray:
        return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)

    return dataclasses.replace(h, centers=np_(h.centers), loss=np_(h.loss),
                               n_changed=np_(h.n_changed), labels=np_(h.labels))


def _same(a: History, b: History) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("centers", "loss", "n_changed", "labels")
    ) and (a.n_iter, a.converged) == (b.n_iter, b.converged)


def run_local(
    X: ArrayLike,
    init: ArrayLike,
    *,
    world_size: int,
    backend: str = "gloo",
    max_iter: int = 100,
    tol: float = 0.0,
    timeout: float = 120.0,
) -> History:
    """Data-parallel Lloyd in ``world_size`` local processes: rank ``r`` gets the ``r``-th
    contiguous block of rows of ``X`` (:func:`row_range`).

    Parameters
    ----------
    X : tensor or ndarray, shape (n_samples, n_features)
    init : tensor or ndarray, shape (n_clusters, n_features)
    world_size : int
        Processes (more than ``n_samples`` works: some ranks get no rows).
    backend : {"gloo", "nccl"}
        ``"gloo"``: CPU. ``"nccl"``: rank ``r`` on GPU ``r`` (not exercised by the tests).
    max_iter, tol
        As in :func:`lloyd_distributed`.
    timeout : float
        Seconds for the whole run (and for the group's start and each collective).

    Returns
    -------
    History
        NumPy arrays, equal to ``fit(X, init, method="lloyd", max_iter=max_iter)`` up to the
        order of the floating-point sums. The parent checks that every rank returned the same
        record bit for bit and raises ``RuntimeError`` otherwise.
    """
    Xt, C, _ = check_pair(X, init)  # a bad input fails here, before any process starts
    Xn, Cn = Xt.detach().cpu().numpy(), C.detach().cpu().numpy()
    iters = check_int(max_iter, "max_iter", low=0)
    tol_ = check_real(tol, "tol", low=0.0)
    hists = run_workers(_lloyd_worker, world_size, (Xn, Cn, iters, tol_), backend=backend,
                        timeout=timeout)
    for r, h in enumerate(hists[1:], start=1):
        if not _same(hists[0], h):
            raise RuntimeError(f"rank {r} returned a different history than rank 0")
    return hists[0]
