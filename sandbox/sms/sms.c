/* sms.c: the sandbox SMS gateway: its Twilio-like message API, the message list for tests,
 * faults on demand, and the `sms` subcommand (see sms.h for the API).
 *
 * A message request goes: faults (a pending forced failure answers at once and stores
 * nothing), Basic credentials against the configured account, the path's account, the form
 * (decoded here: the HTTP module hides libmicrohttpd's post processor, and the fields are
 * three plain strings), validation, then one transaction that either finds the request's
 * idempotency key already stored (the stored message is the answer) or inserts the new
 * message. The key is unique per account in the table, so two racing requests with one key
 * store one message: the loser's insert fails and it answers with the winner's row. */
#define _GNU_SOURCE
#include "sandbox/sms/sms.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "sandbox/runtime/clock.h"
#include "sandbox/runtime/daemon.h"
#include "sandbox/runtime/dbpool.h"
#include "store/store.h"

const ct_flag sb_sms_flags[] = {
    {"db", CT_FLAG_STRING, SB_SMS_DEFAULT_DB, "the message store (PATH, sqlite:PATH, postgres://)"},
    {"account", CT_FLAG_STRING, SB_SMS_DEFAULT_ACCOUNT, "the account SID clients authenticate as"},
    {"token", CT_FLAG_STRING, SB_SMS_DEFAULT_TOKEN, "the account's auth token"},
    {NULL, 0, NULL, NULL},
};

#define DEFAULT_LIMIT   50
#define MAX_LIMIT       500
#define DEFAULT_THREADS 2
#define KEY_MAX         200
#define PRICE_MICROS    7900 /* USD per segment, millionths */

struct sb_sms {
    sb_dbpool *db;
    sb_clock *clock;
    char *account, *token;
    ct_router *router;
    ct_http_server *http;
    pthread_mutex_t fault_lock;
    int fail_next, fail_status;
    long failed;
};

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS sms_messages ("
                                 " seq INTEGER PRIMARY KEY,"
                                 " sid TEXT NOT NULL UNIQUE,"
                                 " account TEXT NOT NULL,"
                                 " to_number TEXT NOT NULL,"
                                 " from_number TEXT,"
                                 " messaging_service_sid TEXT,"
                                 " body TEXT NOT NULL,"
                                 " num_segments INTEGER NOT NULL,"
                                 " idempotency_key TEXT,"
                                 " created_at BIGINT NOT NULL,"
                                 " UNIQUE (account, idempotency_key));"
                                 "CREATE INDEX IF NOT EXISTS sms_messages_to"
                                 " ON sms_messages(to_number);";

/* ---- pure helpers ---- */

int sb_sms_segments(const char *body)
{
    size_t chars = 0;
    int gsm = 1;
    for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            chars++;
        if (!((*p >= 0x20 && *p < 0x7F) || *p == '\n' || *p == '\r'))
            gsm = 0;
    }
    if (chars == 0)
        return 0;
    size_t single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    return chars <= single ? 1 : (int)((chars + part - 1) / part);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int is_e164(const char *s)
{
    if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return 0;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++) {
        if (*p < '0' || *p > '9')
            return 0;
    }
    return n >= 8 && n <= 15;
}

/* "Thu, 04 Dec 2026 21:14:04 +0000": Twilio's dates (RFC 2822), independent of the locale. */
static void rfc2822_date(int64_t t, char *buf, size_t len)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t d = t >= 0 ? t / 86400 : 0, secs = t >= 0 ? t % 86400 : 0;
    int y, m, day;
    ct_civil_from_days(d, &y, &m, &day);
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[ct_weekday(d) - 1], day,
             months[m - 1], y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes application/x-www-form-urlencoded text [s, s+len) into out (NUL-terminated).
 * CT_INVALID for a broken %XX, CT_TOO_LARGE past `cap` bytes. */
static ct_status form_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return CT_INVALID;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o + 1 >= cap)
            return CT_TOO_LARGE;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return CT_OK;
}

/* ---- the message request ---- */

/* The slot of form field `name`, or NULL for a field this gateway ignores. */
static char *form_slot(sb_sms_form *f, const char *name, size_t *cap)
{
    static const char *const names[] = {"To", "From", "MessagingServiceSid", "Body"};
    char *slots[] = {f->to, f->from, f->service, f->body};
    size_t caps[] = {sizeof(f->to), sizeof(f->from), sizeof(f->service), sizeof(f->body)};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(names[i], name) == 0) {
            *cap = caps[i];
            return slots[i];
        }
    }
    return NULL;
}

ct_status sb_sms_form_parse(const char *body, size_t len, sb_sms_form *f)
{
    memset(f, 0, sizeof(*f));
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        char name[64];
        size_t cap = 0;
        if (eq != NULL && form_decode(p, (size_t)(eq - p), name, sizeof(name)) == CT_OK) {
            char *slot = form_slot(f, name, &cap);
            ct_status rc = slot ? form_decode(eq + 1, (size_t)(stop - eq - 1), slot, cap) : CT_OK;
            if (rc == CT_TOO_LARGE) {
                slot[0] = '\0';
                f->body_too_long |= slot == f->body;
            } else if (rc) {
                return rc;
            }
        }
        p = stop + 1;
    }
    return CT_OK;
}

static void twilio_error(ct_http_req *req, int status, int code, const char *message)
{
    char more[96];
    snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
    ct_http_reply_json(req, status,
                       json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", message,
                                 "more_info", more, "status", status));
}

/* 1 when the request's Basic credentials are the configured account and token. */
static int authorized(sb_sms *g, ct_http_req *req)
{
    const char *h = ct_http_header(req, "Authorization");
    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
        return 0;
    unsigned char pair[512];
    size_t n = 0;
    if (sodium_base642bin(pair, sizeof(pair) - 1, h + 6, strlen(h + 6), " ", &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return 0;
    pair[n] = '\0';
    char *colon = strchr((char *)pair, ':');
    if (colon == NULL)
        return 0;
    *colon = '\0';
    const char *pass = colon + 1;
    size_t tlen = strlen(g->token);
    return strcmp((char *)pair, g->account) == 0 && strlen(pass) == tlen &&
           sodium_memcmp(pass, g->token, tlen) == 0;
}

/* Takes one pending forced failure: its status, or 0 when none is pending. */
static int take_fault(sb_sms *g)
{
    pthread_mutex_lock(&g->fault_lock);
    int status = 0;
    if (g->fail_next > 0) {
        g->fail_next--;
        g->failed++;
        status = g->fail_status;
    }
    pthread_mutex_unlock(&g->fault_lock);
    return status;
}

/* Checks the fields; on a problem answers the Twilio error and returns 0. */
static int form_valid(ct_http_req *req, const sb_sms_form *f)
{
    char msg[160];
    if (!is_e164(f->to)) {
        snprintf(msg, sizeof(msg), "The 'To' number %.40s is not a valid phone number.", f->to);
        twilio_error(req, 400, 21211, msg);
        return 0;
    }
    if (f->from[0] == '\0' && f->service[0] == '\0') {
        twilio_error(req, 400, 21603, "A 'From' phone number is required.");
        return 0;
    }
    if (f->body[0] == '\0' && !f->body_too_long) {
        twilio_error(req, 400, 21602, "Message body is required.");
        return 0;
    }
    if (!ct_utf8_valid(f->body, strlen(f->body))) {
        twilio_error(req, 400, 21602, "Message body is not valid UTF-8.");
        return 0;
    }
    if (f->body_too_long || utf8_chars(f->body) > SB_SMS_BODY_MAX) {
        twilio_error(req, 400, 21617,
                     "The concatenated message body exceeds the 1600 character limit.");
        return 0;
    }
    return 1;
}

#define MESSAGE_COLUMNS                                                                            \
    "sid, account, to_number, from_number, messaging_service_sid, body, num_segments,"             \
    " idempotency_key, created_at"

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A message's Twilio representation from a row of MESSAGE_COLUMNS, with `status`. */
static json_t *message_json(ct_stmt *s, const char *status)
{
    char date[40], price[32], uri[256], segments[16];
    rfc2822_date(ct_stmt_int64(s, 8), date, sizeof(date));
    int64_t micros = ct_stmt_int64(s, 6) * PRICE_MICROS;
    snprintf(price, sizeof(price), "-%d.%05d", (int)(micros / 1000000),
             (int)(micros % 1000000 / 10));
    snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/Messages/%s.json", ct_stmt_text(s, 1),
             ct_stmt_text(s, 0));
    snprintf(segments, sizeof(segments), "%lld", (long long)ct_stmt_int64(s, 6));
    json_t *j = json_object();
    json_object_set_new(j, "sid", json_string(ct_stmt_text(s, 0)));
    json_object_set_new(j, "account_sid", json_string(ct_stmt_text(s, 1)));
    json_object_set_new(j, "status", json_string(status));
    json_object_set_new(j, "to", json_string(ct_stmt_text(s, 2)));
    json_object_set_new(j, "from", text_or_null(ct_stmt_text(s, 3)));
    json_object_set_new(j, "messaging_service_sid", text_or_null(ct_stmt_text(s, 4)));
    json_object_set_new(j, "body", json_string(ct_stmt_text(s, 5)));
    json_object_set_new(j, "num_segments", json_string(segments));
    json_object_set_new(j, "num_media", json_string("0"));
    json_object_set_new(j, "direction", json_string("outbound-api"));
    json_object_set_new(j, "price", json_string(price));
    json_object_set_new(j, "price_unit", json_string("USD"));
    json_object_set_new(j, "date_created", json_string(date));
    json_object_set_new(j, "date_sent", json_string(date));
    json_object_set_new(j, "date_updated", json_string(date));
    json_object_set_new(j, "uri", json_string(uri));
    json_object_set_new(j, "error_code", json_null());
    json_object_set_new(j, "error_message", json_null());
    json_object_set_new(j, "idempotency_key", text_or_null(ct_stmt_text(s, 7)));
    return j;
}

/* ---- the store ---- */

typedef enum found { FOUND_NONE, FOUND_SAME, FOUND_OTHER } found;

/* Looks up the message stored under (account, key): FOUND_SAME with its JSON in *out when its
 * To and Body are the request's, FOUND_OTHER when they differ. */
static ct_status find_by_key(ct_store *st, const char *account, const char *key,
                             const sb_sms_form *f, found *what, json_t **out)
{
    ct_stmt *s = NULL;
    *what = FOUND_NONE;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " MESSAGE_COLUMNS " FROM sms_messages"
                                    " WHERE account = ? AND idempotency_key = ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, account);
    ct_stmt_bind_text(s, 2, key);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        int same =
            strcmp(ct_stmt_text(s, 2), f->to) == 0 && strcmp(ct_stmt_text(s, 5), f->body) == 0;
        *what = same ? FOUND_SAME : FOUND_OTHER;
        if (same)
            *out = message_json(s, "queued");
        rc = CT_OK;
    } else if (rc == CT_DONE) {
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status insert_message(ct_store *st, const char *sid, const char *account,
                                const sb_sms_form *f, const char *key, int64_t now)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO sms_messages (sid, account, to_number,"
                                    " from_number, messaging_service_sid, body, num_segments,"
                                    " idempotency_key, created_at)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, sid);
    ct_stmt_bind_text(s, 2, account);
    ct_stmt_bind_text(s, 3, f->to);
    ct_stmt_bind_text(s, 4, f->from[0] ? f->from : NULL);
    ct_stmt_bind_text(s, 5, f->service[0] ? f->service : NULL);
    ct_stmt_bind_text(s, 6, f->body);
    ct_stmt_bind_int64(s, 7, sb_sms_segments(f->body));
    ct_stmt_bind_text(s, 8, key);
    ct_stmt_bind_int64(s, 9, now);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

/* The stored message `sid` as JSON with `status`; CT_NOT_FOUND when there is none. */
static ct_status load_message(ct_store *st, const char *sid, const char *status, json_t **out)
{
    ct_stmt *s = NULL;
    ct_status rc =
        ct_store_prepare(st, "SELECT " MESSAGE_COLUMNS " FROM sms_messages WHERE sid = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, sid);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *out = message_json(s, status);
        rc = *out ? CT_OK : CT_NOMEM;
    } else if (rc == CT_DONE) {
        rc = CT_NOT_FOUND;
    }
    ct_stmt_finalize(s);
    return rc;
}

/* Stores the message of the request (or finds the one stored under its key) in one
 * transaction. *out: the answer's JSON; *what: whether the key was already there. */
static ct_status store_or_find(sb_sms *g, const sb_sms_form *f, const char *key, found *what,
                               json_t **out)
{
    unsigned char rnd[16];
    char hex[2 * sizeof(rnd) + 1], sid[40];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(sid, sizeof(sid), "SM%s", hex);
    ct_store *st = sb_dbpool_acquire(g->db);
    *what = FOUND_NONE;
    ct_status rc = CT_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = ct_store_begin(st);
        if (rc == CT_OK && key != NULL)
            rc = find_by_key(st, g->account, key, f, what, out);
        if (rc == CT_OK && *what == FOUND_NONE)
            rc = insert_message(st, sid, g->account, f, key, sb_clock_now(g->clock));
        if (rc == CT_OK && *what == FOUND_NONE)
            rc = load_message(st, sid, "queued", out);
        if (rc == CT_OK)
            rc = ct_store_commit(st);
        if (rc == CT_OK)
            break;
        ct_store_rollback(st); /* a racing request stored the key first: find it now */
        if (*out != NULL) {
            json_decref(*out);
            *out = NULL;
        }
    }
    if (rc)
        ct_log(CT_LOG_ERROR, "sms.store_failed", "error", ct_store_errmsg(st), NULL);
    sb_dbpool_release(g->db, st);
    return rc;
}

/* ---- handlers ---- */

static void h_create(ct_http_req *req, void *ctx)
{
    sb_sms *g = ctx;
    if (!authorized(g, req)) {
        ct_http_add_header(req, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
        twilio_error(req, 401, 20003, "Authenticate");
        return;
    }
    if (strcmp(ct_http_param(req, "account"), g->account) != 0) {
        twilio_error(req, 404, 20404, "The requested resource was not found");
        return;
    }
    int fault = take_fault(g);
    if (fault) {
        ct_log(CT_LOG_INFO, "sms.fault", "status", fault == 429 ? "429" : "5xx", NULL);
        twilio_error(req, fault, fault == 429 ? 20429 : 20500, "Injected fault");
        return;
    }
    size_t len = 0;
    const char *body = ct_http_body(req, &len);
    sb_sms_form *f = ct_malloc(sizeof(*f));
    if (f == NULL) {
        twilio_error(req, 500, 20500, "Out of memory");
        return;
    }
    json_t *answer = NULL;
    if (sb_sms_form_parse(body ? body : "", body ? len : 0, f) != CT_OK) {
        twilio_error(req, 400, 21602, "The form body is not valid x-www-form-urlencoded text.");
        goto cleanup;
    }
    if (!form_valid(req, f))
        goto cleanup;
    const char *key = ct_http_header(req, "I-Twilio-Idempotency-Token");
    key = key ? key : ct_http_header(req, "Idempotency-Key");
    if (key != NULL && (key[0] == '\0' || strlen(key) > KEY_MAX)) {
        twilio_error(req, 400, 20001, "The idempotency token must be 1 to 200 characters.");
        goto cleanup;
    }
    found what = FOUND_NONE;
    if (store_or_find(g, f, key, &what, &answer) != CT_OK)
        twilio_error(req, 500, 20500, "The message could not be stored");
    else if (what == FOUND_OTHER)
        twilio_error(req, 409, 20409, "The idempotency token was used for a different message.");
    else {
        ct_log(CT_LOG_INFO, what == FOUND_SAME ? "sms.replayed" : "sms.sent", "sid",
               json_string_value(json_object_get(answer, "sid")), "to", f->to, NULL);
        ct_http_reply_json(req, 201, answer);
        answer = NULL;
    }
cleanup:
    json_decref(answer);
    ct_free(f);
}

static void reply_store_error(ct_http_req *req, ct_store *st, ct_status rc)
{
    ct_log(CT_LOG_ERROR, "sms.read_failed", "status", ct_status_name(rc), "error",
           ct_store_errmsg(st), NULL);
    ct_http_problem(req, 500, "Internal error", "the message store could not be read");
}

static ct_status list_messages(ct_store *st, const char *to, long limit, json_t *items,
                               int64_t *total)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT COUNT(*) FROM sms_messages WHERE ? IS NULL OR to_number = ?", &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, to);
    ct_stmt_bind_text(s, 2, to);
    rc = ct_stmt_step(s);
    *total = rc == CT_ROW ? ct_stmt_int64(s, 0) : 0;
    ct_stmt_finalize(s);
    if (rc != CT_ROW)
        return rc ? rc : CT_ERR;
    rc = ct_store_prepare(st,
                          "SELECT " MESSAGE_COLUMNS " FROM sms_messages WHERE ? IS NULL OR"
                          " to_number = ? ORDER BY seq DESC LIMIT ?",
                          &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, to);
    ct_stmt_bind_text(s, 2, to);
    ct_stmt_bind_int64(s, 3, limit);
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        if (json_array_append_new(items, message_json(s, "delivered")) != 0) {
            rc = CT_NOMEM;
            break;
        }
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static void h_list(ct_http_req *req, void *ctx)
{
    sb_sms *g = ctx;
    const char *limit_s = ct_http_query(req, "limit");
    const char *to = ct_http_query(req, "to");
    char *end = NULL;
    long limit = limit_s ? strtol(limit_s, &end, 10) : DEFAULT_LIMIT;
    if (limit_s != NULL && (*limit_s == '\0' || *end != '\0' || limit < 1 || limit > MAX_LIMIT)) {
        ct_http_problem_field(req, "limit", "expected an integer from 1 to 500");
        return;
    }
    if (to != NULL && (to[0] == '\0' || strlen(to) > 32)) {
        ct_http_problem_field(req, "to", "expected a phone number");
        return;
    }
    ct_store *st = sb_dbpool_acquire(g->db);
    json_t *items = json_array();
    int64_t total = 0;
    ct_status rc = list_messages(st, to, limit, items, &total);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200,
                           json_pack("{s:I, s:O}", "total", (json_int_t)total, "items", items));
    else
        reply_store_error(req, st, rc);
    json_decref(items);
    sb_dbpool_release(g->db, st);
}

static void h_get(ct_http_req *req, void *ctx)
{
    sb_sms *g = ctx;
    ct_store *st = sb_dbpool_acquire(g->db);
    json_t *j = NULL;
    ct_status rc = load_message(st, ct_http_param(req, "sid"), "delivered", &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        ct_http_problem(req, 404, "Not found", "no message with this sid");
    else
        reply_store_error(req, st, rc);
    sb_dbpool_release(g->db, st);
}

static void h_delete_all(ct_http_req *req, void *ctx)
{
    sb_sms *g = ctx;
    ct_store *st = sb_dbpool_acquire(g->db);
    ct_stmt *s = NULL;
    int64_t n = 0;
    ct_status rc = ct_store_prepare(st, "SELECT COUNT(*) FROM sms_messages", &s);
    if (rc == CT_OK && (rc = ct_stmt_step(s)) == CT_ROW) {
        n = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    if (rc == CT_OK)
        rc = ct_store_exec(st, "DELETE FROM sms_messages");
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
    else
        reply_store_error(req, st, rc);
    sb_dbpool_release(g->db, st);
}

static json_t *faults_json(sb_sms *g)
{
    pthread_mutex_lock(&g->fault_lock);
    json_t *j = json_pack("{s:i, s:i, s:I}", "fail_next", g->fail_next, "status", g->fail_status,
                          "failed", (json_int_t)g->failed);
    pthread_mutex_unlock(&g->fault_lock);
    return j;
}

static void h_faults_get(ct_http_req *req, void *ctx)
{
    ct_http_reply_json(req, 200, faults_json(ctx));
}

static void h_faults_put(ct_http_req *req, void *ctx)
{
    sb_sms *g = ctx;
    size_t len = 0;
    const char *body = ct_http_body(req, &len);
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *next = json_object_get(j, "fail_next"), *status = json_object_get(j, "status");
    json_int_t n = json_integer_value(next), code = status ? json_integer_value(status) : 503;
    if (!json_is_integer(next) || n < 0 || n > 1000000)
        ct_http_problem_field(req, "fail_next", "expected an integer from 0 to 1000000");
    else if (code != 429 && code != 500 && code != 502 && code != 503)
        ct_http_problem_field(req, "status", "expected 429, 500, 502 or 503");
    else {
        pthread_mutex_lock(&g->fault_lock);
        g->fail_next = (int)n;
        g->fail_status = (int)code;
        pthread_mutex_unlock(&g->fault_lock);
        ct_http_reply_json(req, 200, faults_json(g));
    }
    json_decref(j);
}

static void h_healthz(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "service", "sms"));
}

/* ---- lifecycle ---- */

static ct_status add_routes(sb_sms *g)
{
    static const struct {
        const char *method, *pattern;
        ct_http_handler handler;
    } routes[] = {
        {"GET", "/healthz", h_healthz},
        {"POST", "/2010-04-01/Accounts/{account}/Messages.json", h_create},
        {"GET", "/api/v1/messages", h_list},
        {"DELETE", "/api/v1/messages", h_delete_all},
        {"GET", "/api/v1/messages/{sid}", h_get},
        {"GET", "/admin/faults", h_faults_get},
        {"PUT", "/admin/faults", h_faults_put},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ct_status rc =
            ct_router_add(g->router, routes[i].method, routes[i].pattern, routes[i].handler, g);
        if (rc)
            return rc;
    }
    return sb_clock_register(g->router, g->clock);
}

ct_status sb_sms_start(const sb_sms_options *opt, sb_sms **out, char *err, size_t errlen)
{
    ct_http_options http = opt->http;
    http.threads = http.threads > 0 ? http.threads : DEFAULT_THREADS;
    http.any_body_type = 1; /* the message API is form-encoded */
    sb_sms *g = ct_calloc(1, sizeof(*g));
    ct_status rc = CT_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (g == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&g->fault_lock, NULL);
    g->fail_status = 503;
    if ((g->account = ct_strdup(opt->account ? opt->account : SB_SMS_DEFAULT_ACCOUNT)) == NULL ||
        (g->token = ct_strdup(opt->token ? opt->token : SB_SMS_DEFAULT_TOKEN)) == NULL ||
        sb_clock_open(opt->clock_path, &g->clock) != CT_OK ||
        (g->router = ct_router_create()) == NULL)
        goto fail;
    rc = sb_dbpool_open(opt->db_url, http.threads + 2, schema_sql, &g->db, err, errlen);
    if (rc == CT_OK && (rc = add_routes(g)) != CT_OK)
        snprintf(err, errlen, "cannot add routes");
    if (rc == CT_OK && (rc = ct_http_server_start(&http, g->router, &g->http)) != CT_OK)
        snprintf(err, errlen, "cannot listen for HTTP on %s:%d (%s)",
                 http.host ? http.host : "127.0.0.1", http.port, ct_status_name(rc));
    if (rc)
        goto fail;
    *out = g;
    return CT_OK;
fail:
    sb_sms_stop(g);
    return rc;
}

int sb_sms_port(const sb_sms *g)
{
    return ct_http_server_port(g->http);
}

void sb_sms_stop(sb_sms *g)
{
    if (g == NULL)
        return;
    ct_http_server_stop(g->http);
    ct_router_destroy(g->router);
    sb_dbpool_close(g->db);
    sb_clock_close(g->clock);
    pthread_mutex_destroy(&g->fault_lock);
    ct_free(g->account);
    ct_free(g->token);
    ct_free(g);
}

/* ---- the `sms` subcommand ---- */

int sb_sms_main(const ct_config *cfg)
{
    char err[512], url[1024];
    sb_sms_options opt = {0};
    if (sb_daemon_http_options(cfg, SB_SMS_DEFAULT_PORT, DEFAULT_THREADS, &opt.http, err,
                               sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    if (sb_daemon_store_url(ct_config_get(cfg, "db", SB_SMS_DEFAULT_DB), url, sizeof(url))) {
        fprintf(stderr, "contrail-sandbox: db: cannot use '%s'\n", ct_config_get(cfg, "db", ""));
        return 2;
    }
    opt.db_url = url;
    opt.clock_path = ct_config_get(cfg, "clock", SB_CLOCK_DEFAULT_PATH);
    opt.account = ct_config_get(cfg, "account", SB_SMS_DEFAULT_ACCOUNT);
    opt.token = ct_config_get(cfg, "token", SB_SMS_DEFAULT_TOKEN);
    sigset_t stop;
    sb_daemon_block_stop_signals(&stop);
    sb_sms *g = NULL;
    ct_status rc = sb_sms_start(&opt, &g, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: sms: %s\n", err);
        return rc == CT_INVALID ? 2 : 1;
    }
    const char *pf = ct_config_get(cfg, "port_file", NULL);
    if (pf != NULL && sb_daemon_write_port_file(pf, sb_sms_port(g)) != CT_OK)
        fprintf(stderr, "contrail-sandbox: cannot write %s\n", pf);
    char port[16];
    snprintf(port, sizeof(port), "%d", sb_sms_port(g));
    ct_log(CT_LOG_INFO, "sms.ready", "host", opt.http.host, "port", port, NULL);
    printf("Sandbox SMS gateway: http://%s:%d (account %s), messages at /api/v1/messages  (Ctrl-C "
           "stops it)\n",
           opt.http.host, sb_sms_port(g), opt.account);
    fflush(stdout);
    ct_log(CT_LOG_INFO, "sms.stopping", "signal", sb_daemon_wait_stop(&stop), NULL);
    sb_sms_stop(g);
    ct_log(CT_LOG_INFO, "sms.stopped", NULL);
    return 0;
}
