/* config_fuzz.c: libFuzzer driver for the configuration file reader (base/config.h).
 *
 * The input is written to a file that ct_config_load reads as `--config FILE` (lines
 * `key = value`, `#` comments), after one flag so that the flags-over-file precedence runs
 * too. An accepted file must keep the flag's value (flags win) and the one positional; a
 * refused one must say why (file:line:column). A broken promise traps. */
#include <string.h>

#include "base/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/contrail.conf", fz_tempdir("config"));
    fz_write_file(path, data, size);
    char *argv[] = {"contrail", "serve", "--port=8080", "--config", path, NULL};
    ct_config *cfg = NULL;
    char err[512] = "";
    ct_status rc = ct_config_load(5, argv, 1, &cfg, err, sizeof(err));
    if (rc != CT_OK) {
        if (rc == CT_INVALID && err[0] == '\0')
            __builtin_trap();
        return 0;
    }
    const char *port = ct_config_get(cfg, "port", NULL);
    if (port == NULL || strcmp(port, "8080") != 0 || ct_config_npositional(cfg) != 1)
        __builtin_trap();
    long n;
    (void)ct_config_get_int(cfg, "threads", 2, 1, 64, &n, err, sizeof(err));
    (void)ct_config_get(cfg, "db", "");
    ct_config_free(cfg);
    return 0;
}
