/* index.c: the alerts' route index, slots by (place, month, role).
 *
 * An open-addressing hash table (linear probing, power-of-two size, at most half full) from a
 * 64-bit key to a growable list of slot numbers. A key packs the place code (36^3 values in
 * 16 bits), the month (year x 12 + month, 20 bits) and the role (2 bits), so the lists stay
 * short: the alerts leaving one city in one month in one role. A removal swaps the last
 * entry into the hole (lists are sets). Keys are never removed from the table: an empty
 * list stays (the set of places x months is small). Not thread-safe: the engine's mutex
 * guards it. */
#include <ctype.h>
#include <string.h>

#include "alerts/alerts_internal.h"
#include "base/alloc.h"
#include "base/timeutil.h"

typedef struct bucket {
    uint64_t key; /* 0: empty (a real key has bit 63 set) */
    uint32_t *slots;
    uint32_t n, cap;
} bucket;

struct ct__index {
    bucket *b;
    size_t cap, used;
};

static uint32_t code36(char c)
{
    c = (char)toupper((unsigned char)c);
    return c >= 'A' && c <= 'Z'   ? (uint32_t)(c - 'A' + 10)
           : c >= '0' && c <= '9' ? (uint32_t)(c - '0')
                                  : 0;
}

uint64_t ct__index_key(const char *place, int32_t day, int role)
{
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    uint64_t p = code36(place[0]) * 1296u + code36(place[1]) * 36u + code36(place[2]);
    uint64_t month = (uint64_t)(y * 12 + m - 1) & 0xfffff;
    return 1ull << 63 | p << 22 | month << 2 | (uint64_t)(role & 3);
}

static size_t hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k;
}

ct__index *ct__index_new(void)
{
    ct__index *ix = ct_calloc(1, sizeof(*ix));
    if (ix == NULL)
        return NULL;
    ix->cap = 1024;
    ix->b = ct_calloc(ix->cap, sizeof(bucket));
    if (ix->b == NULL) {
        ct_free(ix);
        return NULL;
    }
    return ix;
}

void ct__index_free(ct__index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->cap; i++)
        ct_free(ix->b[i].slots);
    ct_free(ix->b);
    ct_free(ix);
}

static bucket *find(const ct__index *ix, uint64_t key)
{
    size_t mask = ix->cap - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
        if (ix->b[i].key == key || ix->b[i].key == 0)
            return &ix->b[i];
    }
}

static ct_status grow(ct__index *ix)
{
    bucket *old = ix->b;
    size_t ocap = ix->cap;
    bucket *nb = ct_calloc(ocap * 2, sizeof(bucket));
    if (nb == NULL)
        return CT_NOMEM;
    ix->b = nb;
    ix->cap = ocap * 2;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key != 0)
            *find(ix, old[i].key) = old[i];
    }
    ct_free(old);
    return CT_OK;
}

ct_status ct__index_add(ct__index *ix, uint64_t key, uint32_t slot)
{
    if ((ix->used + 1) * 2 > ix->cap && grow(ix))
        return CT_NOMEM;
    bucket *b = find(ix, key);
    if (b->key == 0) {
        b->key = key;
        ix->used++;
    }
    if (b->n == b->cap) {
        uint32_t ncap = b->cap ? b->cap * 2 : 4;
        uint32_t *ns = ct_realloc(b->slots, ncap * sizeof(uint32_t));
        if (ns == NULL)
            return CT_NOMEM;
        b->slots = ns;
        b->cap = ncap;
    }
    b->slots[b->n++] = slot;
    return CT_OK;
}

void ct__index_remove(ct__index *ix, uint64_t key, uint32_t slot)
{
    bucket *b = find(ix, key);
    for (uint32_t i = 0; b->key != 0 && i < b->n; i++) {
        if (b->slots[i] == slot) {
            b->slots[i] = b->slots[--b->n];
            return;
        }
    }
}

const uint32_t *ct__index_get(const ct__index *ix, uint64_t key, size_t *n)
{
    const bucket *b = find(ix, key);
    *n = b->key != 0 ? b->n : 0;
    return *n ? b->slots : NULL;
}
