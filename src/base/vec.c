/* vec.c: the out-of-line growth step of CT_VEC (see vec.h). */
#include "base/vec.h"

#include <stdint.h>

ct_status ct__vec_grow(void **items, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return CT_NOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return CT_NOMEM;
    void *p = ct_realloc(*items, n * elem);
    if (p == NULL)
        return CT_NOMEM;
    *items = p;
    *cap = n;
    return CT_OK;
}
