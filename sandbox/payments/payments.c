/* payments.c: the sandbox payment processor's server: authentication, the idempotent write
 * path, the handlers, the lifecycle and the `payments` subcommand (see payments.h for the
 * contract and payments_internal.h for how the module is split).
 *
 * The write path. Every request that changes state runs as an sb_pay_op inside run_write():
 * take a pooled connection, BEGIN IMMEDIATE (the write lock, so nothing can change between our
 * reads and our writes), look the Idempotency-Key up (found: replay the stored response or
 * refuse a different request; nothing else happens), run the operation, serialise its
 * response, store it under the key, COMMIT, and only then answer. A busy database or a lost
 * race on the key's primary key (possible on engines without an up-front write lock) rolls
 * back and runs the whole request again, up to three times: the retry then finds the key and
 * replays. Invariants also held by the schema's CHECKs:
 * 0 <= amount_refunded <= amount_captured <= amount.
 *
 * Its own dialect: errors are {"error": {"category", "code", "message", "field"?,
 * "payment"?}} with 400 for bad input, 401 for authentication, 402 for card failures, 404, 409
 * for state and idempotency conflicts, 502 for processing errors and 503 when busy. The HTTP
 * layer's own 404/405/413 for unknown routes and oversized bodies stay problem+json. */
#define _GNU_SOURCE
#include "sandbox/payments/payments_internal.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "sandbox/runtime/clock.h"
#include "sandbox/runtime/daemon.h"
#include "sandbox/runtime/dbpool.h"

const ct_flag sb_payments_flags[] = {
    {"db", CT_FLAG_STRING, SB_PAYMENTS_DEFAULT_DB, "the processor's database"},
    {"secret_key", CT_FLAG_STRING, SB_PAYMENTS_DEFAULT_KEY, "the accepted Bearer key"},
    {NULL, 0, NULL, NULL},
};

#define MAX_IDEM_KEY    255
#define WRITE_ATTEMPTS  3
#define DEFAULT_THREADS 4

struct sb_payments {
    sb_dbpool *db;
    sb_clock *clock;
    char *secret_key;
    ct_router *router;
    ct_http_server *server;
};

static void reply_error(ct_http_req *req, int status, const char *category, const char *code,
                        const char *field, const char *message)
{
    ct_http_reply_json(req, status, sb__pay_error_json(category, code, field, message));
}

static void reply_input_error(ct_http_req *req, const sb_pay_input_error *e)
{
    reply_error(req, 400, "request", e->code, e->field[0] ? e->field : NULL, e->message);
}

/* ---- the write path: transaction + idempotency ---- */

typedef struct write_call {
    const char *key; /* Idempotency-Key, or NULL */
    char fingerprint[2 * crypto_generichash_BYTES + 1];
    sb_pay_op op;
    void *arg;
} write_call;

typedef struct stored_response {
    char fingerprint[2 * crypto_generichash_BYTES + 1];
    int status;
    char *body;
} stored_response;

/* CT_OK with the stored response (body malloc'd) when `key` was used; CT_NOT_FOUND if not. */
static ct_status idem_find(ct_store *st, const char *key, stored_response *out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, key);
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        sb__pay_copy(out->fingerprint, sizeof(out->fingerprint), ct_stmt_text(s, 0));
        out->status = (int)ct_stmt_int64(s, 1);
        out->body = ct_strdup(ct_stmt_text(s, 2));
        rc = out->body ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE || rc == CT_OK) {
        rc = CT_NOT_FOUND; /* no row (a step gives CT_ROW or CT_DONE: CT_OK would be none too) */
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status idem_save(ct_store *st, const write_call *call, int status, const char *body,
                           int64_t now)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO idempotency_keys (key, fingerprint, status, body,"
                                    " created) VALUES (?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, call->key);
    ct_stmt_bind_text(s, 2, call->fingerprint);
    ct_stmt_bind_int64(s, 3, status);
    ct_stmt_bind_text(s, 4, body);
    ct_stmt_bind_int64(s, 5, now);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static void replay(ct_http_req *req, const write_call *call, const stored_response *stored)
{
    if (strcmp(stored->fingerprint, call->fingerprint) != 0) {
        reply_error(req, 409, "idempotency", "idempotency_key_reused", "Idempotency-Key",
                    "this Idempotency-Key was used for a different request (method, path or "
                    "body); use a new key for a new request");
        return;
    }
    ct_http_reply(req, stored->status, "application/json", stored->body, strlen(stored->body));
    ct_http_add_header(req, "Idempotent-Replayed", "true");
}

/* One attempt at a write request. CT_OK once a response is set; CT_AGAIN / CT_CONFLICT when
 * the attempt lost a race and rolled back (retry); another status on failure. */
static ct_status try_write(ct_http_req *req, sb_payments *p, const write_call *call)
{
    ct_store *st = sb_dbpool_acquire(p->db);
    stored_response stored = {0};
    sb_pay_outcome out = {0};
    char *text = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc)
        goto failed;
    if (call->key != NULL) {
        rc = idem_find(st, call->key, &stored);
        if (rc == CT_OK) {
            ct_store_rollback(st);
            replay(req, call, &stored);
            goto done;
        }
        if (rc != CT_NOT_FOUND)
            goto failed;
    }
    rc = call->op(st, sb_clock_now(p->clock), call->arg, &out);
    text = rc == CT_OK ? json_dumps(out.body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (rc == CT_OK && text == NULL)
        rc = CT_NOMEM;
    if (rc == CT_OK && call->key != NULL)
        rc = idem_save(st, call, out.status, text, sb_clock_now(p->clock));
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc)
        goto failed;
    ct_http_reply(req, out.status, "application/json", text, strlen(text));
    goto done;
failed:
    ct_log(rc == CT_AGAIN || rc == CT_CONFLICT ? CT_LOG_INFO : CT_LOG_ERROR,
           "payments.write_failed", "status", ct_status_name(rc), "error", ct_store_errmsg(st),
           NULL);
    ct_store_rollback(st);
done:
    sb_dbpool_release(p->db, st);
    free(text);
    json_decref(out.body);
    ct_free(stored.body);
    return rc;
}

static void run_write(ct_http_req *req, sb_payments *p, const write_call *call)
{
    ct_status rc = CT_AGAIN;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS && (rc == CT_AGAIN || rc == CT_CONFLICT);
         attempt++)
        rc = try_write(req, p, call);
    if (rc == CT_AGAIN || rc == CT_CONFLICT)
        reply_error(req, 503, "internal", "busy", NULL,
                    "the processor is busy; retry with the same Idempotency-Key");
    else if (rc)
        reply_error(req, 500, "internal", "internal_error", NULL,
                    "the request failed; nothing was changed");
}

/* ---- request prelude: authentication, idempotency key, body ---- */

static int authorized(ct_http_req *req, sb_payments *p)
{
    const char *auth = ct_http_header(req, "Authorization");
    if (auth == NULL || auth[0] == '\0') {
        reply_error(req, 401, "authentication", "authentication_required", NULL,
                    "send your secret key as Authorization: Bearer sk_sandbox_...");
        ct_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"sandbox-payments\"");
        return 0;
    }
    size_t want = strlen(p->secret_key);
    int ok = strncmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) == want &&
             sodium_memcmp(auth + 7, p->secret_key, want) == 0;
    if (!ok) {
        reply_error(req, 401, "authentication", "invalid_api_key", NULL,
                    "the Authorization header does not carry a valid secret key");
        ct_http_add_header(req, "WWW-Authenticate",
                           "Bearer realm=\"sandbox-payments\", error=\"invalid_token\"");
    }
    return ok;
}

typedef struct prelude {
    const char *key;
    json_t *body; /* owned; an empty object when the request had no body */
    char fingerprint[2 * crypto_generichash_BYTES + 1];
} prelude;

static ct_status get_idem_key(ct_http_req *req, int required, const char **out)
{
    const char *key = ct_http_header(req, "Idempotency-Key");
    *out = key;
    if (key == NULL && !required)
        return CT_OK;
    size_t n = key ? strlen(key) : 0;
    int ok = n >= 1 && n <= MAX_IDEM_KEY;
    for (size_t i = 0; ok && i < n; i++)
        ok = key[i] > 0x20 && key[i] < 0x7f;
    if (!ok)
        reply_error(req, 400, "idempotency",
                    key ? "idempotency_key_invalid" : "idempotency_key_required", "Idempotency-Key",
                    "send an Idempotency-Key header of 1 to 255 printable ASCII characters "
                    "(a UUID is a good choice)");
    return ok ? CT_OK : CT_INVALID;
}

/* Parses the body (an object; empty counts as {} unless required) and computes the request's
 * fingerprint: a hash of method, path and the body re-serialised with sorted keys. */
static ct_status read_body(ct_http_req *req, int required, prelude *pre)
{
    size_t len = 0;
    const char *text = ct_http_body(req, &len);
    json_error_t jerr;
    pre->body = len == 0 && !required ? json_object() : json_loadb(text, len, 0, &jerr);
    if (!json_is_object(pre->body)) {
        reply_error(req, 400, "request", len ? "invalid_body" : "body_required", NULL,
                    "the request body must be a JSON object");
        return CT_INVALID;
    }
    char *canon = json_dumps(pre->body, JSON_COMPACT | JSON_SORT_KEYS);
    if (canon == NULL) {
        reply_error(req, 500, "internal", "internal_error", NULL, "out of memory");
        return CT_NOMEM;
    }
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, sizeof(hash));
    crypto_generichash_update(&hs, (const unsigned char *)ct_http_method(req),
                              strlen(ct_http_method(req)));
    crypto_generichash_update(&hs, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&hs, (const unsigned char *)ct_http_path(req),
                              strlen(ct_http_path(req)));
    crypto_generichash_update(&hs, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&hs, (const unsigned char *)canon, strlen(canon));
    crypto_generichash_final(&hs, hash, sizeof(hash));
    sodium_bin2hex(pre->fingerprint, sizeof(pre->fingerprint), hash, sizeof(hash));
    free(canon);
    return CT_OK;
}

/* Authentication, then the Idempotency-Key, then the body. On failure an error response was
 * sent (CT_INVALID, CT_NOMEM); on CT_OK the caller owns pre->body. */
static ct_status begin_write(ct_http_req *req, sb_payments *p, int key_required, int body_required,
                             prelude *pre)
{
    memset(pre, 0, sizeof(*pre));
    ct_status rc = authorized(req, p) ? CT_OK : CT_INVALID;
    if (rc == CT_OK)
        rc = get_idem_key(req, key_required, &pre->key);
    if (rc == CT_OK)
        rc = read_body(req, body_required, pre);
    if (rc) {
        json_decref(pre->body);
        pre->body = NULL;
    }
    return rc;
}

static void run_prelude_write(ct_http_req *req, sb_payments *p, const prelude *pre, sb_pay_op op,
                              void *arg)
{
    write_call call = {.key = pre->key, .op = op, .arg = arg};
    memcpy(call.fingerprint, pre->fingerprint, sizeof(call.fingerprint));
    run_write(req, p, &call);
}

/* ---- handlers ---- */

static void h_healthz(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "service", "payments"));
}

static void h_create(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 1, 1, &pre))
        return;
    sb_pay_create c;
    sb_pay_input_error e;
    memset(&c, 0, sizeof(c));
    if (sb__pay_parse_create(pre.body, &c, &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, sb__pay_op_create, &c);
    json_decref(pre.body);
}

static void h_confirm(ct_http_req *req, void *ctx)
{
    static const char *const allowed[] = {"authentication", NULL};
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 0, 0, &pre))
        return;
    sb_pay_change q = {.id = ct_http_param(req, "id"), .amount = -1};
    sb_pay_input_error e;
    json_t *auth = json_object_get(pre.body, "authentication");
    const char *as = auth ? json_string_value(auth) : "pass";
    if (sb__pay_only_known(pre.body, allowed, "", &e))
        reply_input_error(req, &e);
    else if (as == NULL || (strcmp(as, "pass") != 0 && strcmp(as, "fail") != 0))
        reply_error(req, 400, "request", "parameter_invalid", "authentication",
                    "authentication must be \"pass\" or \"fail\"");
    else {
        q.fail = strcmp(as, "fail") == 0;
        run_prelude_write(req, p, &pre, sb__pay_op_confirm, &q);
    }
    json_decref(pre.body);
}

/* Capture and refund: optional amount (and for refunds a reason). */
static void amount_write(ct_http_req *req, sb_payments *p, int key_required, sb_pay_op op,
                         int with_reason)
{
    static const char *const capture_keys[] = {"amount", NULL};
    static const char *const refund_keys[] = {"amount", "reason", NULL};
    prelude pre;
    if (begin_write(req, p, key_required, 0, &pre))
        return;
    sb_pay_change q = {.id = ct_http_param(req, "id")};
    sb_pay_input_error e;
    if (sb__pay_only_known(pre.body, with_reason ? refund_keys : capture_keys, "", &e) ||
        sb__pay_get_amount(pre.body, "amount", 0, &q.amount, &e) ||
        sb__pay_get_text(pre.body, "reason", SB_PAY_MAX_REASON, &q.reason, &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, op, &q);
    json_decref(pre.body);
}

static void h_capture(ct_http_req *req, void *ctx)
{
    amount_write(req, ctx, 0, sb__pay_op_capture, 0);
}

static void h_refund(ct_http_req *req, void *ctx)
{
    amount_write(req, ctx, 1, sb__pay_op_refund, 1);
}

static void h_cancel(ct_http_req *req, void *ctx)
{
    static const char *const allowed[] = {NULL};
    sb_payments *p = ctx;
    prelude pre;
    if (begin_write(req, p, 0, 0, &pre))
        return;
    sb_pay_change q = {.id = ct_http_param(req, "id"), .amount = -1};
    sb_pay_input_error e;
    if (sb__pay_only_known(pre.body, allowed, "", &e))
        reply_input_error(req, &e);
    else
        run_prelude_write(req, p, &pre, sb__pay_op_cancel, &q);
    json_decref(pre.body);
}

static void reply_internal(ct_http_req *req, ct_store *st, ct_status rc)
{
    ct_log(CT_LOG_ERROR, "payments.read_failed", "status", ct_status_name(rc), "error",
           ct_store_errmsg(st), NULL);
    reply_error(req, 500, "internal", "internal_error", NULL, "the request failed");
}

static void h_get(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    const char *id = ct_http_param(req, "id");
    ct_store *st = sb_dbpool_acquire(p->db);
    sb_pay_row r;
    json_t *j = NULL;
    ct_status rc = sb__pay_find(st, id, &r);
    if (rc == CT_OK)
        rc = sb__pay_json(st, &r, &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such payment");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

static void h_refunds_of(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    ct_store *st = sb_dbpool_acquire(p->db);
    sb_pay_row r;
    json_t *list = NULL;
    ct_status rc = sb__pay_find(st, ct_http_param(req, "id"), &r);
    if (rc == CT_OK)
        rc = sb__pay_refunds_json(st, &r, &list);
    if (rc == CT_OK)
        ct_http_reply_json(
            req, 200, json_pack("{s:s, s:o, s:b}", "object", "list", "data", list, "has_more", 0));
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such payment");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

static void h_get_refund(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    ct_store *st = sb_dbpool_acquire(p->db);
    json_t *j = NULL;
    ct_status rc = sb__pay_refund_json(st, ct_http_param(req, "id"), &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        reply_error(req, 404, "request", "resource_missing", "id", "no such refund");
    else
        reply_internal(req, st, rc);
    sb_dbpool_release(p->db, st);
}

static void h_list(ct_http_req *req, void *ctx)
{
    sb_payments *p = ctx;
    if (!authorized(req, p))
        return;
    sb_pay_list_query q;
    sb_pay_input_error e;
    if (sb__pay_parse_list(req, &q, &e)) {
        reply_input_error(req, &e);
        return;
    }
    ct_store *st = sb_dbpool_acquire(p->db);
    sb_pay_row cursor;
    json_t *data = json_array();
    int has_more = 0;
    ct_status rc = q.starting_after ? sb__pay_find(st, q.starting_after, &cursor) : CT_OK;
    if (rc == CT_OK)
        rc = sb__pay_list(st, &q, data, &has_more);
    if (rc == CT_OK) {
        ct_http_reply_json(
            req, 200,
            json_pack("{s:s, s:O, s:b}", "object", "list", "data", data, "has_more", has_more));
    } else if (rc == CT_NOT_FOUND) {
        reply_error(req, 400, "request", "parameter_invalid", "starting_after",
                    "starting_after must be the id of an existing payment");
    } else {
        reply_internal(req, st, rc);
    }
    json_decref(data);
    sb_dbpool_release(p->db, st);
}

/* ---- server ---- */

static ct_status add_routes(sb_payments *p)
{
    static const struct {
        const char *method, *pattern;
        ct_http_handler handler;
    } routes[] = {
        {"GET", "/healthz", h_healthz},
        {"POST", "/v1/payments", h_create},
        {"GET", "/v1/payments", h_list},
        {"GET", "/v1/payments/{id}", h_get},
        {"POST", "/v1/payments/{id}/confirm", h_confirm},
        {"POST", "/v1/payments/{id}/capture", h_capture},
        {"POST", "/v1/payments/{id}/cancel", h_cancel},
        {"POST", "/v1/payments/{id}/refunds", h_refund},
        {"GET", "/v1/payments/{id}/refunds", h_refunds_of},
        {"GET", "/v1/refunds/{id}", h_get_refund},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ct_status rc =
            ct_router_add(p->router, routes[i].method, routes[i].pattern, routes[i].handler, p);
        if (rc)
            return rc;
    }
    return sb_clock_register(p->router, p->clock);
}

static int key_valid(const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (key[i] <= 0x20 || key[i] >= 0x7f)
            return 0;
    }
    return n >= 8 && n <= 200;
}

ct_status sb_payments_start(const sb_payments_options *opt, sb_payments **out, char *err,
                            size_t errlen)
{
    const char *key = opt->secret_key ? opt->secret_key : SB_PAYMENTS_DEFAULT_KEY;
    if (!key_valid(key)) {
        snprintf(err, errlen, "secret_key: expected 8-200 printable characters without spaces");
        return CT_INVALID;
    }
    ct_http_options http = opt->http;
    http.threads = http.threads > 0 ? http.threads : DEFAULT_THREADS;
    http.max_body = http.max_body ? http.max_body : 64u << 10;
    sb_payments *p = ct_calloc(1, sizeof(*p));
    ct_status rc = CT_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (p == NULL || (p->secret_key = ct_strdup(key)) == NULL ||
        sb_clock_open(opt->clock_path, &p->clock) != CT_OK ||
        (p->router = ct_router_create()) == NULL)
        goto fail;
    rc = sb_dbpool_open(opt->db_url, http.threads, sb__pay_schema, &p->db, err, errlen);
    if (rc == CT_OK && (rc = add_routes(p)) != CT_OK)
        snprintf(err, errlen, "cannot add routes");
    if (rc)
        goto fail;
    rc = ct_http_server_start(&http, p->router, &p->server);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s:%d (%s)", http.host ? http.host : "127.0.0.1",
                 http.port, ct_status_name(rc));
        goto fail;
    }
    *out = p;
    return CT_OK;
fail:
    sb_payments_stop(p);
    return rc;
}

int sb_payments_port(const sb_payments *p)
{
    return ct_http_server_port(p->server);
}

void sb_payments_stop(sb_payments *p)
{
    if (p == NULL)
        return;
    ct_http_server_stop(p->server);
    ct_router_destroy(p->router);
    sb_dbpool_close(p->db);
    sb_clock_close(p->clock);
    ct_free(p->secret_key);
    ct_free(p);
}

/* ---- the `payments` subcommand ---- */

int sb_payments_main(const ct_config *cfg)
{
    char err[512], url[1024];
    sb_payments_options opt = {0};
    if (sb_daemon_http_options(cfg, SB_PAYMENTS_DEFAULT_PORT, DEFAULT_THREADS, &opt.http, err,
                               sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    if (sb_daemon_store_url(ct_config_get(cfg, "db", SB_PAYMENTS_DEFAULT_DB), url, sizeof(url))) {
        fprintf(stderr, "contrail-sandbox: db: cannot use '%s'\n", ct_config_get(cfg, "db", ""));
        return 2;
    }
    opt.db_url = url;
    opt.clock_path = ct_config_get(cfg, "clock", SB_CLOCK_DEFAULT_PATH);
    opt.secret_key = ct_config_get(cfg, "secret_key", SB_PAYMENTS_DEFAULT_KEY);
    sigset_t stop;
    sb_daemon_block_stop_signals(&stop);
    sb_payments *p = NULL;
    ct_status rc = sb_payments_start(&opt, &p, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: payments: %s\n", err);
        return rc == CT_INVALID ? 2 : 1;
    }
    int port = sb_payments_port(p);
    const char *port_file = ct_config_get(cfg, "port_file", NULL);
    if (port_file != NULL && sb_daemon_write_port_file(port_file, port) != CT_OK)
        fprintf(stderr, "contrail-sandbox: cannot write %s\n", port_file);
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    ct_log(CT_LOG_INFO, "payments.ready", "host", opt.http.host, "port", portstr, "db", url, NULL);
    printf("Sandbox payment processor at http://%s:%d/v1/  (Ctrl-C stops it)\n", opt.http.host,
           port);
    fflush(stdout);
    ct_log(CT_LOG_INFO, "payments.stopping", "signal", sb_daemon_wait_stop(&stop), NULL);
    sb_payments_stop(p);
    ct_log(CT_LOG_INFO, "payments.stopped", NULL);
    return 0;
}
