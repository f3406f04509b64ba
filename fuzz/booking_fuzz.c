/* booking_fuzz.c: libFuzzer driver for the providers' offer and order answer parsers
 * (ct_bk_offer_parse, ct_bk_order_parse; providers/booking.h).
 *
 * Input: one byte choosing the call (bits 0-1: dialect ndc, voyagio, farefinder, hopscotch;
 * bit 2: 0 an offer answer, 1 an order answer; bits 3-6: the HTTP status, an index into
 * STATUSES), then the body as a provider sends it (seeds in tests/fuzz/corpus/booking_fuzz/
 * are real sandbox answers). Whatever the bytes, the result must be consistent: CT_OK only
 * for a 2xx answer with no error kind and a record within its bounds (codes of three
 * capitals, 0, 2 or 3 currency digits (ISO 4217), one of the four cabins, 1..9
 * passengers, 1..CT_BK_MAX_LEGS legs with slices in order from 0, fees within the total, tickets
 * NUL-terminated digits); any other outcome has an error kind whose status matches it, and every
 * text NUL-terminated. */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "providers/booking.h"

static const int STATUSES[16] = {200, 201, 400, 404, 409, 410, 422, 429,
                                 500, 502, 503, 504, 418, 302, 0,   204};

static void check_text(const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL)
        __builtin_trap();
}

static void check_code(const char *s, size_t len)
{
    if (strlen(s) != len)
        __builtin_trap();
    for (size_t i = 0; i < len; i++) {
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            __builtin_trap();
    }
}

static void check_error(ct_status rc, const ct_bk_error *e, int http)
{
    check_text(e->code, sizeof(e->code));
    check_text(e->field, sizeof(e->field));
    check_text(e->message, sizeof(e->message));
    if (rc == CT_OK) {
        if (e->kind != CT_BK_ERR_NONE || http < 200 || http > 299)
            __builtin_trap();
        return;
    }
    if (rc == CT_NOMEM)
        return;
    ct_status want = e->kind == CT_BK_ERR_INVALID     ? CT_INVALID
                     : e->kind == CT_BK_ERR_NOT_FOUND ? CT_NOT_FOUND
                     : e->kind == CT_BK_ERR_PROVIDER  ? CT_UNAVAILABLE
                                                      : CT_CONFLICT;
    if (e->kind == CT_BK_ERR_NONE || rc != want || e->http != http || e->code[0] == '\0')
        __builtin_trap();
}

static void check_offer(const ct_bk_offer *o)
{
    check_text(o->id, sizeof(o->id));
    check_code(o->currency, 3);
    if (o->id[0] == '\0' || (o->digits != 0 && o->digits != 2 && o->digits != 3) || o->pax < 1 ||
        o->pax > CT_BK_MAX_PAX || o->nlegs < 1 || o->nlegs > CT_BK_MAX_LEGS || o->total_minor < 0 ||
        o->fee_minor < 0 || o->fee_minor > o->total_minor ||
        (o->cabin != CT_BK_ECONOMY && o->cabin != CT_BK_BUSINESS && o->cabin != CT_BK_PREMIUM &&
         o->cabin != CT_BK_FIRST))
        __builtin_trap();
    for (int i = 0; i < o->nlegs; i++) {
        const ct_bk_leg *l = &o->legs[i];
        check_code(l->carrier, 2);
        check_code(l->from, 3);
        check_code(l->to, 3);
        if (l->number < 1 || l->number > 9999 || l->dep_date < 0 ||
            !isupper((unsigned char)l->rbd[0]) || l->rbd[1] != '\0' || l->amount_minor < -1 ||
            (i == 0 ? l->slice != 0
                    : l->slice != o->legs[i - 1].slice && l->slice != o->legs[i - 1].slice + 1))
            __builtin_trap();
    }
}

static void check_order(const ct_bk_order *o)
{
    check_text(o->id, sizeof(o->id));
    check_code(o->currency, 3);
    if (o->id[0] == '\0' || (unsigned)o->status > CT_BK_REFUNDED || o->total_minor < 0 ||
        o->offered_total_minor < 0 || o->refund_minor < 0 || o->ntickets < 0 ||
        o->ntickets > CT_BK_MAX_PAX * 4 || (o->status != CT_BK_HELD && o->hold_until != 0) ||
        (o->price_changed != 0 && o->price_changed != 1))
        __builtin_trap();
    for (int i = 0; i < o->ntickets; i++) {
        check_text(o->tickets[i], sizeof(o->tickets[i]));
        if (o->tickets[i][0] == '\0')
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dialect = data[0] & 3, order = (data[0] >> 2) & 1, http = STATUSES[(data[0] >> 3) & 15];
    const char *body = (const char *)data + 1; /* not NUL-terminated: the parser takes len */
    ct_bk_error e;
    memset(&e, 0xA5, sizeof(e)); /* the parser must set what it reports */
    if (order) {
        ct_bk_order o;
        memset(&o, 0xA5, sizeof(o));
        ct_status rc = ct_bk_order_parse(dialect, http, body, size - 1, &o, &e);
        check_error(rc, &e, http);
        if (rc == CT_OK)
            check_order(&o);
    } else {
        ct_bk_offer o;
        memset(&o, 0xA5, sizeof(o));
        ct_status rc = ct_bk_offer_parse(dialect, http, body, size - 1, &o, &e);
        check_error(rc, &e, http);
        if (rc == CT_OK)
            check_offer(&o);
    }
    return 0;
}
