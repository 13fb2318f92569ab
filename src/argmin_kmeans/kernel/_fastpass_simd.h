/* The compiled E-step's numeric core, without Python: six instances of _fastpass_impl.h
 * (float32 and float64, each for 64-, 32- and 16-byte vectors), the run-time choice of the
 * widest build this CPU runs, and their names. _fastpass.c (the Python module) includes this
 * file; so does tests/native/fastpass_driver.c, which a test cross-compiles for arm64 and
 * runs under an emulator (no Python headers for the target are needed).
 *
 * One build runs well on any CPU. On x86-64 the pass is compiled three times, for 64-, 32-
 * and 16-byte vectors: with AVX-512 code, with AVX2+FMA code, and for the compiler's baseline
 * (SSE2); at run time the widest one the CPU has is used (fp_best_level). On arm64 the one
 * build is NEON (16-byte vectors, part of every arm64 CPU). A width beyond the target's
 * registers is emulated badly (measured: 64-byte vectors compiled for AVX2 were 13x slower),
 * hence one width per target. No -march=native: the .so can live on a disk shared by
 * different machines (a classroom's JupyterHub). */
#ifndef ARGMIN_KMEANS_FASTPASS_SIMD_H
#define ARGMIN_KMEANS_FASTPASS_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__GNUC__)
#error "_fastpass needs GCC/Clang vector extensions; argmin_kmeans then runs its torch loop"
#endif

typedef ptrdiff_t fp_size;

#define FP_CAT2(a, b) a##b
#define FP_CAT(a, b) FP_CAT2(a, b) /* NAME##suffix after NAME's expansion */

/* what an instance returns besides 0 */
#define FP_NO_MEMORY (-1)
#define FP_TOO_LARGE (-2) /* the workspace's size does not fit in size_t */

#if defined(__x86_64__) || defined(__i386__)
#define FP_X86 1
#define TARGET_64 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define TARGET_32 __attribute__((target("avx2,fma")))
#define FP_LEVELS 3
#else
#define FP_X86 0
#define TARGET_64
#define TARGET_32
#define FP_LEVELS 1 /* the 16-byte build only: NEON on arm64, the compiler's baseline elsewhere */
#endif

#define VECTORS(B)                                                        \
    typedef float vf32_##B __attribute__((vector_size(B)));               \
    typedef int32_t vi32_##B __attribute__((vector_size(B)));             \
    typedef double vf64_##B __attribute__((vector_size(B)));              \
    typedef int64_t vi64_##B __attribute__((vector_size(B)));             \
    typedef int64_t vl32_##B __attribute__((vector_size(2 * (B))));
VECTORS(64)
VECTORS(32)
VECTORS(16)

/* Two-input lane shuffles with constant indices (GCC and Clang spell them differently). */
#if defined(__clang__)
#define FP_SHUF2(VI, a, b, i0, i1) __builtin_shufflevector(a, b, i0, i1)
#define FP_SHUF4(VI, a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#define FP_SHUF8(VI, a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
    __builtin_shufflevector(a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define FP_SHUF2(VI, a, b, i0, i1) __builtin_shuffle(a, b, (VI){i0, i1})
#define FP_SHUF4(VI, a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (VI){i0, i1, i2, i3})
#define FP_SHUF8(VI, a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
    __builtin_shuffle(a, b, (VI){i0, i1, i2, i3, i4, i5, i6, i7})
#endif

#define IDX16 {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
#define IDX8 {0, 1, 2, 3, 4, 5, 6, 7}
#define IDX4 {0, 1, 2, 3}
#define IDX2 {0, 1}
/* Register blocking per instance: CB centres times RB sub-blocks of LANES rows (default 8 x 1,
 * kept for AVX-512's 32 registers, where it was measured). The 32- and 16-byte builds (16
 * registers on x86) score two sub-blocks against 4 centres: 8 independent chains and every
 * broadcast centre coordinate used twice (loads bound that loop): measured 10-20 % faster
 * than 8 x 1 from (100k, 2, 8) to (50k, 200, 20) on AVX2 and 5-20 % on SSE2 (8 x 1 float64
 * AVX2 spilled a chain to the stack). NEON shares the 16-byte code. */

/* Centres across the lanes (_fastpass_impl.h's NAME_wide) from this many features, with at
 * least LANES centres; 0: never. Measured on AVX2 (Zen 3), ns per sample, one thread, labels
 * and sums, wide / samples-across-lanes: float32 (32, 32) 1.37, (64, 16) 1.12, (64, 64) 1.09,
 * (128, 8) 0.75, (128, 32) 0.73, (200, 20) 0.62; float64 (64, 64) 1.18, (200, 20) 0.55. On SSE2
 * it was mixed (0.69 at (64, 16) and (128, 8), 1.75 at (64, 64)): off there (and on NEON,
 * which shares that code); AVX-512 keeps its measured loop (no AVX-512 to measure on). */
/* The 32- and 16-byte builds transpose rows by tiles (NAME_tile) and, from FP_ROWSUM_MIN_D
 * features, add the per-lane float64 sums row by row from X instead of lane by lane from the
 * transposed block. Measured on AVX2 (Zen 3), one thread, ns per sample, labels + sums, C core
 * alone: float64 (200k, 16, 16) 40-44 -> 28-30 (transposition 31 % and lane sums 28 % of the
 * pass before), float32 (1M, 16, 32) 35 -> 27, (100k, 64, 64) 141 -> 127; at d = 2 row by row
 * was slower (7.4 against 5.9 ns at (100k, 2, 8) float32), at d = 8 faster (12-19 against
 * 14-24); SSE2: float64 (200k, 16, 16) 88 -> 66, float32 68 -> 41, (100k, 32, 8) float32
 * 81 -> 41. Two packed features (d = 2, the lessons' data) are deinterleaved by two loads and two
 * shuffles (NAME_pairs): (100k, 2, 8) float32 6.2-7.7 -> 5.9-6.6. Same labels and the same sums,
 * bit for bit. The AVX-512 build keeps its measured loop (no AVX-512 machine to measure on). */
#ifndef FP_ROWSUM_MIN_D
#define FP_ROWSUM_MIN_D 8
#endif
#ifndef FP_WIDE_D_32
#define FP_WIDE_D_32 96
#endif
#ifndef FP_WIDE_D_16
#define FP_WIDE_D_16 0
#endif

#if FP_X86
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
#define TILE 1
#define ROWSUM_MIN_D FP_ROWSUM_MIN_D
#define WIDE_MIN_D FP_WIDE_D_32
#define CB 4 /* two sub-blocks of 8 rows x 4 centres: 8 chains, each broadcast used twice */
#define RB 2
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
#define TILE 1
#define ROWSUM_MIN_D FP_ROWSUM_MIN_D
#define WIDE_MIN_D FP_WIDE_D_32
#define CB 4
#define RB 2
#include "_fastpass_impl.h"
#endif

#define T float
#define VT vf32_16
#define VI vi32_16
#define IT int32_t
#define LV vl32_16
#define LANE_INDEX IDX4
#define LANES 4
#define TARGET
#define NAME pass_f32_16
#define TILE 1
#define ROWSUM_MIN_D FP_ROWSUM_MIN_D
#define WIDE_MIN_D FP_WIDE_D_16
#define CB 4
#define RB 2
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
#define TILE 1
#define ROWSUM_MIN_D FP_ROWSUM_MIN_D
#define WIDE_MIN_D FP_WIDE_D_16
#define CB 4
#define RB 2
#include "_fastpass_impl.h"

typedef int (*pass_f32_t)(const float *, fp_size, fp_size, fp_size, fp_size, const float *, float,
                          const float *, fp_size, int64_t *, double *, int64_t *, int, double *,
                          double *);
typedef int (*pass_f64_t)(const double *, fp_size, fp_size, fp_size, fp_size, const double *,
                          double, const double *, fp_size, int64_t *, double *, int64_t *, int,
                          double *, double *);
#if FP_X86
static const pass_f32_t FP_PASS_F32[FP_LEVELS] = {pass_f32_16, pass_f32_32, pass_f32_64};
static const pass_f64_t FP_PASS_F64[FP_LEVELS] = {pass_f64_16, pass_f64_32, pass_f64_64};
#else
static const pass_f32_t FP_PASS_F32[FP_LEVELS] = {pass_f32_16};
static const pass_f64_t FP_PASS_F64[FP_LEVELS] = {pass_f64_16};
#endif

/* The widest build this CPU runs: on x86-64 2 = AVX-512, 1 = AVX2 + FMA, 0 = SSE2; else 0. */
static int fp_best_level(void)
{
#if FP_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

/* The names of the builds, by level (what show_config prints). */
#if FP_X86
static const char *const FP_BUILD_NAMES[FP_LEVELS] = {"SSE2", "AVX2+FMA", "AVX-512"};
#elif defined(__aarch64__) || defined(__ARM_NEON)
static const char *const FP_BUILD_NAMES[FP_LEVELS] = {"NEON"};
#else
static const char *const FP_BUILD_NAMES[FP_LEVELS] = {"baseline"};
#endif

#endif /* ARGMIN_KMEANS_FASTPASS_SIMD_H */
