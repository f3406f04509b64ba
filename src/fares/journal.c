/* journal.c: the pricebook's journal of changes, and its replay (see pricebook.h, "the
 * journal").
 *
 * Layout: a header (magic "CTJ1", the byte-order mark 0x0102 as a host uint16, CT_NCLASSES as
 * one byte) and records, each a type byte and fixed fields in the host's byte order:
 *
 *   'N' name[32]                        the provider of the records that follow
 *   'P' name[32] kind(1) currency[4] digits(4) fee(8) min_self_transfer(4)
 *   'S' count(4) count x carrier[4]     the carriers the current provider sells
 *   'L' carrier[4] alliance[32]
 *   'R' currency[4] units_per_usd(8)
 *   'C' currency[4] units_per_usd(8)    a dump's currency table entry, in table order (the
 *                                       rate may be 0: a provider's currency without a rate)
 *   'D' rates_day(8)
 *   'F' carrier[4] origin[4] dest[4] amount(4) x CT_NCLASSES
 *   'W' carrier[4] number(4) origin[4] departure_utc_min(4) seats(1) x CT_NCLASSES
 *
 * An 'N' is written whenever the provider differs from the previous record's, and at the
 * start of every taken journal, so each taken journal replays on its own. Records of the batch
 * in progress go to `batch` and join `done` at commit (ct__journal_commit), so a take never
 * returns half a batch. Both buffers are guarded by the pricebook's writers' mutex: the hooks
 * run under it, and take / start / stop take it through ct_pricebook_begin / commit. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "refdata/refdata.h"
#include "fares/pricebook_internal.h"

static const uint8_t MAGIC[4] = {'C', 'T', 'J', '1'};
#define HEAD (4 + 2 + 1)

typedef struct buf {
    uint8_t *a;
    size_t n, cap;
} buf;

struct ct__journal {
    buf done, batch;
    size_t done_records, batch_records;
    size_t cap;
    int lost;         /* records dropped at the cap since the last take */
    int replaying;    /* ct_pricebook_journal_apply runs: record nothing */
    char current[32]; /* the provider of the last record written ("" none) */
    char batch_start[32];
};

static int put(buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *grown = ct_realloc(b->a, cap);
        if (grown == NULL)
            return -1;
        b->a = grown;
        b->cap = cap;
    }
    memcpy(b->a + b->n, p, n);
    b->n += n;
    return 0;
}

/* A record's start: recording on, within the cap. Returns 0 to go on. */
static int open_record(ct__journal *j, char type)
{
    if (j == NULL || j->replaying)
        return -1;
    if (j->done.n + j->batch.n > j->cap) {
        j->lost = 1;
        return -1;
    }
    j->batch_records++;
    return put(&j->batch, &type, 1);
}

static void put_name(buf *b, const char *name, size_t width)
{
    char tmp[32] = {0};
    if (name != NULL)
        snprintf(tmp, sizeof(tmp), "%s", name);
    put(b, tmp, width);
}

/* Writes an 'N' when `provider` is not the current one. */
static void select_provider(ct__journal *j, const char *provider)
{
    if (provider == NULL || strncmp(j->current, provider, sizeof(j->current)) == 0)
        return;
    if (open_record(j, 'N') != 0)
        return;
    put_name(&j->batch, provider, 32);
    snprintf(j->current, sizeof(j->current), "%s", provider);
}

void ct__journal_provider(ct__journal *j, const ct_provider_desc *d)
{
    if (open_record(j, 'P') != 0)
        return;
    uint8_t kind = (uint8_t)d->kind;
    int32_t digits = d->minor_digits, mst = d->min_self_transfer_min;
    int64_t fee = d->fee_minor;
    put_name(&j->batch, d->name, 32);
    put(&j->batch, &kind, 1);
    put_name(&j->batch, d->currency, 4);
    put(&j->batch, &digits, 4);
    put(&j->batch, &fee, 8);
    put(&j->batch, &mst, 4);
    snprintf(j->current, sizeof(j->current), "%s", d->name); /* the replay's current now */
}

void ct__journal_sold(ct__journal *j, const char *provider, const char (*carriers)[4], size_t n)
{
    if (j == NULL || j->replaying)
        return;
    select_provider(j, provider);
    if (open_record(j, 'S') != 0)
        return;
    uint32_t count = (uint32_t)n;
    put(&j->batch, &count, 4);
    for (size_t i = 0; i < n; i++)
        put_name(&j->batch, carriers[i], 4);
}

void ct__journal_alliance(ct__journal *j, const char *carrier, const char *alliance)
{
    if (open_record(j, 'L') != 0)
        return;
    put_name(&j->batch, carrier, 4);
    put_name(&j->batch, alliance, 32);
}

void ct__journal_rate(ct__journal *j, const char *currency, double per_usd)
{
    if (open_record(j, 'R') != 0)
        return;
    put_name(&j->batch, currency, 4);
    put(&j->batch, &per_usd, 8);
}

void ct__journal_rates_day(ct__journal *j, int64_t day)
{
    if (open_record(j, 'D') != 0)
        return;
    put(&j->batch, &day, 8);
}

void ct__journal_fare(ct__journal *j, const char *provider, const char *carrier, const char *origin,
                      const char *dest, const int32_t amount[CT_NCLASSES])
{
    if (j == NULL || j->replaying)
        return;
    select_provider(j, provider);
    if (open_record(j, 'F') != 0)
        return;
    put_name(&j->batch, carrier, 4);
    put_name(&j->batch, origin, 4);
    put_name(&j->batch, dest, 4);
    put(&j->batch, amount, sizeof(int32_t) * CT_NCLASSES);
}

void ct__journal_seats(ct__journal *j, const char *provider, const char *carrier, int number,
                       const char *origin, int32_t dep_utc_min, const int seats[CT_NCLASSES])
{
    if (j == NULL || j->replaying)
        return;
    select_provider(j, provider);
    if (open_record(j, 'W') != 0)
        return;
    int32_t num = number;
    uint8_t s8[CT_NCLASSES];
    for (int c = 0; c < CT_NCLASSES; c++)
        s8[c] = (uint8_t)(seats[c] < 0 ? 0 : seats[c] > 15 ? 15 : seats[c]);
    put_name(&j->batch, carrier, 4);
    put(&j->batch, &num, 4);
    put_name(&j->batch, origin, 4);
    put(&j->batch, &dep_utc_min, 4);
    put(&j->batch, s8, sizeof(s8));
}

void ct__journal_commit(ct__journal *j)
{
    if (j == NULL || j->batch.n == 0)
        return;
    if (put(&j->done, j->batch.a, j->batch.n) != 0)
        j->lost = 1;
    else
        j->done_records += j->batch_records;
    j->batch.n = 0;
    j->batch_records = 0;
    memcpy(j->batch_start, j->current, sizeof(j->current));
}

void ct__journal_abort(ct__journal *j)
{
    if (j == NULL)
        return;
    j->batch.n = 0;
    j->batch_records = 0;
    memcpy(j->current, j->batch_start, sizeof(j->current)); /* the 'N' may be dropped */
}

static void journal_free(ct__journal *j)
{
    if (j == NULL)
        return;
    ct_free(j->done.a);
    ct_free(j->batch.a);
    ct_free(j);
}

ct_status ct_pricebook_journal_start(ct_pricebook *pb, size_t cap_bytes)
{
    ct__journal *j = ct_calloc(1, sizeof(*j));
    if (j == NULL)
        return CT_NOMEM;
    j->cap = cap_bytes;
    ct_pricebook_begin(pb);
    ct__journal **slot = ct__pricebook_journal_slot(pb);
    journal_free(*slot);
    *slot = j;
    ct_pricebook_commit(pb);
    return CT_OK;
}

void ct_pricebook_journal_stop(ct_pricebook *pb)
{
    ct_pricebook_begin(pb);
    ct__journal **slot = ct__pricebook_journal_slot(pb);
    ct__journal *j = *slot;
    *slot = NULL;
    ct_pricebook_commit(pb);
    journal_free(j);
}

/* The size of a record of `type` at p (n bytes left), or 0 when it is not one. */
static size_t record_size(uint8_t type, const uint8_t *p, size_t n);

/* Where to cut `done` for a take of at most max bytes (at least one record): the offset, the
 * records before it and the provider current at the cut ("" none). */
static size_t cut_point(const ct__journal *j, size_t max, size_t *records, char *provider)
{
    size_t off = 0, n = 0;
    provider[0] = '\0';
    while (off < j->done.n) {
        size_t sz = record_size(j->done.a[off], j->done.a + off, j->done.n - off);
        if (sz == 0 || (n > 0 && off + sz > max))
            break;
        if (j->done.a[off] == 'N' || j->done.a[off] == 'P') { /* both select a provider */
            memcpy(provider, j->done.a + off + 1, 32);
            provider[31] = '\0';
        }
        off += sz;
        n++;
    }
    *records = n;
    return off;
}

/* Drops the first `off` bytes (n records) of done, keeping the rest behind an 'N' of
 * `provider` when one was current there. */
static ct_status drop_front(ct__journal *j, size_t off, size_t n, const char *provider)
{
    buf rest = {0};
    size_t extra = 0;
    if (off < j->done.n && provider[0] && j->done.a[off] != 'N') {
        char type = 'N';
        if (put(&rest, &type, 1) != 0)
            return CT_NOMEM;
        put_name(&rest, provider, 32);
        extra = 1;
    }
    if (put(&rest, j->done.a + off, j->done.n - off) != 0) {
        ct_free(rest.a);
        return CT_NOMEM;
    }
    ct_free(j->done.a);
    j->done = rest;
    j->done_records = j->done_records - n + extra;
    return CT_OK;
}

ct_status ct_pricebook_journal_take(ct_pricebook *pb, size_t max_bytes, uint8_t **data, size_t *len,
                                    size_t *records)
{
    *data = NULL;
    *len = 0;
    *records = 0;
    ct_status rc = CT_OK;
    ct_pricebook_begin(pb);
    ct__journal *j = *ct__pricebook_journal_slot(pb);
    if (j == NULL) {
        rc = CT_INVALID;
        goto done;
    }
    if (j->done.n == 0) {
        rc = j->lost ? CT_ERR : CT_NOT_FOUND;
        j->lost = 0;
        goto done;
    }
    char provider[32];
    size_t n = 0, off = cut_point(j, max_bytes, &n, provider);
    uint8_t *out = ct_malloc(HEAD + off);
    if (out == NULL) {
        rc = CT_NOMEM;
        goto done;
    }
    uint16_t bom = 0x0102;
    memcpy(out, MAGIC, 4);
    memcpy(out + 4, &bom, 2);
    out[6] = (uint8_t)CT_NCLASSES;
    memcpy(out + HEAD, j->done.a, off);
    rc = drop_front(j, off, n, provider);
    if (rc) {
        ct_free(out);
        goto done;
    }
    *data = out;
    *len = HEAD + off;
    *records = n;
    rc = j->lost ? CT_ERR : CT_OK;
    j->lost = 0;
    if (j->done.n == 0) { /* the next journal names its provider again */
        j->current[0] = '\0';
        j->batch_start[0] = '\0';
    }
done:
    ct_pricebook_commit(pb);
    return rc;
}

/* ---- the dump ---- */

static void dump_provider(ct__journal *j, const ct_pb_view *v, int p, uint8_t *seen)
{
    const ct_timetable *tt = v->tt;
    const ct_pb_provider *pv = &v->snap->providers[p];
    ct__journal_provider(j, &pv->desc);
    size_t nsold = 0;
    char(*codes)[4] = ct_calloc(tt->ncarriers + 1, sizeof(*codes));
    if (codes == NULL) {
        j->lost = 1;
        return;
    }
    for (size_t c = 0; c < tt->ncarriers; c++) {
        if (pv->sells[c])
            memcpy(codes[nsold++], tt->carriers[c], 4);
    }
    ct__journal_sold(j, pv->desc.name, (const char(*)[4])codes, nsold);
    ct_free(codes);
    memset(seen, 0, v->nmarkets + 1);
    for (size_t k = 0; pv->amount != NULL && k < tt->nlegs; k++) {
        const ct_leg *l = &tt->legs[k];
        uint32_t m = v->market[k];
        if (m >= pv->nmarkets || seen[m])
            continue;
        seen[m] = 1;
        int filed = 0;
        for (int c = 0; c < CT_NCLASSES; c++)
            filed |= pv->amount[m][c] >= 0;
        if (filed)
            ct__journal_fare(j, pv->desc.name, tt->carriers[l->carrier],
                             ct_refdata_airport_at(tt->rd, l->from)->iata,
                             ct_refdata_airport_at(tt->rd, l->to)->iata, pv->amount[m]);
    }
    for (size_t k = 0; k < tt->nlegs; k++) {
        uint64_t w = ct_pb_cabin_seats(v, p, k, CT_CABIN_FIRST); /* all twelve classes */
        if (w == CT_SEATS_UNKNOWN)
            continue;
        const ct_leg *l = &tt->legs[k];
        int seats[CT_NCLASSES];
        for (int c = 0; c < CT_NCLASSES; c++)
            seats[c] = ct_seats_of(w, c);
        ct__journal_seats(j, pv->desc.name, tt->carriers[l->carrier], l->number,
                          ct_refdata_airport_at(tt->rd, l->from)->iata, l->dep, seats);
    }
}

ct_status ct_pricebook_journal_dump(ct_pricebook *pb)
{
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    uint8_t *seen = ct_malloc(v.nmarkets + 1);
    if (seen == NULL) {
        ct_pricebook_release(pb, &v);
        return CT_NOMEM;
    }
    ct_pricebook_begin(pb);
    ct__journal *j = *ct__pricebook_journal_slot(pb);
    ct_status rc = j == NULL ? CT_INVALID : CT_OK;
    if (j != NULL) {
        const ct_pb_snapshot *s = v.snap;
        const ct_timetable *tt = v.tt;
        for (int i = 0; i < s->ncurrencies; i++) {
            if (open_record(j, 'C') == 0) {
                put_name(&j->batch, s->currencies[i], 4);
                put(&j->batch, &s->usd_rate[i], 8);
            }
        }
        ct__journal_rates_day(j, s->rates_day);
        for (size_t c = 0; c < tt->ncarriers; c++) {
            if (s->alliance[c])
                ct__journal_alliance(j, tt->carriers[c],
                                     ct_pricebook_alliance_name(s->alliance[c]));
        }
        for (int p = 0; p < s->nproviders; p++)
            dump_provider(j, &v, p, seen);
        rc = j->lost ? CT_ERR : CT_OK;
    }
    ct_pricebook_commit(pb); /* the dump's records join the journal */
    ct_free(seen);
    ct_pricebook_release(pb, &v);
    return rc;
}

/* ---- replay ---- */

static size_t record_size(uint8_t type, const uint8_t *p, size_t n)
{
    switch (type) {
    case 'N':
        return 1 + 32;
    case 'P':
        return 1 + 32 + 1 + 4 + 4 + 8 + 4;
    case 'S': {
        if (n < 5)
            return 0;
        uint32_t count;
        memcpy(&count, p + 1, 4);
        if (count > 4096)
            return 0;
        return 1 + 4 + (size_t)count * 4;
    }
    case 'L':
        return 1 + 4 + 32;
    case 'R':
    case 'C':
        return 1 + 4 + 8;
    case 'D':
        return 1 + 8;
    case 'F':
        return 1 + 12 + 4 * CT_NCLASSES;
    case 'W':
        return 1 + 16 + CT_NCLASSES;
    default:
        return 0;
    }
}

/* A fixed-width name field as a C string (NUL-terminated within width, else refused). */
static int field(const uint8_t *p, size_t width, char *out)
{
    memcpy(out, p, width);
    out[width] = '\0';
    return memchr(p, '\0', width) != NULL || width == 4 ? 0 : -1;
}

/* Checks the whole journal: header and every record's type, size and names. */
static ct_status check(const uint8_t *data, size_t len, size_t *records)
{
    uint16_t bom = 0;
    if (len < HEAD || memcmp(data, MAGIC, 4) != 0)
        return CT_INVALID;
    memcpy(&bom, data + 4, 2);
    if (bom != 0x0102 || data[6] != CT_NCLASSES)
        return CT_INVALID;
    size_t n = 0;
    for (size_t off = HEAD; off < len;) {
        size_t sz = record_size(data[off], data + off, len - off);
        if (sz == 0 || sz > len - off)
            return CT_INVALID;
        char tmp[33];
        if ((data[off] == 'N' || data[off] == 'P') && field(data + off + 1, 32, tmp) != 0)
            return CT_INVALID;
        if (data[off] == 'L' && field(data + off + 5, 32, tmp) != 0)
            return CT_INVALID;
        off += sz;
        n++;
    }
    *records = n;
    return CT_OK;
}

/* The id of provider `name` in the batch's view, or -1. */
static int provider_id(ct_pricebook *pb, const char *name)
{
    for (int id = 0; id < CT_MAX_PROVIDERS; id++) {
        const char *n = ct__pricebook_provider_name(pb, id);
        if (n == NULL)
            return -1;
        if (strcmp(n, name) == 0)
            return id;
    }
    return -1;
}

/* Applies one checked record; *unknown counts what pb lacks. */
static ct_status apply_record(ct_pricebook *pb, const uint8_t *p, int *cur, size_t *unknown)
{
    char a[33], b[33], c[33];
    switch (p[0]) {
    case 'N':
        field(p + 1, 32, a);
        *cur = provider_id(pb, a);
        return CT_OK;
    case 'P': {
        ct_provider_desc d = {0};
        int32_t digits, mst;
        field(p + 1, 32, d.name);
        d.kind = (ct_provider_kind)p[33];
        field(p + 34, 4, a);
        memcpy(d.currency, a, 3);
        memcpy(&digits, p + 38, 4);
        memcpy(&d.fee_minor, p + 42, 8);
        memcpy(&mst, p + 50, 4);
        d.minor_digits = digits;
        d.min_self_transfer_min = mst;
        if (d.kind > CT_PROVIDER_COMBINER)
            return CT_INVALID;
        return ct_pricebook_provider(pb, &d, cur);
    }
    case 'S': {
        uint32_t count;
        memcpy(&count, p + 1, 4);
        if (*cur < 0) {
            (*unknown)++;
            return CT_OK;
        }
        return ct_pricebook_set_sold(pb, *cur, (const char(*)[4])(const void *)(p + 5), count);
    }
    case 'L':
        field(p + 1, 4, a);
        a[3] = '\0';
        field(p + 5, 32, b);
        return ct_pricebook_set_alliance(pb, a, b);
    case 'R': {
        double rate;
        field(p + 1, 4, a);
        a[3] = '\0';
        memcpy(&rate, p + 5, 8);
        return ct_pricebook_set_rate(pb, a, rate);
    }
    case 'C': {
        double rate;
        field(p + 1, 4, a);
        a[3] = '\0';
        memcpy(&rate, p + 5, 8);
        ct_pb_snapshot *s = ct__pricebook_pending(pb);
        if (s == NULL)
            return CT_NOMEM;
        if (strlen(a) != 3 || !(rate >= 0))
            return CT_INVALID;
        int i = ct_pb_currency_id(s, a);
        if (i < 0 && s->ncurrencies == 64)
            return CT_INVALID;
        if (i < 0) {
            i = s->ncurrencies++;
            memcpy(s->currencies[i], a, 4);
        }
        s->usd_rate[i] = rate;
        return CT_OK;
    }
    case 'D': {
        int64_t day;
        memcpy(&day, p + 1, 8);
        ct_pricebook_set_rates_day(pb, day);
        return CT_OK;
    }
    case 'F': {
        int32_t amount[CT_NCLASSES];
        int known = 0;
        field(p + 1, 4, a);
        field(p + 5, 4, b);
        field(p + 9, 4, c);
        a[3] = b[3] = c[3] = '\0';
        memcpy(amount, p + 13, sizeof(amount));
        if (*cur < 0) {
            (*unknown)++;
            return CT_OK;
        }
        ct_status rc = ct_pricebook_put_fare(pb, *cur, a, b, c, amount, &known);
        *unknown += known ? 0 : 1;
        return rc;
    }
    case 'W': {
        int32_t number, dep;
        int seats[CT_NCLASSES], known = 0, changed = 0;
        field(p + 1, 4, a);
        a[3] = '\0';
        memcpy(&number, p + 5, 4);
        field(p + 9, 4, b);
        b[3] = '\0';
        memcpy(&dep, p + 13, 4);
        for (int k = 0; k < CT_NCLASSES; k++)
            seats[k] = p[17 + k];
        if (*cur < 0) {
            (*unknown)++;
            return CT_OK;
        }
        ct_status rc = ct_pricebook_put_seats(pb, *cur, a, number, b, dep, seats, &known, &changed);
        *unknown += known ? 0 : 1;
        return rc;
    }
    default:
        return CT_INVALID;
    }
}

ct_status ct_pricebook_journal_apply(ct_pricebook *pb, const uint8_t *data, size_t len,
                                     size_t *records, size_t *unknown)
{
    size_t n = 0, missing = 0;
    ct_status rc = check(data, len, &n);
    if (rc)
        return rc;
    ct_pricebook_begin(pb);
    ct__journal *j = *ct__pricebook_journal_slot(pb);
    if (j != NULL)
        j->replaying = 1;
    int cur = -1;
    for (size_t off = HEAD; !rc && off < len;) {
        size_t sz = record_size(data[off], data + off, len - off);
        rc = apply_record(pb, data + off, &cur, &missing);
        off += sz;
    }
    if (j != NULL)
        j->replaying = 0;
    ct_status crc = ct_pricebook_commit(pb);
    if (records != NULL)
        *records = n;
    if (unknown != NULL)
        *unknown = missing;
    return rc ? rc : crc;
}
