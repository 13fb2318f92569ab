/* The optional compiled pass of argmin_kmeans._kernel: labels, shifted sums, counts and the
 * inertia of rows [start, stop) of X in one loop, for float32 and float64 CPU data.
 *
 * It computes what the pure-torch chunk loop of _kernel.py computes (the same shifted, scaled
 * scores, ties to the lowest index, direct differences for the inertia; read that module's
 * docstring for the numerics; its sums are float64 here), without a torch op per chunk: at
 * small d the torch loop spends its time in per-chunk dispatch and copies, not arithmetic.
 *
 * Layout: samples go across SIMD lanes (a 64-byte vector: 16 float32 or 8 float64). A block
 * of LANES rows is shifted, scaled and transposed into xv[d] (one vector per feature; the
 * next block's rows are prefetched meanwhile); then for centres j, four at a time, the
 * scores of all LANES rows are
 *     s = -||c'_j||^2 + sum_t (2 c'_jt) * x'_t        (lane-wise multiply-adds)
 * and a lane takes j when s > best (strictly: the first maximum wins, NaN never does), by a
 * blend of the running best and its index. With few centres (2k <= LANES) sums, counts and
 * the inertia go to per-centre vector accumulators by lane masks (flushed to float64 every
 * 64 blocks); otherwise each row is added to its centre's float64 sums. The inertia is
 * always the direct difference ||x' - c'_label||^2, never ||x'||^2 - best.
 * Written with GCC/Clang vector extensions, so no intrinsics: the same source is AVX-512,
 * AVX2, SSE or NEON code, whatever the compiler targets (setup.py asks for -march=native).
 *
 * No Python object is touched inside the loop and the GIL is released around it, so
 * _kernel's worker threads run these passes in parallel over disjoint row ranges, each into
 * its own sums/counts (float64/int64), added by the caller in a fixed order.
 *
 * Built by `pip install -e .` (`make venv`) through setup.py, as an optional extension: when
 * there is no C compiler the package runs the pure-torch loop, which gives the same labels.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__GNUC__)
#error "_fastpass needs GCC/Clang vector extensions; argmin_kmeans then runs its torch loop"
#endif

/* One build runs well on any CPU. The pass is compiled three times, for 64-, 32- and 16-byte
 * vectors: with AVX-512 code, with AVX2+FMA code, and for the compiler's baseline (SSE2 on
 * x86-64, NEON on arm64); at run time the widest one the CPU has is used (see `level`). A
 * width beyond the target's registers is emulated badly (measured: 64-byte vectors compiled
 * for AVX2 were 13x slower), hence one width per target. No -march=native: the .so can live
 * on a disk shared by different machines (a classroom's JupyterHub). */
#if defined(__x86_64__) || defined(__i386__)
#define X86 1
#define TARGET_64 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define TARGET_32 __attribute__((target("avx2,fma")))
#else
#define X86 0
#define TARGET_64
#define TARGET_32
#endif

#define VECTORS(B)                                                     \
    typedef float vf32_##B __attribute__((vector_size(B)));               \
    typedef int32_t vi32_##B __attribute__((vector_size(B)));             \
    typedef double vf64_##B __attribute__((vector_size(B)));              \
    typedef int64_t vi64_##B __attribute__((vector_size(B)));             \
    typedef int64_t vl32_##B __attribute__((vector_size(2 * (B))));
VECTORS(64)
VECTORS(32)
VECTORS(16)

#define IDX16 {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
#define IDX8 {0, 1, 2, 3, 4, 5, 6, 7}
#define IDX4 {0, 1, 2, 3}
#define IDX2 {0, 1}

/* six instances: float32 and float64, each for 64-, 32- and 16-byte vectors */
#define T float
#define VT vf32_64
#define VI vi32_64
#define IT int32_t
#define LV vl32_64
#define LANE_INDEX IDX16
#define LANES 16
#define TARGET TARGET_64
#define NAME pass_f32_64
#include "_fastpass_impl.h"

#define T double
#define VT vf64_64
#define VI vi64_64
#define IT int64_t
#define LV vi64_64
#define LANE_INDEX IDX8
#define LANES 8
#define TARGET TARGET_64
#define NAME pass_f64_64
#include "_fastpass_impl.h"

#define T float
#define VT vf32_32
#define VI vi32_32
#define IT int32_t
#define LV vl32_32
#define LANE_INDEX IDX8
#define LANES 8
#define TARGET TARGET_32
#define NAME pass_f32_32
#include "_fastpass_impl.h"

#define T double
#define VT vf64_32
#define VI vi64_32
#define IT int64_t
#define LV vi64_32
#define LANE_INDEX IDX4
#define LANES 4
#define TARGET TARGET_32
#define NAME pass_f64_32
#include "_fastpass_impl.h"

#define T float
#define VT vf32_16
#define VI vi32_16
#define IT int32_t
#define LV vl32_16
#define LANE_INDEX IDX4
#define LANES 4
#define TARGET
#define NAME pass_f32_16
#include "_fastpass_impl.h"

#define T double
#define VT vf64_16
#define VI vi64_16
#define IT int64_t
#define LV vi64_16
#define LANE_INDEX IDX2
#define LANES 2
#define TARGET
#define NAME pass_f64_16
#include "_fastpass_impl.h"

/* The widest vectors this CPU runs: 2 = AVX-512, 1 = AVX2 + FMA, 0 = the baseline. */
static int best_level(void)
{
#if X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

typedef int (*pass_f32_t)(const float *, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                          const float *, float, const float *, Py_ssize_t, int64_t *, double *,
                          int64_t *, int, double *, double *);
typedef int (*pass_f64_t)(const double *, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                          const double *, double, const double *, Py_ssize_t, int64_t *,
                          double *, int64_t *, int, double *, double *);
static const pass_f32_t PASS_F32[3] = {pass_f32_16, pass_f32_32, pass_f32_64};
static const pass_f64_t PASS_F64[3] = {pass_f64_16, pass_f64_32, pass_f64_64};

/* run(X, start, stop, d, ldx, shift, scale, C, k, labels, sums, counts, want_inertia, is64,
 *     level=-1) -> (inertia, check). Pointers are integers (tensor.data_ptr()); shift, sums
 * and counts may be 0. X rows are ldx apart (unit stride within a row); C is (k, d)
 * contiguous and already shifted and scaled; sums (k, d) float64 and counts (k,) int64 are
 * added to. level: -1 the best for this CPU, or 0..2 (at most the best; tests compare them). */
static PyObject *run(PyObject *Py_UNUSED(self), PyObject *args)
{
    unsigned long long xp, shp, cp, lp, sp, np_;
    Py_ssize_t start, stop, d, ldx, k;
    double scale;
    int want_inertia, is64, level = -1;
    if (!PyArg_ParseTuple(args, "KnnnnKdKnKKKpp|i", &xp, &start, &stop, &d, &ldx, &shp, &scale,
                          &cp, &k, &lp, &sp, &np_, &want_inertia, &is64, &level))
        return NULL;
    int best = best_level();
    if (start < 0 || stop < start || d < 1 || k < 1 || ldx < d || (sp == 0) != (np_ == 0) ||
        level > best || level < -1) {
        PyErr_SetString(PyExc_ValueError, "_fastpass.run: inconsistent arguments");
        return NULL;
    }
    if (level < 0) level = best;
    double inertia = 0.0, check = 0.0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (is64)
        rc = PASS_F64[level]((const double *)(uintptr_t)xp, start, stop, d, ldx,
                             (const double *)(uintptr_t)shp, scale, (const double *)(uintptr_t)cp,
                             k, (int64_t *)(uintptr_t)lp, (double *)(uintptr_t)sp,
                             (int64_t *)(uintptr_t)np_, want_inertia, &inertia, &check);
    else
        rc = PASS_F32[level]((const float *)(uintptr_t)xp, start, stop, d, ldx,
                             (const float *)(uintptr_t)shp, (float)scale,
                             (const float *)(uintptr_t)cp, k, (int64_t *)(uintptr_t)lp,
                             (double *)(uintptr_t)sp, (int64_t *)(uintptr_t)np_, want_inertia,
                             &inertia, &check);
    Py_END_ALLOW_THREADS
    if (rc != 0) return PyErr_NoMemory();
    return Py_BuildValue("dd", inertia, check);
}

static PyObject *level(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args))
{
    return PyLong_FromLong(best_level());
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "One compiled pass over rows [start, stop) (see _kernel)."},
    {"level", level, METH_NOARGS, "The widest vectors this CPU runs: 2 AVX-512, 1 AVX2, 0 base."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpass",
    "The optional compiled pass of argmin_kmeans._kernel (labels, sums, counts, inertia).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__fastpass(void) { return PyModule_Create(&module); }
