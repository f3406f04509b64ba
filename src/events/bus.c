/* bus.c: the in-process event bus (see bus.h).
 *
 * A fixed-capacity array of subscriptions under one mutex. Publishing copies the matching
 * subscriptions (id, handler, context) and raises each one's in-flight count, unlocks,
 * runs the handlers, then lowers the counts and signals; unsubscribe marks the slot dead
 * and waits on the condition variable until its in-flight count is zero. */
#include "events/bus.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

#define BUS_MAX_SUBS    64
#define BUS_MAX_PATTERN 64

typedef struct bus_sub {
    int id; /* 0: free slot */
    char pattern[BUS_MAX_PATTERN];
    ct_bus_handler fn;
    void *ctx;
    int inflight;
} bus_sub;

struct ct_bus {
    pthread_mutex_t mu;
    pthread_cond_t idle;
    bus_sub subs[BUS_MAX_SUBS];
    int next_id;
};

ct_status ct_bus_new(ct_bus **out)
{
    ct_bus *b = ct_calloc(1, sizeof(*b));
    if (b == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->idle, NULL);
    b->next_id = 1;
    *out = b;
    return CT_OK;
}

void ct_bus_free(ct_bus *bus)
{
    if (bus == NULL)
        return;
    pthread_mutex_destroy(&bus->mu);
    pthread_cond_destroy(&bus->idle);
    ct_free(bus);
}

static int matches(const char *pattern, const char *topic)
{
    size_t n = strlen(pattern);
    if (strcmp(pattern, "*") == 0)
        return 1;
    if (n >= 2 && pattern[n - 1] == '*' && pattern[n - 2] == '.')
        return strncmp(pattern, topic, n - 1) == 0;
    return strcmp(pattern, topic) == 0;
}

ct_status ct_bus_subscribe(ct_bus *bus, const char *pattern, ct_bus_handler fn, void *ctx, int *id)
{
    if (bus == NULL || pattern == NULL || fn == NULL || strlen(pattern) >= BUS_MAX_PATTERN)
        return CT_INVALID;
    ct_status rc = CT_TOO_LARGE;
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < BUS_MAX_SUBS; i++) {
        bus_sub *s = &bus->subs[i];
        if (s->id != 0 || s->inflight != 0)
            continue;
        s->id = bus->next_id++;
        snprintf(s->pattern, sizeof(s->pattern), "%s", pattern);
        s->fn = fn;
        s->ctx = ctx;
        if (id != NULL)
            *id = s->id;
        rc = CT_OK;
        break;
    }
    pthread_mutex_unlock(&bus->mu);
    return rc;
}

void ct_bus_unsubscribe(ct_bus *bus, int id)
{
    if (bus == NULL || id <= 0)
        return;
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < BUS_MAX_SUBS; i++) {
        bus_sub *s = &bus->subs[i];
        if (s->id != id)
            continue;
        s->id = 0;
        while (s->inflight > 0)
            pthread_cond_wait(&bus->idle, &bus->mu);
        s->fn = NULL;
        s->ctx = NULL;
        break;
    }
    pthread_mutex_unlock(&bus->mu);
}

int ct_bus_has_subscribers(ct_bus *bus, const char *topic)
{
    if (bus == NULL)
        return 0;
    int found = 0;
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < BUS_MAX_SUBS && !found; i++)
        found = bus->subs[i].id != 0 && matches(bus->subs[i].pattern, topic);
    pthread_mutex_unlock(&bus->mu);
    return found;
}

int ct_bus_publish(ct_bus *bus, const char *topic, json_t *event)
{
    if (bus == NULL || topic == NULL) {
        json_decref(event);
        return 0;
    }
    int slot[BUS_MAX_SUBS], n = 0;
    ct_bus_handler fn[BUS_MAX_SUBS];
    void *ctx[BUS_MAX_SUBS];
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < BUS_MAX_SUBS; i++) {
        bus_sub *s = &bus->subs[i];
        if (s->id == 0 || !matches(s->pattern, topic))
            continue;
        s->inflight++;
        slot[n] = i;
        fn[n] = s->fn;
        ctx[n] = s->ctx;
        n++;
    }
    pthread_mutex_unlock(&bus->mu);
    for (int k = 0; k < n; k++)
        fn[k](topic, event, ctx[k]);
    if (n > 0) {
        pthread_mutex_lock(&bus->mu);
        for (int k = 0; k < n; k++)
            bus->subs[slot[k]].inflight--;
        pthread_cond_broadcast(&bus->idle);
        pthread_mutex_unlock(&bus->mu);
    }
    json_decref(event);
    return n;
}
