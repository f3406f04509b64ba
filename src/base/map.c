/* map.c: open-addressing string map (see map.h). Deletion is not needed by any caller yet. */
#include "base/map.h"
#include "base/alloc.h"

#include <stdint.h>
#include <string.h>

typedef struct map_slot {
    char *key;
    void *value;
    uint64_t hash;
} map_slot;

struct ct_map {
    map_slot *slots;
    size_t nslot; /* power of two */
    size_t len;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

ct_map *ct_map_create(void)
{
    ct_map *m = ct_calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->nslot = 16;
    m->slots = ct_calloc(m->nslot, sizeof(map_slot));
    if (m->slots == NULL) {
        ct_free(m);
        return NULL;
    }
    return m;
}

void ct_map_destroy(ct_map *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nslot; i++)
        ct_free(m->slots[i].key);
    ct_free(m->slots);
    ct_free(m);
}

static map_slot *find_slot(map_slot *slots, size_t nslot, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (nslot - 1);
    while (slots[i].key != NULL) {
        if (slots[i].hash == h && strcmp(slots[i].key, key) == 0)
            return &slots[i];
        i = (i + 1) & (nslot - 1);
    }
    return &slots[i];
}

static ct_status grow(ct_map *m)
{
    size_t nslot = m->nslot * 2;
    map_slot *slots = ct_calloc(nslot, sizeof(map_slot));
    if (slots == NULL)
        return CT_NOMEM;
    for (size_t i = 0; i < m->nslot; i++) {
        if (m->slots[i].key != NULL)
            *find_slot(slots, nslot, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    }
    ct_free(m->slots);
    m->slots = slots;
    m->nslot = nslot;
    return CT_OK;
}

ct_status ct_map_put(ct_map *m, const char *key, void *value)
{
    uint64_t h = fnv1a(key);
    map_slot *s = find_slot(m->slots, m->nslot, key, h);
    if (s->key != NULL) {
        s->value = value;
        return CT_OK;
    }
    if ((m->len + 1) * 10 > m->nslot * 7) {
        if (grow(m))
            return CT_NOMEM;
        s = find_slot(m->slots, m->nslot, key, h);
    }
    char *copy = ct_strdup(key);
    if (copy == NULL)
        return CT_NOMEM;
    s->key = copy;
    s->value = value;
    s->hash = h;
    m->len++;
    return CT_OK;
}

void *ct_map_get(const ct_map *m, const char *key)
{
    map_slot *s = find_slot(m->slots, m->nslot, key, fnv1a(key));
    return s->key ? s->value : NULL;
}

size_t ct_map_len(const ct_map *m)
{
    return m->len;
}

int ct_map_next(const ct_map *m, size_t *pos, const char **key, void **value)
{
    for (size_t i = *pos; i < m->nslot; i++) {
        if (m->slots[i].key != NULL) {
            *key = m->slots[i].key;
            *value = m->slots[i].value;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = m->nslot;
    return 0;
}
