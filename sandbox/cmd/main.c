/* main.c: the `contrail-sandbox` program, the simulated outside world.
 *
 * A dispatch table from the first positional argument to a subcommand entry point
 * `int fn(const ct_config *cfg)` that returns the exit code. Configuration is loaded once here
 * (flags over CONTRAIL_* over --config), as `contrail` does; the log level applies to every
 * subcommand. */
#include <stdio.h>
#include <string.h>

#include "sandbox/cmd/commands.h"
#include "sandbox/mail/mail.h"
#include "sandbox/payments/payments.h"
#include "sandbox/providers/provider.h"
#include "sandbox/runtime/clock.h"
#include "base/alloc.h"
#include "base/config.h"
#include "base/log.h"

typedef struct command {
    const char *name;
    int (*run)(const ct_config *cfg);
    const char *summary;
} command;

static const command commands[] = {
    {"world", sb_world_main, "run the whole world: every service, supervised, on free ports"},
    {"generate", sb_generate_main, "generate the world and write one SSIM file per carrier"},
    {"clock", sb_clock_main, "show, set (set --at ISO8601 --speed X) or reset the world clock"},
    {"payments", sb_payments_main, "run the card payment processor (HTTP)"},
    {"mail", sb_mail_main, "run the mail server (SMTP) and its mailbox API (HTTP)"},
    {"provider", sb_provider_main, "serve one provider (airline, agency, combiner) over HTTP"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: contrail-sandbox <command> [--flag value ...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nEvery flag is also CONTRAIL_<NAME> or `name = value` in --config;"
                 " docs/sandbox.md lists them.\n");
}

int main(int argc, char **argv)
{
    ct_alloc_install_json(); /* jansson allocates through base/alloc.h */
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
    int code = 2;
    int level = ct_log_level_parse(ct_config_get(cfg, "log_level", "info"));
    const char *name = ct_config_positional(cfg, 0);
    if (level < 0) {
        fprintf(stderr, "contrail-sandbox: log_level: expected debug, info, warn, error or off\n");
        goto cleanup;
    }
    ct_log_set_level((ct_log_level)level);
    for (size_t i = 0; name != NULL && i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(name, commands[i].name) == 0) {
            code = commands[i].run(cfg);
            goto cleanup;
        }
    }
    fprintf(stderr, "contrail-sandbox: unknown command '%s'\n", name ? name : "");
    usage(stderr);
cleanup:
    ct_config_free(cfg);
    return code;
}
