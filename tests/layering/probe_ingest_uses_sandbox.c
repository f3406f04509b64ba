/* Layering probe (tests/layering/CMakeLists.txt): must not compile */
#include "sandbox/world/world.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
