/* deadletters.c: reading and replaying the dead-letter queue (see broker.h).
 *
 * Both walk the queue with basic.get without acknowledging: a dead letter not acknowledged
 * goes back to the queue when the connection closes, so listing changes nothing and replay
 * removes exactly the ones it republished. Where a message died comes from RabbitMQ's
 * x-first-death-queue header (else the first x-death entry's queue); replay publishes it to
 * that queue through the default exchange in confirm mode and acknowledges the dead letter
 * only after the confirm. Replay holds what it does not replay unacknowledged until it ends,
 * and replays each (event, queue) once per run, so a message that dies again at once is not
 * taken twice. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "broker/broker_internal.h"

typedef struct dead {
    char event_id[64], type[96], queue[160], reason[32], traceparent[128];
    int64_t deaths;
} dead;

/* The first x-death entry (a table), or NULL. */
static const amqp_table_t *first_death(const amqp_basic_properties_t *p)
{
    const amqp_field_value_t *v = ct__broker_header(p, "x-death");
    if (v == NULL || v->kind != AMQP_FIELD_KIND_ARRAY || v->value.array.num_entries < 1 ||
        v->value.array.entries[0].kind != AMQP_FIELD_KIND_TABLE)
        return NULL;
    return &v->value.array.entries[0].value.table;
}

static const amqp_field_value_t *table_get(const amqp_table_t *t, const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; t != NULL && i < t->num_entries; i++)
        if (t->entries[i].key.len == n && memcmp(t->entries[i].key.bytes, key, n) == 0)
            return &t->entries[i].value;
    return NULL;
}

static void describe(const amqp_message_t *m, dead *d)
{
    const amqp_basic_properties_t *p = &m->properties;
    memset(d, 0, sizeof(*d));
    if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        snprintf(d->event_id, sizeof(d->event_id), "%.*s", (int)p->message_id.len,
                 (const char *)p->message_id.bytes);
    if (p->_flags & AMQP_BASIC_TYPE_FLAG)
        snprintf(d->type, sizeof(d->type), "%.*s", (int)p->type.len, (const char *)p->type.bytes);
    const amqp_table_t *death = first_death(p);
    ct__broker_str(ct__broker_header(p, "x-first-death-queue"), d->queue, sizeof(d->queue));
    if (!d->queue[0])
        ct__broker_str(table_get(death, "queue"), d->queue, sizeof(d->queue));
    ct__broker_str(ct__broker_header(p, "x-first-death-reason"), d->reason, sizeof(d->reason));
    if (!d->reason[0])
        ct__broker_str(table_get(death, "reason"), d->reason, sizeof(d->reason));
    d->deaths = ct__broker_int(table_get(death, "count"));
    ct__broker_str(ct__broker_header(p, "traceparent"), d->traceparent, sizeof(d->traceparent));
}

/* The next dead letter on c (unacknowledged): 1 with *m and *tag, 0 when empty, -1 on error. */
static int next(amqp_connection_state_t c, const char *queue, amqp_message_t *m, uint64_t *tag,
                char *err, size_t len)
{
    amqp_rpc_reply_t r = amqp_basic_get(c, 1, amqp_cstring_bytes(queue), 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "basic.get", err, len);
        return -1;
    }
    if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
        return 0;
    *tag = ((amqp_basic_get_ok_t *)r.reply.decoded)->delivery_tag;
    r = amqp_read_message(c, 1, m, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "read", err, len);
        return -1;
    }
    return 1;
}

static json_t *dead_json(const dead *d, const amqp_message_t *m)
{
    json_t *event = NULL;
    if (ct_json_loadb(m->body.bytes, m->body.len, 0, &event, NULL) != CT_OK)
        event = json_stringn(m->body.bytes, m->body.len); /* NULL when not UTF-8 */
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:o?}", "event_id", d->event_id, "type",
                     d->type, "queue", d->queue, "reason", d->reason, "deaths",
                     (json_int_t)d->deaths, "traceparent",
                     d->traceparent[0] ? d->traceparent : NULL, "event", event);
}

static ct_status open_dead(ct_broker *b, amqp_connection_state_t *c, char *err, size_t len)
{
    ct_status rc = ct__broker_connect(b, c, err, len);
    if (!rc)
        rc = ct__broker_declare_base(b, *c, err, len);
    if (rc) {
        ct__broker_close(*c);
        *c = NULL;
    }
    return rc;
}

ct_status ct_broker_dead_list(ct_broker *b, int max, json_t **out, char *err, size_t errlen)
{
    const ct__broker_conf *cf = ct__broker_conf_of(b);
    amqp_connection_state_t c = NULL;
    *out = NULL;
    ct_status rc = open_dead(b, &c, err, errlen);
    if (rc)
        return rc;
    json_t *list = json_array();
    if (list == NULL) {
        rc = CT_NOMEM;
        goto cleanup;
    }
    for (int i = 0; i < max; i++) {
        amqp_message_t m;
        uint64_t tag = 0;
        int got = next(c, cf->dead_queue, &m, &tag, err, errlen);
        if (got < 0) {
            rc = CT_UNAVAILABLE;
            goto cleanup;
        }
        if (got == 0)
            break;
        dead d;
        describe(&m, &d);
        json_t *item = dead_json(&d, &m);
        amqp_destroy_message(&m);
        if (item == NULL || json_array_append_new(list, item) != 0) {
            rc = CT_NOMEM;
            goto cleanup;
        }
    }
    *out = list;
    list = NULL;
cleanup:
    json_decref(list);
    ct__broker_close(c); /* what was read goes back */
    return rc;
}

/* The number of messages in the dead-letter queue now. */
static ct_status dead_count(amqp_connection_state_t c, const char *queue, uint32_t *n, char *err,
                            size_t len)
{
    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 1, 1, 0, 0, amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (ok == NULL || r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "queue.declare", err, len);
        return CT_UNAVAILABLE;
    }
    *n = ok->message_count;
    return CT_OK;
}

ct_status ct__broker_dead_depth(ct_broker *b, uint32_t *n)
{
    amqp_connection_state_t c = NULL;
    char err[256];
    ct_status rc = open_dead(b, &c, err, sizeof(err));
    if (!rc)
        rc = dead_count(c, ct__broker_conf_of(b)->dead_queue, n, err, sizeof(err));
    ct__broker_close(c);
    return rc;
}

/* Republishes one dead letter to its queue and acknowledges it. */
static ct_status replay_one(amqp_connection_state_t c, const dead *d, const amqp_message_t *m,
                            uint64_t tag, uint64_t *pub_tag, char *err, size_t len)
{
    int returned = 0;
    ct_status rc =
        ct__broker_send(c, "", d->queue, 1, d->event_id, d->type, d->traceparent, m->body);
    if (!rc)
        rc = ct__broker_wait_confirm(c, ++*pub_tag, 5000, &returned);
    if (!rc && returned) {
        snprintf(err, len, "replay of %s: queue %s does not exist", d->event_id, d->queue);
        return CT_NOT_FOUND;
    }
    if (!rc && amqp_basic_ack(c, 1, tag, 0) != AMQP_STATUS_OK)
        rc = CT_UNAVAILABLE;
    if (rc)
        snprintf(err, len, "replay of %s to %s: not confirmed", d->event_id, d->queue);
    return rc == CT_OK ? CT_OK : CT_UNAVAILABLE;
}

#define REPLAY_MAX 4096 /* dead letters one run replays at most */

typedef struct replay_run {
    const char *event_id; /* NULL: all */
    char (*done)[224];    /* "event_id queue" of the ones replayed in this run */
    int ndone, replayed;
    uint64_t pub_tag;
} replay_run;

static int done_before(const replay_run *run, const char *key)
{
    for (int i = 0; i < run->ndone; i++)
        if (strcmp(run->done[i], key) == 0)
            return 1;
    return 0;
}

/* One pass over what c can get: replays the matching dead letters not replayed in this run
 * (one that died again meanwhile is left). Messages left stay unacknowledged on c, so the
 * pass ends when the queue has nothing more for c. */
static ct_status replay_pass(amqp_connection_state_t c, const char *queue, replay_run *run,
                             char *err, size_t len)
{
    ct_status rc = CT_OK;
    while (rc == CT_OK && run->ndone < REPLAY_MAX) {
        amqp_message_t m;
        uint64_t tag = 0;
        int got = next(c, queue, &m, &tag, err, len);
        if (got < 0)
            return CT_UNAVAILABLE;
        if (got == 0)
            break;
        dead d;
        describe(&m, &d);
        char key[224];
        snprintf(key, sizeof(key), "%s %s", d.event_id, d.queue);
        if ((run->event_id == NULL || strcmp(run->event_id, d.event_id) == 0) && d.queue[0] &&
            !done_before(run, key)) {
            rc = replay_one(c, &d, &m, tag, &run->pub_tag, err, len);
            if (!rc) {
                snprintf(run->done[run->ndone++], sizeof(run->done[0]), "%s", key);
                run->replayed++;
            }
        }
        amqp_destroy_message(&m);
    }
    return rc;
}

ct_status ct_broker_dead_replay(ct_broker *b, const char *event_id, int *replayed, char *err,
                                size_t errlen)
{
    const ct__broker_conf *cf = ct__broker_conf_of(b);
    amqp_connection_state_t c = NULL;
    replay_run run = {.event_id = event_id};
    *replayed = 0;
    run.done = ct_calloc(REPLAY_MAX, sizeof(run.done[0]));
    if (run.done == NULL)
        return CT_NOMEM;
    ct_status rc = open_dead(b, &c, err, errlen);
    if (rc)
        goto cleanup;
    amqp_confirm_select(c, 1);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "confirm.select", err, errlen);
        rc = CT_UNAVAILABLE;
        goto cleanup;
    }
    /* Messages another client just let go of (a listing) come back to the queue a moment
     * after its connection closed: a few passes, 200 ms apart, while the one asked for is not
     * found (two for all). */
    for (int pass = 0; rc == CT_OK && pass < (event_id != NULL ? 5 : 2); pass++) {
        if (pass > 0) {
            if (event_id != NULL && run.replayed > 0)
                break;
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        rc = replay_pass(c, cf->dead_queue, &run, err, errlen);
    }
    if (rc == CT_OK && event_id != NULL && run.replayed == 0) {
        snprintf(err, errlen, "no dead letter of event %s", event_id);
        rc = CT_NOT_FOUND;
    }
cleanup:
    *replayed = run.replayed;
    ct__broker_close(c);
    ct_free(run.done);
    return rc;
}
