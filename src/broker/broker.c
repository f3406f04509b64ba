/* broker.c: the RabbitMQ transport of the outbox (see broker.h) over librabbitmq.
 *
 * librabbitmq connections are not thread-safe, so each thread has its own: the publisher's
 * (used by the relay thread only, under pub_mu, channel 1 in confirm mode: delivery tags count
 * from 1 per connection, and a publish waits for the basic.ack of its tag) and one per
 * consumer thread (channel 1, basic.qos prefetch, basic.consume on its queue). Every new
 * connection declares what it uses (declarations are idempotent), so the first instance to
 * start creates the topology and a RabbitMQ that lost it gets it back. A connection that
 * fails in any way is dropped and made again on the next use; the consumer threads wait a
 * back-off between attempts, the publisher fails fast for RECONNECT_MS after a failure.
 *
 * Names with the default prefix: exchange contrail.events (topic), contrail.dead (fanout),
 * queues contrail.<subscriber> (quorum, single active consumer, x-delivery-limit,
 * dead-lettered at least once to contrail.dead) and contrail.dead-letters (quorum). Dead
 * letters are read and replayed by deadletters.c. */
#define _GNU_SOURCE
#include "broker/broker_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/log.h"
#include "base/trace.h"

#define RECONNECT_MS  500
#define MAX_CONSUMERS 64

/* One subscriber's queue and its thread. */
typedef struct consumer {
    ct_broker *b;
    char name[72], queue[160], key[80], pattern[64];
    ct_outbox_handler fn;
    void *ctx;
    pthread_t thread;
    int running;
    int every; /* every instance (ct_broker_every_instance): a queue of this connection */
    int ready; /* atomic: the queue and its binding exist */
    int fails; /* every instance: failed handlings of last_id in a row */
    char last_id[64];
} consumer;

struct ct_broker {
    ct__broker_conf conf;
    pthread_mutex_t pub_mu;
    amqp_connection_state_t pub; /* NULL: not connected */
    uint64_t pub_tag;            /* last delivery tag sent on pub */
    int64_t pub_failed_at;       /* monotonic ms of the last failure, 0 none */
    consumer cons[MAX_CONSUMERS];
    int ncons;
    pthread_mutex_t mu; /* stop and the back-off waits */
    pthread_cond_t cv;
    int stop;
    int state; /* atomic: 0 idle, 1 up, 2 down */
    unsigned long published, publish_failures, consumed, handler_failures, reconnects; /* atomic */
    pthread_mutex_t dead_mu; /* the dead letters' depth for /metrics, read at most every 5 s */
    int64_t dead_at;         /* monotonic ms of the last reading, 0 none */
    long dead_n;             /* -1: unknown */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(unsigned long *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void set_state(ct_broker *b, int st)
{
    __atomic_store_n(&b->state, st, __ATOMIC_RELAXED);
}

/* ---- connections ---- */

const ct__broker_conf *ct__broker_conf_of(const ct_broker *b)
{
    return &b->conf;
}

/* The reason a reply failed, in err. */
void ct__broker_reply_error(amqp_rpc_reply_t r, const char *what, char *err, size_t len)
{
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        snprintf(err, len, "%s: %s", what, amqp_error_string2(r.library_error));
    } else if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
               r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *m = r.reply.decoded;
        snprintf(err, len, "%s: connection closed by RabbitMQ (%u %.*s)", what, m->reply_code,
                 (int)m->reply_text.len, (const char *)m->reply_text.bytes);
    } else if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
               r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *m = r.reply.decoded;
        snprintf(err, len, "%s: channel closed by RabbitMQ (%u %.*s)", what, m->reply_code,
                 (int)m->reply_text.len, (const char *)m->reply_text.bytes);
    } else if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        snprintf(err, len, "%s: failed", what);
    }
}

void ct__broker_close(amqp_connection_state_t c)
{
    if (c == NULL)
        return;
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

ct_status ct__broker_connect(const ct_broker *b, amqp_connection_state_t *out, char *err,
                             size_t len)
{
    const ct__broker_conf *cf = &b->conf;
    *out = NULL;
    amqp_connection_state_t c = amqp_new_connection();
    if (c == NULL)
        return CT_NOMEM;
    amqp_socket_t *sock = amqp_tcp_socket_new(c);
    struct timeval tv = {2, 0};
    int st = sock ? amqp_socket_open_noblock(sock, cf->info.host, cf->info.port, &tv)
                  : AMQP_STATUS_NO_MEMORY;
    if (st != AMQP_STATUS_OK) {
        snprintf(err, len, "connect %s:%d: %s", cf->info.host, cf->info.port,
                 amqp_error_string2(st));
        amqp_destroy_connection(c);
        return CT_UNAVAILABLE;
    }
    struct timeval rpc = {5, 0};
    amqp_set_rpc_timeout(c, &rpc);
    amqp_rpc_reply_t r = amqp_login(c, cf->info.vhost, 0, 131072, CT__BROKER_HEARTBEAT_S,
                                    AMQP_SASL_METHOD_PLAIN, cf->info.user, cf->info.password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "login", err, len);
        amqp_destroy_connection(c);
        return CT_UNAVAILABLE;
    }
    amqp_channel_open(c, 1);
    r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "channel", err, len);
        ct__broker_close(c);
        return CT_UNAVAILABLE;
    }
    *out = c;
    return CT_OK;
}

static amqp_table_entry_t entry_str(const char *k, const char *v)
{
    amqp_table_entry_t e = {.key = amqp_cstring_bytes(k)};
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = amqp_cstring_bytes(v);
    return e;
}

/* The exchanges and the dead-letter queue on channel 1. */
ct_status ct__broker_declare_base(const ct_broker *b, amqp_connection_state_t c, char *err,
                                  size_t len)
{
    const ct__broker_conf *cf = &b->conf;
    amqp_exchange_declare(c, 1, amqp_cstring_bytes(cf->exchange), amqp_cstring_bytes("topic"), 0, 1,
                          0, 0, amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_exchange_declare(c, 1, amqp_cstring_bytes(cf->dead_exchange),
                              amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_table_entry_t e[] = {entry_str("x-queue-type", "quorum")};
        amqp_table_t args = {1, e};
        amqp_queue_declare(c, 1, amqp_cstring_bytes(cf->dead_queue), 0, 1, 0, 0, args);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_queue_bind(c, 1, amqp_cstring_bytes(cf->dead_queue),
                        amqp_cstring_bytes(cf->dead_exchange), amqp_cstring_bytes(""),
                        amqp_empty_table);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, "declare", err, len);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

/* A subscriber's queue, bound to the events exchange with its key. */
/* Every instance: a server-named queue of this connection only (exclusive: RabbitMQ deletes it
 * when the connection goes), bound like a durable one; its name into k->queue. */
static ct_status declare_own_queue(const ct_broker *b, amqp_connection_state_t c, consumer *k,
                                   char *err, size_t len)
{
    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(c, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL && ok != NULL) {
        snprintf(k->queue, sizeof(k->queue), "%.*s", (int)ok->queue.len, (char *)ok->queue.bytes);
        amqp_queue_bind(c, 1, amqp_cstring_bytes(k->queue), amqp_cstring_bytes(b->conf.exchange),
                        amqp_cstring_bytes(k->key), amqp_empty_table);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, k->name, err, len);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

static ct_status declare_queue(const ct_broker *b, amqp_connection_state_t c, consumer *k,
                               char *err, size_t len)
{
    const ct__broker_conf *cf = &b->conf;
    if (k->every)
        return declare_own_queue(b, c, k, err, len);
    amqp_table_entry_t e[6] = {
        entry_str("x-queue-type", "quorum"),
        entry_str("x-dead-letter-exchange", cf->dead_exchange),
        entry_str("x-dead-letter-strategy", "at-least-once"),
        entry_str("x-overflow", "reject-publish"),
    };
    e[4].key = amqp_cstring_bytes("x-single-active-consumer");
    e[4].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    e[4].value.value.boolean = 1;
    e[5].key = amqp_cstring_bytes("x-delivery-limit");
    e[5].value.kind = AMQP_FIELD_KIND_I64;
    e[5].value.value.i64 = cf->delivery_limit - 1; /* RabbitMQ counts the redeliveries */
    amqp_table_t args = {6, e};
    amqp_queue_declare(c, 1, amqp_cstring_bytes(k->queue), 0, 1, 0, 0, args);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_queue_bind(c, 1, amqp_cstring_bytes(k->queue), amqp_cstring_bytes(cf->exchange),
                        amqp_cstring_bytes(k->key), amqp_empty_table);
        r = amqp_get_rpc_reply(c);
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        ct__broker_reply_error(r, k->queue, err, len);
        return CT_UNAVAILABLE;
    }
    return CT_OK;
}

/* ---- the broker ---- */

ct_status ct_broker_new(const ct_broker_config *cfg, ct_broker **out)
{
    *out = NULL;
    if (cfg == NULL || cfg->url == NULL || strncmp(cfg->url, "amqp://", 7) != 0)
        return CT_INVALID;
    ct_broker *b = ct_calloc(1, sizeof(*b));
    if (b == NULL)
        return CT_NOMEM;
    ct__broker_conf *cf = &b->conf;
    snprintf(cf->url, sizeof(cf->url), "%s", cfg->url);
    if (strlen(cfg->url) >= sizeof(cf->url) || amqp_parse_url(cf->url, &cf->info) != 0) {
        ct_free(b);
        return CT_INVALID;
    }
    if (cf->info.vhost == NULL || cf->info.vhost[0] == '\0')
        cf->info.vhost = "/"; /* "amqp://host/" means the default vhost, as clients take it */
    const char *prefix = cfg->prefix ? cfg->prefix : "contrail";
    snprintf(cf->prefix, sizeof(cf->prefix), "%s", prefix);
    snprintf(cf->exchange, sizeof(cf->exchange), "%s.events", prefix);
    snprintf(cf->dead_exchange, sizeof(cf->dead_exchange), "%s.dead", prefix);
    snprintf(cf->dead_queue, sizeof(cf->dead_queue), "%s.dead-letters", prefix);
    cf->delivery_limit = cfg->delivery_limit > 0 ? cfg->delivery_limit : 10;
    if (cf->delivery_limit < 2)
        cf->delivery_limit = 2;
    cf->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 200;
    cf->retry_max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : 10000;
    cf->prefetch = cfg->prefetch > 0 ? cfg->prefetch : 16;
    cf->confirm_timeout_ms = cfg->confirm_timeout_ms > 0 ? cfg->confirm_timeout_ms : 5000;
    pthread_mutex_init(&b->pub_mu, NULL);
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->dead_mu, NULL);
    b->dead_n = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = b;
    return CT_OK;
}

static void stop_consumers(void *ctx)
{
    ct_broker *b = ctx;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    for (int i = 0; i < b->ncons; i++) {
        if (b->cons[i].running)
            pthread_join(b->cons[i].thread, NULL);
        b->cons[i].running = 0;
    }
}

void ct_broker_free(ct_broker *b)
{
    if (b == NULL)
        return;
    stop_consumers(b);
    ct__broker_close(b->pub);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->pub_mu);
    pthread_mutex_destroy(&b->dead_mu);
    ct_free(b);
}

ct_status ct_broker_check(ct_broker *b, char *err, size_t errlen)
{
    amqp_connection_state_t c = NULL;
    ct_status rc = ct__broker_connect(b, &c, err, errlen);
    if (!rc)
        rc = ct__broker_declare_base(b, c, err, errlen);
    ct__broker_close(c);
    return rc;
}

const char *ct_broker_state(ct_broker *b)
{
    switch (__atomic_load_n(&b->state, __ATOMIC_RELAXED)) {
    case 1:
        return "up";
    case 2:
        return "down";
    default:
        return "idle";
    }
}

/* The dead letters' depth, read again when 5 s old and RabbitMQ is not known to be down. */
static long dead_depth(ct_broker *b)
{
    pthread_mutex_lock(&b->dead_mu);
    int64_t now = mono_ms();
    if ((b->dead_at == 0 || now - b->dead_at >= 5000) &&
        __atomic_load_n(&b->state, __ATOMIC_RELAXED) != 2) {
        uint32_t n = 0;
        b->dead_n = ct__broker_dead_depth(b, &n) == CT_OK ? (long)n : -1;
        b->dead_at = now;
    }
    long v = b->dead_n;
    pthread_mutex_unlock(&b->dead_mu);
    return v;
}

size_t ct_broker_metrics(ct_broker *b, char *out, size_t cap)
{
    long dead = dead_depth(b);
    char dead_line[96] = "";
    if (dead >= 0)
        snprintf(dead_line, sizeof(dead_line),
                 "# TYPE contrail_amqp_dead_letters gauge\ncontrail_amqp_dead_letters %ld\n", dead);
    int n = snprintf(out, cap,
                     "# TYPE contrail_amqp_published_total counter\n"
                     "contrail_amqp_published_total %lu\n"
                     "# TYPE contrail_amqp_publish_failures_total counter\n"
                     "contrail_amqp_publish_failures_total %lu\n"
                     "# TYPE contrail_amqp_consumed_total counter\n"
                     "contrail_amqp_consumed_total %lu\n"
                     "# TYPE contrail_amqp_handler_failures_total counter\n"
                     "contrail_amqp_handler_failures_total %lu\n"
                     "# TYPE contrail_amqp_reconnects_total counter\n"
                     "contrail_amqp_reconnects_total %lu\n"
                     "# TYPE contrail_amqp_up gauge\n"
                     "contrail_amqp_up %d\n%s",
                     __atomic_load_n(&b->published, __ATOMIC_RELAXED),
                     __atomic_load_n(&b->publish_failures, __ATOMIC_RELAXED),
                     __atomic_load_n(&b->consumed, __ATOMIC_RELAXED),
                     __atomic_load_n(&b->handler_failures, __ATOMIC_RELAXED),
                     __atomic_load_n(&b->reconnects, __ATOMIC_RELAXED),
                     __atomic_load_n(&b->state, __ATOMIC_RELAXED) == 1, dead_line);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : (cap > 0 ? cap - 1 : 0);
}

/* ---- publishing (the relay thread) ---- */

/* Topic match as in events/outbox.h: "*", "prefix.*" or exact. */
static int matches(const char *pattern, const char *type)
{
    size_t n = strlen(pattern);
    if (strcmp(pattern, "*") == 0)
        return 1;
    if (n >= 2 && pattern[n - 2] == '.' && pattern[n - 1] == '*')
        return strncmp(pattern, type, n - 1) == 0;
    return strcmp(pattern, type) == 0;
}

/* 1 when a consumer of this process subscribes to `type`. */
static int wanted_here(const ct_broker *b, const char *type)
{
    for (int i = 0; i < b->ncons; i++)
        if (matches(b->cons[i].pattern, type))
            return 1;
    return 0;
}

/* The publisher's connection in confirm mode; pub_mu held. */
static ct_status pub_connect(ct_broker *b)
{
    char err[256] = "";
    if (b->pub != NULL)
        return CT_OK;
    if (b->pub_failed_at != 0 && mono_ms() - b->pub_failed_at < RECONNECT_MS)
        return CT_UNAVAILABLE;
    amqp_connection_state_t c = NULL;
    ct_status rc = ct__broker_connect(b, &c, err, sizeof(err));
    if (!rc)
        rc = ct__broker_declare_base(b, c, err, sizeof(err));
    if (!rc) {
        amqp_confirm_select(c, 1);
        amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            ct__broker_reply_error(r, "confirm.select", err, sizeof(err));
            rc = CT_UNAVAILABLE;
        }
    }
    if (rc) {
        ct__broker_close(c);
        b->pub_failed_at = mono_ms();
        set_state(b, 2);
        ct_log(CT_LOG_WARN, "amqp.publisher_down", "error", err, NULL);
        return rc;
    }
    if (b->pub_failed_at != 0)
        count(&b->reconnects);
    b->pub = c;
    b->pub_tag = 0;
    b->pub_failed_at = 0;
    set_state(b, 1);
    return CT_OK;
}

/* Waits for the broker's ack of `tag` on c: CT_OK, CT_CONFLICT (nack), CT_UNAVAILABLE. */
ct_status ct__broker_wait_confirm(amqp_connection_state_t c, uint64_t tag, int timeout_ms,
                                  int *returned)
{
    if (returned != NULL)
        *returned = 0;
    int64_t until = mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = until - mono_ms();
        if (left <= 0)
            return CT_UNAVAILABLE;
        struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
        amqp_frame_t f;
        int st = amqp_simple_wait_frame_noblock(c, &f, &tv);
        if (st != AMQP_STATUS_OK)
            return CT_UNAVAILABLE;
        if (f.frame_type != AMQP_FRAME_METHOD || f.channel != 1)
            continue;
        if (f.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
            if (returned != NULL) /* unroutable; its ack follows */
                *returned = 1;
        } else if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = f.payload.method.decoded;
            if (a->delivery_tag == tag || (a->multiple && a->delivery_tag >= tag))
                return CT_OK;
        } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            amqp_basic_nack_t *a = f.payload.method.decoded;
            if (a->delivery_tag == tag || (a->multiple && a->delivery_tag >= tag))
                return CT_CONFLICT;
        } else if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                   f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
            return CT_UNAVAILABLE;
        }
    }
}

ct_status ct__broker_send(amqp_connection_state_t c, const char *exchange, const char *key,
                          int mandatory, const char *event_id, const char *type,
                          const char *traceparent, amqp_bytes_t body)
{
    amqp_basic_properties_t p;
    memset(&p, 0, sizeof(p));
    p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
               AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
    p.content_type = amqp_cstring_bytes("application/json");
    p.delivery_mode = 2; /* persistent */
    p.message_id = amqp_cstring_bytes(event_id);
    p.type = amqp_cstring_bytes(type);
    p.timestamp = (uint64_t)time(NULL);
    amqp_table_entry_t h[1];
    if (traceparent != NULL && traceparent[0]) {
        h[0] = entry_str("traceparent", traceparent);
        p._flags |= AMQP_BASIC_HEADERS_FLAG;
        p.headers.num_entries = 1;
        p.headers.entries = h;
    }
    int st = amqp_basic_publish(c, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
                                mandatory, 0, &p, body);
    return st == AMQP_STATUS_OK ? CT_OK : CT_UNAVAILABLE;
}

/* One published message of a batch while its confirm is awaited. */
typedef struct pending {
    const char *id, *type;
    int state; /* 0 waiting, 1 acked, 2 nacked */
    int returned;
} pending;

/* Resolves the confirms of tags base+1 .. base+n on c (and marks returned messages by their
 * message id, read from the content header after basic.return). 0 when every one was
 * resolved, -1 when the connection failed or timed out first. */
static int wait_confirms(amqp_connection_state_t c, uint64_t base, pending *m, int n,
                         int timeout_ms)
{
    int64_t until = mono_ms() + timeout_ms;
    int open = n, after_return = 0;
    while (open > 0) {
        int64_t left = until - mono_ms();
        if (left <= 0)
            return -1;
        struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
        amqp_frame_t f;
        if (amqp_simple_wait_frame_noblock(c, &f, &tv) != AMQP_STATUS_OK)
            return -1;
        if (f.channel != 1)
            continue;
        if (f.frame_type == AMQP_FRAME_HEADER && after_return) {
            const amqp_basic_properties_t *p = f.payload.properties.decoded;
            after_return = 0;
            for (int i = 0; p != NULL && (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && i < n; i++)
                if (strlen(m[i].id) == p->message_id.len &&
                    memcmp(m[i].id, p->message_id.bytes, p->message_id.len) == 0)
                    m[i].returned = 1;
            continue;
        }
        if (f.frame_type != AMQP_FRAME_METHOD)
            continue;
        amqp_method_number_t id = f.payload.method.id;
        if (id == AMQP_BASIC_RETURN_METHOD) {
            after_return = 1;
        } else if (id == AMQP_BASIC_ACK_METHOD || id == AMQP_BASIC_NACK_METHOD) {
            uint64_t tag;
            int multiple;
            if (id == AMQP_BASIC_ACK_METHOD) {
                const amqp_basic_ack_t *a = f.payload.method.decoded;
                tag = a->delivery_tag;
                multiple = a->multiple;
            } else {
                const amqp_basic_nack_t *a = f.payload.method.decoded;
                tag = a->delivery_tag;
                multiple = a->multiple;
            }
            for (int i = 0; i < n; i++) {
                uint64_t t = base + 1 + (uint64_t)i;
                if (m[i].state == 0 && (t == tag || (multiple && t <= tag))) {
                    m[i].state = id == AMQP_BASIC_ACK_METHOD ? 1 : 2;
                    open--;
                }
            }
        } else if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
            return -1;
        }
    }
    return 0;
}

/* Sends the batch on the publisher's connection (pub_mu held, connected); how many went. */
static int send_batch(ct_broker *b, const json_t *const *events, const char *const *tps, int n,
                      pending *m)
{
    int sent = 0;
    for (; sent < n; sent++) {
        char *text = NULL;
        if (ct_json_dumps(events[sent], JSON_COMPACT, &text) != CT_OK)
            break;
        amqp_bytes_t body = {strlen(text), text};
        ct_status rc = ct__broker_send(b->pub, b->conf.exchange, m[sent].type, 1, m[sent].id,
                                       m[sent].type, tps[sent], body);
        ct_free(text);
        if (rc)
            break;
    }
    return sent;
}

static void drop_publisher(ct_broker *b)
{
    ct__broker_close(b->pub);
    b->pub = NULL;
    b->pub_failed_at = mono_ms();
    set_state(b, 2);
}

/* outbox.h's publish_batch: every event sent, then their confirms awaited together. */
static void publish_batch(void *ctx, const json_t *const *events, const char *const *tps, int n,
                          ct_status *results)
{
    ct_broker *b = ctx;
    pending m[CT_OUTBOX_BATCH_MAX];
    int ok = 0;
    if (n > CT_OUTBOX_BATCH_MAX)
        n = CT_OUTBOX_BATCH_MAX;
    for (int i = 0; i < n; i++) {
        m[i] = (pending){.id = json_string_value(json_object_get(events[i], "id")),
                         .type = json_string_value(json_object_get(events[i], "type"))};
        results[i] = m[i].id && m[i].type ? CT_UNAVAILABLE : CT_INVALID;
        ok += results[i] == CT_UNAVAILABLE;
    }
    pthread_mutex_lock(&b->pub_mu);
    if (ok == n && pub_connect(b) == CT_OK) {
        uint64_t base = b->pub_tag;
        int sent = send_batch(b, events, tps, n, m);
        b->pub_tag += (uint64_t)sent;
        int lost = sent < n || wait_confirms(b->pub, base, m, sent, b->conf.confirm_timeout_ms);
        for (int i = 0; i < sent; i++) {
            if (m[i].state == 1 && m[i].returned && wanted_here(b, m[i].type)) {
                /* No queue took it although a subscriber here wants it: its queue is not
                 * declared yet (RabbitMQ was away when the consumer started). Again later. */
                ct_log(CT_LOG_WARN, "amqp.unroutable", "event_id", m[i].id, "type", m[i].type,
                       NULL);
                results[i] = CT_AGAIN;
            } else if (m[i].state == 1) {
                results[i] = CT_OK;
            } else if (m[i].state == 2) {
                results[i] = CT_CONFLICT;
            }
        }
        if (lost) { /* the channel's state is unknown: start again */
            ct_log(CT_LOG_WARN, "amqp.publish_failed", "error",
                   sent < n ? "send failed" : "no confirm", NULL);
            drop_publisher(b);
        }
    }
    pthread_mutex_unlock(&b->pub_mu);
    for (int i = 0; i < n; i++)
        count(results[i] == CT_OK ? &b->published : &b->publish_failures);
}

/* outbox.h's publish: a batch of one, in the relay's delivery span (consumers its children). */
static ct_status publish(void *ctx, const json_t *event)
{
    char tp[CT_TRACEPARENT_LEN + 1] = "";
    if (ct_trace_current() != NULL)
        ct_trace_format(ct_trace_current(), tp, sizeof(tp));
    const char *tps[1] = {tp[0] ? tp : NULL};
    ct_status rc = CT_ERR;
    publish_batch(ctx, &event, tps, 1, &rc);
    return rc;
}

/* ---- consuming (one thread per subscriber) ---- */

static int stopping(ct_broker *b)
{
    pthread_mutex_lock(&b->mu);
    int s = b->stop;
    pthread_mutex_unlock(&b->mu);
    return s;
}

/* Sleeps ms unless stopped first; 1 when stopped. */
static int wait_ms(ct_broker *b, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->mu);
    while (!b->stop)
        if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != 0)
            break;
    int s = b->stop;
    pthread_mutex_unlock(&b->mu);
    return s;
}

static int64_t backoff_ms(const ct_broker *b, int64_t attempt)
{
    int64_t d = b->conf.retry_base_ms;
    for (int64_t i = 1; i < attempt && d < b->conf.retry_max_ms; i++)
        d *= 2;
    return d < b->conf.retry_max_ms ? d : b->conf.retry_max_ms;
}

const amqp_field_value_t *ct__broker_header(const amqp_basic_properties_t *p, const char *key)
{
    if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
        return NULL;
    size_t n = strlen(key);
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len == n && memcmp(e->key.bytes, key, n) == 0)
            return &e->value;
    }
    return NULL;
}

int64_t ct__broker_int(const amqp_field_value_t *v)
{
    if (v == NULL)
        return 0;
    switch (v->kind) {
    case AMQP_FIELD_KIND_I8:
        return v->value.i8;
    case AMQP_FIELD_KIND_U8:
        return v->value.u8;
    case AMQP_FIELD_KIND_I16:
        return v->value.i16;
    case AMQP_FIELD_KIND_U16:
        return v->value.u16;
    case AMQP_FIELD_KIND_I32:
        return v->value.i32;
    case AMQP_FIELD_KIND_U32:
        return v->value.u32;
    case AMQP_FIELD_KIND_I64:
        return v->value.i64;
    case AMQP_FIELD_KIND_U64:
        return (int64_t)v->value.u64;
    default:
        return 0;
    }
}

/* A string header as a NUL-terminated copy into out ("" when missing or not a string). */
void ct__broker_str(const amqp_field_value_t *v, char *out, size_t len)
{
    out[0] = '\0';
    if (v == NULL || (v->kind != AMQP_FIELD_KIND_UTF8 && v->kind != AMQP_FIELD_KIND_BYTES))
        return;
    snprintf(out, len, "%.*s", (int)v->value.bytes.len, (const char *)v->value.bytes.bytes);
}

/* Runs the handler for one delivery and acknowledges, returns or rejects it. CT_OK, or
 * CT_UNAVAILABLE when the connection must be made again. */
static ct_status handle(consumer *k, amqp_connection_state_t c, amqp_envelope_t *env)
{
    ct_broker *b = k->b;
    json_t *event = NULL;
    amqp_bytes_t body = env->message.body;
    if (ct_json_loadb(body.bytes, body.len, 0, &event, NULL) != CT_OK || !json_is_object(event) ||
        !json_is_string(json_object_get(event, "id"))) {
        json_decref(event);
        ct_log(CT_LOG_ERROR, "amqp.bad_message", "queue", k->queue, NULL);
        return amqp_basic_reject(c, 1, env->delivery_tag, 0) == AMQP_STATUS_OK ? CT_OK
                                                                               : CT_UNAVAILABLE;
    }
    char tp[128];
    ct__broker_str(ct__broker_header(&env->message.properties, "traceparent"), tp, sizeof(tp));
    int64_t deliveries =
        ct__broker_int(ct__broker_header(&env->message.properties, "x-delivery-count")) + 1;
    ct_trace span;
    int traced = tp[0] && ct_trace_parse(tp, &span);
    if (traced) {
        ct_trace_start(&span, tp);
        ct_trace_set_current(&span);
    }
    ct_status hrc = k->fn(event, k->ctx);
    if (traced)
        ct_trace_set_current(NULL);
    int st;
    if (hrc != CT_OK && k->every) {
        const char *id = json_string_value(json_object_get(event, "id"));
        k->fails = strcmp(k->last_id, id) == 0 ? k->fails + 1 : 1;
        snprintf(k->last_id, sizeof(k->last_id), "%s", id);
        if (k->fails >= b->conf.delivery_limit) { /* no dead letters here: given up, said */
            ct_log(CT_LOG_ERROR, "amqp.every_instance_dropped", "consumer", k->name, "event_id", id,
                   "status", ct_status_name(hrc), NULL);
            hrc = CT_OK;
        }
    }
    if (hrc == CT_OK) {
        count(&b->consumed);
        st = amqp_basic_ack(c, 1, env->delivery_tag, 0);
    } else {
        count(&b->handler_failures);
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)deliveries);
        ct_log(CT_LOG_WARN, "amqp.handler_failed", "queue", k->queue, "event_id",
               json_string_value(json_object_get(event, "id")), "status", ct_status_name(hrc),
               "deliveries", n, NULL);
        if (wait_ms(b, backoff_ms(b, deliveries))) {
            json_decref(event);
            return CT_UNAVAILABLE; /* stopping: closing the connection returns it */
        }
        st = amqp_basic_nack(c, 1, env->delivery_tag, 0, 1);
    }
    json_decref(event);
    return st == AMQP_STATUS_OK ? CT_OK : CT_UNAVAILABLE;
}

static ct_status consumer_connect(consumer *k, amqp_connection_state_t *out, char *err, size_t len)
{
    ct_broker *b = k->b;
    amqp_connection_state_t c = NULL;
    ct_status rc = ct__broker_connect(b, &c, err, len);
    if (!rc)
        rc = ct__broker_declare_base(b, c, err, len);
    if (!rc)
        rc = declare_queue(b, c, k, err, len);
    if (!rc) {
        amqp_basic_qos(c, 1, 0, (uint16_t)b->conf.prefetch, 0);
        amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
            amqp_basic_consume(c, 1, amqp_cstring_bytes(k->queue), amqp_empty_bytes, 0, 0, 0,
                               amqp_empty_table);
            r = amqp_get_rpc_reply(c);
        }
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            ct__broker_reply_error(r, "consume", err, len);
            rc = CT_UNAVAILABLE;
        }
    }
    if (rc) {
        ct__broker_close(c);
        return rc;
    }
    *out = c;
    return CT_OK;
}

/* One turn of the consume loop on c: CT_OK to go on, CT_UNAVAILABLE to reconnect. */
static ct_status consume_one(consumer *k, amqp_connection_state_t c)
{
    amqp_envelope_t env;
    struct timeval tv = {0, 200000};
    amqp_maybe_release_buffers(c);
    amqp_rpc_reply_t r = amqp_consume_message(c, &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        ct_status rc = handle(k, c, &env);
        amqp_destroy_envelope(&env);
        return rc;
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
        return CT_OK;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        /* A method instead of a delivery: a confirm or consumer-cancel or a close. */
        amqp_frame_t f;
        if (amqp_simple_wait_frame_noblock(c, &f, &tv) != AMQP_STATUS_OK)
            return CT_OK;
        if (f.frame_type == AMQP_FRAME_METHOD &&
            (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
             f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
             f.payload.method.id == AMQP_BASIC_CANCEL_METHOD))
            return CT_UNAVAILABLE;
        return CT_OK;
    }
    char err[256] = "";
    ct__broker_reply_error(r, "consume", err, sizeof(err));
    ct_log(CT_LOG_WARN, "amqp.consumer_lost", "queue", k->queue, "error", err, NULL);
    return CT_UNAVAILABLE;
}

static void *consumer_main(void *arg)
{
    consumer *k = arg;
    ct_broker *b = k->b;
    amqp_connection_state_t c = NULL;
    int64_t failures = 0;
    while (!stopping(b)) {
        if (c == NULL) {
            char err[256] = "";
            if (consumer_connect(k, &c, err, sizeof(err)) != CT_OK) {
                if (failures++ == 0)
                    ct_log(CT_LOG_WARN, "amqp.consumer_down", "queue", k->queue, "error", err,
                           NULL);
                set_state(b, 2);
                wait_ms(b, backoff_ms(b, failures < 5 ? failures : 5));
                continue;
            }
            if (failures > 0) {
                count(&b->reconnects);
                ct_log(CT_LOG_INFO, "amqp.consumer_up", "queue", k->queue, NULL);
            }
            failures = 0;
            set_state(b, 1);
            __atomic_store_n(&k->ready, 1, __ATOMIC_RELEASE);
        }
        if (consume_one(k, c) != CT_OK) {
            ct__broker_close(c);
            c = NULL;
            failures = 1;
        }
    }
    ct__broker_close(c); /* unacknowledged deliveries go back to the queue */
    return NULL;
}

/* "*" -> "#", "a.*" -> "a.#", exact names as they are (outbox.h's patterns). */
static void binding_key(const char *pattern, char *out, size_t len)
{
    size_t n = strlen(pattern);
    if (strcmp(pattern, "*") == 0)
        snprintf(out, len, "#");
    else if (n >= 2 && pattern[n - 2] == '.' && pattern[n - 1] == '*')
        snprintf(out, len, "%.*s.#", (int)(n - 2), pattern);
    else
        snprintf(out, len, "%s", pattern);
}

static ct_status consume(void *ctx, const char *name, const char *pattern, ct_outbox_handler fn,
                         void *fn_ctx)
{
    ct_broker *b = ctx;
    if (b->ncons >= MAX_CONSUMERS)
        return CT_TOO_LARGE;
    if (strlen(name) >= 64 || strlen(pattern) >= 64)
        return CT_INVALID;
    consumer *k = &b->cons[b->ncons];
    memset(k, 0, sizeof(*k));
    k->b = b;
    k->fn = fn;
    k->ctx = fn_ctx;
    snprintf(k->name, sizeof(k->name), "%s", name);
    snprintf(k->queue, sizeof(k->queue), "%s.%s", b->conf.prefix, name);
    snprintf(k->pattern, sizeof(k->pattern), "%s", pattern);
    binding_key(pattern, k->key, sizeof(k->key));
    /* Queue and binding before the relay publishes anything (else the first events would be
     * routed nowhere); when RabbitMQ is away the thread declares them once it is back. */
    amqp_connection_state_t c = NULL;
    char err[256] = "";
    if (ct__broker_connect(b, &c, err, sizeof(err)) == CT_OK &&
        ct__broker_declare_base(b, c, err, sizeof(err)) == CT_OK &&
        declare_queue(b, c, k, err, sizeof(err)) == CT_OK)
        set_state(b, 1);
    else
        ct_log(CT_LOG_WARN, "amqp.declare_later", "queue", k->queue, "error", err, NULL);
    ct__broker_close(c);
    if (pthread_create(&k->thread, NULL, consumer_main, k) != 0)
        return CT_ERR;
    k->running = 1;
    b->ncons++;
    return CT_OK;
}

ct_status ct_broker_every_instance(ct_broker *b, const char *name, const char *pattern,
                                   ct_outbox_handler fn, void *fn_ctx)
{
    if (b->ncons >= MAX_CONSUMERS)
        return CT_TOO_LARGE;
    if (name == NULL || pattern == NULL || fn == NULL || strlen(name) >= 64 ||
        strlen(pattern) >= 64)
        return CT_INVALID;
    consumer *k = &b->cons[b->ncons];
    memset(k, 0, sizeof(*k));
    k->b = b;
    k->fn = fn;
    k->ctx = fn_ctx;
    k->every = 1;
    snprintf(k->name, sizeof(k->name), "%s", name);
    snprintf(k->queue, sizeof(k->queue), "%s (every instance)", name);
    snprintf(k->pattern, sizeof(k->pattern), "%s", pattern);
    binding_key(pattern, k->key, sizeof(k->key));
    if (pthread_create(&k->thread, NULL, consumer_main, k) != 0)
        return CT_ERR;
    k->running = 1;
    b->ncons++;
    /* Events are routed to the queue only once it is bound: wait a little for that (the
     * thread goes on trying when RabbitMQ is away). */
    for (int i = 0; i < 200 && !__atomic_load_n(&k->ready, __ATOMIC_ACQUIRE) && !stopping(b); i++)
        wait_ms(b, 10);
    return CT_OK;
}

ct_outbox_transport ct_broker_transport(ct_broker *b)
{
    return (ct_outbox_transport){.ctx = b,
                                 .publish = publish,
                                 .publish_batch = publish_batch,
                                 .consume = consume,
                                 .stop = stop_consumers};
}
