/* offload.c: the worker pool of offloaded routes (see http_internal.h).
 *
 * A fixed ring of `queue` job slots under one mutex and condition variable, and `workers`
 * threads taking jobs in order. The pool knows nothing about HTTP: the server submits "run
 * this handler, then resume that connection" (server.c). A full ring refuses at once
 * (CT_AGAIN) rather than letting waiting requests pile up without bound; stopping runs
 * what is already queued before the threads exit, so every suspended connection is resumed. */
#define _GNU_SOURCE
#include "http/http_internal.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#define WORKER_NICE 10

#include "base/alloc.h"

typedef struct job {
    ct_http_job_fn fn;
    void *arg;
} job;

struct ct_http_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *ring;
    int cap, head, count;
    int stopping;
    int nthreads;
    pthread_t *threads;
};

static void *work(void *arg)
{
    ct_http_pool *p = arg;
    /* Below the request threads: when every core hashes passwords, the scheduler still
     * runs a cheap request first (Linux: a thread's own nice value; unprivileged). */
    setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->count == 0)
            break; /* stopping, and nothing left */
        job j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ct_http_pool *ct__pool_start(int workers, int queue)
{
    ct_http_pool *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->cap = queue;
    p->ring = ct_calloc((size_t)queue, sizeof(job));
    p->threads = ct_calloc((size_t)workers, sizeof(pthread_t));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (p->ring == NULL || p->threads == NULL)
        goto fail;
    for (; p->nthreads < workers; p->nthreads++) {
        if (pthread_create(&p->threads[p->nthreads], NULL, work, p) != 0)
            goto fail;
    }
    return p;
fail:
    ct__pool_stop(p);
    return NULL;
}

ct_status ct__pool_submit(ct_http_pool *p, ct_http_job_fn fn, void *arg, void (*before)(void *),
                          void *before_arg)
{
    pthread_mutex_lock(&p->mu);
    if (p->count == p->cap || p->stopping) {
        pthread_mutex_unlock(&p->mu);
        return CT_AGAIN;
    }
    if (before != NULL)
        before(before_arg);
    p->ring[(p->head + p->count) % p->cap] = (job){fn, arg};
    p->count++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return CT_OK;
}

void ct__pool_stop(ct_http_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ct_free(p->threads);
    ct_free(p->ring);
    ct_free(p);
}
