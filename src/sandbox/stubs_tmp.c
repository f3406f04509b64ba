#include "sandbox/services.h"
int sb_payments_main(const ct_config *cfg)
{
    (void)cfg;
    return 1;
}
int sb_mail_main(const ct_config *cfg)
{
    (void)cfg;
    return 1;
}
