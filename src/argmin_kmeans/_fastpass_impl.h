/* One pass for one element type, included by _fastpass.c with
 *   T (float or double), VT (a vector of LANES T), VI (the integer vector of the same
 *   shape, elements IT), LV (LANES int64), LANE_INDEX ({0, 1, ...}),
 *   LANES (vector bytes / sizeof(T)),
 *   TARGET (the instruction set's attribute) and NAME defined.
 * See _fastpass.c for what it computes and why it is laid out this way. */
TARGET static int NAME(const T *X, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t d, Py_ssize_t ldx,
                const T *shift, T scale, const T *C, Py_ssize_t k, int64_t *labels,
                double *sums, int64_t *counts, int want_inertia, double *inertia_out,
                double *check_out)
{
    /* few centres (2k <= LANES): sums, counts and inertia go to per-centre, per-lane
     * accumulators by masks, k (d + 2) vector ops a block instead of a scalar loop per row */
    const int masked = 2 * k <= LANES;
    /* acc[j * (d + 2) + t]: sums for t < d, the inertia at t = d, the counts at t = d + 1 */
    const Py_ssize_t na = masked ? k * (d + 2) : 0;
    /* workspace: the block's rows transposed (d vectors), acc, then 2c' and -||c'||^2 */
    char *raw = (char *)malloc(sizeof(VT) * (size_t)(d + 1 + na) + sizeof(T) * (size_t)(k * d + k));
    if (raw == NULL) return -1;
    VT *xv = (VT *)(raw + (sizeof(VT) - (uintptr_t)raw % sizeof(VT)) % sizeof(VT));
    VT *acc = xv + d;
    memset(acc, 0, sizeof(VT) * (size_t)na);
    int since_flush = 0;
    const VI lane = LANE_INDEX;
    T *C2 = (T *)(acc + na);
    T *nc = C2 + k * d;
    for (Py_ssize_t j = 0; j < k; j++) {
        T sq = 0;
        for (Py_ssize_t t = 0; t < d; t++) {
            T c = C[j * d + t];
            C2[j * d + t] = 2 * c; /* exact: a power of two */
            sq += c * c;
        }
        nc[j] = -sq;
    }
    VT check = {0};
    for (Py_ssize_t j = 0; j < k; j++) /* a NaN/inf centre never wins a comparison: flag it */
        if (!(nc[j] - nc[j] == 0)) check[0] = nc[j] - nc[j];
    double inertia[LANES] = {0};
#define FLUSH()                                                                    \
    for (Py_ssize_t j = 0; j < k; j++) {                                           \
        VT *a = acc + j * (d + 2);                                                 \
        T v[LANES];                                                                \
        IT c[LANES];                                                               \
        for (Py_ssize_t t = 0; t <= d; t++) {                                      \
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
    for (Py_ssize_t i0 = start; i0 < stop; i0 += LANES) {
        int m = stop - i0 < LANES ? (int)(stop - i0) : LANES;
        if (i0 + 2 * LANES <= stop) { /* the next block: LANES row streams outrun the prefetcher */
            const Py_ssize_t bytes = d * (Py_ssize_t)sizeof(T);
            const char *next = (const char *)(X + (i0 + LANES) * ldx);
            if (ldx == d) /* one contiguous run */
                for (Py_ssize_t b = 0; b < LANES * bytes; b += 64) __builtin_prefetch(next + b);
            else
                for (int l = 0; l < LANES; l++)
                    for (Py_ssize_t b = 0; b < bytes; b += 64)
                        __builtin_prefetch(next + l * ldx * (Py_ssize_t)sizeof(T) + b);
        }
        /* shift, scale, transpose: xv[t][l] = (x[i0 + l, t] - m_t) * scale */
        for (Py_ssize_t t = 0; t < d; t++) {
            T st = shift ? shift[t] : (T)0;
            T tmp[LANES] = {0};
            const T *x = X + i0 * ldx + t;
            if (m == LANES && ldx == 2) /* a constant stride: loads and shuffles */
                for (int l = 0; l < LANES; l++) tmp[l] = (x[l * 2] - st) * scale;
            else if (m == LANES && ldx == 1)
                for (int l = 0; l < LANES; l++) tmp[l] = (x[l] - st) * scale;
            else if (m == LANES) /* a fixed trip count: the compiler gathers */
                for (int l = 0; l < LANES; l++) tmp[l] = (x[l * ldx] - st) * scale;
            else
                for (int l = 0; l < m; l++) tmp[l] = (x[l * ldx] - st) * scale;
            memcpy(&xv[t], tmp, sizeof(VT));
        }
        /* scores of the block against 8 centres at a time (8 independent multiply-add
         * chains hide the FMA latency), then 4 or fewer; a lane takes j when its score is
         * strictly larger (the first maximum wins, NaN never does) */
        VT best = {0};
        VI idx = {0};
#define TAKE(S, J)                                                              \
    do {                                                                        \
        if ((J) == 0) {                                                         \
            best = (S);                                                         \
        } else {                                                                \
            VI take = (VI)((S) > best);                                         \
            best = (VT)(((VI)(S) & take) | ((VI)best & ~take));                 \
            idx = (idx & ~take) | (((VI){0} + (IT)(J)) & take);                 \
        }                                                                       \
    } while (0)
        Py_ssize_t j = 0;
        for (; j + 8 <= k; j += 8) {
            VT s[8];
            const T *c = C2 + j * d;
            for (int b = 0; b < 8; b++) s[b] = nc[j + b] + (VT){0};
            for (Py_ssize_t t = 0; t < d; t++) {
                VT x = xv[t];
                for (int b = 0; b < 8; b++) s[b] += c[b * d + t] * x;
            }
            for (int b = 0; b < 8; b++) TAKE(s[b], j + b);
        }
        for (; j < k; j += 4) {
            int nb = k - j < 4 ? (int)(k - j) : 4;
            VT s0 = nc[j] + (VT){0}, s1 = s0, s2 = s0, s3 = s0;
            if (nb > 1) s1 = nc[j + 1] + (VT){0};
            if (nb > 2) s2 = nc[j + 2] + (VT){0};
            if (nb > 3) s3 = nc[j + 3] + (VT){0};
            const T *c0 = C2 + j * d;
            const T *c1 = nb > 1 ? c0 + d : c0, *c2 = nb > 2 ? c0 + 2 * d : c0;
            const T *c3 = nb > 3 ? c0 + 3 * d : c0;
            for (Py_ssize_t t = 0; t < d; t++) {
                VT x = xv[t];
                s0 += c0[t] * x;
                s1 += c1[t] * x;
                s2 += c2[t] * x;
                s3 += c3[t] * x;
            }
            VT sb[4] = {s0, s1, s2, s3};
            for (int b = 0; b < nb; b++) TAKE(sb[b], j + b);
        }
#undef TAKE
        check += best; /* NaN/inf in X (or an overflow) makes this non-finite */
        int64_t lab[LANES];
        LV lv = __builtin_convertvector(idx, LV);
        memcpy(lab, &lv, sizeof lab);
        memcpy(labels + i0, lab, sizeof(int64_t) * (size_t)m);
        if (masked && (sums != NULL || want_inertia)) {
            VI valid = (VI)(lane < (IT)m);
            for (Py_ssize_t j = 0; j < k; j++) {
                VI mj = (VI)(idx == (IT)j) & valid;
                VT *a = acc + j * (d + 2);
                const T *c = C + j * d;
                if (sums != NULL)
                    for (Py_ssize_t t = 0; t < d; t++) a[t] += (VT)((VI)xv[t] & mj);
                if (want_inertia) {
                    VT dist = {0};
                    for (Py_ssize_t t = 0; t < d; t++) {
                        VT diff = xv[t] - c[t];
                        dist += diff * diff;
                    }
                    a[d] += (VT)((VI)dist & mj);
                }
                a[d + 1] = (VT)((VI)a[d + 1] - mj); /* counts, as integers */
            }
            /* flush the accumulators to float64 every 64 blocks: at most 64 values per lane */
            if (++since_flush == 64 || i0 + LANES >= stop) {
                FLUSH();
                since_flush = 0;
            }
            continue;
        }
        if (masked) continue; /* labels only */
        if (sums != NULL) { /* per row, in float64 */
            for (int l = 0; l < m; l++) {
                double *srow = sums + lab[l] * d;
                const T *x = X + (i0 + l) * ldx;
                if (shift)
                    for (Py_ssize_t t = 0; t < d; t++) srow[t] += (double)((x[t] - shift[t]) * scale);
                else
                    for (Py_ssize_t t = 0; t < d; t++) srow[t] += (double)(x[t] * scale);
                counts[lab[l]] += 1;
            }
        }
        if (want_inertia) { /* direct differences, one independent sum per lane */
            T dist[LANES] = {0};
            for (Py_ssize_t t = 0; t < d; t++) {
                T x[LANES];
                memcpy(x, &xv[t], sizeof(VT));
                for (int l = 0; l < LANES; l++) {
                    T diff = x[l] - C[lab[l] * d + t];
                    dist[l] += diff * diff;
                }
            }
            for (int l = 0; l < m; l++) inertia[l] += (double)dist[l];
        }
    }
    free(raw);
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
