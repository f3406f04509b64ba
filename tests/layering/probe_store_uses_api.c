/* Layering probe (tests/layering/CMakeLists.txt): must not compile */
#include "api/api.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
