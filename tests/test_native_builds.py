"""The compiled E-step's numeric core built without Python, natively and for arm64.

``tests/native/fastpass_driver.c`` includes ``kernel/_fastpass_simd.h`` (every build of the pass,
no Python headers) and runs one pass on a problem read from stdin. Natively it must give what the
compiled module gives; cross-compiled for arm64 (the NEON build, what Apple and other ARM laptops
run) it must compile, and where an emulator (qemu-aarch64) is installed it must give the torch
loop's labels. Without a cross-compiler or an emulator those tests skip and say which package
to install (``apt-get install gcc-aarch64-linux-gnu qemu-user``).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock  # a dependency of torch

from argmin_kmeans import kernel
from helpers import naive_reference

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "native" / "fastpass_driver.c"
INCLUDE = ROOT / "src" / "argmin_kmeans" / "kernel"
CROSS = "aarch64-linux-gnu-gcc"
QEMU = "qemu-aarch64"

#: (n, d, k, dtype): partial blocks, masked / per-lane / per-row sums, register-block tails
CASES = [(37, 3, 2, torch.float32), (301, 2, 8, torch.float64), (1000, 5, 13, torch.float32),
         (257, 70, 20, torch.float64), (500, 2, 3, torch.float32),
         (203, 100, 20, torch.float32), (99, 120, 9, torch.float64)]  # centres across lanes


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, compiler: str,
           *flags: str) -> Path:
    """The driver compiled by ``compiler``, once per test session: under ``pytest -n N`` the
    tests that use one build may run on different workers; the first to take the lock
    compiles (into this session's temporary folder, shared by its workers), the others wait
    and reuse it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder; each worker's basetemp is one below it
    folder = root / f"native-{name}"
    folder.mkdir(exist_ok=True)
    out = folder / "driver"
    with FileLock(str(folder / "build.lock"), timeout=300):
        if not out.exists():
            tmp = folder / "driver.partial"
            proc = subprocess.run([compiler, "-O2", *flags, f"-I{INCLUDE}", str(DRIVER), "-o",
                                   str(tmp)], capture_output=True, text=True, timeout=240,
                                  check=False)
            assert proc.returncode == 0, proc.stderr[-3000:]
            tmp.replace(out)  # complete, or not there
    return out


def _problem(n: int, d: int, k: int, dtype: torch.dtype, seed: int):
    g = torch.Generator().manual_seed(seed)
    X = (torch.randn(n, d, generator=g, dtype=torch.float64) * 3 + 50).to(dtype)
    C = X[torch.randperm(n, generator=g)[:k]].clone()
    return X, C


def _run(cmd: list[str], X: torch.Tensor, C: torch.Tensor, level: int = -1):
    """The driver's labels, sums (caller's units, relative to the pass's reference point) and
    counts for ``X``, ``C``, with the reference point and scale of ``kernel.fused_pass``."""
    shift, scale = kernel.reference(C)
    sh = None if shift is None else shift * scale
    Cs = C * scale - (sh if sh is not None else 0)
    n, d = X.shape
    k = C.shape[0]
    head = struct.pack("<9qd", n, d, k, int(X.dtype == torch.float64), level, 1, 1,
                       int(sh is not None), 1, scale)
    body = X.contiguous().numpy().tobytes() + (b"" if sh is None else sh.numpy().tobytes())
    out = subprocess.run(cmd, input=head + body + Cs.contiguous().numpy().tobytes(),
                         capture_output=True, timeout=240, check=True).stdout
    labels = np.frombuffer(out, np.int64, n, 0)
    sums = np.frombuffer(out, np.float64, k * d, 8 * n).reshape(k, d) / scale
    counts = np.frombuffer(out, np.int64, k, 8 * n + 8 * k * d)
    return torch.from_numpy(labels.copy()), torch.from_numpy(sums.copy()), torch.from_numpy(
        counts.copy())


def _agrees_with_the_torch_loop(cmd: list[str], level: int = -1) -> None:
    for i, (n, d, k, dtype) in enumerate(CASES):
        X, C = _problem(n, d, k, dtype, seed=i)
        labels, sums, counts = _run(cmd, X, C, level)
        ref = kernel.fused_pass(X, C, with_sums=True, with_inertia=False, backend="torch")
        _, _, near = naive_reference(X, C)
        assert torch.equal(labels[~near], ref.labels[~near]), (n, d, k, dtype)
        assert torch.equal(counts, torch.bincount(labels, minlength=k))
        tol = 1e-5 if dtype == torch.float32 else 1e-12
        assert torch.allclose(sums, ref.sums.double(), rtol=tol, atol=tol * float(sums.abs().max()))


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler on this machine")
    return _build(tmp_path_factory, "native", cc)


def test_the_native_driver_gives_the_torch_loops_labels_in_every_build(native) -> None:
    st = kernel.compiled_state()
    for level in range(max(st.cpu_level, 0) + 1):
        _agrees_with_the_torch_loop([str(native)], level)


@pytest.fixture(scope="module")
def arm64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which(CROSS) is None:
        pytest.skip(f"no arm64 cross-compiler ({CROSS}): apt-get install gcc-aarch64-linux-gnu")
    return _build(tmp_path_factory, "arm64", CROSS, "-static")


def test_the_arm64_neon_build_compiles(arm64) -> None:
    head = arm64.read_bytes()[:20]
    assert head[:4] == b"\x7fELF" and struct.unpack("<H", head[18:20])[0] == 183  # EM_AARCH64


def test_the_arm64_neon_build_gives_the_torch_loops_labels(arm64) -> None:
    if shutil.which(QEMU) is None:
        pytest.skip(f"no arm64 emulator ({QEMU}): apt-get install qemu-user")
    _agrees_with_the_torch_loop([QEMU, str(arm64)])


# --------------------------------------------------------------------------- the worker pool

POOL_STRESS = ROOT / "tests" / "native" / "pool_stress.c"


def _pool_build(tmp_path: Path, *flags: str) -> Path:
    cc = shutil.which("gcc") or shutil.which("clang") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler on this machine")
    out = tmp_path / "pool_stress"
    proc = subprocess.run([cc, "-O1", "-g", *flags, f"-I{INCLUDE}", str(POOL_STRESS), "-o",
                           str(out), "-lpthread"], capture_output=True, text=True, timeout=120,
                          check=False)
    if proc.returncode != 0 and flags:
        pytest.skip(f"{cc} cannot build with {' '.join(flags)} here: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _run_group(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    """Run ``cmd`` in a process group of its own and kill the whole group on timeout: the
    stress test forks, and a child left behind would keep spinning on the cores."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        pytest.fail(f"{cmd} did not finish in {timeout} s (a hang)")
    finally:
        try:
            os.killpg(proc.pid, 9)  # anything of the group still there
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_the_worker_pool_runs_every_chunk_once_under_threadsanitizer(tmp_path) -> None:
    """Three threads run 2,000 jobs each at once on the compiled pass's pool (random chunk and
    thread counts): every chunk runs exactly once, and ThreadSanitizer finds no data race.
    (Without the caller's wait for the helpers, this test reported a race and lost chunks.)"""
    exe = _pool_build(tmp_path, "-fsanitize=thread")
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1")
    proc = _run_group([str(exe), "2000", "0"], 180, env=env)  # no fork: TSan does not do it
    assert proc.returncode == 0 and proc.stdout.startswith("ok"), proc.stderr[-3000:]
    assert "ThreadSanitizer" not in proc.stderr


def test_the_worker_pool_works_in_a_child_forked_while_it_runs(tmp_path) -> None:
    """fork() while other threads run jobs on the pool: the child (none of the pool's threads,
    a copy of its state) runs threaded jobs of its own, every chunk once, some of them on new
    pool threads, and does not hang. (Without the pthread_atfork handler its chunks all ran on
    its one thread, and this test failed 5 times out of 5.)"""
    exe = _pool_build(tmp_path)
    for _ in range(5):
        proc = _run_group([str(exe), "3000", "1"], 60)
        assert proc.returncode == 0 and proc.stdout.startswith("ok"), proc.stderr[-3000:]
