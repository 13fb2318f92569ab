/* A stand-alone driver of the compiled E-step's numeric core (no Python): tests compile it
 * natively and, with a cross-compiler, for arm64 (run under an emulator), and compare its
 * output with the torch loop (tests/test_native_builds.py). It also times the pass
 * (`reps` > 1), which benchmarks/bench_lloyd.py uses to measure the builds without Python in
 * the way.
 *
 * stdin (little-endian, native sizes):
 *   int64 n, d, k, is64, level, want_sums, want_inertia, has_shift, reps; double scale;
 *   X (n*d elements of the type), shift (d, if has_shift: the reference point times scale),
 *   C (k*d, shifted and scaled)
 * stdout:
 *   int64 labels[n]; double sums[k*d]; int64 counts[k]; double inertia, check, best_seconds;
 *   int64 level_run (the build that ran)
 * Exit status 2 on bad input, 3 when the build asked for is not available on this CPU.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#include "_fastpass_simd.h"

static int read_all(void *p, size_t size)
{
    return fread(p, 1, size, stdin) == size;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    int64_t h[9];
    double scale;
    if (!read_all(h, sizeof h) || !read_all(&scale, sizeof scale)) return 2;
    const int64_t n = h[0], d = h[1], k = h[2], is64 = h[3], want_sums = h[5];
    const int64_t want_inertia = h[6], has_shift = h[7], reps = h[8] < 1 ? 1 : h[8];
    int64_t level = h[4];
    if (n < 1 || d < 1 || k < 1 || n > ((int64_t)1 << 40) / d || k > ((int64_t)1 << 30) / d)
        return 2;
    const int best = fp_best_level();
    if (level < 0) level = best;
    if (level > best) return 3;
    const size_t es = is64 ? sizeof(double) : sizeof(float);
    void *X = malloc((size_t)(n * d) * es), *shift = malloc((size_t)d * es);
    void *C = malloc((size_t)(k * d) * es);
    int64_t *labels = malloc((size_t)n * sizeof(int64_t));
    double *sums = calloc((size_t)(k * d), sizeof(double));
    int64_t *counts = calloc((size_t)k, sizeof(int64_t));
    if (!X || !shift || !C || !labels || !sums || !counts) return 2;
    if (!read_all(X, (size_t)(n * d) * es)) return 2;
    if (has_shift && !read_all(shift, (size_t)d * es)) return 2;
    if (!read_all(C, (size_t)(k * d) * es)) return 2;
    double inertia = 0.0, check = 0.0, best_s = 1e300;
    for (int64_t r = 0; r < reps; r++) {
        memset(sums, 0, (size_t)(k * d) * sizeof(double));
        memset(counts, 0, (size_t)k * sizeof(int64_t));
        double t0 = now();
        int rc = is64 ? FP_PASS_F64[level]((const double *)X, 0, n, d, d,
                                           has_shift ? (const double *)shift : NULL, scale,
                                           (const double *)C, k, labels, want_sums ? sums : NULL,
                                           want_sums ? counts : NULL, (int)want_inertia,
                                           &inertia, &check)
                      : FP_PASS_F32[level]((const float *)X, 0, n, d, d,
                                           has_shift ? (const float *)shift : NULL, (float)scale,
                                           (const float *)C, k, labels, want_sums ? sums : NULL,
                                           want_sums ? counts : NULL, (int)want_inertia,
                                           &inertia, &check);
        double dt = now() - t0;
        if (rc != 0) return 2;
        if (dt < best_s) best_s = dt;
    }
    fwrite(labels, sizeof(int64_t), (size_t)n, stdout);
    fwrite(sums, sizeof(double), (size_t)(k * d), stdout);
    fwrite(counts, sizeof(int64_t), (size_t)k, stdout);
    double tail[3] = {inertia, check, best_s};
    fwrite(tail, sizeof(double), 3, stdout);
    fwrite(&level, sizeof(int64_t), 1, stdout);
    return 0;
}
