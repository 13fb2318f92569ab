"""Time and memory of one Lloyd iteration: argmin_kmeans vs scikit-learn vs the question's code.

``make bench`` runs this. For each configuration ``(n, d, k)`` and each implementation, a
fresh subprocess makes the same data and init (seeded; float32 or float64, one row moved
away from the origin by 1e3 so that the translation-invariant shift has work to do), warms
up, and reports

* the time of one iteration in ms, measured over ``r`` consecutive iterations (about 0.2 s
  of them, 10 <= r <= 400: short iterations need many for the noise of the timer and of
  scikit-learn's fixed costs to average out), the minimum over repeats; ``ours`` and
  ``sklearn`` each run in ``--rounds`` processes, alternating, and keep their fastest, and
* the peak extra memory of the iteration: the growth of the process's peak RSS over what the
  data already needed (MiB).

Implementations:

* ``ours``: ``C = argmin_kmeans.lloyd_step(X, C)``, ``r`` times in a loop (a public call
  each time, validation included); one iteration is the loop's time over ``r``.
* ``sklearn``: ``KMeans(init=C, n_init=1, max_iter=m, tol=0, algorithm="lloyd").fit(X)``;
  one iteration is ``(t(m = a + r) - t(m = a)) / r``, which removes the fit's fixed costs
  (validation, centring, the final E-step; 16-22 ms at (100k, 2, 8)). We check ``n_iter_`` equals ``max_iter`` (no early
  stop), and print a warning otherwise.
* ``naive``: the question's step (``argmin_kmeans.naive.question_step``: the ``(k, n, d)``
  difference tensor, argmin membership, per-cluster masks, ``backward()``), skipped when the
  difference tensor alone would exceed ``--naive-limit-gb``.

Two more tables, timed in-process (minimum over many repeats, after a warm-up):

* **small problems** (the course's own sizes, n <= 1,000): ``lloyd_step`` against a plain
  six-line torch Lloyd step (``cdist``/argmin, ``index_add_``, ``bincount``, the means), which
  does no validation and is not translation-invariant. The bar: within 1.5x of it.
* **the gradient path** the course is about: ``kmeans_loss(X, c).backward()`` with
  ``c.requires_grad`` (and the closed form ``loss_gradient``) against autograd through the
  question's own code (``naive.question_loss``: the ``(k, n, d)`` difference tensor).

Both libraries use the same number of threads (``--threads``, default: all cores), torch via
``torch.set_num_threads`` and scikit-learn via ``threadpoolctl``. The ratio column is
``ours / sklearn`` from the same run: below 1 means we are faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

#: (n, d, k, dtype) of the scikit-learn table
CONFIGS = [
    (100_000, 2, 8, "float32"),
    (100_000, 64, 64, "float32"),
    (1_000_000, 16, 32, "float32"),
    (200_000, 200, 20, "float32"),
    (200_000, 16, 16, "float64"),
    # the first row's data moved away from the origin: the shift that keeps the labels right
    # (translation invariance) is then non-zero, so its cost is in the time
    (100_000, 2, 8, "float32+1e3"),
]
#: (n, d, k) of the small-problem table (float32)
SMALL = [(100, 2, 3), (1_000, 2, 8), (1_000, 16, 16), (500, 200, 20)]
#: (n, d, k) of the gradient-path table (float32)
GRADIENT = [(1_000, 2, 3), (10_000, 16, 16), (100_000, 64, 64)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def make_data(n: int, d: int, k: int, dtype: str = "float32"):
    """Seeded data and init; ``dtype`` is a torch dtype name, optionally ``+offset``
    (``"float32+1e3"``: the same Gaussian data moved by 1e3 in every feature)."""
    import torch

    name, _, offset = dtype.partition("+")
    g = torch.Generator().manual_seed(0)
    # unstructured Gaussian data: Lloyd keeps relabelling points for many iterations, so
    # scikit-learn does not stop early and every timed iteration does real work
    X = torch.randn(n, d, generator=g, dtype=getattr(torch, name))
    if offset:
        X += float(offset)
    C = X[torch.randperm(n, generator=g)[:k]].clone()
    return X, C


def e_step() -> str:
    """Which implementation of the E-step pass ``lloyd_step`` runs here, and why."""
    from argmin_kmeans import kernel

    st = kernel.compiled_state()
    if st.available:
        return f"compiled pass, {st.reason}, {kernel.rule_text(st.builds[st.level])}"
    return f"torch loop (the compiled pass is {st.reason})"


def run_one(impl: str, n: int, d: int, k: int, threads: int, repeats: int,
            dtype: str = "float32") -> dict:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    X, C = make_data(n, d, k, dtype)
    Xn, Cn = X.numpy(), C.numpy()
    out: dict = {"impl": impl, "n": n, "d": d, "k": k, "threads": threads}
    if impl == "sklearn":
        from sklearn.cluster import KMeans

        a, r = 2, 10

        def fit(m: int) -> float:
            km = KMeans(n_clusters=k, init=Cn, n_init=1, max_iter=m, tol=0, algorithm="lloyd")
            t0 = time.perf_counter()
            km.fit(Xn)
            dt = time.perf_counter() - t0
            if km.n_iter_ != m:
                out["warning"] = f"sklearn stopped after {km.n_iter_} < {m} iterations"
            return dt

        with threadpool_limits(limits=threads):  # scikit-learn's OpenMP and BLAS threads
            base = peak_rss_mib()
            fit(a)  # warm-up
            r = iterations_for(max(fit(a + r) - fit(a), 0.0) / r)  # a first estimate
            if r > 10:  # no more iterations than before the labels stop changing (then it stops)
                probe = KMeans(n_clusters=k, init=Cn, n_init=1, max_iter=a + r, tol=0,
                               algorithm="lloyd").fit(Xn)
                r = max(10, min(r, probe.n_iter_ - a))
            t_a = min(fit(a) for _ in range(repeats))
            t_b = min(fit(a + r) for _ in range(repeats))
        if t_b <= t_a:
            raise RuntimeError(f"timing noise: t(max_iter={a + r}) <= t(max_iter={a}); rerun")
        out["ms"] = 1e3 * (t_b - t_a) / r
        out["iterations"] = r
        out["peak_mib"] = peak_rss_mib() - base
        return out
    if impl == "ours":
        from argmin_kmeans import lloyd_step

        step = lambda c: lloyd_step(X, c)  # torch's threads: set_num_threads above
    elif impl == "naive":
        from argmin_kmeans.naive import question_step

        step = lambda c: question_step(X, c, 1e-5)
    else:
        raise ValueError(impl)
    base = peak_rss_mib()
    step(C)  # warm-up (allocator, thread pool)
    t0 = time.perf_counter()
    step(C)
    r = 1 if impl == "naive" else iterations_for(time.perf_counter() - t0)

    def loop() -> float:  # r consecutive iterations, each starting from the last one's centres
        c = C
        t0 = time.perf_counter()
        for _ in range(r):
            c = step(c)
        return (time.perf_counter() - t0) / r

    out["ms"] = 1e3 * min(loop() for _ in range(repeats))
    out["iterations"] = r
    out["peak_mib"] = peak_rss_mib() - base
    return out


def iterations_for(seconds_per_iteration: float) -> int:
    """How many consecutive iterations one timing spans: about 0.2 s of them, 10 to 400
    (scikit-learn: no more than it runs before its labels stop changing, where it stops). At
    (100k, 2, 8) scikit-learn's fit has 16-22 ms of fixed costs that move by several ms between
    fits; over 10 iterations of ~1 ms that noise moved its per-iteration estimate from 0.22 to
    1.2 ms between runs."""
    if seconds_per_iteration <= 0.0:
        return 400
    return max(10, min(400, int(0.2 / seconds_per_iteration) + 1))


def best_us(fn, repeats: int, inner: int) -> float:
    """Minimum over ``repeats`` batches of ``inner`` calls, in microseconds per call."""
    for _ in range(inner):
        fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return 1e6 * best


def plain_lloyd_step(X, C):
    """The six-line torch Lloyd step a reader would write: no checks, no shift."""
    import torch

    labels = torch.cdist(X, C).argmin(dim=1)
    sums = torch.zeros_like(C).index_add_(0, labels, X)
    counts = torch.bincount(labels, minlength=C.shape[0]).to(X.dtype)[:, None]
    return torch.where(counts > 0, sums / counts.clamp(min=1), C)


def small_table(threads: int, repeats: int) -> None:
    import torch

    from argmin_kmeans import lloyd_step

    torch.set_num_threads(threads)
    print("\n| n | d | k | plain torch step us | lloyd_step us | lloyd_step / plain |")
    print("|---" * 6 + "|")
    for n, d, k in SMALL:
        X, C = make_data(n, d, k)
        inner = max(20, 20_000 // n)
        p = best_us(lambda X=X, C=C: plain_lloyd_step(X, C), repeats, inner)
        o = best_us(lambda X=X, C=C: lloyd_step(X, C), repeats, inner)
        print(f"| {n:,} | {d} | {k} | {p:.0f} | {o:.0f} | **{o / p:.2f}** |", flush=True)


def gradient_table(threads: int, repeats: int) -> None:
    import torch

    from argmin_kmeans import kmeans_loss, loss_gradient
    from argmin_kmeans.naive import question_loss

    torch.set_num_threads(threads)
    print("\n| n | d | k | question autograd us | kmeans_loss + backward us | loss_gradient us "
          "| backward / question |")
    print("|---" * 7 + "|")
    for n, d, k in GRADIENT:
        X, C = make_data(n, d, k)
        c = C.clone().requires_grad_(True)

        def through(loss_fn, X=X, c=c):
            def f():
                c.grad = None
                loss_fn(X, c).backward()
            return f

        inner = max(3, 200_000 // n)
        q = best_us(through(question_loss), repeats, inner)
        o = best_us(through(kmeans_loss), repeats, inner)
        g = best_us(lambda X=X, C=C: loss_gradient(X, C), repeats, inner)
        print(f"| {n:,} | {d} | {k} | {q:.0f} | {o:.0f} | {g:.0f} | **{o / q:.2f}** |", flush=True)


#: (d, k) of the rule table: where the compiled pass and the torch loop cross over
RULE = [(2, 8), (16, 16), (32, 8), (64, 4), (64, 16), (64, 64), (96, 8), (128, 4), (128, 16),
        (128, 32), (200, 8), (200, 16), (200, 20), (200, 32)]


def rule_table(repeats: int, n: int = 50_000) -> None:
    """ns per sample, one thread, labels and sums (a Lloyd step's pass): each compiled build
    this CPU runs against the torch loop, on float32 data; CPU time of the calling thread (the
    pass runs in it), so other processes on the machine disturb it less than wall time."""
    import torch

    from argmin_kmeans import kernel

    torch.set_num_threads(1)
    st = kernel.compiled_state()
    levels = list(range(st.cpu_level + 1))
    names = [st.builds[lv] for lv in levels]
    print("\n| d | k | " + " | ".join(f"{b} ns/sample" for b in names)
          + " | torch loop ns/sample | " + " | ".join(f"{b} / torch" for b in names) + " |")
    print("|---" * (3 + 2 * len(levels)) + "|")
    for d, k in RULE:
        X, C = make_data(n, d, k)
        res = {}
        for key in [*levels, "torch"]:
            kw = {"backend": "torch"} if key == "torch" else {"backend": "compiled", "level": key}

            def f(kw=kw, X=X, C=C):
                kernel.fused_pass(X, C, with_sums=True, with_inertia=False, threads=1, **kw)

            f()
            best = float("inf")
            for _ in range(repeats):
                t0 = time.thread_time()
                f()
                best = min(best, time.thread_time() - t0)
            res[key] = 1e9 * best / n
        cells = [f"{res[lv]:.1f}" for lv in levels] + [f"{res['torch']:.1f}"]
        cells += [f"**{res[lv] / res['torch']:.2f}**" for lv in levels]
        print(f"| {d} | {k} | " + " | ".join(cells) + " |", flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import sklearn
    import torch

    return (f"{cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
            f"torch {torch.__version__}, scikit-learn {sklearn.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2,
                    help="processes per implementation and row, alternating (the fastest kept)")
    ap.add_argument("--naive-limit-gb", type=float, default=2.5)
    ap.add_argument("--one", nargs=5, metavar=("IMPL", "N", "D", "K", "DTYPE"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--configs", default=None, help="e.g. '100000,2,8,float32;100000,64,64,float64'")
    ap.add_argument("--only", choices=["sklearn", "small", "gradient", "rule"], default=None)
    args = ap.parse_args()
    if args.one:
        impl, n, d, k, dt = args.one[0], *map(int, args.one[1:4]), args.one[4]
        print(json.dumps(run_one(impl, n, d, k, args.threads, args.repeats, dt)))
        return
    configs = CONFIGS
    if args.configs:
        configs = [(*map(int, c.split(",")[:3]), c.split(",")[3]) for c in args.configs.split(";")]
    print(f"machine: {machine()}; threads: {args.threads}; min of {args.repeats} repeats in each "
          f"of {args.rounds} alternating processes; "
          f"E-step: {e_step()}\n")
    if args.only in (None, "sklearn"):
        sklearn_table(configs, args)
    if args.only in (None, "small"):
        small_table(args.threads, max(args.repeats, 7))
    if args.only in (None, "gradient"):
        gradient_table(args.threads, args.repeats)
    if args.only == "rule":
        rule_table(max(args.repeats, 9))


def sklearn_table(configs, args) -> None:
    header = ("| n | d | k | dtype | ours ms/iter | ours peak MiB | sklearn ms/iter | sklearn peak MiB "
              "| ours / sklearn | naive ms/iter | naive peak MiB | naive / ours |")
    print(header)
    print("|---" * 12 + "|")
    for n, d, k, dt in configs:
        res: dict = {}
        gb = (8.0 if dt.startswith("float64") else 4.0) * n * d * k / 1e9
        # ours and scikit-learn alternate, --rounds processes each, and each keeps its fastest
        # round: a burst of load from other processes then hits both, not one of them
        impls = ["ours", "sklearn"] * args.rounds + ["naive"]
        for impl in impls:
            if impl == "naive" and gb > args.naive_limit_gb:
                res[impl] = None
                continue
            cmd = [sys.executable, __file__, "--one", impl, str(n), str(d), str(k), dt,
                   "--threads", str(args.threads), "--repeats", str(args.repeats)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:  # e.g. scikit-learn's "timing noise": this round is lost
                last = (proc.stderr.strip().splitlines() or ["?"])[-1]
                print(f"  ({n},{d},{k},{dt}) {impl}: a round failed: {last}", file=sys.stderr)
                continue
            one = json.loads(proc.stdout.strip().splitlines()[-1])
            if "warning" in one:
                print(f"  warning ({n},{d},{k}): {one['warning']}", file=sys.stderr)
            if impl not in res or one["ms"] < res[impl]["ms"]:
                res[impl] = one
        if "ours" not in res or "sklearn" not in res:
            print(f"| {n:,} | {d} | {k} | {dt} | every round of one side failed (load) |")
            continue
        o, s, q = res["ours"], res["sklearn"], res.get("naive")
        naive = (f"{q['ms']:.1f} | {q['peak_mib']:.0f} | {q['ms'] / o['ms']:.1f}x" if q else
                 f"skipped ({gb:.1f} GB tensor) | | ")
        print(f"| {n:,} | {d} | {k} | {dt} | {o['ms']:.2f} | {o['peak_mib']:.0f} | {s['ms']:.2f} | "
              f"{s['peak_mib']:.0f} | **{o['ms'] / s['ms']:.2f}** | {naive} |", flush=True)


if __name__ == "__main__":
    main()
