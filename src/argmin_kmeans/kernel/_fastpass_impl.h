/* One pass for one element type, included by _fastpass.c with
 *   T (float or double), VT (a vector of LANES T), VI (the integer vector of the same
 *   shape, elements IT), LV (LANES int64), LANE_INDEX ({0, 1, ...}),
 *   LANES (vector bytes / sizeof(T)),
 *   TARGET (the instruction set's attribute) and NAME defined.
 * See _fastpass.c for what it computes and why it is laid out this way. Pure C (no Python):
 * every size and pointer has been checked by _fastpass.c (or the test driver) before. */
#ifndef CB
#define CB 8 /* centres per register block */
#endif
#ifndef RB
#define RB 1 /* sub-blocks of LANES rows scored together */
#endif
#ifndef WIDE_MIN_D
#define WIDE_MIN_D 0 /* centres across lanes from this many features (0: never) */
#endif
#ifndef TILE
#define TILE 0 /* transpose rows by tiles of LANES x LANES (LANES 2, 4, 8; see NAME_tile) */
#endif
#ifndef ROWSUM_MIN_D
#define ROWSUM_MIN_D 0 /* per-lane sums row by row from this many features (0: never) */
#endif
#ifndef WIDE_MIN_KV
#define WIDE_MIN_KV 1 /* ... and at least this many vectors of centres */
#endif
/* ---- The pass with centres across the SIMD lanes, for many features and centres (NAME_wide,
 * which NAME calls when d >= WIDE_MIN_D and k >= WIDE_MIN_KV vectors). It computes the same scores in the same order as the samples-across-lanes loop:
 *     s_j(x) = -||c'_j||^2 + sum_t (2 c'_jt) x'_t      (one multiply-add chain per (row, j),
 * t in order), the same strict ">" per lane and the same tie rule (the first maximum wins, NaN
 * never does), so its labels are those of the other loop, bit for bit.
 *
 * Why: samples across lanes needs every block of rows transposed into the lanes (d strided
 * loads per row) and, with k > LANES / 2, sums added per row by a second read of X; at large
 * d that cost more than the multiply-adds (measured on AVX2 at (50k, 200, 20): ~300 ns per
 * sample, ~90 of them multiply-adds). Here a block of WR rows is shifted into a small row
 * buffer once (contiguous, vector ops along the row), each x'_t is broadcast, and the centres'
 * 2c'_t come from a (d, k) transposed copy made once per call: a matrix product's
 * micro-kernel (WR rows x up to 3 vectors of centres: 12 independent chains), then a per-lane
 * running best and, per row, a reduction across the lanes (the largest score, the lowest
 * index among equal ones). Sums and the inertia are read from the row buffer. */
#ifndef WR
#define WR 4 /* rows per micro-kernel block */
#endif
#ifndef WP
#define WP 4 /* prefetch the rows this many blocks ahead */
#endif
#ifndef WV
#define WV 3 /* most vectors of centres per micro-kernel block (WR WV chains) */
#endif

/* the WR x V scores of one group of V centre vectors (v0 ..), and the per-lane running best */
TARGET static inline __attribute__((always_inline)) void FP_CAT(NAME, _group)(
    const T *xs, fp_size d, const VT *ct, fp_size nv, const VT *ncv, fp_size v0, int V,
    VT *bestv, VI *idxv)
{
    VT s[WR][3];
    for (int r = 0; r < WR; r++)
        for (int v = 0; v < V; v++) s[r][v] = ncv[v0 + v];
    const VT *c = ct + v0;
    for (fp_size t = 0; t < d; t++, c += nv) {
        VT cv[3];
        for (int v = 0; v < V; v++) cv[v] = c[v];
        for (int r = 0; r < WR; r++) {
            const T xb = xs[(fp_size)r * d + t];
            for (int v = 0; v < V; v++) s[r][v] += cv[v] * xb;
        }
    }
    const VI lane = LANE_INDEX;
    for (int r = 0; r < WR; r++)
        for (int v = 0; v < V; v++) {
            VI take = (VI)(s[r][v] > bestv[r]);
            bestv[r] = (VT)(((VI)s[r][v] & take) | ((VI)bestv[r] & ~take));
            idxv[r] = (idxv[r] & ~take) | ((lane + (IT)((v0 + v) * LANES)) & take);
        }
}

TARGET static int FP_CAT(NAME, _wide)(const T *X, fp_size start, fp_size stop, fp_size d,
                                      fp_size ldx, const T *shift, T scale, const T *C, fp_size k,
                                      int64_t *labels, double *sums, int64_t *counts,
                                      int want_inertia, double *inertia_out, double *check_out)
{
    const fp_size nv = (k + LANES - 1) / LANES; /* centre vectors (the last one padded) */
    /* workspace: ct (d nv vectors), ncv (nv vectors), xs (WR d elements); checked sizes */
    size_t vecs, bytes_v, bytes_x, bytes;
    if (__builtin_mul_overflow((size_t)d, (size_t)nv, &vecs) ||
        __builtin_add_overflow(vecs, (size_t)nv, &vecs) ||
        __builtin_mul_overflow(vecs, sizeof(VT), &bytes_v) ||
        __builtin_mul_overflow((size_t)WR * sizeof(T), (size_t)d, &bytes_x) ||
        __builtin_add_overflow(bytes_v, bytes_x, &bytes) ||
        __builtin_add_overflow(bytes, sizeof(VT), &bytes))
        return FP_TOO_LARGE;
    char *raw = (char *)malloc(bytes);
    if (raw == NULL) return FP_NO_MEMORY;
    VT *ct = (VT *)(raw + (sizeof(VT) - (uintptr_t)raw % sizeof(VT)) % sizeof(VT));
    VT *ncv = ct + d * nv;
    T *xs = (T *)(ncv + nv);
    T check = 0;
    for (fp_size v = 0; v < nv; v++) {
        T nc[LANES];
        for (int l = 0; l < LANES; l++) {
            const fp_size j = v * LANES + l;
            T sq = 0;
            if (j < k)
                for (fp_size t = 0; t < d; t++) sq += C[j * d + t] * C[j * d + t];
            /* padding lanes: -inf never beats a score (and ties go to the lower, real index) */
            nc[l] = j < k ? -sq : -(T)__builtin_inf();
            if (j < k && !(nc[l] - nc[l] == 0)) check = nc[l] - nc[l]; /* a NaN/inf centre */
        }
        memcpy(&ncv[v], nc, sizeof(VT));
        for (fp_size t = 0; t < d; t++) {
            T c2[LANES];
            for (int l = 0; l < LANES; l++) {
                const fp_size j = v * LANES + l;
                c2[l] = j < k ? 2 * C[j * d + t] : (T)0; /* exact: a power of two */
            }
            memcpy(&ct[t * nv + v], c2, sizeof(VT));
        }
    }
    double inertia = 0.0, chk = (double)check;
    for (fp_size i0 = start; i0 < stop; i0 += WR) {
        const int m = stop - i0 < WR ? (int)(stop - i0) : WR;
        if (i0 + (WP + 1) * WR <= stop) /* rows WP blocks ahead: a block's work is short */
            for (int r = 0; r < WR; r++) {
                const char *next = (const char *)(X + (i0 + WP * WR + r) * ldx);
                for (fp_size b = 0; b < d * (fp_size)sizeof(T); b += 64) __builtin_prefetch(next + b);
            }
        /* shift and scale the block's rows into xs (the same x * scale - m_t as the other
         * loop); rows past m are zeros (finite scores, never written out) */
        for (int r = 0; r < WR; r++) {
            T *xr = xs + (fp_size)r * d;
            if (r >= m) {
                memset(xr, 0, sizeof(T) * (size_t)d);
                continue;
            }
            const T *x = X + (i0 + r) * ldx;
            if (shift)
                for (fp_size t = 0; t < d; t++) xr[t] = x[t] * scale - shift[t];
            else
                for (fp_size t = 0; t < d; t++) xr[t] = x[t] * scale;
        }
        VT bestv[WR];
        VI idxv[WR];
        for (int r = 0; r < WR; r++) {
            bestv[r] = (VT){0} - (T)__builtin_inf();
            idxv[r] = (VI){0};
        }
        fp_size v0 = 0;
        while (v0 < nv) { /* groups of 3 vectors (12 chains), 2 + 2 for 4, then 2 or 1 */
            const fp_size left = nv - v0;
            if (WV >= 3 && left >= 3 && left != 4) {
                FP_CAT(NAME, _group)(xs, d, ct, nv, ncv, v0, 3, bestv, idxv);
                v0 += 3;
            } else if (left >= 2) {
                FP_CAT(NAME, _group)(xs, d, ct, nv, ncv, v0, 2, bestv, idxv);
                v0 += 2;
            } else {
                FP_CAT(NAME, _group)(xs, d, ct, nv, ncv, v0, 1, bestv, idxv);
                v0 += 1;
            }
        }
        for (int r = 0; r < m; r++) {
            T bv[LANES];
            IT iv[LANES];
            memcpy(bv, &bestv[r], sizeof bv);
            memcpy(iv, &idxv[r], sizeof iv);
            T best = bv[0];
            IT at = iv[0];
            for (int l = 1; l < LANES; l++)
                if (bv[l] > best || (bv[l] == best && iv[l] < at)) {
                    best = bv[l];
                    at = iv[l];
                }
            /* all scores NaN (NaN/inf in X): best stays -inf, flagged here */
            chk += (double)best;
            const fp_size i = i0 + r;
            labels[i] = (int64_t)at;
            const T *xr = xs + (fp_size)r * d;
            if (sums != NULL) {
                double *srow = sums + (fp_size)at * d;
                for (fp_size t = 0; t < d; t++) srow[t] += (double)xr[t];
                counts[at] += 1;
            }
            if (want_inertia) { /* direct differences, LANES partial sums along the row */
                const T *c = C + (fp_size)at * d;
                VT acc = {0};
                fp_size t = 0;
                for (; t + LANES <= d; t += LANES) {
                    VT a, b;
                    memcpy(&a, xr + t, sizeof a);
                    memcpy(&b, c + t, sizeof b);
                    a -= b;
                    acc += a * a;
                }
                T part[LANES];
                memcpy(part, &acc, sizeof part);
                double dist = 0.0;
                for (int l = 0; l < LANES; l++) dist += (double)part[l];
                for (; t < d; t++) {
                    T diff = xr[t] - c[t];
                    dist += (double)(diff * diff);
                }
                inertia += dist;
            }
        }
    }
    free(raw);
    *inertia_out = inertia;
    *check_out = chk;
    return 0;
}
#undef WR
#undef WV
#undef WP

/* A LANES x LANES tile of rows transposed into lanes: col[q][l] = r[l][q] (LANES 2, 4 or 8:
 * 1, 2 or 3 rounds of two-input shuffles, the usual unpack / permute network). Replaces LANES
 * strided loads per feature (a gather, or scalar loads through the stack: a quarter of the
 * pass at float64 (200k, 16, 16) on AVX2) by LANES vector loads per LANES features. */
#if TILE && (LANES == 2 || LANES == 4 || LANES == 8)
#define FP_TILE 1
/* a vector of LANES T at any T-aligned address (unaligned loads straight into a register) */
typedef T FP_CAT(NAME, _uvt) __attribute__((vector_size(sizeof(VT)), aligned(sizeof(T))));
TARGET static inline __attribute__((always_inline)) void FP_CAT(NAME, _tile)(const VT *r, VT *col)
{
#if LANES == 2
    col[0] = FP_SHUF2(VI, r[0], r[1], 0, 2);
    col[1] = FP_SHUF2(VI, r[0], r[1], 1, 3);
#elif LANES == 4
    const VT t0 = FP_SHUF4(VI, r[0], r[1], 0, 4, 2, 6), t1 = FP_SHUF4(VI, r[0], r[1], 1, 5, 3, 7);
    const VT t2 = FP_SHUF4(VI, r[2], r[3], 0, 4, 2, 6), t3 = FP_SHUF4(VI, r[2], r[3], 1, 5, 3, 7);
    col[0] = FP_SHUF4(VI, t0, t2, 0, 1, 4, 5);
    col[1] = FP_SHUF4(VI, t1, t3, 0, 1, 4, 5);
    col[2] = FP_SHUF4(VI, t0, t2, 2, 3, 6, 7);
    col[3] = FP_SHUF4(VI, t1, t3, 2, 3, 6, 7);
#else
    VT t[8], u[8];
    for (int p = 0; p < 4; p++) { /* rows 2p, 2p + 1 interleaved */
        t[2 * p] = FP_SHUF8(VI, r[2 * p], r[2 * p + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[2 * p + 1] = FP_SHUF8(VI, r[2 * p], r[2 * p + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int p = 0; p < 2; p++) { /* rows 4p .. 4p + 3: u[4p + q] holds column q and q + 4 */
        const VT *a = t + 4 * p;
        u[4 * p + 0] = FP_SHUF8(VI, a[0], a[2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * p + 1] = FP_SHUF8(VI, a[0], a[2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[4 * p + 2] = FP_SHUF8(VI, a[1], a[3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * p + 3] = FP_SHUF8(VI, a[1], a[3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int q = 0; q < 4; q++) {
        col[q] = FP_SHUF8(VI, u[q], u[4 + q], 0, 1, 2, 3, 8, 9, 10, 11);
        col[q + 4] = FP_SHUF8(VI, u[q], u[4 + q], 4, 5, 6, 7, 12, 13, 14, 15);
    }
#endif
}

/* Two features, rows packed (ldx == 2): LANES rows are two vector loads, deinterleaved into
 * the even (feature 0) and odd (feature 1) elements by two shuffles. */
TARGET static inline __attribute__((always_inline)) void FP_CAT(NAME, _pairs)(const VT *r, VT *col)
{
#if LANES == 2 /* two rows of two features: the 2 x 2 tile */
    FP_CAT(NAME, _tile)(r, col);
#elif LANES == 4
    col[0] = FP_SHUF4(VI, r[0], r[1], 0, 2, 4, 6);
    col[1] = FP_SHUF4(VI, r[0], r[1], 1, 3, 5, 7);
#else
    col[0] = FP_SHUF8(VI, r[0], r[1], 0, 2, 4, 6, 8, 10, 12, 14);
    col[1] = FP_SHUF8(VI, r[0], r[1], 1, 3, 5, 7, 9, 11, 13, 15);
#endif
}
#else
#define FP_TILE 0
#endif

TARGET static int NAME(const T *X, fp_size start, fp_size stop, fp_size d, fp_size ldx,
                const T *shift, T scale, const T *C, fp_size k, int64_t *labels,
                double *sums, int64_t *counts, int want_inertia, double *inertia_out,
                double *check_out)
{
    /* many features and centres: centres across the lanes (_fastpass_wide.h) */
    if (WIDE_MIN_D > 0 && d >= WIDE_MIN_D && k >= LANES * WIDE_MIN_KV)
        return FP_CAT(NAME, _wide)(X, start, stop, d, ldx, shift, scale, C, k, labels, sums,
                                   counts, want_inertia, inertia_out, check_out);
    /* few centres (2k <= LANES): sums, counts and inertia go to per-centre, per-lane
     * accumulators by masks, k (d + 2) vector ops a block instead of a scalar loop per row */
    const int masked = 2 * k <= LANES;
    /* acc[j * (d + 2) + t]: sums for t < d, the inertia at t = d, the counts at t = d + 1 */
    const fp_size na = masked ? k * (d + 2) : 0; /* small: 2k <= LANES */
    /* workspace: the sub-blocks' rows transposed (RB d vectors), acc, then 2c' and -||c'||^2;
     * its size is checked, not trusted: (RB d + 1 + na) vectors + (k d + k) elements, no wrap */
    size_t vecs, elems, bytes_v, bytes_e, bytes;
    if (d < 1 || k < 1 || d > PTRDIFF_MAX / RB ||
        __builtin_add_overflow((size_t)RB * (size_t)d, (size_t)(1 + na), &vecs) ||
        __builtin_mul_overflow((size_t)k, (size_t)d + 1, &elems) ||
        __builtin_mul_overflow(vecs, sizeof(VT), &bytes_v) ||
        __builtin_mul_overflow(elems, sizeof(T), &bytes_e) ||
        __builtin_add_overflow(bytes_v, bytes_e, &bytes) ||
        __builtin_add_overflow(bytes, sizeof(VT), &bytes)) /* + alignment slack */
        return FP_TOO_LARGE;
    /* few centres and features, but 2k > LANES: float64 sums and counts per lane, so that the
     * rows of a block add to different places (per row, consecutive rows of one cluster wait on
     * each other's store: measured 10.9 against 5.x ns per sample at (100k, 2, 8), AVX2) */
    double *lane_sums = NULL;
    int64_t *lane_counts = NULL;
    if (!masked && sums != NULL && (size_t)LANES * (size_t)k * (size_t)(d + 1) <= 8192) {
        lane_sums = (double *)calloc((size_t)LANES * (size_t)k * (size_t)(d + 1), sizeof(double));
        if (lane_sums == NULL) return FP_NO_MEMORY;
        lane_counts = (int64_t *)(lane_sums + (size_t)LANES * (size_t)k * (size_t)d);
    }
    char *raw = (char *)malloc(bytes);
    if (raw == NULL) {
        free(lane_sums);
        return FP_NO_MEMORY;
    }
    VT *xv = (VT *)(raw + (sizeof(VT) - (uintptr_t)raw % sizeof(VT)) % sizeof(VT));
    VT *acc = xv + RB * d;
    memset(xv, 0, sizeof(VT) * (size_t)(RB * d + na)); /* unused sub-blocks stay finite */
    int since_flush = 0;
    const VI lane = LANE_INDEX;
    T *C2 = (T *)(acc + na);
    T *nc = C2 + k * d;
    for (fp_size j = 0; j < k; j++) {
        T sq = 0;
        for (fp_size t = 0; t < d; t++) {
            T c = C[j * d + t];
            C2[j * d + t] = 2 * c; /* exact: a power of two */
            sq += c * c;
        }
        nc[j] = -sq;
    }
    VT check = {0};
    for (fp_size j = 0; j < k; j++) /* a NaN/inf centre never wins a comparison: flag it */
        if (!(nc[j] - nc[j] == 0)) check[0] = nc[j] - nc[j];
    double inertia[LANES] = {0};
#define FLUSH()                                                                    \
    for (fp_size j = 0; j < k; j++) {                                           \
        VT *a = acc + j * (d + 2);                                                 \
        T v[LANES];                                                                \
        IT c[LANES];                                                               \
        for (fp_size t = 0; t <= d; t++) {                                      \
            memcpy(v, &a[t], sizeof v);                                            \
            double total = 0.0;                                                    \
            for (int l = 0; l < LANES; l++) total += (double)v[l];                 \
            if (t < d && sums != NULL) sums[j * d + t] += total;                   \
            if (t == d) inertia[0] += total;                                       \
        }                                                                          \
        memcpy(c, &a[d + 1], sizeof c);                                            \
        if (counts != NULL)                                                        \
            for (int l = 0; l < LANES; l++) counts[j] += c[l];                     \
        memset(a, 0, sizeof(VT) * (size_t)(d + 2));                                \
    }
    for (fp_size i0 = start; i0 < stop; i0 += RB * LANES) {
        /* RB sub-blocks of LANES rows (the last ones may be partial or empty) */
        int ms[RB], nsub = 0;
        for (int h = 0; h < RB; h++) {
            fp_size left = stop - (i0 + (fp_size)h * LANES);
            ms[h] = left <= 0 ? 0 : (left < LANES ? (int)left : LANES);
            if (ms[h] > 0) nsub = h + 1;
        }
        if (i0 + 2 * RB * LANES <= stop) { /* the next rows: LANES row streams outrun the prefetcher */
            const fp_size bytes = d * (fp_size)sizeof(T);
            const char *next = (const char *)(X + (i0 + RB * LANES) * ldx);
            if (ldx == d) /* one contiguous run */
                for (fp_size b = 0; b < RB * LANES * bytes; b += 64) __builtin_prefetch(next + b);
            else
                for (int l = 0; l < RB * LANES; l++)
                    for (fp_size b = 0; b < bytes; b += 64)
                        __builtin_prefetch(next + l * ldx * (fp_size)sizeof(T) + b);
        }
        /* scale, shift, transpose: xv[h d + t][l] = x[i0 + h LANES + l, t] * scale - m_t * scale
         * (shift is given scaled; scale a power of two: the same value as (x - m) * scale, one
         * rounding, and no overflow of x - m when the scale brings huge values down) */
        for (int h = 0; h < nsub; h++) {
            const int m = ms[h];
            const T *xh = X + (i0 + (fp_size)h * LANES) * ldx;
            VT *xvh = xv + (fp_size)h * d;
            fp_size t0 = 0;
#if FP_TILE
            if (m == LANES && d == 2 && ldx == 2) { /* 2-D rows, packed: two loads */
                VT r[2], col[2];
                r[0] = *(const FP_CAT(NAME, _uvt) *)xh;
                r[1] = *(const FP_CAT(NAME, _uvt) *)(xh + LANES);
                FP_CAT(NAME, _pairs)(r, col);
                for (int q = 0; q < 2; q++)
                    xvh[q] = col[q] * scale - (shift ? shift[q] : (T)0);
                t0 = 2;
            }
            if (m == LANES) /* whole tiles of LANES features: vector loads and shuffles */
                for (; t0 + LANES <= d; t0 += LANES) {
                    /* unaligned vector loads (a memcpy per row became a copy loop through the
                     * stack, and the tile then waited on the stores) */
                    VT r[LANES], col[LANES];
#pragma GCC unroll 8
                    for (int l = 0; l < LANES; l++)
                        r[l] = *(const FP_CAT(NAME, _uvt) *)(xh + l * ldx + t0);
                    FP_CAT(NAME, _tile)(r, col);
                    for (int q = 0; q < LANES; q++)
                        xvh[t0 + q] = col[q] * scale - (shift ? shift[t0 + q] : (T)0);
                }
#endif
            for (fp_size t = t0; t < d; t++) {
                T st = shift ? shift[t] : (T)0;
                T tmp[LANES] = {0};
                const T *x = xh + t;
                if (m == LANES && ldx == 2) /* a constant stride: loads and shuffles */
                    for (int l = 0; l < LANES; l++) tmp[l] = x[l * 2] * scale - st;
                else if (m == LANES && ldx == 1)
                    for (int l = 0; l < LANES; l++) tmp[l] = x[l] * scale - st;
                else if (m == LANES) /* a fixed trip count: the compiler gathers */
                    for (int l = 0; l < LANES; l++) tmp[l] = x[l * ldx] * scale - st;
                else
                    for (int l = 0; l < m; l++) tmp[l] = x[l * ldx] * scale - st;
                memcpy(&xvh[t], tmp, sizeof(VT));
            }
        }
        /* scores of the RB sub-blocks against CB centres at a time: RB * CB independent
         * multiply-add chains hide the FMA latency, and each broadcast centre coordinate is
         * used RB times (loads, not multiply-adds, bound this loop on AVX2); then 4 or fewer
         * centres. A lane takes j when its score is strictly larger (the first maximum wins,
         * NaN never does). */
        VT best[RB];
        VI idx[RB];
        for (int h = 0; h < RB; h++) {
            best[h] = (VT){0};
            idx[h] = (VI){0};
        }
#define TAKE(S, J, H)                                                           \
    do {                                                                        \
        if ((J) == 0) {                                                         \
            best[H] = (S);                                                      \
        } else {                                                                \
            VI take = (VI)((S) > best[H]);                                      \
            best[H] = (VT)(((VI)(S) & take) | ((VI)best[H] & ~take));           \
            idx[H] = (idx[H] & ~take) | (((VI){0} + (IT)(J)) & take);           \
        }                                                                       \
    } while (0)
        fp_size j = 0;
        for (; j + CB <= k; j += CB) {
            VT s[RB][CB];
            const T *c = C2 + j * d;
            for (int h = 0; h < RB; h++)
                for (int b = 0; b < CB; b++) s[h][b] = nc[j + b] + (VT){0};
            for (fp_size t = 0; t < d; t++) {
                VT x[RB];
                for (int h = 0; h < RB; h++) x[h] = xv[(fp_size)h * d + t];
                for (int b = 0; b < CB; b++) {
                    const T cb = c[b * d + t];
                    for (int h = 0; h < RB; h++) s[h][b] += cb * x[h];
                }
            }
            for (int h = 0; h < RB; h++)
                for (int b = 0; b < CB; b++) TAKE(s[h][b], j + b, h);
        }
        for (; j < k; j += 4) {
            int nb = k - j < 4 ? (int)(k - j) : 4;
            const T *c0 = C2 + j * d;
            const T *cs[4] = {c0, nb > 1 ? c0 + d : c0, nb > 2 ? c0 + 2 * d : c0,
                              nb > 3 ? c0 + 3 * d : c0};
            for (int h = 0; h < RB; h++) {
                VT s0 = nc[j] + (VT){0}, s1 = s0, s2 = s0, s3 = s0;
                if (nb > 1) s1 = nc[j + 1] + (VT){0};
                if (nb > 2) s2 = nc[j + 2] + (VT){0};
                if (nb > 3) s3 = nc[j + 3] + (VT){0};
                const VT *xvh = xv + (fp_size)h * d;
                for (fp_size t = 0; t < d; t++) {
                    VT x = xvh[t];
                    s0 += cs[0][t] * x;
                    s1 += cs[1][t] * x;
                    s2 += cs[2][t] * x;
                    s3 += cs[3][t] * x;
                }
                VT sb[4] = {s0, s1, s2, s3};
                for (int b = 0; b < nb; b++) TAKE(sb[b], j + b, h);
            }
        }
#undef TAKE
        for (int h = 0; h < nsub; h++) {
            const int m = ms[h];
            const fp_size ib = i0 + (fp_size)h * LANES; /* this sub-block's first row */
            const VT *xvh = xv + (fp_size)h * d;
            const VI idh = idx[h];
            /* NaN/inf in X (or an overflow) makes this non-finite (lanes past m are zeros) */
            check += best[h];
            /* the labels, widened to int64 by a plain loop (the compiler's sign-extending
             * loads): a vector of LANES int64 is twice the register width, which GCC built
             * through the stack on AVX2 (a quarter of the time at (100k, 2, 8)) */
            IT lab[LANES];
            memcpy(lab, &idh, sizeof lab);
            if (m == LANES)
                for (int l = 0; l < LANES; l++) labels[ib + l] = (int64_t)lab[l];
            else
                for (int l = 0; l < m; l++) labels[ib + l] = (int64_t)lab[l];
            if (masked && (sums != NULL || want_inertia)) {
                VI valid = (VI)(lane < (IT)m);
                for (fp_size jj = 0; jj < k; jj++) {
                    VI mj = (VI)(idh == (IT)jj) & valid;
                    VT *a = acc + jj * (d + 2);
                    const T *c = C + jj * d;
                    if (sums != NULL)
                        for (fp_size t = 0; t < d; t++) a[t] += (VT)((VI)xvh[t] & mj);
                    if (want_inertia) {
                        VT dist = {0};
                        for (fp_size t = 0; t < d; t++) {
                            VT diff = xvh[t] - c[t];
                            dist += diff * diff;
                        }
                        a[d] += (VT)((VI)dist & mj);
                    }
                    a[d + 1] = (VT)((VI)a[d + 1] - mj); /* counts, as integers */
                }
                /* flush the accumulators to float64 every 64 sub-blocks: at most 64 values
                 * per lane */
                if (++since_flush == 64 || ib + LANES >= stop) {
                    FLUSH();
                    since_flush = 0;
                }
                continue;
            }
            if (masked) continue; /* labels only */
            if (lane_sums != NULL && (ROWSUM_MIN_D == 0 || d < ROWSUM_MIN_D)) { /* by lane */
                for (fp_size t = 0; t < d; t++) {
                    T v[LANES];
                    memcpy(v, &xvh[t], sizeof(VT));
                    for (int l = 0; l < m; l++)
                        lane_sums[(l * k + lab[l]) * d + t] += (double)v[l];
                }
                for (int l = 0; l < m; l++) lane_counts[l * k + lab[l]] += 1;
            } else if (lane_sums != NULL) { /* per lane, in float64: the rows are independent */
                /* row by row from X (contiguous: vector ops along the row; extracting the
                 * lanes of xv cost a third of the pass at float64 (200k, 16, 16), AVX2); the
                 * same values x * scale - m_t as xv, added in the same order */
                for (int l = 0; l < m; l++) {
                    double *__restrict dst = lane_sums + (l * k + lab[l]) * d;
                    const T *__restrict x = X + (ib + l) * ldx;
                    if (shift)
                        for (fp_size t = 0; t < d; t++) dst[t] += (double)(x[t] * scale - shift[t]);
                    else
                        for (fp_size t = 0; t < d; t++) dst[t] += (double)(x[t] * scale);
                    lane_counts[l * k + lab[l]] += 1;
                }
            } else if (sums != NULL) { /* per row, in float64 */
                for (int l = 0; l < m; l++) {
                    double *srow = sums + lab[l] * d;
                    const T *x = X + (ib + l) * ldx;
                    if (shift)
                        for (fp_size t = 0; t < d; t++)
                            srow[t] += (double)(x[t] * scale - shift[t]);
                    else
                        for (fp_size t = 0; t < d; t++) srow[t] += (double)(x[t] * scale);
                    counts[lab[l]] += 1;
                }
            }
            if (want_inertia) { /* direct differences, one independent sum per lane */
                T dist[LANES] = {0};
                for (fp_size t = 0; t < d; t++) {
                    T x[LANES];
                    memcpy(x, &xvh[t], sizeof(VT));
                    for (int l = 0; l < LANES; l++) {
                        T diff = x[l] - C[lab[l] * d + t];
                        dist[l] += diff * diff;
                    }
                }
                for (int l = 0; l < m; l++) inertia[l] += (double)dist[l];
            }
        }
    }
    free(raw);
    if (lane_sums != NULL) { /* the lanes' sums, added in a fixed order */
        for (fp_size j = 0; j < k; j++) {
            for (fp_size t = 0; t < d; t++) {
                double total = 0.0;
                for (int l = 0; l < LANES; l++) total += lane_sums[(l * k + j) * d + t];
                sums[j * d + t] += total;
            }
            for (int l = 0; l < LANES; l++) counts[j] += lane_counts[l * k + j];
        }
        free(lane_sums);
    }
    double total = 0.0, chk = 0.0;
    for (int l = 0; l < LANES; l++) {
        total += inertia[l];
        chk += (double)check[l];
    }
    *inertia_out = total;
    *check_out = chk;
    return 0;
}

#undef T
#undef VT
#undef VI
#undef IT
#undef LANES
#undef NAME
#undef TARGET
#undef LV
#undef LANE_INDEX
#undef FLUSH
#undef CB
#undef RB
#undef WIDE_MIN_D
#undef WIDE_MIN_KV
#undef FP_TILE
#undef TILE
#undef ROWSUM_MIN_D
