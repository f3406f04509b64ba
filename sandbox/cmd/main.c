/* main.c: the `contrail-sandbox` program, the simulated outside world.
 *
 * A table of commands, each with its entry point `int fn(const ct_config *cfg)` (returning
 * the exit code) and the tables of the flags it reads, declared beside the code that reads
 * them. The command line, the --config file and the CONTRAIL_* variables are checked against
 * them once here, with the same rules as `contrail` (base/config.h): an unknown flag or a bad
 * value prints the usage on stderr and exits 2. The log level applies to every subcommand. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/log.h"
#include "sandbox/cmd/commands.h"
#include "sandbox/idp/idp.h"
#include "sandbox/mail/mail.h"
#include "sandbox/payments/payments.h"
#include "sandbox/providers/faults.h"
#include "sandbox/providers/provider.h"
#include "sandbox/runtime/clock.h"
#include "sandbox/runtime/daemon.h"
#include "sandbox/sms/sms.h"
#include "sandbox/world/sandbox_data.h"

typedef int (*entry)(const ct_config *cfg);

static const ct_flag common_flags[] = {
    {"log_level", CT_FLAG_STRING, "info", "debug, info, warn, error or off"},
    {"config", CT_FLAG_PATH, NULL, "a file of `name = value` lines"},
    {NULL, 0, NULL, NULL},
};

/* In the order of `entries` below. */
static const ct_command commands[] = {
    {"world",
     NULL,
     "run the whole world: every service, supervised, on free ports",
     {sb_world_flags, sb_world_cmd_flags}},
    {"generate",
     NULL,
     "generate the world and write one SSIM file per carrier",
     {sb_world_flags, sb_generate_flags}},
    {"report",
     NULL,
     "generate the world and print each realism target against its figure",
     {sb_world_flags}},
    {"clock",
     "[show | set | reset]",
     "show, set (set --at ISO8601 --speed X) or reset the world clock",
     {sb_clock_file_flags, sb_clock_cmd_flags}},
    {"payments",
     NULL,
     "run the card payment processor (HTTP)",
     {sb_daemon_http_flags, sb_clock_file_flags, sb_payments_flags}},
    {"mail",
     NULL,
     "run the mail server (SMTP) and its mailbox API (HTTP)",
     {sb_daemon_http_flags, sb_clock_file_flags, sb_mail_flags}},
    {"sms",
     NULL,
     "run the SMS gateway (a Twilio-like HTTP API) and its message list",
     {sb_daemon_http_flags, sb_clock_file_flags, sb_sms_flags}},
    {"idp",
     NULL,
     "run the identity provider (OpenID Connect, HTTP)",
     {sb_daemon_http_flags, sb_clock_file_flags, sb_idp_flags}},
    {"provider",
     NULL,
     "serve one provider (airline, agency, combiner) over HTTP",
     {sb_provider_flags, sb_world_flags, sb_clock_file_flags, sb_faults_flags}},
};

static const entry entries[] = {
    sb_world_main, sb_generate_main, sb_report_main, sb_clock_main,    sb_payments_main,
    sb_mail_main,  sb_sms_main,      sb_idp_main,    sb_provider_main,
};

static const ct_program program = {"contrail-sandbox", common_flags, commands,
                                   sizeof(commands) / sizeof(commands[0])};

int main(int argc, char **argv)
{
    ct_alloc_install_json(); /* jansson through base/alloc.h */
    if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)) {
        ct_config_usage(&program, stdout);
        return 0;
    }
    char err[1024];
    ct_config *cfg = NULL;
    const ct_command *cmd = NULL;
    ct_status rc = ct_config_parse(&program, argc, argv, &cfg, &cmd, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail-sandbox: %s\n\n", rc == CT_NOMEM ? "out of memory" : err);
        ct_config_usage(&program, stderr);
        return 2;
    }
    int code = 2;
    ct_log_level level = CT_LOG_INFO;
    if (ct_log_level_parse(ct_config_get(cfg, "log_level", "info"), &level) != CT_OK) {
        fprintf(stderr,
                "contrail-sandbox: --log-level: expected debug, info, warn, error or off\n");
        goto cleanup;
    }
    ct_log_set_level(level);
    code = entries[cmd - commands](cfg);
cleanup:
    ct_config_free(cfg);
    return code;
}
