/* A stress test of the compiled pass's worker pool (kernel/_fastpass_pool.h), without Python:
 * tests/test_native_builds.py compiles it with ThreadSanitizer (-fsanitize=thread) where the
 * compiler has it, and runs it.
 *
 * Three caller threads each run `jobs` jobs of random size (1..64 chunks) on random thread
 * counts (1..6), at the same time: one at a time gets the pool, the others run alone. Every
 * chunk must run exactly once per job (each chunk adds 1 to its own slot), a job's slots are
 * checked after fp_pool_run returns (nothing may touch them later: they are reused). Then the
 * process forks while a caller may be inside a job, and the child runs threaded jobs of its
 * own: every chunk once, some of them on pool threads (its pool starts afresh, with threads
 * of its own). Prints "ok" and exits 0; any lost or repeated chunk exits 1.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_sigmask, usleep */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "_fastpass_pool.h"

#define MAX_PARTS 64

typedef struct {
    atomic_int hits[MAX_PARTS];
    atomic_int by_helpers; /* chunks run by a pool thread, not the caller */
    pthread_t owner;
    unsigned seed;
    int bad;
} Caller;

static void chunk(fp_job *job, ptrdiff_t i)
{
    Caller *c = (Caller *)job->data;
    atomic_fetch_add(&c->hits[i], 1);
    if (!pthread_equal(pthread_self(), c->owner)) atomic_fetch_add(&c->by_helpers, 1);
    for (volatile int spin = 0; spin < (int)(i % 7) * 50; spin++) {
    } /* uneven chunks */
}

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static int run_jobs(Caller *c, int jobs)
{
    c->owner = pthread_self();
    atomic_init(&c->by_helpers, 0);
    for (int j = 0; j < jobs; j++) {
        const int parts = 1 + (int)(next_rand(&c->seed) % MAX_PARTS);
        const int threads = 1 + (int)(next_rand(&c->seed) % 6);
        for (int i = 0; i < MAX_PARTS; i++) atomic_store(&c->hits[i], 0);
        fp_job job = {chunk, parts, 0, 0, c};
        fp_pool_run(&job, threads);
        for (int i = 0; i < MAX_PARTS; i++)
            if (atomic_load(&c->hits[i]) != (i < parts ? 1 : 0)) c->bad++;
    }
    return c->bad;
}

static int jobs_per_caller;

static void *caller(void *arg)
{
    run_jobs((Caller *)arg, jobs_per_caller);
    return NULL;
}

int main(int argc, char **argv)
{
    jobs_per_caller = argc > 1 ? atoi(argv[1]) : 2000;
    const int with_fork = argc > 2 ? atoi(argv[2]) : 1;
    if (fp_pool_init() != 0) return 2;
    Caller cs[3];
    pthread_t ts[3];
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < MAX_PARTS; i++) atomic_init(&cs[t].hits[i], 0);
        cs[t].seed = 17u + (unsigned)t;
        cs[t].bad = 0;
        if (pthread_create(&ts[t], NULL, caller, &cs[t]) != 0) return 2;
    }
    /* fork while the callers run: the child has none of the pool's threads */
    usleep(2000);
    pid_t pid = with_fork ? fork() : 0;
    if (with_fork && pid == 0) {
        Caller c;
        for (int i = 0; i < MAX_PARTS; i++) atomic_init(&c.hits[i], 0);
        c.seed = 99u;
        c.bad = 0;
        /* its own helpers (pthread_atfork): without them it would run every chunk alone.
         * (With the parent's threads still busy on the same cores, the child's helpers may
         * get no chunk for a while: batches until one does, 5 s at most.) */
        int bad = 0, helped = 0;
        for (int batch = 0; batch < 1000 && !helped && !bad; batch++) {
            bad = run_jobs(&c, 100);
            helped = atomic_load(&c.by_helpers) > 0;
            if (!helped) usleep(5000);
        }
        _exit(bad == 0 && helped ? 0 : 1);
    }
    int bad = 0;
    for (int t = 0; t < 3; t++) {
        pthread_join(ts[t], NULL);
        bad += cs[t].bad;
    }
    int status = 0;
    if (with_fork && (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
                      WEXITSTATUS(status) != 0)) {
        fprintf(stderr, "the forked child failed (status %d)\n", status);
        return 1;
    }
    if (bad) {
        fprintf(stderr, "%d jobs lost or repeated a chunk\n", bad);
        return 1;
    }
    printf("ok %d helpers\n", fp_pool.started);
    return 0;
}
