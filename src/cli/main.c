/* main.c: the `contrail` command: its table of commands and flags, and the small commands.
 *
 * The command line is checked against the tables below (base/config.h: an unknown flag, a
 * bad boolean or integer, an unknown --config key or CONTRAIL_* variable prints the usage
 * on stderr and exits 2) before any command runs. `serve` is app/serve.h; `migrate`,
 * `import refdata`, `import ssim`, `backup`, `restore` (store/backup.h) and `version` are here,
 * `dead-letters` is app/deadletters_cmd.h;
 * `sandbox ...` runs `contrail-sandbox ...` in this process's place (that program checks its own
 * flags). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/deadletters_cmd.h"
#include "app/prices_cmd.h"
#include "app/serve.h"
#include "base/alloc.h"
#include "base/config.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "store/backup.h"
#include "store/migrate.h"
#include "store/store.h"
#include "timetable/ssim.h"

#define CONTRAIL_VERSION "0.1.0"

static const ct_flag common_flags[] = {
    {"log_level", CT_FLAG_STRING, "info", "debug, info, warn, error or off"},
    {"config", CT_FLAG_PATH, NULL, "a file of `name = value` lines"},
    {NULL, 0, NULL, NULL},
};

static const ct_flag backup_flags[] = {
    {"out", CT_FLAG_PATH, NULL, "the backup file to write (required)"},
    {NULL, 0, NULL, NULL},
};

static const ct_flag restore_flags[] = {
    {"in", CT_FLAG_PATH, NULL, "the backup file to read (required)"},
    {"force", CT_FLAG_BOOL, "false", "replace the tables of a database that is not empty"},
    {NULL, 0, NULL, NULL},
};

static const ct_command commands[] = {
    {"serve",
     NULL,
     "run the platform (HTTP API + web app)",
     {ct_app_store_flags, ct_app_refdata_flags, ct_app_schedules_flags, ct_app_serve_flags}},
    {"migrate", NULL, "apply database migrations", {ct_app_store_flags}},
    {"import",
     "refdata | ssim FILE...",
     "import airports, airlines, countries, currencies; or check SSIM schedule files and add"
     " them to the schedules",
     {ct_app_store_flags, ct_app_refdata_flags, ct_app_schedules_flags}},
    {"prices",
     "record | train | backtest",
     "buy or wait: record the sandbox world's prices as its clock runs, train the model on"
     " them, backtest it on held-back routes and dates",
     {ct_app_store_flags, ct_app_refdata_flags, ct_app_prices_flags}},
    {"backup",
     NULL,
     "copy the database into one file, consistent while serve runs (sqlite: online backup;"
     " postgres: pg_dump custom format)",
     {ct_app_store_flags, backup_flags}},
    {"restore",
     NULL,
     "restore a backup into an empty database (or replace one with --force); stop serve first",
     {ct_app_store_flags, restore_flags}},
    {"dead-letters",
     "list | replay",
     "the events RabbitMQ dead-lettered (serve --amqp): list them, or send them back to the"
     " subscriber that failed",
     {ct_app_deadletters_flags}},
    {"sandbox", "COMMAND ...", "run the simulated outside world (contrail sandbox help)", {NULL}},
    {"version", NULL, "print the version", {NULL}},
};

static const ct_program program = {"contrail", common_flags, commands,
                                   sizeof(commands) / sizeof(commands[0])};

static int cmd_migrate(const ct_config *cfg)
{
    ct_store *st = NULL;
    if (ct_app_store_open(cfg, &st))
        return 1;
    int version = 0;
    ct_store_schema_version(st, &version);
    printf("schema version %d (%s)\n", version, ct_store_engine(st));
    ct_store_close(st);
    return 0;
}

/* `backup --out FILE` and `restore --in FILE [--force]`: store/backup.h does the work. */
static int cmd_backup_restore(const ct_config *cfg, int restore)
{
    const char *db = ct_config_get(cfg, "db", CT_APP_DEFAULT_DB);
    const char *file = ct_config_get(cfg, restore ? "in" : "out", NULL);
    if (file == NULL || *file == '\0') {
        fprintf(stderr, "contrail: %s needs %s FILE\n", restore ? "restore" : "backup",
                restore ? "--in" : "--out");
        return 2;
    }
    int force = 0;
    char err[2048];
    if (restore && ct_config_get_bool(cfg, "force", 0, &force, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    ct_status rc = restore ? ct_store_restore(db, file, force, err, sizeof(err))
                           : ct_store_backup(db, file, err, sizeof(err));
    if (rc != CT_OK) {
        fprintf(stderr, "contrail: %s: %s\n", restore ? "restore" : "backup", err);
        return 1;
    }
    printf("%s %s\n", restore ? "restored" : "backed up into", file);
    return 0;
}

static void print_ssim_diag(void *ctx, const ct_ssim_diag *d)
{
    (void)ctx;
    fprintf(stderr, "%s\n", d->text);
}

/* `import ssim FILE...`: reads each file (reporting bad records with file, line and column;
 * good records are kept) and copies it into the schedules directory, where `serve` finds it.
 * A file that cannot be read, or has no valid flight leg, is not imported. The copy replaces
 * an earlier one atomically (base/fileutil.h), so a running `serve` never reads half a file. */
static int import_ssim(const ct_config *cfg)
{
    const char *dir = ct_config_get(cfg, "schedules_dir", "var/schedules");
    int failed = 0;
    for (size_t i = 2; i < ct_config_npositional(cfg); i++) {
        const char *path = ct_config_positional(cfg, i);
        ct_ssim_options opt = {0};
        opt.on_diag = print_ssim_diag;
        ct_ssim_reader *r = NULL;
        if (ct_ssim_open(path, &opt, &r) != CT_OK) {
            fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
            failed++;
            continue;
        }
        const ct_ssim_leg *leg;
        ct_status rc;
        while ((rc = ct_ssim_next(r, &leg)) == CT_ROW)
            ;
        const ct_ssim_report *rep = ct_ssim_get_report(r);
        size_t legs = rep->legs, rejected = rep->rejected;
        /* The summary names the line of every rejected record. */
        ct_strbuf where;
        ct_strbuf_init(&where, (size_t)16 << 20);
        for (size_t k = 0; rep->rejected_lines != NULL && k < rejected; k++)
            ct_strbuf_printf(&where, "%s%zu", k ? ", " : " (lines ", rep->rejected_lines[k]);
        if (rejected > 0 && rep->rejected_lines != NULL)
            ct_strbuf_printf(&where, "%s)", rep->rejected_lines_incomplete ? ", ..." : "");
        ct_ssim_close(r);
        if (rc != CT_DONE || legs == 0) {
            fprintf(stderr, "%s: not imported (%s)\n", path,
                    rc != CT_DONE ? "read error" : "no valid flight leg");
            ct_strbuf_free(&where);
            failed++;
            continue;
        }
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char dst[PATH_MAX];
        if (snprintf(dst, sizeof(dst), "%s/%s", dir, base) >= (int)sizeof(dst) ||
            ct_file_copy(path, dst) != CT_OK) {
            fprintf(stderr, "%s: cannot copy into %s: %s\n", path, dir, strerror(errno));
            ct_strbuf_free(&where);
            failed++;
            continue;
        }
        printf("%s: %zu flight legs imported, %zu records rejected%s\n", path, legs, rejected,
               ct_strbuf_str(&where));
        ct_strbuf_free(&where);
    }
    return failed ? 1 : 0;
}

static int cmd_import(const ct_config *cfg)
{
    const char *what = ct_config_positional(cfg, 1);
    size_t n = ct_config_npositional(cfg);
    if (what != NULL && strcmp(what, "ssim") == 0 && n > 2)
        return import_ssim(cfg);
    if (what == NULL || strcmp(what, "refdata") != 0 || n > 2) {
        fprintf(stderr, "contrail: usage: contrail import refdata [--refdata-dir DIR]\n"
                        "       contrail import ssim FILE... [--schedules-dir DIR]\n");
        return 2;
    }
    ct_store *st = NULL;
    if (ct_app_store_open(cfg, &st))
        return 1;
    int code = ct_app_refdata_import(st, cfg) == CT_OK ? 0 : 1;
    ct_store_close(st);
    return code;
}

/* `contrail sandbox ARGS...` runs `contrail-sandbox ARGS...` in this process's place. */
static int cmd_sandbox(char **argv)
{
    char prog[1024];
    if (ct_app_sandbox_program(prog, sizeof(prog)) != CT_OK) {
        fprintf(stderr, "contrail: contrail-sandbox not found beside this program\n");
        return 1;
    }
    argv[1] = prog;
    execv(prog, argv + 1);
    fprintf(stderr, "contrail: cannot run %s: %s\n", prog, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    ct_alloc_install_json(); /* jansson through base/alloc.h */
    if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)) {
        ct_config_usage(&program, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "sandbox") == 0)
        return cmd_sandbox(argv);
    char err[1024];
    ct_config *cfg = NULL;
    const ct_command *cmd = NULL;
    ct_status rc = ct_config_parse(&program, argc, argv, &cfg, &cmd, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "contrail: %s\n\n", rc == CT_NOMEM ? "out of memory" : err);
        ct_config_usage(&program, stderr);
        return 2;
    }
    int code = 2;
    ct_log_level level = CT_LOG_INFO;
    if (ct_log_level_parse(ct_config_get(cfg, "log_level", "info"), &level) != CT_OK) {
        fprintf(stderr, "contrail: --log-level: expected debug, info, warn, error or off\n");
        goto cleanup;
    }
    ct_log_set_level(level);
    if (strcmp(cmd->name, "serve") == 0)
        code = ct_app_serve(cfg, CONTRAIL_VERSION);
    else if (strcmp(cmd->name, "migrate") == 0)
        code = cmd_migrate(cfg);
    else if (strcmp(cmd->name, "import") == 0)
        code = cmd_import(cfg);
    else if (strcmp(cmd->name, "backup") == 0 || strcmp(cmd->name, "restore") == 0)
        code = cmd_backup_restore(cfg, strcmp(cmd->name, "restore") == 0);
    else if (strcmp(cmd->name, "prices") == 0)
        code = ct_app_prices_main(cfg);
    else if (strcmp(cmd->name, "dead-letters") == 0)
        code = ct_app_deadletters_main(cfg);
    else if (strcmp(cmd->name, "version") == 0) {
        printf("contrail %s\n", CONTRAIL_VERSION);
        code = 0;
    }
cleanup:
    ct_config_free(cfg);
    return code;
}
