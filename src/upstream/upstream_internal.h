/* upstream_internal.h: what the files of src/upstream/ share (not part of the interface).
 *
 * The client (struct ct_upstream) holds the configuration, the partners' breakers and
 * statistics (breaker.c, guarded by `mu`: the driving threads write them, /metrics reads
 * them) and the asynchronous driver (upstream.c). A partner's slot never moves once made,
 * so a request keeps a pointer to it. */
#ifndef CT_UPSTREAM_INTERNAL_H
#define CT_UPSTREAM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "upstream/upstream.h"

typedef struct ct__partner {
    char name[64];
    ct_upstream_state state;
    int consecutive;   /* failed attempts in a row */
    int probe_busy;    /* half-open: the one probe is in flight */
    int64_t opened_at; /* ms (monotonic) of the last opening */
    uint64_t attempts, retries, failures, rejected, opened;
} ct__partner;

typedef struct ct__driver ct__driver;

struct ct_upstream {
    ct_upstream_config cfg; /* defaults filled in; name/user_agent point at the copies below */
    char name[64];
    char user_agent[128];
    pthread_mutex_t mu; /* partners[], npartners, seed */
    ct__partner partners[CT_UPSTREAM_MAX_PARTNERS];
    int npartners;
    uint64_t seed; /* hands each driver its own jitter stream */
    ct__driver *async;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t ct__upstream_now_ms(void);

/* The partner named `name`, made closed on first use; NULL when the table is full. */
ct__partner *ct__partner_get(ct_upstream *up, const char *name);

/* Asks the breaker for one attempt at `now`. Returns 1 when it may go (*probe = 1 when it is
 * the half-open probe), 0 when it must fail fast (counted as rejected). `retry`: the attempt
 * is a retry (counted). */
int ct__breaker_admit(ct_upstream *up, ct__partner *p, int64_t now, int retry, int *probe);

/* Reports an admitted attempt's outcome (`failed`: one a retry would be made for). */
void ct__breaker_report(ct_upstream *up, ct__partner *p, int failed, int probe, int64_t now);

/* Gives back a probe whose attempt was abandoned (the breaker stays half-open). */
void ct__breaker_release(ct_upstream *up, ct__partner *p, int probe);

#endif
