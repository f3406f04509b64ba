/* main.c: `contrail-sandbox`, the simulated outside world, one subcommand per part.
 *
 * Each part is its own process in `make run` (and `contrail sandbox PART ...` runs one alone):
 * world generation, the providers' HTTP servers, the payment processor and the mail server.
 * Every subcommand takes its configuration through base/config.h like `contrail` does. */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "sandbox/sandbox.h"

static const struct {
    const char *name;
    int (*run)(const ct_config *cfg);
    const char *help;
} commands[] = {
    {"generate", sb_generate_main, "generate the world and write its SSIM files"},
    {"provider", sb_provider_main, "serve one provider (airline, agency, combiner) over HTTP"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: contrail-sandbox <command> [--flag value ...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    char err[512];
    ct_config *cfg = NULL;
    if (ct_config_load(argc, argv, 1, &cfg, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox: %s\n", err);
        return 2;
    }
    int level = ct_log_level_parse(ct_config_get(cfg, "log_level", "info"));
    ct_log_set_level(level < 0 ? CT_LOG_INFO : (ct_log_level)level);
    const char *cmd = ct_config_positional(cfg, 0);
    int code = 2;
    size_t i = 0;
    for (; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            code = commands[i].run(cfg);
            break;
        }
    }
    if (i == sizeof(commands) / sizeof(commands[0])) {
        fprintf(stderr, "contrail-sandbox: unknown command '%s'\n", cmd);
        usage(stderr);
    }
    ct_config_free(cfg);
    return code;
}
