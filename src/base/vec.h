/* vec.h: a typed growable array.
 *
 *   CT_VEC(int) v = {0};
 *   if (CT_VEC_PUSH(&v, 42)) goto nomem;   // evaluates to nonzero on OOM
 *   ... v.items[i], v.len ...
 *   CT_VEC_FREE(&v);
 *
 * The vector owns `items`; growth doubles through ct_realloc (fault-injectable). */
#ifndef CT_BASE_VEC_H
#define CT_BASE_VEC_H

#include <stddef.h>

#include "base/alloc.h"
#include "base/status.h"

#define CT_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *items;                                                                                  \
        size_t len;                                                                                \
        size_t cap;                                                                                \
    }

/* Grows `cap` to at least `need` elements of size `elem`: CT_OK, or CT_NOMEM (the vector
 * unchanged). CT_VEC_RESERVE and CT_VEC_PUSH evaluate to the same ct_status. */
ct_status ct__vec_grow(void **items, size_t *cap, size_t need, size_t elem);

/* NOLINT(bugprone-sizeof-expression) below: the element size is sizeof(*items) whatever T is,
 * for a vector of pointers to structs a pointer's size (the check takes it for sizeof(A*)). */
#define CT_VEC_RESERVE(v, n)                                                                       \
    ((n) <= (v)->cap ? CT_OK                                                                       \
                     : ct__vec_grow((void **)&(v)->items, &(v)->cap, (n),                          \
                                    sizeof(*(v)->items))) /* NOLINT(bugprone-sizeof-expression) */

#define CT_VEC_PUSH(v, x)                                                                          \
    (CT_VEC_RESERVE((v), (v)->len + 1) ? CT_NOMEM : ((v)->items[(v)->len++] = (x), CT_OK))

#define CT_VEC_FREE(v)                                                                             \
    do {                                                                                           \
        ct_free((v)->items);                                                                       \
        (v)->items = NULL;                                                                         \
        (v)->len = (v)->cap = 0;                                                                   \
    } while (0)

#endif
