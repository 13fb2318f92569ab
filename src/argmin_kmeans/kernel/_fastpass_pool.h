/* The compiled pass's worker threads: a pool of POSIX threads kept for the process, so that a
 * threaded pass is one C call (one check of the arguments, one release of the GIL) instead of
 * one Python call per chunk and a hand-off through a Python thread pool.
 *
 * A job is `parts` chunks, taken in turn from an atomic counter by the calling thread and by
 * up to `helpers` pool threads; which thread runs which chunk does not matter (each chunk
 * writes its own rows and its own partial sums, added afterwards in chunk order).
 *
 * Why here and not in Python: at (100k, 2, 8) on AVX2 a pass is ~0.3 ms of C on two threads;
 * the Python hand-off (a pool submit, a result, the GIL taken back after each chunk) cost
 * 30-50 us of it, and a helper that had gone to sleep between two passes started late. Like
 * OpenMP's runtime (which scikit-learn's loops use), a helper that finished a job waits for the
 * next one by spinning for FP_SPIN_NS before it sleeps: Lloyd iterations come back to back.
 *
 * The protocol (all atomics sequentially consistent):
 *   caller: job fields; pool.job = job; gen += 1; wake sleepers; run chunks; pool.job = NULL;
 *           wait until pool.active == 0.
 *   helper: wait until gen changes; active += 1; j = pool.job; if j, run chunks of j;
 *           active -= 1.
 * A helper that reads the job incremented `active` before the caller cleared `pool.job`, so
 * the caller sees it and waits for it; one that reads NULL touches nothing. A helper started
 * for a job joins it (its first `seen` is the generation before the job was published);
 * helpers beyond the job's `wanted` count go back to sleep without touching `active`. The caller never
 * waits for a helper that has not woken up. One job at a time: a second caller (another
 * Python thread; the GIL is released) that finds the pool busy runs its chunks alone (the same
 * result). A forked child starts with no helpers (pthread_atfork). */
#ifndef ARGMIN_KMEANS_FASTPASS_POOL_H
#define ARGMIN_KMEANS_FASTPASS_POOL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* a helper spins this long for the next job before it sleeps (OpenMP's default wait policy
 * spins for a comparable time) */
#ifndef FP_SPIN_NS
#define FP_SPIN_NS 200000
#endif
/* most helper threads */
#define FP_MAX_HELPERS 255

typedef struct fp_job fp_job;
struct fp_job {
    void (*chunk)(fp_job *job, ptrdiff_t i); /* runs chunk i */
    ptrdiff_t parts;
    atomic_llong next; /* the next chunk to take */
    int helpers;       /* pool threads 0 .. helpers - 1 join */
    void *data;        /* what chunk() reads */
};

static struct {
    pthread_mutex_t mu; /* sleeping, waking, growing */
    pthread_cond_t wake, done;
    pthread_mutex_t busy; /* held by the caller whose job the pool runs */
    _Atomic(fp_job *) job;
    atomic_ullong gen;
    atomic_int active, sleepers, waiting;
    atomic_int wanted;             /* helpers 0 .. wanted - 1 join the current job */
    atomic_llong helper_chunks;    /* chunks run by helpers since the process started */
    int started;                   /* helper threads running (under mu) */
    unsigned long long start_gen[FP_MAX_HELPERS]; /* gen when helper i was created */
} fp_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
             PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0, {0}};

static void fp_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t fp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long long fp_run_chunks(fp_job *job)
{
    ptrdiff_t i;
    long long ran = 0;
    while ((i = (ptrdiff_t)atomic_fetch_add(&job->next, 1)) < job->parts) {
        job->chunk(job, i);
        ran++;
    }
    return ran;
}

static void *fp_helper(void *arg)
{
    const int me = (int)(intptr_t)arg;
    /* the generation before the job this helper was started for: it joins that job too */
    unsigned long long seen = fp_pool.start_gen[me];
    int spin = 1;
    for (;;) {
        /* the next job: spin (after a job: the next one comes soon in a loop), then sleep */
        const int64_t until = fp_now_ns() + (spin ? FP_SPIN_NS : 0);
        for (int n = 0; atomic_load(&fp_pool.gen) == seen; n++) {
            if (spin) fp_pause();
            if (!spin || ((n & 255) == 255 && fp_now_ns() > until)) {
                pthread_mutex_lock(&fp_pool.mu);
                atomic_fetch_add(&fp_pool.sleepers, 1);
                while (atomic_load(&fp_pool.gen) == seen)
                    pthread_cond_wait(&fp_pool.wake, &fp_pool.mu);
                atomic_fetch_sub(&fp_pool.sleepers, 1);
                pthread_mutex_unlock(&fp_pool.mu);
                break;
            }
        }
        seen = atomic_load(&fp_pool.gen);
        spin = me < atomic_load(&fp_pool.wanted);
        if (!spin) continue; /* not asked to join (fewer threads than the pool has): sleep */
        atomic_fetch_add(&fp_pool.active, 1);
        fp_job *job = atomic_load(&fp_pool.job);
        if (job != NULL && me < job->helpers)
            atomic_fetch_add(&fp_pool.helper_chunks, fp_run_chunks(job));
        if (atomic_fetch_sub(&fp_pool.active, 1) == 1 && atomic_load(&fp_pool.waiting)) {
            pthread_mutex_lock(&fp_pool.mu);
            pthread_cond_broadcast(&fp_pool.done);
            pthread_mutex_unlock(&fp_pool.mu);
        }
    }
    return NULL;
}

/* Start helpers up to `want` (under mu); returns how many run (fewer if the system refuses). */
static int fp_grow(int want)
{
    if (want > FP_MAX_HELPERS) want = FP_MAX_HELPERS;
    pthread_mutex_lock(&fp_pool.mu);
    if (fp_pool.started < want) {
        /* helpers never take the process's asynchronous signals (Python's handlers run in the
         * main thread); a fault in a helper still reaches faulthandler */
        sigset_t all, old;
        sigfillset(&all);
        sigdelset(&all, SIGSEGV);
        sigdelset(&all, SIGBUS);
        sigdelset(&all, SIGFPE);
        sigdelset(&all, SIGILL);
        sigdelset(&all, SIGABRT);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        while (fp_pool.started < want) {
            pthread_t t;
            /* the caller publishes its job after this: the new helper joins it */
            fp_pool.start_gen[fp_pool.started] = atomic_load(&fp_pool.gen);
            if (pthread_create(&t, &attr, fp_helper, (void *)(intptr_t)fp_pool.started) != 0)
                break;
            fp_pool.started++;
        }
        pthread_attr_destroy(&attr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    const int have = fp_pool.started < want ? fp_pool.started : want;
    pthread_mutex_unlock(&fp_pool.mu);
    return have;
}

/* Run all chunks of `job` on the calling thread and up to `threads - 1` helpers; returns the
 * number of threads that could join (1 when the pool was busy with another caller's job). */
static int fp_pool_run(fp_job *job, int threads)
{
    atomic_store(&job->next, 0);
    job->helpers = 0;
    if (threads > 1 && job->parts > 1 && pthread_mutex_trylock(&fp_pool.busy) == 0) {
        job->helpers = fp_grow(threads - 1);
        atomic_store(&fp_pool.wanted, job->helpers);
        atomic_store(&fp_pool.job, job);
        atomic_fetch_add(&fp_pool.gen, 1);
        if (atomic_load(&fp_pool.sleepers) > 0) {
            pthread_mutex_lock(&fp_pool.mu);
            pthread_cond_broadcast(&fp_pool.wake);
            pthread_mutex_unlock(&fp_pool.mu);
        }
        fp_run_chunks(job);
        atomic_store(&fp_pool.job, NULL); /* no helper joins from here on */
        for (int n = 0; atomic_load(&fp_pool.active) > 0; n++) {
            fp_pause(); /* a helper finishing its last chunk: spin a little, then sleep */
            if (n > 4096) {
                pthread_mutex_lock(&fp_pool.mu);
                atomic_store(&fp_pool.waiting, 1);
                while (atomic_load(&fp_pool.active) > 0)
                    pthread_cond_wait(&fp_pool.done, &fp_pool.mu);
                atomic_store(&fp_pool.waiting, 0);
                pthread_mutex_unlock(&fp_pool.mu);
                break;
            }
        }
        pthread_mutex_unlock(&fp_pool.busy);
        return job->helpers + 1;
    }
    fp_run_chunks(job);
    return 1;
}

/* fork(): the forking thread takes both locks first (a pass running in another thread
 * finishes before the fork), so the child's copies are in a known state: held by its one
 * thread, which releases them. The child has the parent's memory but none of its helper
 * threads: it starts with none. */
static void fp_pool_before_fork(void)
{
    pthread_mutex_lock(&fp_pool.busy);
    pthread_mutex_lock(&fp_pool.mu);
}

static void fp_pool_after_fork_parent(void)
{
    pthread_mutex_unlock(&fp_pool.mu);
    pthread_mutex_unlock(&fp_pool.busy);
}

static void fp_pool_after_fork_child(void)
{
    pthread_cond_init(&fp_pool.wake, NULL); /* no thread waits on them in the child */
    pthread_cond_init(&fp_pool.done, NULL);
    atomic_store(&fp_pool.job, NULL);
    atomic_store(&fp_pool.active, 0);
    atomic_store(&fp_pool.sleepers, 0);
    atomic_store(&fp_pool.waiting, 0);
    atomic_store(&fp_pool.wanted, 0);
    atomic_store(&fp_pool.helper_chunks, 0);
    fp_pool.started = 0;
    pthread_mutex_unlock(&fp_pool.mu);
    pthread_mutex_unlock(&fp_pool.busy);
}

static int fp_pool_init(void)
{
    return pthread_atfork(fp_pool_before_fork, fp_pool_after_fork_parent,
                          fp_pool_after_fork_child);
}

#endif /* ARGMIN_KMEANS_FASTPASS_POOL_H */
