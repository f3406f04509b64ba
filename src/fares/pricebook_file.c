/* pricebook_file.c: the pricebook saved to a file and loaded at the next start.
 *
 * Why: a full feed sync of the default world takes minutes; the timetable a pricebook is
 * built over is mapped from its own cache at start (timetable/cache.c), so with this file a
 * restart prices searches at once and the feeds resume incrementally (ingest.h).
 *
 * Layout (native byte order, checked by the header's byte-order mark):
 *
 *   header (file_header below, 144 bytes; `check` is a BLAKE2b hash of the body followed by
 *           the header with `check` zeroed)
 *   currencies   ncurrencies x {char code[8]; double per_usd}       (0: no rate)
 *   alliances    nalliances  x char name[32]    (file-local ids 1..nalliances, by name:
 *                                                process ids depend on the order seen)
 *   alliance     ncarriers   x uint8           (file-local id per timetable carrier)
 *   per provider, in pricebook id order:
 *       file_provider (72 bytes), sells[ncarriers] (0/1), amount[nmarkets][12] (int32,
 *       when has_amount), words[nwords] (uint32 seat words in the seat table's order),
 *       hi_words[nhi] (uint16: the premium economy and first seats, pricebook.h)
 *   (records are packed, not aligned: the reader copies them out with memcpy)
 *
 * Leg indices and market ids are the timetable's, so the header names the timetable
 * (ct_timetable_identity) and the counts; a file over other legs is refused.
 *
 * Saving holds the writers' mutex (a batch with no change), so the file is the state
 * between two batches; readers are not blocked. It writes through ct_file_replace
 * (base/fileutil.h: a temporary file, fsync, rename), so a crash leaves the old file or the new
 * one.
 *
 * Loading checks the header against the file's length and the pricebook (cheap refusals
 * first), maps the file, verifies the hash, then applies it in one batch through the
 * writers' calls (ct_pricebook_provider, set_sold (which builds the seat table), ...) with
 * every read bounded by the file's length. Any refusal abandons the batch
 * (ct__pricebook_abort): the pricebook stays empty. */
#define _GNU_SOURCE
#include "base/fileutil.h"
#include "fares/pricebook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "fares/pricebook_internal.h"

#define PBF_MAGIC   "CTPRICEB"
#define PBF_VERSION 2u /* 2: twelve classes, the premium cabins' seat words */
#define PBF_BOM     0x01020304u

typedef struct file_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;
    uint32_t header_size;
    uint32_t nproviders;
    uint64_t file_size;
    unsigned char timetable[32]; /* ct_timetable_identity */
    uint64_t nlegs, nmarkets, ncarriers;
    uint32_t ncurrencies, nalliances;
    int64_t rates_day;
    uint64_t reserved;
    unsigned char check[32];
} file_header;

typedef struct file_currency {
    char code[8];
    double per_usd;
} file_currency;

typedef struct file_provider {
    char name[32];
    uint32_t kind;
    char currency[4];
    int32_t minor_digits;
    int32_t min_self_transfer_min;
    int64_t fee_minor;
    uint32_t has_amount;
    uint32_t nhi; /* premium cabins' seat words */
    uint64_t nwords;
} file_provider;

_Static_assert(sizeof(file_header) == 144, "the header has no padding");
_Static_assert(sizeof(file_currency) == 16, "a currency record has no padding");
_Static_assert(sizeof(file_provider) == 72, "a provider record has no padding");

/* ---- saving ---- */

typedef struct writer {
    FILE *f;
    crypto_generichash_state hash;
    uint64_t n;
    int bad;
} writer;

static void put(writer *w, const void *p, size_t len)
{
    if (w->bad || len == 0)
        return;
    if (fwrite(p, 1, len, w->f) != len) {
        w->bad = 1;
        return;
    }
    crypto_generichash_update(&w->hash, p, len);
    w->n += len;
}

/* The body after the header: everything of view v. */
static void write_body(writer *w, const ct_pb_view *v, file_header *h)
{
    const ct_pb_snapshot *s = v->snap;
    const ct_timetable *tt = v->tt;
    for (int i = 0; i < s->ncurrencies; i++) {
        file_currency c;
        memset(&c, 0, sizeof(c));
        memcpy(c.code, s->currencies[i], 4);
        c.per_usd = s->usd_rate[i];
        put(w, &c, sizeof(c));
    }
    /* Alliances by name, numbered in the order of first use. */
    uint8_t local_of[256] = {0}, *local = ct_calloc(tt->ncarriers ? tt->ncarriers : 1, 1);
    uint32_t nalliances = 0;
    if (local == NULL) {
        w->bad = 1;
        return;
    }
    for (size_t c = 0; c < tt->ncarriers; c++) {
        int id = s->alliance[c];
        const char *name = ct_pricebook_alliance_name(id);
        if (id == 0 || name == NULL)
            continue;
        if (local_of[id] == 0) {
            char rec[32] = {0};
            snprintf(rec, sizeof(rec), "%s", name);
            put(w, rec, sizeof(rec));
            local_of[id] = (uint8_t)++nalliances;
        }
        local[c] = local_of[id];
    }
    put(w, local, tt->ncarriers);
    ct_free(local);
    for (int p = 0; p < s->nproviders; p++) {
        const ct_pb_provider *pv = &s->providers[p];
        const ct_pb_seat_table *t = v->seats[p];
        file_provider r;
        memset(&r, 0, sizeof(r));
        memcpy(r.name, pv->desc.name, sizeof(r.name));
        r.name[sizeof(r.name) - 1] = '\0';
        r.kind = (uint32_t)pv->desc.kind;
        memcpy(r.currency, pv->desc.currency, 4);
        r.minor_digits = pv->desc.minor_digits;
        r.min_self_transfer_min = pv->desc.min_self_transfer_min;
        r.fee_minor = pv->desc.fee_minor;
        r.has_amount = pv->amount != NULL;
        r.nwords = t != NULL ? t->nwords : 0;
        r.nhi = t != NULL ? (uint32_t)t->nhi : 0;
        put(w, &r, sizeof(r));
        put(w, pv->sells, tt->ncarriers);
        if (pv->amount != NULL)
            put(w, pv->amount, v->nmarkets * sizeof(*pv->amount));
        if (t != NULL)
            put(w, t->words, t->nwords * sizeof(uint32_t)); /* no writer: we hold the mutex */
        if (t != NULL)
            put(w, t->hi_words, t->nhi * sizeof(uint16_t));
    }
    h->nproviders = (uint32_t)s->nproviders;
    h->ncurrencies = (uint32_t)s->ncurrencies;
    h->nalliances = nalliances;
    h->rates_day = s->rates_day;
}

/* The ct_file_writer of ct_pricebook_save (ctx: the pricebook): a placeholder header, the
 * body under the writers' mutex, then the header with the length and hash over it. */
static ct_status write_file(int fd, void *ctx)
{
    ct_pricebook *pb = ctx;
    int dupfd = dup(fd); /* the stream's own descriptor: fclose leaves fd to the caller */
    writer w = {0};
    w.f = dupfd >= 0 ? fdopen(dupfd, "wb") : NULL;
    if (w.f == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        return CT_IO;
    }
    file_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, PBF_MAGIC, sizeof(h.magic));
    h.version = PBF_VERSION;
    h.byte_order = PBF_BOM;
    h.header_size = sizeof(h);
    crypto_generichash_init(&w.hash, NULL, 0, sizeof(h.check));
    if (fwrite(&h, sizeof(h), 1, w.f) != 1) /* a placeholder, rewritten at the end */
        w.bad = 1;

    ct_pricebook_begin(pb); /* no batch interleaves: seat words and snapshot agree */
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    const ct_timetable *tt = ct_pricebook_timetable(pb);
    ct_timetable_identity(tt, h.timetable);
    h.nlegs = tt->nlegs;
    h.nmarkets = v.nmarkets;
    h.ncarriers = tt->ncarriers;
    write_body(&w, &v, &h);
    ct_pricebook_release(pb, &v);
    ct_pricebook_commit(pb); /* nothing pending: releases the mutex */

    h.file_size = sizeof(h) + w.n;
    crypto_generichash_update(&w.hash, (const unsigned char *)&h, sizeof(h));
    crypto_generichash_final(&w.hash, h.check, sizeof(h.check));
    int bad = fclose(w.f) != 0 || w.bad;
    bad = bad || pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h);
    return bad ? CT_IO : CT_OK;
}

ct_status ct_pricebook_save(ct_pricebook *pb, const char *path)
{
    if (pb == NULL || path == NULL || path[0] == '\0')
        return CT_INVALID;
    if (sodium_init() < 0)
        return CT_ERR;
    return ct_file_replace(path, write_file, pb);
}

/* ---- loading ---- */

typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

/* The next n bytes, or NULL when the file has fewer. */
static const void *take(reader *r, uint64_t n)
{
    if (n > r->left)
        return NULL;
    const void *at = r->p;
    r->p += n;
    r->left -= (size_t)n;
    return at;
}

static int code_ok(const char *c, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (c[i] < 'A' || c[i] > 'Z')
            return 0;
    }
    return 1;
}

/* A NUL-terminated, non-empty string within n bytes. */
static int text_ok(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    return len > 0 && len < n;
}

/* Applies the body to pb inside an open batch. CT_INVALID on anything out of bounds. */
static ct_status apply_body(ct_pricebook *pb, const file_header *h, reader *r)
{
    const ct_timetable *tt = ct_pricebook_timetable(pb);
    ct_status rc = CT_OK;
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    int fresh = v.snap->nproviders == 0;
    ct_pricebook_release(pb, &v);
    if (!fresh)
        return CT_CONFLICT; /* only into an empty pricebook: ids are the file's */
    for (uint32_t i = 0; i < h->ncurrencies; i++) {
        const void *at = take(r, sizeof(file_currency));
        file_currency cur, *c = at != NULL ? memcpy(&cur, at, sizeof(cur)) : NULL; /* unaligned */
        if (c == NULL || c->code[3] != '\0' || !code_ok(c->code, 3) || !(c->per_usd >= 0))
            return CT_INVALID;
        if (c->per_usd > 0 && (rc = ct_pricebook_set_rate(pb, c->code, c->per_usd)) != CT_OK)
            return rc;
    }
    ct_pricebook_set_rates_day(pb, h->rates_day);
    const char *names = take(r, (uint64_t)h->nalliances * 32);
    const uint8_t *local = take(r, h->ncarriers);
    if (names == NULL || local == NULL)
        return CT_INVALID;
    for (uint32_t a = 0; a < h->nalliances; a++) {
        if (!text_ok(names + 32 * a, 32))
            return CT_INVALID;
    }
    for (size_t c = 0; c < tt->ncarriers; c++) {
        if (local[c] > h->nalliances)
            return CT_INVALID;
        if (local[c] > 0 &&
            (rc = ct_pricebook_set_alliance(pb, tt->carriers[c], names + 32 * (local[c] - 1))))
            return rc;
    }
    char(*codes)[4] = ct_calloc(tt->ncarriers ? tt->ncarriers : 1, sizeof(*codes));
    if (codes == NULL)
        return CT_NOMEM;
    for (uint32_t p = 0; !rc && p < h->nproviders; p++) {
        const void *at = take(r, sizeof(file_provider));
        file_provider rec, *fp = at != NULL ? memcpy(&rec, at, sizeof(rec)) : NULL; /* unaligned */
        const uint8_t *sells = take(r, h->ncarriers);
        if (fp == NULL || sells == NULL || !text_ok(fp->name, sizeof(fp->name)) ||
            fp->kind > CT_PROVIDER_COMBINER || fp->currency[3] != '\0' ||
            !code_ok(fp->currency, 3) || fp->has_amount > 1 || fp->minor_digits < 0 ||
            fp->minor_digits > 3) { /* ISO 4217: 0, 2 or 3 (a huge one hung the bounds) */
            rc = CT_INVALID;
            break;
        }
        if (fp->nwords > tt->nlegs || fp->nhi > fp->nwords) {
            rc = CT_INVALID;
            break;
        }
        const void *amount =
            fp->has_amount ? take(r, h->nmarkets * sizeof(int32_t[CT_NCLASSES])) : (const void *)"";
        const void *words = take(r, fp->nwords * sizeof(uint32_t)); /* read with memcpy */
        const void *hi_words = take(r, fp->nhi * sizeof(uint16_t));
        if (amount == NULL || words == NULL || hi_words == NULL) {
            rc = CT_INVALID;
            break;
        }
        ct_provider_desc d;
        memset(&d, 0, sizeof(d));
        memcpy(d.name, fp->name, sizeof(d.name));
        d.kind = (ct_provider_kind)fp->kind;
        memcpy(d.currency, fp->currency, 4);
        d.minor_digits = fp->minor_digits;
        d.min_self_transfer_min = fp->min_self_transfer_min;
        d.fee_minor = fp->fee_minor;
        int id = -1;
        rc = ct_pricebook_provider(pb, &d, &id);
        if (!rc && id != (int)p)
            rc = CT_INVALID; /* a name twice */
        size_t n = 0;
        for (size_t c = 0; !rc && c < tt->ncarriers; c++) {
            if (sells[c] > 1)
                rc = CT_INVALID;
            else if (sells[c])
                memcpy(codes[n++], tt->carriers[c], 4);
        }
        if (!rc)
            rc = ct_pricebook_set_sold(pb, id, (const char(*)[4])codes, n);
        ct_pb_seat_table *t = rc ? NULL : ct__pricebook_seat_table(pb, id);
        if (!rc && (t == NULL || t->nwords != fp->nwords || t->nhi != fp->nhi))
            rc = CT_INVALID; /* the sold set does not give this many words */
        if (!rc && fp->nwords > 0)
            memcpy(t->words, words, fp->nwords * sizeof(uint32_t)); /* unpublished yet */
        if (!rc && fp->nhi > 0)
            memcpy(t->hi_words, hi_words, fp->nhi * sizeof(uint16_t));
        if (!rc && fp->has_amount) {
            ct_pb_snapshot *s = ct__pricebook_pending(pb);
            size_t bytes = h->nmarkets * sizeof(int32_t[CT_NCLASSES]);
            int32_t(*a)[CT_NCLASSES] = ct_malloc(bytes ? bytes : 1);
            if (s == NULL || a == NULL) {
                ct_free(a);
                rc = CT_NOMEM;
            } else {
                memcpy(a, amount, bytes);
                ct_free(s->providers[id].amount);
                s->providers[id].amount = a;
            }
        }
    }
    ct_free(codes);
    if (!rc && r->left != 0)
        rc = CT_INVALID; /* bytes after the last provider */
    return rc;
}

ct_status ct_pricebook_load(ct_pricebook *pb, const char *path, int *loaded)
{
    if (loaded != NULL)
        *loaded = 0;
    if (pb == NULL || path == NULL || path[0] == '\0')
        return CT_INVALID;
    if (sodium_init() < 0)
        return CT_ERR;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CT_NOT_FOUND : CT_IO;
    ct_status rc = CT_OK;
    void *map = MAP_FAILED;
    struct stat sb;
    file_header h;
    const ct_timetable *tt = ct_pricebook_timetable(pb);
    if (fstat(fd, &sb) != 0) {
        rc = CT_IO;
        goto cleanup;
    }
    /* Cheap refusals first: the header alone against the file's length. */
    if ((uint64_t)sb.st_size < sizeof(h) || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h.magic, PBF_MAGIC, sizeof(h.magic)) != 0 || h.version != PBF_VERSION ||
        h.byte_order != PBF_BOM || h.header_size != sizeof(h) ||
        h.file_size != (uint64_t)sb.st_size || h.nproviders > CT_MAX_PROVIDERS ||
        h.ncurrencies > 64 || h.nalliances > 255) {
        rc = CT_INVALID;
        goto cleanup;
    }
    unsigned char ident[32];
    ct_timetable_identity(tt, ident);
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    size_t nmarkets = v.nmarkets;
    ct_pricebook_release(pb, &v);
    if (memcmp(ident, h.timetable, sizeof(ident)) != 0 || h.nlegs != tt->nlegs ||
        h.ncarriers != tt->ncarriers || h.nmarkets != nmarkets) {
        rc = CT_CONFLICT;
        goto cleanup;
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = CT_IO;
        goto cleanup;
    }
    /* The hash: body, then the header with `check` zeroed. */
    crypto_generichash_state hs;
    unsigned char check[32];
    file_header hz = h;
    memset(hz.check, 0, sizeof(hz.check));
    crypto_generichash_init(&hs, NULL, 0, sizeof(check));
    crypto_generichash_update(&hs, (const unsigned char *)map + sizeof(h),
                              (size_t)sb.st_size - sizeof(h));
    crypto_generichash_update(&hs, (const unsigned char *)&hz, sizeof(hz));
    crypto_generichash_final(&hs, check, sizeof(check));
    if (sodium_memcmp(check, h.check, sizeof(check)) != 0) {
        rc = CT_INVALID;
        goto cleanup;
    }
    reader r = {(const unsigned char *)map + sizeof(h), (size_t)sb.st_size - sizeof(h)};
    ct_pricebook_begin(pb);
    rc = apply_body(pb, &h, &r);
    if (rc) {
        ct__pricebook_abort(pb);
        goto cleanup;
    }
    rc = ct_pricebook_commit(pb);
    if (!rc && loaded != NULL)
        *loaded = 1;
cleanup:
    if (map != MAP_FAILED)
        munmap(map, (size_t)sb.st_size);
    close(fd);
    return rc;
}
