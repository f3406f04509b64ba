/* pv_feeds.c: the providers' bulk feeds: schedules (SSIM), fares and availability.
 *
 * Both data feeds work the same way, so a platform can ingest a one-year horizon and then
 * keep it fresh cheaply:
 *   1. full: the first call (no page token, no `since`) fixes a snapshot instant t1 and the
 *      change-log position seq1, and returns the first page plus a cursor naming (t1, seq1);
 *      each page also returns the token of the next one (empty on the last); every page of
 *      one pass is computed at t1.
 *   2. incremental: a call with `since` = a cursor (t0, seq0) returns, over the same paging,
 *      only the records whose content differs between t0 and now (t1), and a new cursor.
 * Availability records are dated legs whose per-class seats (capped at 9, as an
 * availability string shows them) differ between the two instants, or whose seats a
 * booking changed (the change log since seq0), or whose hold expired in between: so time
 * passing (background sales, advance-purchase limits, cut-off), orders and expiries all
 * show up. Fare records are markets whose amounts differ (for a seller converting at the
 * day's exchange rate, every market in a foreign currency once a day; airlines' filed fares
 * never change). Nothing per client is stored: page tokens and cursors carry their state
 * (base64url of a short text; they are opaque to clients). */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/timeutil.h"
#include "sandbox/providers/provider_internal.h"
#include "sandbox/world/ssim_write.h"

/* ---- parameters, tokens and cursors ---- */

ct_status pv_query_date(const char *v, const char *field, int64_t *out, pv_err *e)
{
    *out = INT64_MIN;
    if (v == NULL)
        return CT_OK;
    if (ct_date_parse(v, out) != CT_OK) {
        pv_err_set(e, 400, "invalid_field", field, "expected a date YYYY-MM-DD");
        return CT_INVALID;
    }
    return CT_OK;
}

ct_status pv_query_long(const char *v, const char *field, long max, long *out, pv_err *e)
{
    *out = 0;
    if (v == NULL)
        return CT_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 1 || n > max) {
        pv_err_set(e, 400, "invalid_field", field, "expected an integer from 1 to %ld", max);
        return CT_INVALID;
    }
    *out = n;
    return CT_OK;
}

static void encode_token(const char *text, char *out, size_t len)
{
    sodium_bin2base64(out, len, (const unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static ct_status decode_token(const char *token, char *text, size_t len)
{
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)text, len - 1, token, strlen(token), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return CT_INVALID;
    text[n] = '\0';
    return CT_OK;
}

typedef struct scan_state {
    int incremental;
    int64_t from, to; /* flight dates */
    int64_t day;      /* resume position: day and index into p->flights (or p->sold) */
    long pos, sub;
    int64_t t0, seq0, t1, seq1;
} scan_state;

static void state_token(const scan_state *s, char kind, char *out, size_t len)
{
    char text[256];
    snprintf(text, sizeof(text), "%c|%d|%lld|%lld|%lld|%ld|%ld|%lld|%lld|%lld|%lld", kind,
             s->incremental, (long long)s->from, (long long)s->to, (long long)s->day, s->pos,
             s->sub, (long long)s->t0, (long long)s->seq0, (long long)s->t1, (long long)s->seq1);
    encode_token(text, out, len);
}

static ct_status parse_state_token(const char *token, char kind, scan_state *s)
{
    char text[256], k;
    long long from, to, day, t0, seq0, t1, seq1;
    if (decode_token(token, text, sizeof(text)) != CT_OK)
        return CT_INVALID;
    if (sscanf(text, "%c|%d|%lld|%lld|%lld|%ld|%ld|%lld|%lld|%lld|%lld", &k, &s->incremental, &from,
               &to, &day, &s->pos, &s->sub, &t0, &seq0, &t1, &seq1) != 11 ||
        k != kind || s->pos < 0 || s->sub < 0 || day < from || day > to + 1 || to - from > 400)
        return CT_INVALID;
    s->from = from;
    s->to = to;
    s->day = day;
    s->t0 = t0;
    s->seq0 = seq0;
    s->t1 = t1;
    s->seq1 = seq1;
    return CT_OK;
}

static void cursor_token(int64_t t, int64_t seq, char *out, size_t len)
{
    char text[64];
    snprintf(text, sizeof(text), "C|%lld|%lld", (long long)t, (long long)seq);
    encode_token(text, out, len);
}

static ct_status parse_cursor(const char *token, int64_t *t, int64_t *seq)
{
    char text[64];
    long long a, b;
    if (decode_token(token, text, sizeof(text)) != CT_OK ||
        sscanf(text, "C|%lld|%lld", &a, &b) != 2)
        return CT_INVALID;
    *t = a;
    *seq = b;
    return CT_OK;
}

/* Sets up a scan from a page token, or from the request's window and cursor. */
static ct_status start_scan(pv_call *c, const pv_feed_req *req, char kind, scan_state *s, pv_err *e)
{
    const sb_world *w = c->p->w;
    memset(s, 0, sizeof(*s));
    if (req->page != NULL) {
        if (parse_state_token(req->page, kind, s) != CT_OK) {
            pv_err_set(e, 400, "invalid_field", req->f_page, "not a page token of this feed");
            return CT_INVALID;
        }
        return CT_OK;
    }
    int64_t first = w->start_day, last = w->start_day + w->horizon_days - 1;
    int64_t today = c->now / 86400;
    s->from = req->from != INT64_MIN ? req->from : (today > first ? today : first);
    s->to = req->to != INT64_MIN ? req->to : last;
    char a[11], b[11];
    if (s->from < first || s->from > last || s->to < s->from || s->to > last) {
        pv_err_set(e, 400, "invalid_field",
                   s->from < first || s->from > last ? req->f_from : req->f_to,
                   "the window must lie within the schedule horizon %s to %s, start first",
                   pv_date(first, a), pv_date(last, b));
        return CT_INVALID;
    }
    s->day = s->from;
    s->t1 = c->now;
    if (sb_inventory_seq(c->p->inv, &s->seq1) != CT_OK) {
        pv_err_set(e, 500, "internal", "", "inventory unavailable");
        return CT_ERR;
    }
    if (req->since != NULL) {
        if (parse_cursor(req->since, &s->t0, &s->seq0) != CT_OK || s->t0 > s->t1 ||
            s->seq0 > s->seq1) {
            pv_err_set(e, 400, "invalid_field", req->f_since, "not a cursor of this feed");
            return CT_INVALID;
        }
        s->incremental = 1;
    }
    return CT_OK;
}

static long page_limit(const pv_feed_req *req)
{
    return req->limit > 0 ? req->limit : PV_FEED_LIMIT;
}

/* ---- availability ---- */

typedef struct leg_key_set {
    ct_map *booked;  /* "flight:leg:day" -> int[2] (arena) */
    ct_map *touched; /* "flight:leg:day" -> (void *)1 */
    ct_arena *arena;
    int failed;
} leg_key_set;

static void leg_key(const sb_dated_leg *dl, char *buf, size_t len)
{
    snprintf(buf, len, "%d:%d:%lld", dl->flight, dl->leg, (long long)dl->day);
}

static void on_booked(void *ctx, const sb_dated_leg *dl, int cabin, int seats)
{
    leg_key_set *k = ctx;
    char key[48];
    leg_key(dl, key, sizeof(key));
    int *b = ct_map_get(k->booked, key);
    if (b == NULL) {
        b = ct_arena_calloc(k->arena, SB_NCABINS, sizeof(int));
        if (b == NULL || ct_map_put(k->booked, key, b)) {
            k->failed = 1;
            return;
        }
    }
    b[cabin] += seats;
}

static void on_touched(void *ctx, const sb_dated_leg *dl)
{
    leg_key_set *k = ctx;
    char key[48];
    leg_key(dl, key, sizeof(key));
    if (ct_map_put(k->touched, key, (void *)1))
        k->failed = 1;
}

static ct_status load_keys(pv_call *c, const scan_state *s, leg_key_set *k)
{
    k->arena = ct_http_arena(c->req);
    k->booked = ct_map_create();
    k->touched = ct_map_create();
    if (k->booked == NULL || k->touched == NULL)
        return CT_NOMEM;
    ct_status rc = sb_inventory_booked_range(c->p->inv, s->from, s->to, s->t1, on_booked, k);
    if (!rc && s->incremental)
        rc = sb_inventory_touched(c->p->inv, s->seq0, s->seq1, s->t0, s->t1, s->from, s->to,
                                  on_touched, k);
    return rc ? rc : k->failed ? CT_NOMEM : CT_OK;
}

static int same_view(const sb_leg_avail *a, const sb_leg_avail *b)
{
    for (int k = 0; k < SB_NCLASSES; k++) {
        int x = a->seats[k] > 9 ? 9 : a->seats[k], y = b->seats[k] > 9 ? 9 : b->seats[k];
        if (x != y)
            return 0;
    }
    return 1;
}

/* Emits leg dl when the scan wants it; *emitted counts records. */
static ct_status scan_leg(pv_call *c, const scan_state *s, leg_key_set *k, const sb_dated_leg *dl,
                          pv_avail_cb cb, void *ctx, int *emitted)
{
    sb_provider *p = c->p;
    char key[48];
    leg_key(dl, key, sizeof(key));
    const int *b = ct_map_get(k->booked, key);
    int none[SB_NCABINS] = {0};
    pv_avail_rec rec;
    ct_status rc =
        sb_inv_state(p->w, dl, b ? b : none, pv_market_time(p, dl, s->t1, 0), s->t1, &rec.a);
    if (rc)
        return CT_OK; /* not operating: nothing to say */
    if (s->incremental && ct_map_get(k->touched, key) == NULL) {
        sb_leg_avail before;
        sb_inv_state(p->w, dl, b ? b : none, pv_market_time(p, dl, s->t0, 0), s->t0, &before);
        if (same_view(&before, &rec.a))
            return CT_OK;
    }
    pv_seg_of(p, dl, &rec.seg);
    (*emitted)++;
    return cb(ctx, &rec);
}

ct_status pv_feed_avail(pv_call *c, const pv_feed_req *req, pv_avail_cb cb, void *ctx,
                        pv_feed_out *out, pv_err *e)
{
    sb_provider *p = c->p;
    scan_state s;
    leg_key_set keys = {0};
    memset(out, 0, sizeof(*out));
    ct_status rc = start_scan(c, req, 'A', &s, e);
    if (rc)
        return rc;
    rc = load_keys(c, &s, &keys);
    long limit = page_limit(req);
    int emitted = 0;
    for (; !rc && s.day <= s.to; s.day++, s.pos = 0) {
        for (; !rc && s.pos < p->nflights; s.pos++) {
            const sb_flight *f = &p->w->flights[p->flights[s.pos]];
            if (!sb_flight_operates(f, s.day))
                continue;
            for (int l = 0; !rc && l < f->nlegs; l++) {
                sb_dated_leg dl = {p->flights[s.pos], l, s.day};
                rc = scan_leg(c, &s, &keys, &dl, cb, ctx, &emitted);
            }
            if (!rc && emitted >= limit) {
                s.pos++;
                state_token(&s, 'A', out->next_page, sizeof(out->next_page));
                goto done;
            }
        }
    }
done:
    ct_map_destroy(keys.booked);
    ct_map_destroy(keys.touched);
    if (rc) {
        pv_err_set(e, 500, "internal", "", "availability feed: %s", ct_status_name(rc));
        return rc;
    }
    out->count = emitted;
    cursor_token(s.t1, s.seq1, out->cursor, sizeof(out->cursor));
    return CT_OK;
}

/* ---- fares ---- */

static void fare_record(const sb_provider *p, int c, const sb_market *m, int64_t t, pv_fare_rec *r)
{
    r->m = m;
    for (int k = 0; k < SB_NCLASSES; k++) {
        r->oneway[k] = pv_leg_amount(p, c, m, k, t);
        r->ret[k] = pv_return_amount(p, r->oneway[k]);
    }
}

ct_status pv_feed_fares(pv_call *c, const pv_feed_req *req, pv_fare_cb cb, void *ctx,
                        pv_feed_out *out, pv_err *e)
{
    sb_provider *p = c->p;
    scan_state s;
    pv_feed_req whole = *req;
    memset(out, 0, sizeof(*out));
    whole.from = whole.to = INT64_MIN; /* fares have no date window */
    ct_status rc = start_scan(c, &whole, 'F', &s, e);
    if (rc)
        return rc;
    long limit = page_limit(req);
    int emitted = 0;
    for (; !rc && s.pos < p->nsold; s.pos++, s.sub = 0) {
        int carrier = p->sold[s.pos], n;
        const sb_market *m = sb_fares_markets(p->fares, carrier, &n);
        for (; !rc && s.sub < n; s.sub++) {
            pv_fare_rec now_rec, then_rec;
            fare_record(p, carrier, &m[s.sub], s.t1, &now_rec);
            if (s.incremental) {
                fare_record(p, carrier, &m[s.sub], s.t0, &then_rec);
                if (memcmp(now_rec.oneway, then_rec.oneway, sizeof(now_rec.oneway)) == 0)
                    continue;
            }
            emitted++;
            rc = cb(ctx, &now_rec);
            if (!rc && emitted >= limit) {
                s.sub++;
                state_token(&s, 'F', out->next_page, sizeof(out->next_page));
                goto done;
            }
        }
    }
done:
    if (rc) {
        pv_err_set(e, 500, "internal", "", "fares feed: %s", ct_status_name(rc));
        return rc;
    }
    out->count = emitted;
    cursor_token(s.t1, s.seq1, out->cursor, sizeof(out->cursor));
    return CT_OK;
}

/* ---- schedules ---- */

ct_status pv_ssim(pv_call *c, const char *code, const char *field, char **text, size_t *len,
                  pv_err *e)
{
    int carrier = pv_carrier(c->p, code ? code : "");
    if (carrier < 0 || !c->p->sells[carrier]) {
        pv_err_set(e, 404, "not_found", field, "%s sells no carrier %s", c->p->name,
                   code ? code : "");
        return CT_NOT_FOUND;
    }
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL) {
        pv_err_set(e, 500, "internal", "", "out of memory");
        return CT_NOMEM;
    }
    sb_ssim_stats stats = {0};
    ct_status rc = sb_ssim_write_carrier(c->p->w, carrier, f, c->now / 86400, &stats);
    fclose(f);
    *text = rc ? NULL : ct_malloc(n + 1);
    if (*text != NULL) {
        memcpy(*text, buf, n);
        *len = n;
    }
    free(buf);
    if (*text == NULL) {
        pv_err_set(e, 500, "internal", "", "could not write the schedule");
        return rc ? rc : CT_NOMEM;
    }
    return CT_OK;
}
