/* search_cache.c: direct-mapped answer cache with a lock per slot (see search_cache.h). */
#include "api/search_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

typedef struct slot {
    pthread_mutex_t mu;
    char *key;
    size_t key_len;
    uint64_t stamp;
    char *body;
    size_t len;
} slot;

struct ct_search_cache {
    slot *slots;
    size_t n; /* power of two */
    _Atomic uint64_t hits, misses;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

ct_status ct_search_cache_new(size_t slots, ct_search_cache **out)
{
    *out = NULL;
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    ct_search_cache *c = ct_calloc(1, sizeof(*c));
    if (c == NULL)
        return CT_NOMEM;
    c->slots = ct_calloc(n, sizeof(slot));
    if (c->slots == NULL) {
        ct_free(c);
        return CT_NOMEM;
    }
    c->n = n;
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&c->slots[i].mu, NULL);
    *out = c;
    return CT_OK;
}

void ct_search_cache_free(ct_search_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        ct_free(c->slots[i].key);
        ct_free(c->slots[i].body);
        pthread_mutex_destroy(&c->slots[i].mu);
    }
    ct_free(c->slots);
    ct_free(c);
}

int ct_search_cache_get(ct_search_cache *c, const char *key, size_t key_len, uint64_t stamp,
                        ct_arena *arena, char **body, size_t *len)
{
    *body = NULL;
    slot *s = &c->slots[hash(key, key_len) & (c->n - 1)];
    int hit = 0;
    pthread_mutex_lock(&s->mu);
    if (s->key != NULL && s->stamp == stamp && s->key_len == key_len &&
        memcmp(s->key, key, key_len) == 0) {
        *body = ct_arena_alloc(arena, s->len + 1);
        if (*body != NULL) {
            memcpy(*body, s->body, s->len);
            (*body)[s->len] = '\0';
            *len = s->len;
            hit = 1;
        }
    }
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(hit ? &c->hits : &c->misses, 1);
    return hit;
}

void ct_search_cache_put(ct_search_cache *c, const char *key, size_t key_len, uint64_t stamp,
                         const char *body, size_t len)
{
    if (len > CT_SEARCH_CACHE_MAX_BODY)
        return;
    char *k = ct_malloc(key_len ? key_len : 1), *b = ct_malloc(len ? len : 1);
    if (k == NULL || b == NULL) {
        ct_free(k);
        ct_free(b);
        return; /* a cache may forget */
    }
    memcpy(k, key, key_len);
    memcpy(b, body, len);
    slot *s = &c->slots[hash(key, key_len) & (c->n - 1)];
    pthread_mutex_lock(&s->mu);
    char *old_k = s->key, *old_b = s->body;
    s->key = k;
    s->key_len = key_len;
    s->stamp = stamp;
    s->body = b;
    s->len = len;
    pthread_mutex_unlock(&s->mu);
    ct_free(old_k);
    ct_free(old_b);
}

void ct_search_cache_stats(ct_search_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = atomic_load(&c->hits);
    *misses = atomic_load(&c->misses);
}
