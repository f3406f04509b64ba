/* guard.c: total-time deadlines for request heads and bodies (see http_internal.h).
 *
 * libmicrohttpd's connection timeout is an idle timeout: every byte received restarts it, so
 * a client sending one header line every few seconds holds a connection for ever (the
 * "slowloris" attack). Here each connection carries an absolute deadline set by the server
 * at the moments it knows about: accept and the end of a response (the next head must arrive
 * by now + header timeout), the end of a head (the body by now + body timeout), and "none"
 * while a handler runs or a response is sent (slow readers are the idle timeout's business).
 * A sweep thread wakes every 100 ms, walks the registry (a doubly linked list, at most the
 * connection limit long) and shuts down every connection past its deadline. shutdown(2) is
 * safe from another thread: the descriptor stays open and libmicrohttpd's, which sees end
 * of file, closes it and sends the CLOSED notification; that removes the entry under the
 * same mutex before the descriptor is closed, so the sweep never reaches a reused one. */
#define _GNU_SOURCE
#include "http/http_internal.h"

#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "base/alloc.h"

struct ct_http_conn {
    ct_http_conn *prev, *next;
    int fd;
    int shut;                 /* shut down once already */
    _Atomic int64_t deadline; /* monotonic ms, 0 = none */
};

struct ct_http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
    ct_http_conn head; /* sentinel of the circular list */
    pthread_t thread;
    atomic_uint_fast64_t closed;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sweep(void *arg)
{
    ct_http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &until);
        int64_t now = now_ms();
        for (ct_http_conn *c = g->head.next; c != &g->head; c = c->next) {
            int64_t d = atomic_load(&c->deadline);
            if (d != 0 && now >= d && !c->shut) {
                shutdown(c->fd, SHUT_RDWR);
                c->shut = 1;
                atomic_fetch_add(&g->closed, 1);
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

ct_http_guard *ct__guard_start(void)
{
    ct_http_guard *g = ct_calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->head.next = g->head.prev = &g->head;
    if (pthread_create(&g->thread, NULL, sweep, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        ct_free(g);
        return NULL;
    }
    return g;
}

void ct__guard_stop(ct_http_guard *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while (g->head.next != &g->head) {
        ct_http_conn *c = g->head.next;
        g->head.next = c->next;
        ct_free(c);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    ct_free(g);
}

ct_http_conn *ct__guard_add(ct_http_guard *g, int fd, int ms)
{
    ct_http_conn *c = ct_calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->fd = fd;
    ct__guard_deadline(c, ms);
    pthread_mutex_lock(&g->mu);
    c->next = g->head.next;
    c->prev = &g->head;
    g->head.next->prev = c;
    g->head.next = c;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void ct__guard_remove(ct_http_guard *g, ct_http_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    pthread_mutex_unlock(&g->mu);
    ct_free(c);
}

void ct__guard_deadline(ct_http_conn *c, int ms)
{
    if (c != NULL)
        atomic_store(&c->deadline, ms > 0 ? now_ms() + ms : 0);
}

uint64_t ct__guard_closed(const ct_http_guard *g)
{
    return g ? atomic_load(&((ct_http_guard *)g)->closed) : 0;
}
