/* cache.c: the timetable's binary cache file (format, key and checks in timetable.h).
 *
 * Writing: the header, then each array of the built timetable at a 64-byte aligned offset,
 * into a temporary file beside the target; fsync; rename over the target; fsync of the
 * folder. Readers therefore see the previous file or the complete new one, never a mix.
 *
 * Opening: the header is read with pread and checked field by field before anything else
 * (cheap refusals first: magic, version, byte order, sizes, counts, window, section bounds
 * against the file's real length), then the inputs' key is computed and compared, then the
 * file is mapped read-only and the check hash over the header and the small sections is
 * verified. Only then does a ct_timetable point into the mapping. Any refusal is
 * CT_NOT_FOUND: the caller rebuilds. */
#define _GNU_SOURCE
#include "base/fileutil.h"
#include "timetable/timetable.h"

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
#include "base/log.h"

#define CACHE_MAGIC   "CTTIMETB"
#define CACHE_VERSION 2u /* 2: ct_leg with four cabins' seats, a 16-bit local date */
#define CACHE_BOM     0x01020304u
#define CACHE_ALIGN   64u
#define EDGE_BYTES    (64 * 1024) /* hashed at each end of every SSIM file */

enum { S_LEGS, S_FIRST, S_BY_ARR, S_FIRST_ARR, S_COUNTRY, S_CARRIERS, S_COUNT };

typedef struct cache_section {
    uint64_t off, len;
} cache_section;

typedef struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;
    uint32_t header_size;
    uint32_t leg_size;
    uint64_t file_size;
    uint64_t nlegs, nairports, ncarriers, skipped;
    int64_t from_day, to_day;
    unsigned char key[32];
    cache_section sect[S_COUNT];
    unsigned char check[32]; /* BLAKE2b of the bytes above and of the small sections */
} cache_header;

_Static_assert(sizeof(cache_header) == 240, "the cache header has no padding");
_Static_assert(sizeof(ct_leg) == 24, "ct_leg is written byte for byte");

/* ---- the inputs' key ---- */

static void hash_u64(crypto_generichash_state *st, uint64_t v)
{
    crypto_generichash_update(st, (const unsigned char *)&v, sizeof(v));
}

static void hash_str(crypto_generichash_state *st, const char *s)
{
    s = s != NULL ? s : "";
    crypto_generichash_update(st, (const unsigned char *)s, strlen(s) + 1);
}

static ct_status hash_range(crypto_generichash_state *st, int fd, uint64_t off, uint64_t len,
                            unsigned char *buf)
{
    while (len > 0) {
        ssize_t got = pread(fd, buf, len < EDGE_BYTES ? len : EDGE_BYTES, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return CT_IO; /* an error, or the file shrank under us */
        crypto_generichash_update(st, buf, (size_t)got);
        off += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return CT_OK;
}

static ct_status hash_file(crypto_generichash_state *st, const char *path, unsigned char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return CT_IO;
    struct stat sb;
    ct_status rc = fstat(fd, &sb) == 0 ? CT_OK : CT_IO;
    if (!rc) {
        uint64_t size = (uint64_t)sb.st_size;
        uint64_t head = size < EDGE_BYTES ? size : EDGE_BYTES;
        uint64_t tail = size - head < EDGE_BYTES ? size - head : EDGE_BYTES;
        hash_str(st, path);
        hash_u64(st, size);
        hash_u64(st, (uint64_t)sb.st_mtim.tv_sec);
        hash_u64(st, (uint64_t)sb.st_mtim.tv_nsec);
        rc = hash_range(st, fd, 0, head, buf);
        if (!rc)
            rc = hash_range(st, fd, size - tail, tail, buf);
    }
    close(fd);
    return rc;
}

ct_status ct__timetable_key(const ct_refdata *rd, const char *const *paths, size_t npaths,
                            unsigned char key[32])
{
    if (sodium_init() < 0)
        return CT_ERR;
    unsigned char *buf = ct_malloc(EDGE_BYTES);
    if (buf == NULL)
        return CT_NOMEM;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    hash_str(&st, "contrail timetable inputs");
    hash_u64(&st, npaths);
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < npaths; i++)
        rc = hash_file(&st, paths[i], buf);
    size_t nairports = ct_refdata_airport_count(rd);
    hash_u64(&st, nairports);
    for (size_t i = 0; i < nairports; i++) {
        const ct_airport *a = ct_refdata_airport_at(rd, i);
        hash_str(&st, a->iata);
        hash_str(&st, a->country);
    }
    crypto_generichash_final(&st, key, 32);
    ct_free(buf);
    return rc;
}

/* ---- layout ---- */

static uint64_t align_up(uint64_t n)
{
    return (n + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

/* The length every section must have for these counts. */
static void section_lengths(uint64_t nlegs, uint64_t nairports, uint64_t ncarriers,
                            uint64_t len[S_COUNT])
{
    len[S_LEGS] = nlegs * sizeof(ct_leg);
    len[S_FIRST] = (nairports + 1) * sizeof(uint32_t);
    len[S_BY_ARR] = nlegs * sizeof(uint32_t);
    len[S_FIRST_ARR] = (nairports + 1) * sizeof(uint32_t);
    len[S_COUNTRY] = (nairports + 1) * sizeof(uint16_t);
    len[S_CARRIERS] = ncarriers * 4;
}

/* The check hash: the header up to `check`, then first, first_arr, country and carriers. */
static void check_hash(const cache_header *h, const unsigned char *const src[S_COUNT],
                       unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)h, offsetof(cache_header, check));
    static const int small[] = {S_FIRST, S_FIRST_ARR, S_COUNTRY, S_CARRIERS};
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
        crypto_generichash_update(&st, src[small[i]], (size_t)h->sect[small[i]].len);
    crypto_generichash_final(&st, out, 32);
}

/* ---- saving ---- */

/* What ct_timetable_save hands to its writer: the header and the sections' bytes. */
typedef struct cache_image {
    const cache_header *h;
    const unsigned char *src[S_COUNT];
} cache_image;

/* The ct_file_writer of the cache: the header, then each section at its aligned offset. */
static ct_status write_image(int fd, void *ctx)
{
    const cache_image *img = ctx;
    const cache_header *h = img->h;
    static const char zeros[CACHE_ALIGN];
    ct_status rc = ct_file_write_all(fd, h, sizeof(*h));
    uint64_t at = sizeof(*h);
    for (int i = 0; !rc && i < S_COUNT; i++) {
        rc = ct_file_write_all(fd, zeros, h->sect[i].off - at);
        if (!rc && h->sect[i].len > 0)
            rc = ct_file_write_all(fd, img->src[i], h->sect[i].len);
        at = h->sect[i].off + h->sect[i].len;
    }
    return rc;
}

ct_status ct_timetable_save(const ct_timetable *tt, const char *path)
{
    if (tt == NULL || !tt->has_key || path == NULL || path[0] == '\0' || tt->nlegs > UINT32_MAX ||
        tt->nairports > 65536)
        return CT_INVALID;
    if (sodium_init() < 0)
        return CT_ERR;
    cache_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
    h.version = CACHE_VERSION;
    h.byte_order = CACHE_BOM;
    h.header_size = sizeof(h);
    h.leg_size = sizeof(ct_leg);
    h.nlegs = tt->nlegs;
    h.nairports = tt->nairports;
    h.ncarriers = tt->ncarriers;
    h.skipped = tt->skipped;
    h.from_day = tt->from_day;
    h.to_day = tt->to_day;
    memcpy(h.key, tt->key, sizeof(h.key));
    uint64_t len[S_COUNT], off = align_up(sizeof(h));
    section_lengths(h.nlegs, h.nairports, h.ncarriers, len);
    for (int i = 0; i < S_COUNT; i++) {
        h.sect[i].off = off;
        h.sect[i].len = len[i];
        h.file_size = off + len[i];
        off = align_up(off + len[i]);
    }
    const unsigned char *src[S_COUNT] = {
        (const unsigned char *)tt->legs,    (const unsigned char *)tt->first,
        (const unsigned char *)tt->by_arr,  (const unsigned char *)tt->first_arr,
        (const unsigned char *)tt->country, (const unsigned char *)tt->carriers,
    };
    check_hash(&h, src, h.check);

    cache_image img = {&h, {0}};
    memcpy(img.src, src, sizeof(src));
    return ct_file_replace(path, write_image, &img);
}

/* ---- opening ---- */

/* The header alone against the file's length, the reference data and the window asked for. */
static int header_usable(const cache_header *h, uint64_t file_size, const ct_refdata *rd,
                         int64_t from_day, int64_t to_day)
{
    if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0 || h->version != CACHE_VERSION ||
        h->byte_order != CACHE_BOM || h->header_size != sizeof(*h) ||
        h->leg_size != sizeof(ct_leg) || h->file_size != file_size)
        return 0;
    if (h->nairports != ct_refdata_airport_count(rd) || h->nairports > 65536 ||
        h->nlegs > UINT32_MAX || h->ncarriers > 65536)
        return 0;
    if (h->from_day > h->to_day || h->from_day > from_day || h->to_day < to_day)
        return 0; /* the cached window does not cover the one asked for */
    uint64_t len[S_COUNT];
    section_lengths(h->nlegs, h->nairports, h->ncarriers, len);
    for (int i = 0; i < S_COUNT; i++) {
        const cache_section *s = &h->sect[i];
        if (s->len != len[i] || s->off % CACHE_ALIGN != 0 || s->off < sizeof(*h) ||
            s->off > file_size || s->len > file_size - s->off)
            return 0;
    }
    return 1;
}

/* first[0] == 0, first[n] == nlegs, never decreasing. */
static int offsets_usable(const uint32_t *first, uint64_t nairports, uint64_t nlegs)
{
    if (first[0] != 0 || first[nairports] != nlegs)
        return 0;
    for (uint64_t a = 0; a < nairports; a++) {
        if (first[a] > first[a + 1])
            return 0;
    }
    return 1;
}

ct_status ct_timetable_open_cache(const ct_refdata *rd, const char *const *paths, size_t npaths,
                                  int64_t from_day, int64_t to_day, const char *cache_path,
                                  ct_timetable **out)
{
    *out = NULL;
    if (cache_path == NULL || cache_path[0] == '\0')
        return CT_NOT_FOUND;
    int fd = open(cache_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return CT_NOT_FOUND;
    ct_status rc = CT_NOT_FOUND;
    void *map = MAP_FAILED;
    ct_timetable *tt = NULL;
    cache_header h;
    struct stat sb;
    unsigned char key[32], check[32];
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < sizeof(h) ||
        pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        !header_usable(&h, (uint64_t)sb.st_size, rd, from_day, to_day))
        goto cleanup;
    rc = ct__timetable_key(rd, paths, npaths, key);
    if (rc) {
        rc = rc == CT_NOMEM ? CT_NOMEM : CT_NOT_FOUND; /* an unreadable input: rebuild */
        goto cleanup;
    }
    rc = CT_NOT_FOUND;
    if (sodium_memcmp(key, h.key, sizeof(key)) != 0)
        goto cleanup; /* stale: the inputs changed */
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        goto cleanup;
    const unsigned char *base = map;
    const unsigned char *src[S_COUNT];
    for (int i = 0; i < S_COUNT; i++)
        src[i] = base + h.sect[i].off;
    check_hash(&h, src, check);
    if (sodium_memcmp(check, h.check, sizeof(check)) != 0 ||
        !offsets_usable((const uint32_t *)src[S_FIRST], h.nairports, h.nlegs) ||
        !offsets_usable((const uint32_t *)src[S_FIRST_ARR], h.nairports, h.nlegs))
        goto cleanup;
    tt = ct_calloc(1, sizeof(*tt));
    if (tt == NULL) {
        rc = CT_NOMEM;
        goto cleanup;
    }
    /* The mapping is read-only: the const is cast away only because the public fields are
     * not const; nothing writes to a built timetable. */
    tt->rd = rd;
    tt->legs = (ct_leg *)(uintptr_t)src[S_LEGS];
    tt->nlegs = (size_t)h.nlegs;
    tt->first = (uint32_t *)(uintptr_t)src[S_FIRST];
    tt->by_arr = (uint32_t *)(uintptr_t)src[S_BY_ARR];
    tt->first_arr = (uint32_t *)(uintptr_t)src[S_FIRST_ARR];
    tt->nairports = (size_t)h.nairports;
    tt->country = (uint16_t *)(uintptr_t)src[S_COUNTRY];
    tt->carriers = (char(*)[4])(uintptr_t)src[S_CARRIERS];
    tt->ncarriers = (size_t)h.ncarriers;
    tt->from_day = h.from_day;
    tt->to_day = h.to_day;
    tt->skipped = (size_t)h.skipped;
    tt->mapping = map;
    tt->mapping_len = (size_t)sb.st_size;
    memcpy(tt->key, h.key, sizeof(tt->key));
    tt->has_key = 1;
    map = MAP_FAILED; /* now the timetable's */
    *out = tt;
    rc = CT_OK;
cleanup:
    if (map != MAP_FAILED)
        munmap(map, (size_t)sb.st_size);
    close(fd);
    return rc;
}

ct_status ct_timetable_open_cached(const ct_refdata *rd, const char *const *paths, size_t npaths,
                                   int64_t from_day, int64_t to_day, const char *cache_path,
                                   ct_timetable **out, int *hit)
{
    if (hit != NULL)
        *hit = 0;
    if (ct_timetable_open_cache(rd, paths, npaths, from_day, to_day, cache_path, out) == CT_OK) {
        if (hit != NULL)
            *hit = 1;
        return CT_OK;
    }
    int64_t end =
        cache_path != NULL && cache_path[0] ? to_day + CT_TIMETABLE_CACHE_SLACK_DAYS : to_day;
    ct_status rc = ct_timetable_load(rd, paths, npaths, from_day, end, out, NULL);
    if (rc || cache_path == NULL || cache_path[0] == '\0')
        return rc;
    ct_status saved = ct_timetable_save(*out, cache_path);
    if (saved)
        ct_log(CT_LOG_WARN, "timetable.cache_not_saved", "path", cache_path, "status",
               ct_status_name(saved), NULL);
    return CT_OK;
}

void ct_timetable_prefetch(const ct_timetable *tt)
{
    if (tt != NULL && tt->mapping != NULL)
        madvise(tt->mapping, tt->mapping_len, MADV_WILLNEED);
}

/* A fast 64-bit hash of the legs (four lanes of multiply-rotate over 8-byte words, then
 * BLAKE2b over the lanes): a few GB/s, so naming the default world's 580 MB of legs costs
 * a fraction of a second once the pages are in memory. Not collision-resistant against an
 * adversary; it tells one timetable from another. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ULL;
    h = (h << 31) | (h >> 33);
    return h * 0xbf58476d1ce4e5b9ULL;
}

void ct_timetable_identity(const ct_timetable *tt, unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    hash_str(&st, "contrail timetable identity 2");
    hash_u64(&st, tt->nlegs);
    hash_u64(&st, tt->nairports);
    hash_u64(&st, tt->ncarriers);
    hash_u64(&st, (uint64_t)tt->from_day);
    hash_u64(&st, (uint64_t)tt->to_day);
    for (size_t c = 0; c < tt->ncarriers; c++) {
        size_t n = strnlen(tt->carriers[c], 4);
        crypto_generichash_update(&st, (const unsigned char *)tt->carriers[c], n);
        hash_u64(&st, n);
    }
    uint64_t lane[4] = {1, 2, 3, 4};
    const unsigned char *p = (const unsigned char *)tt->legs;
    size_t words = tt->nlegs * sizeof(ct_leg) / 8; /* 24-byte legs: whole words */
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        memcpy(&v, p + 8 * i, 8);
        lane[i & 3] = mix(lane[i & 3], v);
    }
    for (int i = 0; i < 4; i++)
        hash_u64(&st, lane[i]);
    crypto_generichash_final(&st, out, 32);
}
