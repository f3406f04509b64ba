#include "sandbox/services.h"
int sb_mail_main(const ct_config *cfg)
{
    (void)cfg;
    return 1;
}
