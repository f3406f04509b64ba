/* Layering probe (tests/layering/CMakeLists.txt): allowed */
#include "timetable/timetable.h"

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
