/* Layering probe (tests/layering/CMakeLists.txt): must not compile */
#include "search/search.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
