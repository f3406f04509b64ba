/* arena.c: block-chained bump allocator.
 *
 * Layout: a singly linked list of blocks, newest first. Small requests are bumped from the
 * newest block; when it is full a new block of max(4 KiB * 2^k, n) is chained in. Requests
 * larger than a quarter of the default block get a block of their own so they don't waste the
 * tail of the current one. `used` counts bytes handed out and enforces the cap. */
#include "base/arena.h"
#include "base/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ARENA_ALIGN      16
#define ARENA_FIRST_SIZE 4096
#define ARENA_MAX_BLOCK  (1u << 20)

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t off;
    _Alignas(16) unsigned char data[];
} arena_block;

struct ct_arena {
    arena_block *head;
    size_t cap;
    size_t used;
    size_t next_size;
};

ct_arena *ct_arena_create(size_t cap)
{
    ct_arena *a = ct_calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->cap = cap ? cap : ((size_t)1 << 30);
    a->next_size = ARENA_FIRST_SIZE;
    return a;
}

void ct_arena_destroy(ct_arena *a)
{
    if (a == NULL)
        return;
    arena_block *b = a->head;
    while (b != NULL) {
        arena_block *next = b->next;
        ct_free(b);
        b = next;
    }
    ct_free(a);
}

static arena_block *block_new(size_t size)
{
    arena_block *b = ct_malloc(sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

void *ct_arena_alloc(ct_arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n || need > a->cap - a->used)
        return NULL;
    arena_block *b = a->head;
    if (b == NULL || b->size - b->off < need) {
        if (need > ARENA_FIRST_SIZE / 4 && b != NULL) {
            /* Large request: own block, chained behind the current head. */
            arena_block *big = block_new(need);
            if (big == NULL)
                return NULL;
            big->off = need;
            big->next = b->next;
            b->next = big;
            a->used += need;
            return big->data;
        }
        size_t size = a->next_size;
        while (size < need)
            size *= 2;
        b = block_new(size);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        a->head = b;
        if (a->next_size < ARENA_MAX_BLOCK)
            a->next_size *= 2;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

void *ct_arena_calloc(ct_arena *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = ct_arena_alloc(a, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

char *ct_arena_strndup(ct_arena *a, const char *s, size_t n)
{
    char *p = ct_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ct_arena_strdup(ct_arena *a, const char *s)
{
    return ct_arena_strndup(a, s, strlen(s));
}

char *ct_arena_printf(ct_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    char *p = ct_arena_alloc(a, (size_t)len + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t ct_arena_used(const ct_arena *a)
{
    return a->used;
}
