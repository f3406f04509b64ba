/* vec.c: the out-of-line growth step of CT_VEC (see vec.h). */
#include "base/vec.h"

#include <stdint.h>

int ct__vec_grow(void **items, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return -1;
    void *p = ct_realloc(*items, n * elem);
    if (p == NULL)
        return -1;
    *items = p;
    *cap = n;
    return 0;
}
