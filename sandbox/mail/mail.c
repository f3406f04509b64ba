/* mail.c: the mailbox behind the SMTP server, its HTTP API and the `mail` subcommand (see
 * mail.h for the API and what is stored).
 *
 * Delivery (SMTP session threads): prepend the trace fields, read the headers worth listing
 * (sandbox/mime.h), and write the message and its recipients in one transaction on a pooled
 * connection; the SMTP reply 250 goes out only after the commit. Reading (HTTP threads): list
 * queries return summaries; the full view parses the stored raw text on demand (headers,
 * decoded bodies), so nothing derived needs a schema change. Every string that goes into JSON
 * passes through sb_mime_utf8_clean, because mail may carry any bytes and JSON may not. */
#define _GNU_SOURCE
#include "sandbox/mail/mail.h"

#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "sandbox/runtime/clock.h"
#include "sandbox/runtime/daemon.h"
#include "sandbox/runtime/dbpool.h"
#include "sandbox/mail/mime.h"
#include "store/store.h"

const ct_flag sb_mail_flags[] = {
    {"db", CT_FLAG_STRING, SB_MAIL_DEFAULT_DB,
     "the mailbox database (PATH, sqlite:PATH, postgres://)"},
    {"smtp_host", CT_FLAG_STRING, "127.0.0.1", "SMTP bind address"},
    {"smtp_port", CT_FLAG_INT, "2525", "SMTP port, 0 = any free one"},
    {"smtp_port_file", CT_FLAG_PATH, NULL, "write the bound SMTP port there"},
    {"hostname", CT_FLAG_STRING, SB_SMTP_DEFAULT_HOSTNAME, "the name in the SMTP greeting"},
    {"max_message_size", CT_FLAG_INT, "10485760", "bytes"},
    {"max_clients", CT_FLAG_INT, "32", "SMTP sessions at once"},
    {"smtp_timeout", CT_FLAG_INT, "300", "seconds of SMTP silence before closing"},
    {NULL, 0, NULL, NULL},
};

#define DEFAULT_LIMIT   50
#define MAX_LIMIT       500
#define DEFAULT_THREADS 2
#define FIELD_CAP       (64u << 10)

struct sb_mail {
    sb_dbpool *db;
    sb_clock *clock;
    char *hostname;
    ct_router *router;
    ct_http_server *http;
    sb_smtp_server *smtp;
};

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS messages ("
                                 " seq INTEGER PRIMARY KEY,"
                                 " id TEXT NOT NULL UNIQUE,"
                                 " mail_from TEXT NOT NULL,"
                                 " helo TEXT NOT NULL,"
                                 " peer TEXT NOT NULL,"
                                 " subject TEXT,"
                                 " header_from TEXT,"
                                 " header_to TEXT,"
                                 " header_date TEXT,"
                                 " header_message_id TEXT,"
                                 " size BIGINT NOT NULL,"
                                 " received_at BIGINT NOT NULL,"
                                 " raw TEXT NOT NULL);"
                                 "CREATE TABLE IF NOT EXISTS message_recipients ("
                                 " message TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
                                 " position INTEGER NOT NULL,"
                                 " address TEXT NOT NULL,"
                                 " address_lower TEXT NOT NULL,"
                                 " PRIMARY KEY (message, position));"
                                 "CREATE INDEX IF NOT EXISTS message_recipients_address"
                                 " ON message_recipients(address_lower);";

/* ---- delivery ---- */

/* "Sun, 01 Mar 2026 08:00:00 +0000" (RFC 5322 3.3), independent of the locale. */
static void rfc5322_date(int64_t t, char *buf, size_t len)
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

/* The trace fields a final delivery adds in front of the message (RFC 5321 4.4). */
static ct_status trace_fields(sb_mail *m, const sb_smtp_envelope *env, const char *id, int64_t now,
                              ct_strbuf *out)
{
    char date[40];
    rfc5322_date(now, date, sizeof(date));
    ct_status rc = ct_strbuf_printf(out, "Return-Path: <%s>\r\n", env->mail_from);
    if (rc == CT_OK)
        rc = ct_strbuf_printf(
            out, "Received: from %s ([%s])\r\n\tby %s (contrail-sandbox) with %s id %s", env->helo,
            env->peer, m->hostname, env->esmtp ? "ESMTP" : "SMTP", id);
    if (rc == CT_OK && env->nrcpt == 1)
        rc = ct_strbuf_printf(out, "\r\n\tfor <%s>", env->rcpt[0]);
    if (rc == CT_OK)
        rc = ct_strbuf_printf(out, "; %s\r\n", date);
    return rc;
}

/* The decoded, UTF-8-clean value of header `name`, as a malloc'd string; NULL when absent. */
static char *listed_header(const sb_mime_view *v, const char *name)
{
    ct_strbuf raw, decoded, clean;
    ct_strbuf_init(&raw, FIELD_CAP);
    ct_strbuf_init(&decoded, FIELD_CAP);
    ct_strbuf_init(&clean, FIELD_CAP);
    char *out = NULL;
    if (sb_mime_header(v, name, &raw) == CT_OK &&
        sb_mime_decode_words(ct_strbuf_str(&raw), &decoded) == CT_OK &&
        sb_mime_utf8_clean(ct_strbuf_str(&decoded), decoded.len, &clean) == CT_OK)
        out = ct_strbuf_take(&clean);
    ct_strbuf_free(&raw);
    ct_strbuf_free(&decoded);
    ct_strbuf_free(&clean);
    return out;
}

enum { H_SUBJECT, H_FROM, H_TO, H_DATE, H_MESSAGE_ID, H_COUNT };

static ct_status insert_message(ct_store *st, const char *id, const sb_smtp_envelope *env,
                                char *const *hdr, size_t size, int64_t now, const char *raw)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO messages (id, mail_from, helo, peer, subject,"
                                    " header_from, header_to, header_date, header_message_id,"
                                    " size, received_at, raw)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, id);
    ct_stmt_bind_text(s, 2, env->mail_from);
    ct_stmt_bind_text(s, 3, env->helo);
    ct_stmt_bind_text(s, 4, env->peer);
    for (int i = 0; i < H_COUNT; i++)
        ct_stmt_bind_text(s, 5 + i, hdr[i]);
    ct_stmt_bind_int64(s, 10, (int64_t)size);
    ct_stmt_bind_int64(s, 11, now);
    ct_stmt_bind_text(s, 12, raw);
    rc = ct_stmt_step(s);
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}

static ct_status insert_recipients(ct_store *st, const char *id, const sb_smtp_envelope *env)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "INSERT INTO message_recipients (message, position, address,"
                                    " address_lower) VALUES (?, ?, ?, ?)",
                                    &s);
    for (size_t i = 0; rc == CT_OK && i < env->nrcpt; i++) {
        char lower[256];
        snprintf(lower, sizeof(lower), "%s", env->rcpt[i]);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        ct_stmt_reset(s);
        ct_stmt_bind_text(s, 1, id);
        ct_stmt_bind_int64(s, 2, (int64_t)i);
        ct_stmt_bind_text(s, 3, env->rcpt[i]);
        ct_stmt_bind_text(s, 4, lower);
        rc = ct_stmt_step(s);
        rc = rc == CT_DONE ? CT_OK : rc;
    }
    ct_stmt_finalize(s);
    return rc;
}

static ct_status store_message(sb_mail *m, const char *id, const sb_smtp_envelope *env,
                               char *const *hdr, size_t size, int64_t now, const char *raw)
{
    ct_store *st = sb_dbpool_acquire(m->db);
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = insert_message(st, id, env, hdr, size, now, raw);
    if (rc == CT_OK)
        rc = insert_recipients(st, id, env);
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc) {
        ct_log(CT_LOG_ERROR, "mail.store_failed", "error", ct_store_errmsg(st), NULL);
        ct_store_rollback(st);
    }
    sb_dbpool_release(m->db, st);
    return rc;
}

static ct_status deliver(void *ctx, const sb_smtp_envelope *env, const char *data, size_t len,
                         char *id_out, size_t id_len)
{
    sb_mail *m = ctx;
    unsigned char rnd[10];
    char hex[2 * sizeof(rnd) + 1], id[32];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(id, sizeof(id), "msg_%s", hex);
    int64_t now = sb_clock_now(m->clock);
    ct_strbuf raw;
    ct_strbuf_init(&raw, len + 4096);
    sb_mime_view v;
    sb_mime_split(data, len, &v);
    static const char *const names[H_COUNT] = {"Subject", "From", "To", "Date", "Message-ID"};
    char *hdr[H_COUNT];
    for (int i = 0; i < H_COUNT; i++)
        hdr[i] = listed_header(&v, names[i]);
    ct_status rc = trace_fields(m, env, id, now, &raw);
    if (rc == CT_OK)
        rc = ct_strbuf_append(&raw, data, len);
    if (rc == CT_OK)
        rc = store_message(m, id, env, hdr, len, now, ct_strbuf_str(&raw));
    if (rc == CT_OK) {
        snprintf(id_out, id_len, "%s", id);
        char n[16];
        snprintf(n, sizeof(n), "%zu", env->nrcpt);
        ct_log(CT_LOG_INFO, "mail.received", "id", id, "from", env->mail_from, "recipients", n,
               "subject", hdr[H_SUBJECT] ? hdr[H_SUBJECT] : "", NULL);
    }
    for (int i = 0; i < H_COUNT; i++)
        ct_free(hdr[i]);
    ct_strbuf_free(&raw);
    return rc;
}

/* ---- reading ---- */

static json_t *clean_json(const char *s, size_t len)
{
    ct_strbuf b;
    ct_strbuf_init(&b, 2 * len + 16);
    json_t *j =
        sb_mime_utf8_clean(s, len, &b) == CT_OK ? json_stringn(b.data ? b.data : "", b.len) : NULL;
    ct_strbuf_free(&b);
    return j;
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    return json_string(ct_utc_format(t, buf, sizeof(buf)));
}

#define SUMMARY_COLUMNS                                                                            \
    "id, mail_from, subject, header_from, header_to, header_date, header_message_id, size,"        \
    " received_at"

/* The envelope recipients of message `id`, in RCPT order. */
static ct_status recipients_json(ct_store *st, const char *id, json_t **out)
{
    ct_stmt *s = NULL;
    json_t *list = json_array();
    ct_status rc = ct_store_prepare(
        st, "SELECT address FROM message_recipients WHERE message = ? ORDER BY position", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, id);
    while (rc == CT_OK && (rc = ct_stmt_step(s)) == CT_ROW)
        rc = json_array_append_new(list, json_string(ct_stmt_text(s, 0))) == 0 ? CT_OK : CT_NOMEM;
    ct_stmt_finalize(s);
    if (rc != CT_DONE) {
        json_decref(list);
        return rc ? rc : CT_ERR;
    }
    *out = list;
    return CT_OK;
}

/* A summary from a row of SUMMARY_COLUMNS. */
static ct_status summary_json(ct_store *st, ct_stmt *s, json_t **out)
{
    json_t *to = NULL;
    ct_status rc = recipients_json(st, ct_stmt_text(s, 0), &to);
    if (rc)
        return rc;
    json_t *j =
        json_pack("{s:s, s:{s:s, s:o}, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "id",
                  ct_stmt_text(s, 0), "envelope", "from", ct_stmt_text(s, 1), "to", to, "subject",
                  text_or_null(ct_stmt_text(s, 2)), "from", text_or_null(ct_stmt_text(s, 3)), "to",
                  text_or_null(ct_stmt_text(s, 4)), "date", text_or_null(ct_stmt_text(s, 5)),
                  "message_id", text_or_null(ct_stmt_text(s, 6)), "size",
                  (json_int_t)ct_stmt_int64(s, 7), "received_at", time_json(ct_stmt_int64(s, 8)));
    *out = j;
    return j ? CT_OK : CT_NOMEM;
}

static ct_status count_messages(ct_store *st, const char *to, int64_t *out)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT COUNT(*) FROM messages m WHERE ? IS NULL OR EXISTS"
                                    " (SELECT 1 FROM message_recipients r WHERE r.message = m.id"
                                    " AND r.address_lower = ?)",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, to);
    ct_stmt_bind_text(s, 2, to);
    rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        *out = ct_stmt_int64(s, 0);
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : rc;
}

static ct_status list_messages(ct_store *st, const char *to, long limit, json_t *items)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " SUMMARY_COLUMNS " FROM messages m"
                                    " WHERE ? IS NULL OR EXISTS (SELECT 1 FROM"
                                    " message_recipients r WHERE r.message = m.id AND"
                                    " r.address_lower = ?) ORDER BY seq DESC LIMIT ?",
                                    &s);
    if (rc)
        return rc;
    ct_stmt_bind_text(s, 1, to);
    ct_stmt_bind_text(s, 2, to);
    ct_stmt_bind_int64(s, 3, limit);
    while ((rc = ct_stmt_step(s)) == CT_ROW) {
        json_t *one = NULL;
        rc = summary_json(st, s, &one);
        if (rc || json_array_append_new(items, one) != 0)
            break;
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : (rc ? rc : CT_NOMEM);
}

static void reply_store_error(ct_http_req *req, ct_store *st, ct_status rc)
{
    ct_log(CT_LOG_ERROR, "mail.read_failed", "status", ct_status_name(rc), "error",
           ct_store_errmsg(st), NULL);
    ct_http_problem(req, 500, "Internal error", "the mailbox could not be read");
}

static void h_healthz(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "service", "mail"));
}

static void h_list(ct_http_req *req, void *ctx)
{
    sb_mail *m = ctx;
    const char *limit_s = ct_http_query(req, "limit");
    const char *to_q = ct_http_query(req, "to");
    char *end = NULL;
    long limit = limit_s ? strtol(limit_s, &end, 10) : DEFAULT_LIMIT;
    if (limit_s != NULL && (*limit_s == '\0' || *end != '\0' || limit < 1 || limit > MAX_LIMIT)) {
        ct_http_problem_field(req, "limit", "expected an integer from 1 to 500");
        return;
    }
    char to[256];
    size_t to_len = to_q ? strlen(to_q) : 0;
    if (to_q != NULL && (to_len == 0 || to_len >= sizeof(to))) {
        ct_http_problem_field(req, "to", "expected an email address (at most 255 characters)");
        return;
    }
    for (size_t i = 0; to_q != NULL && i <= to_len; i++)
        to[i] = (char)tolower((unsigned char)to_q[i]);
    ct_store *st = sb_dbpool_acquire(m->db);
    json_t *items = json_array();
    int64_t total = 0;
    ct_status rc = count_messages(st, to_q ? to : NULL, &total);
    if (rc == CT_OK)
        rc = list_messages(st, to_q ? to : NULL, limit, items);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200,
                           json_pack("{s:I, s:O}", "total", (json_int_t)total, "items", items));
    else
        reply_store_error(req, st, rc);
    json_decref(items);
    sb_dbpool_release(m->db, st);
}

typedef struct header_list {
    json_t *list;
} header_list;

static ct_status add_header(const char *name, const char *value, void *ctx)
{
    header_list *h = ctx;
    json_t *one = json_pack("{s:o, s:o}", "name", clean_json(name, strlen(name)), "value",
                            clean_json(value, strlen(value)));
    return one && json_array_append_new(h->list, one) == 0 ? CT_OK : CT_NOMEM;
}

/* Adds headers, text, html and raw, all parsed from the stored raw message. */
static ct_status add_parsed(json_t *j, const char *raw)
{
    size_t len = strlen(raw);
    sb_mime_view v;
    sb_mime_split(raw, len, &v);
    header_list h = {json_array()};
    ct_status rc = sb_mime_each_header(&v, add_header, &h);
    json_object_set_new(j, "headers", h.list);
    ct_strbuf text, html;
    ct_strbuf_init(&text, 64u << 20);
    ct_strbuf_init(&html, 64u << 20);
    int has_text = 0, has_html = 0;
    if (rc == CT_OK)
        rc = sb_mime_text_bodies(raw, len, &text, &has_text, &html, &has_html);
    if (rc == CT_OK) {
        json_object_set_new(
            j, "text", has_text ? clean_json(text.data ? text.data : "", text.len) : json_null());
        json_object_set_new(
            j, "html", has_html ? clean_json(html.data ? html.data : "", html.len) : json_null());
        json_object_set_new(j, "raw", clean_json(raw, len));
    }
    ct_strbuf_free(&text);
    ct_strbuf_free(&html);
    return rc;
}

/* Loads message `id` in full: CT_NOT_FOUND when there is none. */
static ct_status message_json(ct_store *st, const char *id, json_t **out)
{
    ct_stmt *s = NULL;
    json_t *j = NULL;
    ct_status rc = ct_store_prepare(st,
                                    "SELECT " SUMMARY_COLUMNS ", helo, peer, raw FROM messages"
                                    " WHERE id = ?",
                                    &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, id);
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_DONE)
        rc = CT_NOT_FOUND;
    else if (rc == CT_ROW)
        rc = summary_json(st, s, &j);
    if (rc == CT_OK) {
        json_t *env = json_object_get(j, "envelope");
        json_object_set_new(env, "helo",
                            clean_json(ct_stmt_text(s, 9), strlen(ct_stmt_text(s, 9))));
        json_object_set_new(env, "peer", json_string(ct_stmt_text(s, 10)));
        rc = add_parsed(j, ct_stmt_text(s, 11));
    }
    ct_stmt_finalize(s);
    if (rc)
        json_decref(j);
    else
        *out = j;
    return rc;
}

static void h_get(ct_http_req *req, void *ctx)
{
    sb_mail *m = ctx;
    ct_store *st = sb_dbpool_acquire(m->db);
    json_t *j = NULL;
    ct_status rc = message_json(st, ct_http_param(req, "id"), &j);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, j);
    else if (rc == CT_NOT_FOUND)
        ct_http_problem(req, 404, "Not found", "no message with this id");
    else
        reply_store_error(req, st, rc);
    sb_dbpool_release(m->db, st);
}

static void h_raw(ct_http_req *req, void *ctx)
{
    sb_mail *m = ctx;
    ct_store *st = sb_dbpool_acquire(m->db);
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(st, "SELECT raw FROM messages WHERE id = ?", &s);
    if (rc == CT_OK)
        rc = ct_stmt_bind_text(s, 1, ct_http_param(req, "id"));
    if (rc == CT_OK)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        const char *raw = ct_stmt_text(s, 0);
        ct_http_reply(req, 200, "message/rfc822", raw, strlen(raw));
    } else if (rc == CT_DONE) {
        ct_http_problem(req, 404, "Not found", "no message with this id");
    } else {
        reply_store_error(req, st, rc);
    }
    ct_stmt_finalize(s);
    sb_dbpool_release(m->db, st);
}

/* Deletes one message (id) or all (id NULL) in one transaction; *deleted gets the count. */
static ct_status delete_messages(ct_store *st, const char *id, int64_t *deleted)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_begin(st);
    if (rc == CT_OK)
        rc = ct_store_prepare(st, "SELECT COUNT(*) FROM messages WHERE ? IS NULL OR id = ?", &s);
    if (rc == CT_OK) {
        ct_stmt_bind_text(s, 1, id);
        ct_stmt_bind_text(s, 2, id);
        rc = ct_stmt_step(s) == CT_ROW ? CT_OK : CT_ERR;
        *deleted = rc == CT_OK ? ct_stmt_int64(s, 0) : 0;
    }
    ct_stmt_finalize(s);
    s = NULL;
    if (rc == CT_OK)
        rc = ct_store_prepare(st, "DELETE FROM messages WHERE ? IS NULL OR id = ?", &s);
    if (rc == CT_OK) {
        ct_stmt_bind_text(s, 1, id);
        ct_stmt_bind_text(s, 2, id);
        rc = ct_stmt_step(s) == CT_DONE ? CT_OK : CT_ERR;
    }
    ct_stmt_finalize(s);
    if (rc == CT_OK)
        rc = ct_store_commit(st);
    if (rc)
        ct_store_rollback(st);
    return rc;
}

static void h_delete_all(ct_http_req *req, void *ctx)
{
    sb_mail *m = ctx;
    ct_store *st = sb_dbpool_acquire(m->db);
    int64_t n = 0;
    ct_status rc = delete_messages(st, NULL, &n);
    if (rc == CT_OK)
        ct_http_reply_json(req, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
    else
        reply_store_error(req, st, rc);
    sb_dbpool_release(m->db, st);
}

static void h_delete_one(ct_http_req *req, void *ctx)
{
    sb_mail *m = ctx;
    ct_store *st = sb_dbpool_acquire(m->db);
    int64_t n = 0;
    ct_status rc = delete_messages(st, ct_http_param(req, "id"), &n);
    if (rc == CT_OK && n == 0)
        ct_http_problem(req, 404, "Not found", "no message with this id");
    else if (rc == CT_OK)
        ct_http_reply(req, 204, NULL, "", 0);
    else
        reply_store_error(req, st, rc);
    sb_dbpool_release(m->db, st);
}

/* ---- lifecycle ---- */

static ct_status add_routes(sb_mail *m)
{
    static const struct {
        const char *method, *pattern;
        ct_http_handler handler;
    } routes[] = {
        {"GET", "/healthz", h_healthz},
        {"GET", "/api/v1/messages", h_list},
        {"DELETE", "/api/v1/messages", h_delete_all},
        {"GET", "/api/v1/messages/{id}", h_get},
        {"DELETE", "/api/v1/messages/{id}", h_delete_one},
        {"GET", "/api/v1/messages/{id}/raw", h_raw},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ct_status rc =
            ct_router_add(m->router, routes[i].method, routes[i].pattern, routes[i].handler, m);
        if (rc)
            return rc;
    }
    return sb_clock_register(m->router, m->clock);
}

static ct_status start_servers(sb_mail *m, const sb_mail_options *opt, ct_http_options *http,
                               char *err, size_t errlen)
{
    sb_smtp_options smtp = opt->smtp;
    smtp.host = smtp.host ? smtp.host : http->host;
    smtp.hostname = m->hostname;
    smtp.deliver = deliver;
    smtp.deliver_ctx = m;
    ct_status rc = sb_smtp_start(&smtp, &m->smtp);
    if (rc) {
        snprintf(err, errlen, "cannot listen for SMTP on %s:%d (%s)",
                 smtp.host ? smtp.host : "127.0.0.1", smtp.port, ct_status_name(rc));
        return rc;
    }
    rc = ct_http_server_start(http, m->router, &m->http);
    if (rc)
        snprintf(err, errlen, "cannot listen for HTTP on %s:%d (%s)",
                 http->host ? http->host : "127.0.0.1", http->port, ct_status_name(rc));
    return rc;
}

ct_status sb_mail_start(const sb_mail_options *opt, sb_mail **out, char *err, size_t errlen)
{
    ct_http_options http = opt->http;
    http.threads = http.threads > 0 ? http.threads : DEFAULT_THREADS;
    sb_mail *m = ct_calloc(1, sizeof(*m));
    ct_status rc = CT_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (m == NULL ||
        (m->hostname = ct_strdup(opt->smtp.hostname ? opt->smtp.hostname
                                                    : SB_SMTP_DEFAULT_HOSTNAME)) == NULL ||
        sb_clock_open(opt->clock_path, &m->clock) != CT_OK ||
        (m->router = ct_router_create()) == NULL)
        goto fail;
    rc = sb_dbpool_open(opt->db_url, http.threads + 2, schema_sql, &m->db, err, errlen);
    if (rc == CT_OK && (rc = add_routes(m)) != CT_OK)
        snprintf(err, errlen, "cannot add routes");
    if (rc == CT_OK)
        rc = start_servers(m, opt, &http, err, errlen);
    if (rc)
        goto fail;
    *out = m;
    return CT_OK;
fail:
    sb_mail_stop(m);
    return rc;
}

int sb_mail_http_port(const sb_mail *m)
{
    return ct_http_server_port(m->http);
}

int sb_mail_smtp_port(const sb_mail *m)
{
    return sb_smtp_port(m->smtp);
}

void sb_mail_stop(sb_mail *m)
{
    if (m == NULL)
        return;
    sb_smtp_stop(m->smtp);
    ct_http_server_stop(m->http);
    ct_router_destroy(m->router);
    sb_dbpool_close(m->db);
    sb_clock_close(m->clock);
    ct_free(m->hostname);
    ct_free(m);
}

/* ---- the `mail` subcommand ---- */

static ct_status smtp_options(const ct_config *cfg, sb_smtp_options *o, char *err, size_t errlen)
{
    long port = 0, size = 0, clients = 0, timeout = 0;
    if (ct_config_get_int(cfg, "smtp_port", SB_MAIL_DEFAULT_SMTP_PORT, 0, 65535, &port, err,
                          errlen) ||
        ct_config_get_int(cfg, "max_message_size", 10L << 20, 1024, 1L << 30, &size, err, errlen) ||
        ct_config_get_int(cfg, "max_clients", 32, 1, 1024, &clients, err, errlen) ||
        ct_config_get_int(cfg, "smtp_timeout", 300, 1, 3600, &timeout, err, errlen))
        return CT_INVALID;
    memset(o, 0, sizeof(*o));
    o->host = ct_config_get(cfg, "smtp_host", NULL);
    o->port = (int)port;
    o->hostname = ct_config_get(cfg, "hostname", SB_SMTP_DEFAULT_HOSTNAME);
    o->max_message_size = (size_t)size;
    o->max_clients = (int)clients;
    o->timeout_sec = (int)timeout;
    return CT_OK;
}

static void announce(const ct_config *cfg, sb_mail *m, const char *host)
{
    const char *files[2] = {ct_config_get(cfg, "port_file", NULL),
                            ct_config_get(cfg, "smtp_port_file", NULL)};
    int ports[2] = {sb_mail_http_port(m), sb_mail_smtp_port(m)};
    for (int i = 0; i < 2; i++) {
        if (files[i] != NULL && sb_daemon_write_port_file(files[i], ports[i]) != CT_OK)
            fprintf(stderr, "contrail-sandbox: cannot write %s\n", files[i]);
    }
    char http[16], smtp[16];
    snprintf(http, sizeof(http), "%d", ports[0]);
    snprintf(smtp, sizeof(smtp), "%d", ports[1]);
    ct_log(CT_LOG_INFO, "mail.ready", "host", host, "http_port", http, "smtp_port", smtp, NULL);
    printf("Sandbox mail: SMTP on %s:%d, mailbox at http://%s:%d/api/v1/messages  (Ctrl-C stops "
           "it)\n",
           host, ports[1], host, ports[0]);
    fflush(stdout);
}

int sb_mail_main(const ct_config *cfg)
{
    char err[512], url[1024];
    sb_mail_options opt = {0};
    if (sb_daemon_http_options(cfg, SB_MAIL_DEFAULT_PORT, DEFAULT_THREADS, &opt.http, err,
                               sizeof(err)) ||
        smtp_options(cfg, &opt.smtp, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    if (sb_daemon_store_url(ct_config_get(cfg, "db", SB_MAIL_DEFAULT_DB), url, sizeof(url))) {
        fprintf(stderr, "contrail-sandbox: db: cannot use '%s'\n", ct_config_get(cfg, "db", ""));
        return 2;
    }
    opt.db_url = url;
    opt.clock_path = ct_config_get(cfg, "clock", SB_CLOCK_DEFAULT_PATH);
    sigset_t stop;
    sb_daemon_block_stop_signals(&stop);
    sb_mail *m = NULL;
    ct_status rc = sb_mail_start(&opt, &m, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: mail: %s\n", err);
        return rc == CT_INVALID ? 2 : 1;
    }
    announce(cfg, m, opt.http.host);
    ct_log(CT_LOG_INFO, "mail.stopping", "signal", sb_daemon_wait_stop(&stop), NULL);
    sb_mail_stop(m);
    ct_log(CT_LOG_INFO, "mail.stopped", NULL);
    return 0;
}
