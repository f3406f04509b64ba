/* test_webhooks.c: webhooks (src/webhooks/) on every engine (SQLite, PostgreSQL), with the
 * real outbox relay and a real receiver over loopback (tests/support/receiver.h: libmicrohttpd),
 * every signature checked with OpenSSL's HMAC and base64 (not the product's libsodium).
 *
 *   - fan-out: an order.confirmed event of a user's order reaches exactly that user's enabled
 *     endpoints subscribed to it (not another user's, not one subscribed to trip.* only, not
 *     a guest's order), a trip.* event reaches the trip.* endpoint (owner from payload.user_id),
 *     non-sendable types reach nobody; the body is {"type","timestamp","data"}; webhook-id is
 *     msg_ + the event's hex id; the signature verifies;
 *   - retries: a receiver answering 500 four times gets five attempts with one webhook-id, each
 *     gap at least the (scaled) schedule's delay, then success; the log holds 500 x4 and 200;
 *     Retry-After is honoured; a schedule exhausted disables the endpoint, and so does a failure
 *     5 (scaled) days after the last success;
 *   - 410 disables the endpoint at once; a disabled endpoint gets no new deliveries and its
 *     pending ones wait; enable resumes them;
 *   - rotation: during the overlap webhook-signature carries two signatures, one per secret;
 *   - replay: the same webhook-id and body again;
 *   - two services (as two serve processes) with several workers each on one database send
 *     every message exactly once;
 *   - the URL rules (SSRF) and the API operations' field errors and scoping. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events/outbox.h"
#include "receiver.h"
#include "testsupport.h"
#include "webhooks/webhooks.h"

typedef struct env {
    ct_store_pool *pool;
    ct_outbox *outbox;
    ct_webhooks *wh;
    ct_store *st; /* the test's own connection */
} env;

static char dir[256];
static char urls[2][512];
static int nurls;
static rc_receiver *rcv;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A relay and a webhooks service on `url` (already migrated by the caller's ts_open_migrated). */
static void env_open(env *e, const char *url, double scale, int workers)
{
    memset(e, 0, sizeof(*e));
    char err[256];
    assert_int_equal(ct_store_pool_open(url, 4 + workers, &e->pool, err, sizeof(err)), CT_OK);
    assert_int_equal(ct_outbox_new(e->pool, NULL, 20, &e->outbox), CT_OK);
    ct_webhooks_config cfg = {.retry_scale = scale,
                              .allow_loopback = 1,
                              .timeout_ms = 3000,
                              .workers = workers,
                              .poll_ms = 10,
                              .batch = 4};
    assert_int_equal(ct_webhooks_new(e->pool, &cfg, &e->wh), CT_OK);
    assert_int_equal(ct_webhooks_subscribe(e->wh, e->outbox), CT_OK);
    assert_int_equal(ct_outbox_start(e->outbox), CT_OK);
    assert_int_equal(ct_webhooks_start(e->wh), CT_OK);
    assert_int_equal(ct_store_open(url, &e->st, err, sizeof(err)), CT_OK);
}

static void env_close(env *e)
{
    ct_outbox_stop(e->outbox);
    ct_webhooks_free(e->wh);
    ct_store_close(e->st);
    ct_store_pool_close(e->pool);
}

/* A fresh, migrated database of engine i. */
static const char *fresh_db(int i)
{
    char tmp[2][512];
    int n = ts_store_urls(dir, tmp, 2);
    assert_true(i < n);
    snprintf(urls[i], sizeof(urls[i]), "%s", tmp[i]);
    if (i == 0) { /* a new SQLite file per test */
        static int seq;
        snprintf(urls[0], sizeof(urls[0]), "sqlite:%s/wh-%d.db", dir, seq++);
    }
    ct_store_close(ts_open_migrated(urls[i]));
    return urls[i];
}

/* An endpoint of user on the receiver's `path` for `types` (JSON array text or NULL); its id
 * and secret into id/secret. */
static void make_endpoint(env *e, const char *user, const char *path, const char *types, char *id,
                          char *secret)
{
    char text[512];
    snprintf(text, sizeof(text), "{\"url\":\"http://127.0.0.1:%d%s\"%s%s}", rc_port(rcv), path,
             types ? ",\"event_types\":" : "", types ? types : "");
    json_t *in = json_loads(text, 0, NULL), *out = NULL;
    ct_webhooks_field_error fe = {"", ""};
    ct_status rc = ct_webhooks_create(e->wh, e->st, user, in, &fe, &out);
    if (rc)
        fail_msg("create: %s %s: %s", ct_status_name(rc), fe.field, fe.message);
    snprintf(id, 40, "%s", json_string_value(json_object_get(out, "id")));
    snprintf(secret, 80, "%s", json_string_value(json_object_get(out, "secret")));
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    json_decref(in);
    json_decref(out);
}

/* The endpoint's JSON member `key` as text into out. */
static void endpoint_field(env *e, const char *user, const char *id, const char *key, char *out,
                           size_t len)
{
    json_t *ep = NULL;
    assert_int_equal(ct_webhooks_get(e->st, user, id, &ep), CT_OK);
    const char *v = json_string_value(json_object_get(ep, key));
    snprintf(out, len, "%s", v ? v : "");
    json_decref(ep);
}

/* An order of `user` (NULL: a guest) with id order_id, and its event `type` in one
 * transaction; the event id into event_id. */
static void order_event(env *e, const char *user, const char *order_id, const char *type,
                        char *event_id)
{
    char offer[48];
    snprintf(offer, sizeof(offer), "off_%s", order_id + 4);
    const char *po[] = {offer};
    const char *pr[] = {order_id, user, offer};
    assert_int_equal(ct_store_begin(e->st), CT_OK);
    assert_int_equal(
        ct_store_run(e->st,
                     "INSERT INTO offers (id, provider, provider_offer_id,"
                     " itinerary_id, expires_at, currency, total_minor, fee_minor,"
                     " passengers, body, created_at)"
                     " VALUES (?, 'airline-1', 'p', 'it', 0, 'EUR', 100, 0, 1, '{}', 0)",
                     1, po),
        CT_OK);
    assert_int_equal(ct_store_run(e->st,
                                  "INSERT INTO orders (id, user_id, offer_id, provider, status,"
                                  " currency, total_minor, passengers, last_name, contact_email,"
                                  " created_at, updated_at) VALUES (?, ?, ?, 'airline-1',"
                                  " 'confirmed', 'EUR', 12345, '[]', 'l', 'a@example.com', 0, 0)",
                                  3, pr),
                     CT_OK);
    json_t *payload = json_pack("{ss ss sn si ss}", "order_id", order_id, "status", "confirmed",
                                "reason", "total_minor", 12345, "currency", "EUR");
    assert_int_equal(ct_outbox_add(e->st, "order", order_id, type, payload, event_id, 40), CT_OK);
    json_decref(payload);
    assert_int_equal(ct_store_commit(e->st), CT_OK);
    ct_outbox_kick(e->outbox);
}

/* An event of `type` about aggregate "trip"/"price_alert" with payload.user_id = user. */
static void user_event(env *e, const char *aggregate, const char *type, const char *user,
                       char *event_id)
{
    json_t *payload =
        json_pack("{ss ss si}", "user_id", user, "currency", "EUR", "price_minor", 4200);
    assert_int_equal(ct_store_begin(e->st), CT_OK);
    assert_int_equal(ct_outbox_add(e->st, aggregate, "agg_1", type, payload, event_id, 40), CT_OK);
    assert_int_equal(ct_store_commit(e->st), CT_OK);
    json_decref(payload);
    ct_outbox_kick(e->outbox);
}

/* The delivery log of the endpoint (newest first). Caller decrefs. */
static json_t *deliveries(env *e, const char *user, const char *id)
{
    json_t *out = NULL;
    assert_int_equal(ct_webhooks_deliveries(e->st, user, id, 100, &out), CT_OK);
    return out;
}

/* Waits (10 s at most) until the endpoint's newest delivery has `status`. */
static int wait_delivery(env *e, const char *user, const char *id, const char *status)
{
    for (int i = 0; i < 1000; i++) {
        json_t *d = deliveries(e, user, id);
        const char *s = json_string_value(
            json_object_get(json_array_get(json_object_get(d, "items"), 0), "status"));
        int ok = s != NULL && strcmp(s, status) == 0;
        json_decref(d);
        if (ok)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* Hit i of `path`, its signature verified under `secret` (count of matching signatures). */
static int verified_hit(const char *path, int i, const char *secret, rc_hit *h, char **body)
{
    assert_true(rc_hit_get(rcv, path, i, h, body));
    return rc_verify(secret, h->id, h->timestamp, *body, h->signature);
}

static void ping(env *e, const char *user, const char *id)
{
    json_t *out = NULL;
    assert_int_equal(ct_webhooks_ping(e->wh, e->st, user, id, &out), CT_OK);
    json_decref(out);
}

/* ---- tests ---- */

static void fan_out_and_signature(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.001, 2);
        char path_a[64], path_t[64], path_b[64];
        snprintf(path_a, sizeof(path_a), "/ok/a%d", k);
        snprintf(path_t, sizeof(path_t), "/ok/t%d", k);
        snprintf(path_b, sizeof(path_b), "/ok/b%d", k);
        char a_id[40], a_secret[80], t_id[40], t_secret[80], b_id[40], b_secret[80];
        make_endpoint(&e, "usr_a", path_a, "[\"order.confirmed\",\"price_alert.triggered\"]", a_id,
                      a_secret);
        make_endpoint(&e, "usr_a", path_t, "[\"trip.*\"]", t_id, t_secret);
        make_endpoint(&e, "usr_b", path_b, NULL, b_id, b_secret); /* every type */
        char evt[40], evt_guest[40], evt_trip[40], evt_held[40], order[40];
        snprintf(order, sizeof(order), "ord_%024d", k + 1);
        order_event(&e, "usr_a", order, "order.confirmed", evt);
        char guest[40];
        snprintf(guest, sizeof(guest), "ord_%024d", k + 100);
        order_event(&e, NULL, guest, "order.confirmed", evt_guest);
        user_event(&e, "trip", "trip.price_drop", "usr_a", evt_trip);
        user_event(&e, "trip", "trip.held", "usr_b", evt_held); /* trip.* goes to b's "*" too */
        assert_true(rc_wait(rcv, path_a, 1, 10000));
        assert_true(rc_wait(rcv, path_t, 1, 10000));
        assert_true(rc_wait(rcv, path_b, 1, 10000));
        assert_int_equal(ct_outbox_drain(e.outbox, 10000), CT_OK);
        sleep_ms(200); /* anything wrongly queued would be sent by now */
        assert_int_equal(rc_count(rcv, path_a), 1);
        assert_int_equal(rc_count(rcv, path_t), 1);
        assert_int_equal(rc_count(rcv, path_b), 1);
        rc_hit h;
        char *body = NULL;
        assert_int_equal(verified_hit(path_a, 0, a_secret, &h, &body), 1);
        assert_int_equal(rc_verify(t_secret, h.id, h.timestamp, body, h.signature), 0);
        char msg[48];
        snprintf(msg, sizeof(msg), "msg_%s", evt + 4);
        assert_string_equal(h.id, msg);
        int64_t ts = strtoll(h.timestamp, NULL, 10);
        assert_true(ts > 0 && ts <= now_ms() / 1000 + 1);
        json_t *j = json_loads(body, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "order.confirmed");
        assert_non_null(json_string_value(json_object_get(j, "timestamp")));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "data"), "order_id")), order);
        json_decref(j);
        free(body);
        assert_int_equal(verified_hit(path_t, 0, t_secret, &h, &body), 1);
        assert_non_null(strstr(body, "\"type\":\"trip.price_drop\""));
        free(body);
        assert_int_equal(verified_hit(path_b, 0, b_secret, &h, &body), 1);
        assert_non_null(strstr(body, "\"type\":\"trip.held\""));
        free(body);
        assert_true(wait_delivery(&e, "usr_a", a_id, "delivered"));
        env_close(&e);
    }
}

static void retries_follow_the_schedule(void **state)
{
    (void)state;
    const double scale = 0.0002; /* 5 s -> 1 ms, 5 min -> 60 ms, 30 min -> 360 ms, 2 h -> 1.44 s */
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), scale, 2);
        char path[64], id[40], secret[80];
        snprintf(path, sizeof(path), "/fail/4/%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, secret);
        ping(&e, "usr_a", id);
        assert_true(rc_wait(rcv, path, 5, 20000));
        assert_true(wait_delivery(&e, "usr_a", id, "delivered"));
        rc_hit first, h;
        char *body0 = NULL, *body = NULL;
        assert_int_equal(verified_hit(path, 0, secret, &first, &body0), 1);
        for (int i = 1; i < 5; i++) {
            rc_hit prev;
            assert_true(rc_hit_get(rcv, path, i - 1, &prev, NULL));
            assert_int_equal(verified_hit(path, i, secret, &h, &body), 1);
            assert_string_equal(h.id, first.id); /* one message id on every attempt */
            assert_string_equal(body, body0);
            free(body);
            int64_t gap = h.at_ms - prev.at_ms, want = ct_webhooks_retry_delay_ms(i, scale);
            if (gap < want)
                fail_msg("attempt %d came %lld ms after the previous, before the %lld ms due",
                         i + 1, (long long)gap, (long long)want);
        }
        free(body0);
        sleep_ms(100);
        assert_int_equal(rc_count(rcv, path), 5);
        json_t *d = deliveries(&e, "usr_a", id);
        json_t *item = json_array_get(json_object_get(d, "items"), 0);
        json_t *attempts = json_object_get(item, "attempts");
        assert_int_equal(json_array_size(attempts), 5);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(
                json_integer_value(json_object_get(json_array_get(attempts, i), "http_status")),
                i < 4 ? 500 : 200);
        assert_int_equal(json_integer_value(json_object_get(item, "last_http_status")), 200);
        json_decref(d);
        char status[16], failing[40];
        endpoint_field(&e, "usr_a", id, "status", status, sizeof(status));
        endpoint_field(&e, "usr_a", id, "failing_since", failing, sizeof(failing));
        assert_string_equal(status, "enabled");
        assert_string_equal(failing, "");
        env_close(&e);
    }
}

static void retry_after_is_honoured(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.00001, 1); /* 5 s -> 0.05 ms: only Retry-After waits */
        char path[64], id[40], secret[80];
        snprintf(path, sizeof(path), "/slow/%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, secret);
        ping(&e, "usr_a", id);
        assert_true(rc_wait(rcv, path, 2, 10000));
        rc_hit a, b;
        assert_true(rc_hit_get(rcv, path, 0, &a, NULL));
        assert_true(rc_hit_get(rcv, path, 1, &b, NULL));
        assert_int_equal(a.status, 429);
        if (b.at_ms - a.at_ms < 1000)
            fail_msg("retried %lld ms after a Retry-After: 1", (long long)(b.at_ms - a.at_ms));
        assert_true(wait_delivery(&e, "usr_a", id, "delivered"));
        env_close(&e);
    }
}

static void exhausted_schedule_disables(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.00001, 2); /* the ~3 days in ~2.7 s */
        char path[64], id[40], secret[80];
        snprintf(path, sizeof(path), "/fail/1000/%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, secret);
        ping(&e, "usr_a", id);
        assert_true(wait_delivery(&e, "usr_a", id, "failed"));
        assert_int_equal(rc_count(rcv, path), CT_WEBHOOKS_SCHEDULE_LEN);
        char status[16], reason[32];
        endpoint_field(&e, "usr_a", id, "status", status, sizeof(status));
        endpoint_field(&e, "usr_a", id, "disabled_reason", reason, sizeof(reason));
        assert_string_equal(status, "disabled");
        assert_string_equal(reason, "retries_exhausted");
        env_close(&e);
    }
}

static void failing_five_days_disables(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.001, 1); /* 5 days -> 432 s */
        char path[64], id[40], secret[80], since[24];
        snprintf(path, sizeof(path), "/fail/1000/five%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, secret);
        /* The endpoint has failed without a success since 433 (scaled) seconds ago. */
        snprintf(since, sizeof(since), "%lld", (long long)(now_ms() - 433000));
        const char *p[] = {since, id};
        assert_int_equal(
            ct_store_run(e.st, "UPDATE webhook_endpoints SET failing_since = ? WHERE id = ?", 2, p),
            CT_OK);
        ping(&e, "usr_a", id);
        assert_true(rc_wait(rcv, path, 1, 10000));
        char status[16], reason[32];
        for (int i = 0; i < 500; i++) {
            endpoint_field(&e, "usr_a", id, "status", status, sizeof(status));
            if (strcmp(status, "disabled") == 0)
                break;
            sleep_ms(10);
        }
        endpoint_field(&e, "usr_a", id, "disabled_reason", reason, sizeof(reason));
        assert_string_equal(status, "disabled");
        assert_string_equal(reason, "failing");
        assert_int_equal(rc_count(rcv, path), 1); /* no retry once disabled */
        env_close(&e);
    }
}

static void gone_disables_and_enable_resumes(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.001, 2);
        rc_set_gone(rcv, 1);
        char id[40], secret[80], order[40], evt[40];
        make_endpoint(&e, "usr_g", "/gone", NULL, id, secret);
        int before = rc_count(rcv, "/gone");
        ping(&e, "usr_g", id);
        assert_true(rc_wait(rcv, "/gone", before + 1, 10000));
        assert_true(wait_delivery(&e, "usr_g", id, "failed"));
        char status[16], reason[32];
        endpoint_field(&e, "usr_g", id, "status", status, sizeof(status));
        endpoint_field(&e, "usr_g", id, "disabled_reason", reason, sizeof(reason));
        assert_string_equal(status, "disabled");
        assert_string_equal(reason, "gone");
        /* Disabled: a new event adds no delivery; a ping waits. */
        snprintf(order, sizeof(order), "ord_%024d", 500 + k);
        order_event(&e, "usr_g", order, "order.confirmed", evt);
        assert_int_equal(ct_outbox_drain(e.outbox, 10000), CT_OK);
        ping(&e, "usr_g", id);
        sleep_ms(300);
        assert_int_equal(rc_count(rcv, "/gone"), before + 1);
        json_t *d = deliveries(&e, "usr_g", id);
        assert_int_equal(json_array_size(json_object_get(d, "items")), 2); /* 2 pings */
        json_decref(d);
        /* Enabled again: the waiting ping goes out. */
        rc_set_gone(rcv, 0);
        json_t *out = NULL;
        assert_int_equal(ct_webhooks_enable(e.wh, e.st, "usr_g", id, &out), CT_OK);
        assert_string_equal(json_string_value(json_object_get(out, "status")), "enabled");
        json_decref(out);
        assert_true(wait_delivery(&e, "usr_g", id, "delivered"));
        assert_int_equal(rc_count(rcv, "/gone"), before + 2);
        env_close(&e);
    }
}

static void rotation_signs_with_both(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.001, 2);
        char path[64], id[40], old_secret[80];
        snprintf(path, sizeof(path), "/ok/rot%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, old_secret);
        json_t *out = NULL;
        assert_int_equal(ct_webhooks_rotate(e.st, "usr_a", id, &out), CT_OK);
        char new_secret[80];
        snprintf(new_secret, sizeof(new_secret), "%s",
                 json_string_value(json_object_get(out, "secret")));
        assert_string_not_equal(new_secret, old_secret);
        assert_non_null(json_object_get(out, "previous_secret_expires_at"));
        json_decref(out);
        ping(&e, "usr_a", id);
        assert_true(rc_wait(rcv, path, 1, 10000));
        rc_hit h;
        char *body = NULL;
        assert_int_equal(verified_hit(path, 0, new_secret, &h, &body), 1);
        assert_int_equal(rc_verify(old_secret, h.id, h.timestamp, body, h.signature), 1);
        assert_non_null(strchr(h.signature, ' ')); /* two signatures */
        /* A tampered body verifies under neither. */
        body[1] = body[1] == 'x' ? 'y' : 'x';
        assert_int_equal(rc_verify(new_secret, h.id, h.timestamp, body, h.signature), 0);
        free(body);
        /* The secret is never in a read. */
        json_t *ep = NULL;
        assert_int_equal(ct_webhooks_get(e.st, "usr_a", id, &ep), CT_OK);
        assert_null(json_object_get(ep, "secret"));
        json_decref(ep);
        env_close(&e);
    }
}

static void replay_sends_the_same_message(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        env e;
        env_open(&e, fresh_db(k), 0.001, 2);
        char path[64], id[40], secret[80];
        snprintf(path, sizeof(path), "/ok/rep%d", k);
        make_endpoint(&e, "usr_a", path, NULL, id, secret);
        ping(&e, "usr_a", id);
        assert_true(wait_delivery(&e, "usr_a", id, "delivered"));
        json_t *d = deliveries(&e, "usr_a", id);
        char did[40];
        snprintf(did, sizeof(did), "%s",
                 json_string_value(
                     json_object_get(json_array_get(json_object_get(d, "items"), 0), "id")));
        json_decref(d);
        json_t *out = NULL;
        assert_int_equal(ct_webhooks_replay(e.wh, e.st, "usr_a", id, did, &out), CT_OK);
        json_decref(out);
        assert_int_equal(ct_webhooks_replay(e.wh, e.st, "usr_b", id, did, &out), CT_NOT_FOUND);
        assert_int_equal(ct_webhooks_replay(e.wh, e.st, "usr_a", id, "whd_nope", &out),
                         CT_NOT_FOUND);
        assert_true(rc_wait(rcv, path, 2, 10000));
        rc_hit a, b;
        char *ba = NULL, *bb = NULL;
        assert_int_equal(verified_hit(path, 0, secret, &a, &ba), 1);
        assert_int_equal(verified_hit(path, 1, secret, &b, &bb), 1);
        assert_string_equal(a.id, b.id);
        assert_string_equal(ba, bb);
        free(ba);
        free(bb);
        assert_true(wait_delivery(&e, "usr_a", id, "delivered"));
        d = deliveries(&e, "usr_a", id);
        json_t *item = json_array_get(json_object_get(d, "items"), 0);
        assert_int_equal(json_array_size(json_object_get(item, "attempts")), 2);
        json_decref(d);
        env_close(&e);
    }
}

static void two_services_send_each_message_once(void **state)
{
    (void)state;
    for (int k = 0; k < nurls; k++) {
        const char *url = fresh_db(k);
        env a, b;
        env_open(&a, url, 0.001, 3);
        env_open(&b, url, 0.001, 3);
        char path[64], id[40], secret[80];
        snprintf(path, sizeof(path), "/ok/two%d", k);
        make_endpoint(&a, "usr_a", path, NULL, id, secret);
        const int n = 60;
        int before_distinct, before_max;
        rc_ids(rcv, &before_distinct, &before_max);
        for (int i = 0; i < n; i++)
            ping(i % 2 ? &a : &b, "usr_a", id);
        assert_true(rc_wait(rcv, path, n, 30000));
        sleep_ms(300);
        assert_int_equal(rc_count(rcv, path), n);
        int distinct, max_same;
        rc_ids(rcv, &distinct, &max_same);
        assert_int_equal(distinct - before_distinct, n);
        assert_int_equal(max_same, 1 > before_max ? 1 : before_max);
        env_close(&a);
        env_close(&b);
    }
}

static void field_errors_and_scoping(void **state)
{
    (void)state;
    char why[160];
    assert_true(ct_webhooks_url_allowed("http://127.0.0.1:9/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("http://127.0.0.1:9/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://127.0.0.1/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://localhost/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://[::1]/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://10.1.2.3/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://172.20.0.1/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://192.168.1.1/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://169.254.169.254/latest", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://[fe80::1]/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://[::ffff:10.0.0.1]/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://0.0.0.0/x", 1, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("http://93.184.216.34/x", 1, why, sizeof(why)));
    assert_true(ct_webhooks_url_allowed("https://93.184.216.34/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("ftp://93.184.216.34/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("https://u:p@93.184.216.34/x", 0, why, sizeof(why)));
    assert_false(ct_webhooks_url_allowed("not a url", 0, why, sizeof(why)));
    env e;
    env_open(&e, fresh_db(0), 1, 1);
    struct {
        const char *body, *field;
    } bad[] = {
        {"{}", "url"},
        {"{\"url\":\"http://93.184.216.34/\"}", "url"},
        {"{\"url\":\"https://10.0.0.1/\"}", "url"},
        {"{\"url\":\"http://127.0.0.1:9/\",\"event_types\":[]}", "event_types"},
        {"{\"url\":\"http://127.0.0.1:9/\",\"event_types\":[\"order.held\"]}", "event_types"},
        {"{\"url\":\"http://127.0.0.1:9/\",\"event_types\":[\"trip.*\",\"trip.*\"]}",
         "event_types"},
        {"{\"url\":\"http://127.0.0.1:9/\",\"description\":7}", "description"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *in = json_loads(bad[i].body, 0, NULL), *out = NULL;
        ct_webhooks_field_error fe = {"", ""};
        assert_int_equal(ct_webhooks_create(e.wh, e.st, "usr_a", in, &fe, &out), CT_INVALID);
        assert_string_equal(fe.field, bad[i].field);
        json_decref(in);
    }
    char id[40], secret[80];
    make_endpoint(&e, "usr_a", "/ok/scope", NULL, id, secret);
    json_t *out = NULL;
    assert_int_equal(ct_webhooks_get(e.st, "usr_b", id, &out), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_delete(e.st, "usr_b", id), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_rotate(e.st, "usr_b", id, &out), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_enable(e.wh, e.st, "usr_b", id, &out), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_ping(e.wh, e.st, "usr_b", id, &out), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_deliveries(e.st, "usr_b", id, 10, &out), CT_NOT_FOUND);
    assert_int_equal(ct_webhooks_list(e.st, "usr_b", &out), CT_OK);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 0);
    json_decref(out);
    assert_int_equal(ct_webhooks_delete(e.st, "usr_a", id), CT_OK);
    assert_int_equal(ct_webhooks_get(e.st, "usr_a", id, &out), CT_NOT_FOUND);
    env_close(&e);
}

static void signature_known_answer(void **state)
{
    (void)state;
    /* The Standard Webhooks reference example (its libraries' tests). */
    char sig[128];
    const char *body = "{\"test\": 2432232314}";
    assert_int_equal(ct_webhooks_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                      "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                      strlen(body), sig, sizeof(sig)),
                     CT_OK);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(rc_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                               "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, sig),
                     1);
    assert_int_equal(ct_webhooks_sign("nope", "m", 1, "", 0, sig, sizeof(sig)), CT_INVALID);
    assert_int_equal(ct_webhooks_retry_delay_ms(1, 1), 5000);
    assert_int_equal(ct_webhooks_retry_delay_ms(9, 1), 24LL * 3600 * 1000);
    assert_int_equal(ct_webhooks_retry_delay_ms(10, 1), -1);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(dir, sizeof(dir));
    char tmp[2][512];
    nurls = ts_store_urls(dir, tmp, 2);
    rcv = rc_start();
    return rcv != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rc_stop(rcv);
    ts_rmtree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_known_answer),
        cmocka_unit_test(fan_out_and_signature),
        cmocka_unit_test(retries_follow_the_schedule),
        cmocka_unit_test(retry_after_is_honoured),
        cmocka_unit_test(exhausted_schedule_disables),
        cmocka_unit_test(failing_five_days_disables),
        cmocka_unit_test(gone_disables_and_enable_resumes),
        cmocka_unit_test(rotation_signs_with_both),
        cmocka_unit_test(replay_sends_the_same_message),
        cmocka_unit_test(two_services_send_each_message_once),
        cmocka_unit_test(field_errors_and_scoping),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
