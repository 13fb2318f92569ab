/* The optional compiled pass of argmin_kmeans._kernel: labels, shifted sums, counts and the
 * inertia of rows [start, stop) of X in one loop, for float32 and float64 CPU data.
 *
 * It computes exactly what the pure-torch chunk loop of _kernel.py computes (the same
 * shifted, scaled scores, ties to the lowest index, direct differences for the inertia; read
 * that module's docstring for the numerics), without a torch op per chunk: at small d the
 * torch loop spends its time in per-chunk dispatch and copies, not arithmetic.
 *
 * Layout: samples go across SIMD lanes. A block of LANES rows is shifted, scaled and
 * transposed into xt[d][LANES]; then for each centre j the scores of all LANES rows are
 *     s = -||c'_j||^2 + sum_t (2 c'_jt) * x'_t        (lane-wise multiply-adds)
 * and a lane takes j when s > best (strictly: the first maximum wins, NaN never does).
 * The loops over lanes have a fixed trip count, so the compiler vectorises them.
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

/* 64 bytes of lanes: one AVX-512 register, two AVX2 or four SSE/NEON ones */
typedef float vf32 __attribute__((vector_size(64)));
typedef int32_t vi32 __attribute__((vector_size(64)));
typedef double vf64 __attribute__((vector_size(64)));
typedef int64_t vi64 __attribute__((vector_size(64)));
typedef int64_t vi64x16 __attribute__((vector_size(128)));

#define T float
#define VT vf32
#define VI vi32
#define IT int32_t
#define LV vi64x16
#define LANE_INDEX {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
#define LANES 16
#define NAME pass_f32
#include "_fastpass_impl.h"

#define T double
#define VT vf64
#define VI vi64
#define IT int64_t
#define LV vi64
#define LANE_INDEX {0, 1, 2, 3, 4, 5, 6, 7}
#define LANES 8
#define NAME pass_f64
#include "_fastpass_impl.h"

/* run(X, start, stop, d, ldx, shift, scale, C, k, labels, sums, counts, want_inertia, is64)
 * -> (inertia, check). Pointers are integers (tensor.data_ptr()); shift/sums/counts may be 0.
 * X rows are ldx apart (unit stride within a row); C is (k, d) contiguous and already
 * shifted and scaled; sums (k, d) float64 and counts (k,) int64 are added to. */
static PyObject *run(PyObject *Py_UNUSED(self), PyObject *args)
{
    unsigned long long xp, shp, cp, lp, sp, np_;
    Py_ssize_t start, stop, d, ldx, k;
    double scale;
    int want_inertia, is64;
    if (!PyArg_ParseTuple(args, "KnnnnKdKnKKKpp", &xp, &start, &stop, &d, &ldx, &shp, &scale,
                          &cp, &k, &lp, &sp, &np_, &want_inertia, &is64))
        return NULL;
    if (start < 0 || stop < start || d < 1 || k < 1 || ldx < d || (sp == 0) != (np_ == 0)) {
        PyErr_SetString(PyExc_ValueError, "_fastpass.run: inconsistent arguments");
        return NULL;
    }
    double inertia = 0.0, check = 0.0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (is64)
        rc = pass_f64((const double *)(uintptr_t)xp, start, stop, d, ldx,
                      (const double *)(uintptr_t)shp, scale, (const double *)(uintptr_t)cp, k,
                      (int64_t *)(uintptr_t)lp, (double *)(uintptr_t)sp, (int64_t *)(uintptr_t)np_,
                      want_inertia, &inertia, &check);
    else
        rc = pass_f32((const float *)(uintptr_t)xp, start, stop, d, ldx,
                      (const float *)(uintptr_t)shp, (float)scale, (const float *)(uintptr_t)cp, k,
                      (int64_t *)(uintptr_t)lp, (double *)(uintptr_t)sp, (int64_t *)(uintptr_t)np_,
                      want_inertia, &inertia, &check);
    Py_END_ALLOW_THREADS
    if (rc != 0) return PyErr_NoMemory();
    return Py_BuildValue("dd", inertia, check);
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "One compiled pass over rows [start, stop) (see _kernel)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpass",
    "The optional compiled pass of argmin_kmeans._kernel (labels, sums, counts, inertia).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__fastpass(void) { return PyModule_Create(&module); }
