/* Layering probe (tests/layering/CMakeLists.txt): must not compile */
#include "accounts/accounts.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
