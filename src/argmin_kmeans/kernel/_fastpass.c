/* The optional compiled pass of argmin_kmeans.kernel: labels, shifted sums, counts and the
 * inertia of rows [start, stop) of X in one loop, for float32 and float64 CPU data.
 *
 * It computes what the torch chunk loop (kernel/_torch_loop.py) computes: the same shifted,
 * scaled scores, ties to the lowest index, direct differences for the inertia (read
 * kernel/__init__.py for the numerics); its sums are float64 here. At small d the torch loop
 * spends its time in per-chunk dispatch and copies, not arithmetic.
 *
 * Layout (_fastpass_impl.h): samples go across SIMD lanes. A block of LANES rows is shifted,
 * scaled and transposed into xv[d] (one vector per feature; the next block's rows are
 * prefetched meanwhile); then for centres j, eight or four at a time, the scores of all LANES
 * rows are
 *     s = -||c'_j||^2 + sum_t (2 c'_jt) * x'_t        (lane-wise multiply-adds)
 * and a lane takes j when s > best (strictly: the first maximum wins, NaN never does), by a
 * blend of the running best and its index. With few centres (2k <= LANES) sums, counts and
 * the inertia go to per-centre vector accumulators by lane masks (flushed to float64 every
 * 64 blocks); otherwise each row is added to its centre's float64 sums. The inertia is
 * always the direct difference ||x' - c'_label||^2, never ||x'||^2 - best.
 * With many features and centres (the AVX2 build from d = 96, k >= LANES: WIDE_MIN_D in
 * _fastpass_simd.h) the transposition costs more than the multiply-adds, and the centres go
 * across the lanes instead (NAME_wide in _fastpass_impl.h: a matrix product's micro-kernel on
 * rows shifted into a small buffer): the same scores in the same order, the same labels.
 * Written with GCC/Clang vector extensions, so no intrinsics: the same source is AVX-512,
 * AVX2, SSE or NEON code (_fastpass_simd.h compiles one instance per vector width).
 *
 * The boundary. `run` takes the arrays themselves (NumPy views of the tensors, through the
 * buffer protocol), never raw addresses: it checks every dimension, element type, stride,
 * writability and the row range against the buffers before the GIL is released, so a
 * mismatched call (float64 X with float32 centres, a short labels array, a transposed
 * one-row view) is a ValueError/TypeError naming the argument, never a read past a buffer.
 * The workspace's size is computed with overflow checks (_fastpass_impl.h).
 *
 * No Python object is touched inside the loop and the GIL is released around it, so the
 * kernel's worker threads run passes in parallel over disjoint row ranges, each into its own
 * sums/counts (float64/int64), added by the caller in a fixed order.
 *
 * Built by `pip install -e .` (`make venv`) through setup.py. Without a C compiler the
 * install stops with an error unless ARGMIN_KMEANS_PURE_TORCH=1 is set (then the package runs
 * its torch loop, which gives the same labels; argmin_kmeans.show_config() says so).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>

#include "_fastpass_simd.h"
#include "_fastpass_pool.h"

/* ------------------------------------------------------------------ buffer checks */

typedef struct {
    Py_buffer view;
    int held;
} Buf;

static void release(Buf *b)
{
    if (b->held) PyBuffer_Release(&b->view);
    b->held = 0;
}

/* element kind of a buffer: 'f' float32, 'd' float64, 'q' int64, 0 anything else */
static char kind_of(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    if (*f == '@' || *f == '=' || (*f == '<' && PY_LITTLE_ENDIAN)) f++;
    if (f[0] == 0 || f[1] != 0) return 0;
    if (f[0] == 'f' && v->itemsize == 4) return 'f';
    if (f[0] == 'd' && v->itemsize == 8) return 'd';
    if ((f[0] == 'q' || f[0] == 'l') && v->itemsize == 8) return 'q';
    return 0;
}

static const char *kind_name(char k)
{
    return k == 'f' ? "float32" : k == 'd' ? "float64" : k == 'q' ? "int64" : "another type";
}

/* Get a strided buffer of `ndim` dimensions and element kind `want` ('f' or 'd' accept either
 * float kind when want is 'F'); writable if asked. On failure: an exception naming `name`. */
static int get(PyObject *obj, Buf *b, const char *name, int ndim, char want, int writable)
{
    b->held = 0;
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &b->view, flags) != 0) {
        PyErr_Format(PyExc_TypeError,
                     "_fastpass.run: %s must be a%s array (buffer protocol), got %.100s", name,
                     writable ? " writable" : "n", Py_TYPE(obj)->tp_name);
        return -1;
    }
    b->held = 1;
    char k = kind_of(&b->view);
    if (b->view.ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "_fastpass.run: %s must be %d-D, got %d-D", name, ndim,
                     b->view.ndim);
        return -1;
    }
    if (want == 'F' ? (k != 'f' && k != 'd') : k != want) {
        PyErr_Format(PyExc_TypeError, "_fastpass.run: %s must be %s, got %s (format '%s')", name,
                     want == 'F' ? "float32 or float64" : kind_name(want), kind_name(k),
                     b->view.format ? b->view.format : "B");
        return -1;
    }
    return 0;
}

/* unit stride along the last axis and rows in order (or a dimension of one element) */
static int contiguous(const Buf *b, const char *name)
{
    const Py_buffer *v = &b->view;
    Py_ssize_t expect = v->itemsize;
    for (int i = v->ndim - 1; i >= 0; i--) {
        if (v->shape[i] > 1 && v->strides[i] != expect) {
            PyErr_Format(PyExc_ValueError, "_fastpass.run: %s must be C-contiguous", name);
            return -1;
        }
        expect *= v->shape[i];
    }
    return 0;
}

/* ------------------------------------------------------------------ one job of chunks */

typedef struct {
    int is64, level, want_inertia;
    const void *x, *shift, *c;
    fp_size start, len, parts, d, ldx, k;
    double scale;
    int64_t *labels;
    double *sums;    /* chunk 0's sums (the caller's), or NULL */
    int64_t *counts; /* chunk 0's counts, or NULL */
    double *psums;   /* chunks 1 ..: (parts - 1, k, d), zeros */
    int64_t *pcounts; /* (parts - 1, k), zeros */
    double *inertia, *check; /* (parts,) */
    int *rc;                 /* (parts,) */
} Chunks;

/* rows [start + i len / parts, start + (i + 1) len / parts), without overflow: i len / parts =
 * i q + i r / parts for len = q parts + r (i r < parts**2 <= 2**32, in 64 bits) */
static fp_size bound(const Chunks *w, fp_size i)
{
    const fp_size q = w->len / w->parts, r = w->len % w->parts;
    return w->start + i * q + (fp_size)(((int64_t)i * (int64_t)r) / (int64_t)w->parts);
}

static void run_chunk(fp_job *job, fp_size i)
{
    const Chunks *w = (const Chunks *)job->data;
    const fp_size a = bound(w, i), b = bound(w, i + 1);
    double *s = w->sums == NULL ? NULL : i == 0 ? w->sums : w->psums + (i - 1) * w->k * w->d;
    int64_t *c = w->sums == NULL ? NULL : i == 0 ? w->counts : w->pcounts + (i - 1) * w->k;
    if (w->is64)
        w->rc[i] = FP_PASS_F64[w->level]((const double *)w->x, a, b, w->d, w->ldx,
                                         (const double *)w->shift, w->scale,
                                         (const double *)w->c, w->k, w->labels, s, c,
                                         w->want_inertia, &w->inertia[i], &w->check[i]);
    else
        w->rc[i] = FP_PASS_F32[w->level]((const float *)w->x, a, b, w->d, w->ldx,
                                         (const float *)w->shift, (float)w->scale,
                                         (const float *)w->c, w->k, w->labels, s, c,
                                         w->want_inertia, &w->inertia[i], &w->check[i]);
}

/* ------------------------------------------------------------------ run */

/* run(X, start, stop, shift, scale, C, labels, sums, counts, want_inertia, level=-1, parts=1,
 *     threads=1) -> (inertia, check)
 * X (n, d) float32/float64, unit stride within a row, any row stride >= 0 (a one-row X may
 * have any); shift (d,) of X's type, contiguous, or None: the reference point *times scale*
 * (rows become x * scale - shift); C (k, d) of X's type, contiguous, already shifted and
 * scaled; labels (n,) int64, contiguous, writable: rows [start, stop) are
 * written; sums (k, d) float64 and counts (k,) int64, contiguous, writable, are added to, or
 * both None. scale: a positive, finite power of two (representable in X's type). level: -1
 * the best build for this CPU, or 0..best (tests compare them).
 * parts: the rows are cut into this many chunks, [start + i len / parts, ...) with len =
 * stop - start, each with its own partial sums; chunk 0 adds to sums/counts, the others'
 * partial sums are then added in chunk order, and so are the chunks' inertias (a result that
 * depends on parts, never on threads). threads: the chunks are taken in turn by the calling
 * thread and up to threads - 1 of the module's worker threads (_fastpass_pool.h). */
#define FP_MAX_PARTS 65536

static PyObject *run(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *xo, *sho, *co, *lo, *so, *no;
    Py_ssize_t start, stop;
    double scale;
    int want_inertia, level = -1, threads = 1;
    Py_ssize_t parts = 1;
    if (!PyArg_ParseTuple(args, "OnnOdOOOOp|ini", &xo, &start, &stop, &sho, &scale, &co, &lo,
                          &so, &no, &want_inertia, &level, &parts, &threads))
        return NULL;
    Buf X = {0}, SH = {0}, C = {0}, L = {0}, S = {0}, N = {0};
    PyObject *result = NULL;
    if (get(xo, &X, "X", 2, 'F', 0) < 0) goto done;
    const char kx = kind_of(&X.view);
    const int is64 = kx == 'd';
    const Py_ssize_t n = X.view.shape[0], d = X.view.shape[1], isz = X.view.itemsize;
    const Py_ssize_t s0 = X.view.strides[0], s1 = X.view.strides[1];
    if (d < 1 || n < 1) {
        PyErr_Format(PyExc_ValueError, "_fastpass.run: X has shape (%zd, %zd): need n, d >= 1", n,
                     d);
        goto done;
    }
    if ((d > 1 && s1 != isz) || (n > 1 && (s0 < 0 || s0 % isz != 0))) {
        PyErr_Format(PyExc_ValueError,
                     "_fastpass.run: X's strides (%zd, %zd) bytes: need unit stride within a "
                     "row and a non-negative row stride (a multiple of %zd)", s0, s1, isz);
        goto done;
    }
    const Py_ssize_t ldx = n > 1 ? s0 / isz : d; /* one row: its stride is never used */
    if (sho != Py_None) {
        if (get(sho, &SH, "shift", 1, kx, 0) < 0 || contiguous(&SH, "shift") < 0) goto done;
        if (SH.view.shape[0] != d) {
            PyErr_Format(PyExc_ValueError, "_fastpass.run: shift has %zd entries, X has d=%zd",
                         SH.view.shape[0], d);
            goto done;
        }
    }
    if (get(co, &C, "C", 2, kx, 0) < 0 || contiguous(&C, "C") < 0) goto done;
    const Py_ssize_t k = C.view.shape[0];
    if (C.view.shape[1] != d || k < 1 || (!is64 && k >= ((Py_ssize_t)1 << 31))) {
        PyErr_Format(PyExc_ValueError,
                     "_fastpass.run: C has shape (%zd, %zd): need (k, d=%zd) with 1 <= k%s", k,
                     C.view.shape[1], d, is64 ? "" : " < 2**31");
        goto done;
    }
    if (get(lo, &L, "labels", 1, 'q', 1) < 0 || contiguous(&L, "labels") < 0) goto done;
    if (L.view.shape[0] != n) {
        PyErr_Format(PyExc_ValueError, "_fastpass.run: labels has %zd entries, X has n=%zd rows",
                     L.view.shape[0], n);
        goto done;
    }
    if ((so == Py_None) != (no == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "_fastpass.run: pass both sums and counts, or neither");
        goto done;
    }
    if (so != Py_None) {
        if (get(so, &S, "sums", 2, 'd', 1) < 0 || contiguous(&S, "sums") < 0) goto done;
        if (get(no, &N, "counts", 1, 'q', 1) < 0 || contiguous(&N, "counts") < 0) goto done;
        if (S.view.shape[0] != k || S.view.shape[1] != d || N.view.shape[0] != k) {
            PyErr_Format(PyExc_ValueError,
                         "_fastpass.run: sums (%zd, %zd) and counts (%zd,) must be (k, d) = "
                         "(%zd, %zd) and (k,)",
                         S.view.shape[0], S.view.shape[1], N.view.shape[0], k, d);
            goto done;
        }
    }
    if (start < 0 || stop < start || stop > n) {
        PyErr_Format(PyExc_ValueError, "_fastpass.run: rows [%zd, %zd) are not within [0, %zd)",
                     start, stop, n);
        goto done;
    }
    if (!(scale > 0.0) || !isfinite(scale) || (!is64 && !isfinite((float)scale)) ||
        frexp(scale, &(int){0}) != 0.5) {
        char text[64]; /* PyErr_Format has no %g */
        PyOS_snprintf(text, sizeof text, "%.17g", scale);
        PyErr_Format(PyExc_ValueError,
                     "_fastpass.run: scale=%s must be a power of two representable in %s", text,
                     kind_name(kx));
        goto done;
    }
    const int best = fp_best_level();
    if (level < -1 || level > best) {
        PyErr_Format(PyExc_ValueError, "_fastpass.run: level=%d: this CPU runs levels 0..%d",
                     level, best);
        goto done;
    }
    if (level < 0) level = best;
    if (parts < 1 || parts > FP_MAX_PARTS || threads < 1) {
        PyErr_Format(PyExc_ValueError,
                     "_fastpass.run: parts=%zd and threads=%d: need 1 <= parts <= %d and "
                     "threads >= 1", parts, threads, FP_MAX_PARTS);
        goto done;
    }
    /* per chunk: inertia, check, rc; chunks 1..: partial sums and counts (sizes checked) */
    size_t extra = 0, bytes = 0;
    if (S.held && (__builtin_mul_overflow((size_t)k, (size_t)d + 1, &extra) ||
                   __builtin_mul_overflow(extra, (size_t)(parts - 1), &extra)))
        extra = SIZE_MAX;
    if (extra > (SIZE_MAX - 3 * (size_t)parts) / 8) {
        PyErr_Format(PyExc_OverflowError,
                     "_fastpass.run: %zd partial sums of (k, d) = (%zd, %zd) overflow size_t",
                     parts - 1, k, d);
        goto done;
    }
    bytes = (extra + 3 * (size_t)parts) * 8;
    char *scratch = (char *)calloc(bytes, 1);
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Chunks w = {is64, level, want_inertia, X.view.buf, SH.held ? SH.view.buf : NULL, C.view.buf,
                start, stop - start, parts, d, ldx, k, scale, (int64_t *)L.view.buf,
                S.held ? (double *)S.view.buf : NULL, N.held ? (int64_t *)N.view.buf : NULL,
                NULL, NULL, NULL, NULL, NULL};
    w.inertia = (double *)scratch;
    w.check = w.inertia + parts;
    w.rc = (int *)(w.check + parts); /* parts ints in parts doubles' room */
    if (S.held) {
        w.psums = (double *)(scratch + 3 * (size_t)parts * 8);
        w.pcounts = (int64_t *)(w.psums + (size_t)(parts - 1) * (size_t)k * (size_t)d);
    }
    fp_job job = {run_chunk, parts, 0, 0, &w};
    double inertia = 0.0, check = 0.0;
    int rc = 0;
    Py_BEGIN_ALLOW_THREADS
    fp_pool_run(&job, threads);
    for (fp_size i = 0; i < parts; i++) { /* in chunk order: a fixed order of additions */
        if (rc == 0) rc = w.rc[i];
        inertia += w.inertia[i];
        check += w.check[i];
        if (i > 0 && w.sums != NULL) {
            const double *ps = w.psums + (i - 1) * k * d;
            const int64_t *pc = w.pcounts + (i - 1) * k;
            for (fp_size e = 0; e < k * d; e++) w.sums[e] += ps[e];
            for (fp_size j = 0; j < k; j++) w.counts[j] += pc[j];
        }
    }
    Py_END_ALLOW_THREADS
    free(scratch);
    if (rc == FP_TOO_LARGE)
        PyErr_Format(PyExc_OverflowError,
                     "_fastpass.run: the workspace for d=%zd, k=%zd overflows size_t", d, k);
    else if (rc != 0)
        PyErr_NoMemory();
    else
        result = Py_BuildValue("dd", inertia, check);
done:
    release(&X);
    release(&SH);
    release(&C);
    release(&L);
    release(&S);
    release(&N);
    return result;
}

/* ------------------------------------------------------------------ reference */

/* kernel/_numerics.py's reference point and scale, in C for CPU centres (the NumPy version is
 * a dozen calls, ~25-40 us a pass at k = 8, d = 2; this is ~1 us). The same numbers as the
 * torch and NumPy versions (tests/test_numerics.py compares all three bit for bit): the lower
 * median of each column (an element), deviations |c/2 - med/2| in the centres' type (halving
 * by ldexp: correctly rounded like a multiplication by 0.5, and never fused into a
 * multiply-add), their lower median and maximum, the grid q = 2**e with the typical deviation
 * in [2**(e-1), 2**e), and med rounded to it half to even (nearbyint, the default rounding
 * mode) unless it is a multiple of q already (|med| >= 2**(p-1) q, where med / q could
 * overflow); m = 0 when q is beyond the type's range. Returns 1 (m written), 0 (m = 0: nothing to subtract), -1 (a NaN/inf centre), -2
 * (no memory); *typical_out, *spread_out, *size_out as doubles. */
#define FP_REFERENCE(T, NAME, LDEXP, ABS, RINT, MAX_EXP, MANT_DIG)                                              \
    static int NAME##_cmp(const void *a, const void *b)                                    \
    {                                                                                       \
        const T x = *(const T *)a, y = *(const T *)b;                                       \
        return (x > y) - (x < y);                                                           \
    }                                                                                       \
    static int NAME(const T *C, fp_size k, fp_size d, T *m, double *spread_out)             \
    {                                                                                       \
        for (fp_size i = 0; i < k * d; i++)                                                 \
            if (!isfinite(C[i])) return -1;                                                 \
        T *col = (T *)malloc(sizeof(T) * (size_t)k);                                        \
        if (col == NULL) return -2;                                                         \
        const fp_size mid = (k - 1) / 2;                                                    \
        T size = 0;                                                                         \
        for (fp_size t = 0; t < d; t++) {                                                   \
            for (fp_size j = 0; j < k; j++) col[j] = C[j * d + t];                          \
            qsort(col, (size_t)k, sizeof(T), NAME##_cmp);                                   \
            m[t] = col[mid];                                                                \
            if (ABS(m[t]) > size) size = ABS(m[t]);                                         \
        }                                                                                   \
        for (fp_size j = 0; j < k; j++) {                                                   \
            T dev = 0;                                                                      \
            for (fp_size t = 0; t < d; t++) {                                               \
                const T diff = ABS(LDEXP(C[j * d + t], -1) - LDEXP(m[t], -1));              \
                if (diff > dev) dev = diff;                                                 \
            }                                                                               \
            col[j] = dev;                                                                   \
        }                                                                                   \
        qsort(col, (size_t)k, sizeof(T), NAME##_cmp);                                       \
        const double typical = (double)col[mid];                                            \
        *spread_out = (double)col[k - 1];                                                   \
        free(col);                                                                          \
        if (size == 0) return 0;                                                            \
        if (typical == 0.0) return 1; /* most centres coincide: their common point */       \
        int e;                                                                              \
        frexp(typical, &e);                                                                 \
        if (e > MAX_EXP - 1) return 0; /* q beyond the range: a grid coarser than any x */  \
        const double q = ldexp(1.0, e);                                                     \
        if ((double)size < q / 2) return 0;                                                 \
        const T qt = (T)q;                                                                  \
        const double on_grid = q * ldexp(1.0, MANT_DIG - 1); /* multiples of q already */   \
        for (fp_size t = 0; t < d; t++)                                                     \
            if (!((double)ABS(m[t]) >= on_grid)) m[t] = RINT(m[t] / qt) * qt;               \
        return 1;                                                                           \
    }
FP_REFERENCE(float, reference_f32, ldexpf, fabsf, nearbyintf, FLT_MAX_EXP, FLT_MANT_DIG)
FP_REFERENCE(double, reference_f64, ldexp, fabs, nearbyint, DBL_MAX_EXP, DBL_MANT_DIG)

/* reference(C, m) -> (kind, spread): C (k, d) float32/float64 contiguous; m (d,) of C's type,
 * contiguous, writable. kind 1: m holds the reference point; 0: it is 0; -1: a NaN/inf
 * centre (m untouched). spread: half the centres' largest L-inf distance from the median. */
static PyObject *reference(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *co, *mo;
    if (!PyArg_ParseTuple(args, "OO", &co, &mo)) return NULL;
    Buf C = {0}, M = {0};
    PyObject *result = NULL;
    if (get(co, &C, "C", 2, 'F', 0) < 0 || contiguous(&C, "C") < 0) goto done;
    const char kc = kind_of(&C.view);
    const Py_ssize_t k = C.view.shape[0], d = C.view.shape[1];
    if (k < 1 || d < 1) {
        PyErr_Format(PyExc_ValueError, "_fastpass.reference: C has shape (%zd, %zd)", k, d);
        goto done;
    }
    if (get(mo, &M, "m", 1, kc, 1) < 0 || contiguous(&M, "m") < 0) goto done;
    if (M.view.shape[0] != d) {
        PyErr_Format(PyExc_ValueError, "_fastpass.reference: m has %zd entries, C has d=%zd",
                     M.view.shape[0], d);
        goto done;
    }
    double spread = 0.0;
    int kind = kc == 'd' ? reference_f64((const double *)C.view.buf, k, d, (double *)M.view.buf,
                                         &spread)
                         : reference_f32((const float *)C.view.buf, k, d, (float *)M.view.buf,
                                         &spread);
    if (kind == -2)
        PyErr_NoMemory();
    else
        result = Py_BuildValue("id", kind, spread);
done:
    release(&C);
    release(&M);
    return result;
}

static PyObject *pool(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args))
{
    pthread_mutex_lock(&fp_pool.mu);
    const int started = fp_pool.started;
    pthread_mutex_unlock(&fp_pool.mu);
    return Py_BuildValue("iL", started, (long long)atomic_load(&fp_pool.helper_chunks));
}

static PyObject *level(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args))
{
    return PyLong_FromLong(fp_best_level());
}

static PyObject *builds(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args))
{
    PyObject *out = PyTuple_New(FP_LEVELS);
    if (out == NULL) return NULL;
    for (int i = 0; i < FP_LEVELS; i++) {
        PyObject *s = PyUnicode_FromString(FP_BUILD_NAMES[i]);
        if (s == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, s);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "One compiled pass over rows [start, stop) (see the .pyi)."},
    {"reference", reference, METH_VARARGS,
     "The reference point of centres C into m (see kernel/_numerics.py and the .pyi)."},
    {"pool", pool, METH_NOARGS,
     "(worker threads started by this process, chunks they have run): see the .pyi."},
    {"level", level, METH_NOARGS, "The widest build this CPU runs (an index into builds())."},
    {"builds", builds, METH_NOARGS, "The names of the builds compiled in, by level."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpass",
    "The optional compiled pass of argmin_kmeans.kernel (labels, sums, counts, inertia).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__fastpass(void)
{
    if (fp_pool_init() != 0) {
        PyErr_SetString(PyExc_OSError, "_fastpass: pthread_atfork failed");
        return NULL;
    }
    return PyModule_Create(&module);
}
