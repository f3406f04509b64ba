/* test_config_flags.c: the flag tables of base/config.h: ct_config_parse against a small
 * program of two commands (unknown flags and commands, bare flags, one boolean parser, integer
 * values, positional words, --config keys by file:line, CONTRAIL_* variables of no command,
 * of another command and of this one), the child environment and the usage text. */
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "testsupport.h"

static const ct_flag common[] = {
    {"log_level", CT_FLAG_STRING, "info", "level"},
    {"config", CT_FLAG_PATH, NULL, "file"},
    {NULL, 0, NULL, NULL},
};
static const ct_flag net[] = {
    {"port", CT_FLAG_INT, "8080", "port"},
    {"sandbox", CT_FLAG_BOOL, "false", "with the world"},
    {"web_dir", CT_FLAG_PATH, "web/dist", "web app"},
    {NULL, 0, NULL, NULL},
};
static const ct_flag db[] = {
    {"db", CT_FLAG_STRING, "sqlite:x.db", "store"},
    {NULL, 0, NULL, NULL},
};
static const ct_command cmds[] = {
    {"serve", NULL, "serve", {db, net}},
    {"import", "WHAT FILE...", "import", {db}},
};
static const ct_program prog = {"prog", common, cmds, 2};

static char err[1024];

/* Parses the NULL-terminated words; returns the status, the config in *out (or NULL). */
static ct_status parse(ct_config **out, const char *first, ...)
{
    char *argv[32] = {"prog"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w != NULL; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    const ct_command *cmd = NULL;
    err[0] = '\0';
    ct_status rc = ct_config_parse(&prog, argc, argv, out, &cmd, err, sizeof(err));
    if (rc == CT_OK)
        assert_non_null(cmd);
    else
        assert_null(*out);
    return rc;
}

static void booleans_one_way(void **state)
{
    (void)state;
    const char *yes[] = {"true", "TRUE", "1", "yes", "Yes", "on", "ON"};
    const char *no[] = {"false", "False", "0", "no", "NO", "off", "Off"};
    const char *bad[] = {"", "maybe", "2", "truee", "y", "n", " true", "-1"};
    int b = -1;
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        b = -1;
        assert_int_equal(ct_config_parse_bool(yes[i], &b), CT_OK);
        assert_int_equal(b, 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
        b = -1;
        assert_int_equal(ct_config_parse_bool(no[i], &b), CT_OK);
        assert_int_equal(b, 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        b = 7;
        assert_int_equal(ct_config_parse_bool(bad[i], &b), CT_INVALID);
        assert_int_equal(b, 7); /* untouched */
    }
    assert_int_equal(ct_config_parse_bool(NULL, &b), CT_INVALID);

    ct_config *cfg = NULL;
    assert_int_equal(parse(&cfg, "serve", "--sandbox", "--port", "0", NULL), CT_OK);
    b = 0;
    assert_int_equal(ct_config_get_bool(cfg, "sandbox", 0, &b, err, sizeof(err)), CT_OK);
    assert_int_equal(b, 1); /* bare */
    ct_config_free(cfg);
    assert_int_equal(parse(&cfg, "serve", "--sandbox", "Off", NULL), CT_OK);
    assert_int_equal(ct_config_get_bool(cfg, "sandbox", 1, &b, err, sizeof(err)), CT_OK);
    assert_int_equal(b, 0);
    assert_int_equal(ct_config_get_bool(cfg, "missing", 1, &b, err, sizeof(err)), CT_OK);
    assert_int_equal(b, 1);
    assert_int_equal(ct_config_set(cfg, "sandbox", "sure"), CT_OK);
    assert_int_equal(ct_config_get_bool(cfg, "sandbox", 1, &b, err, sizeof(err)), CT_INVALID);
    assert_non_null(strstr(err, "sandbox"));
    ct_config_free(cfg);
    assert_int_equal(parse(&cfg, "serve", "--sandbox=maybe", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--sandbox"));
    assert_non_null(strstr(err, "maybe"));
    assert_int_equal(parse(&cfg, "serve", "--sandbox", "maybe", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--sandbox"));
}

static void command_line_rules(void **state)
{
    (void)state;
    ct_config *cfg = NULL;
    /* The command first. */
    assert_int_equal(parse(&cfg, "--log-level", "info", NULL), CT_INVALID);
    assert_non_null(strstr(err, "command"));
    assert_int_equal(parse(&cfg, NULL), CT_INVALID);
    assert_int_equal(parse(&cfg, "serf", NULL), CT_INVALID);
    assert_non_null(strstr(err, "unknown command 'serf'"));
    /* Unknown flags, with or without a value, also a flag of another command. */
    assert_int_equal(parse(&cfg, "import", "--no-such-flag", "7", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--no-such-flag"));
    assert_int_equal(parse(&cfg, "import", "x", "--port=1", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--port"));
    /* A value needed. */
    assert_int_equal(parse(&cfg, "serve", "--port", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--port: expects a value"));
    assert_int_equal(parse(&cfg, "serve", "--web-dir", "--port", "1", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--web-dir"));
    /* Integers. */
    assert_int_equal(parse(&cfg, "serve", "--port", "80x", NULL), CT_INVALID);
    assert_non_null(strstr(err, "--port: expected an integer"));
    /* Positional words only where the command takes some. */
    assert_int_equal(parse(&cfg, "serve", "extra", NULL), CT_INVALID);
    assert_non_null(strstr(err, "extra"));
    assert_int_equal(parse(&cfg, "import", "ssim", "a b.ssim", "--db", "sqlite:y", NULL), CT_OK);
    assert_int_equal(ct_config_npositional(cfg), 3);
    assert_string_equal(ct_config_positional(cfg, 0), "import");
    assert_string_equal(ct_config_positional(cfg, 2), "a b.ssim");
    assert_string_equal(ct_config_get(cfg, "db", NULL), "sqlite:y");
    ct_config_free(cfg);
    /* Common flags everywhere; an empty value is a value. */
    assert_int_equal(parse(&cfg, "serve", "--log-level", "warn", "--web-dir", "", NULL), CT_OK);
    assert_string_equal(ct_config_get(cfg, "log_level", NULL), "warn");
    assert_string_equal(ct_config_get(cfg, "web_dir", NULL), "");
    ct_config_free(cfg);
}

static void config_file_keys(void **state)
{
    (void)state;
    char dir[256], path[400];
    ts_tempdir(dir, sizeof(dir));
    ts_write_file(dir, "ok.conf", "# shared by every command\ndb = sqlite:f.db\nport = 9\n");
    snprintf(path, sizeof(path), "%s/ok.conf", dir);
    ct_config *cfg = NULL;
    /* port is serve's: ignored by import, not an error. */
    assert_int_equal(parse(&cfg, "import", "refdata", "--config", path, NULL), CT_OK);
    assert_string_equal(ct_config_get(cfg, "db", NULL), "sqlite:f.db");
    ct_config_free(cfg);
    ts_write_file(dir, "bad.conf", "db = x\n\nprot = 9\n");
    snprintf(path, sizeof(path), "%s/bad.conf", dir);
    assert_int_equal(parse(&cfg, "serve", "--config", path, NULL), CT_INVALID);
    char want[500];
    snprintf(want, sizeof(want), "%s:3: unknown key 'prot'", path);
    assert_non_null(strstr(err, want));
    ts_write_file(dir, "bool.conf", "port = 1\nsandbox = perhaps\n");
    snprintf(path, sizeof(path), "%s/bool.conf", dir);
    assert_int_equal(parse(&cfg, "serve", "--config", path, NULL), CT_INVALID);
    snprintf(want, sizeof(want), "%s:2: sandbox: expected true or false", path);
    assert_non_null(strstr(err, want));
    /* The same file is fine for a command without that flag. */
    assert_int_equal(parse(&cfg, "import", "x", "--config", path, NULL), CT_OK);
    ct_config_free(cfg);
    ts_rmtree(dir);
}

static void environment_variables(void **state)
{
    (void)state;
    ct_config *cfg = NULL;
    setenv("CONTRAIL_PROT", "1", 1); /* no command's */
    assert_int_equal(parse(&cfg, "serve", NULL), CT_INVALID);
    assert_non_null(strstr(err, "CONTRAIL_PROT"));
    unsetenv("CONTRAIL_PROT");
    setenv("CONTRAIL_SANDBOX", "nope", 1); /* serve's, bad; import has no such flag */
    assert_int_equal(parse(&cfg, "serve", NULL), CT_INVALID);
    assert_non_null(strstr(err, "CONTRAIL_SANDBOX: expected true or false"));
    assert_int_equal(parse(&cfg, "import", "refdata", NULL), CT_OK);
    ct_config_free(cfg);
    setenv("CONTRAIL_SANDBOX", "YES", 1);
    setenv("CONTRAIL_PORT", "81", 1);
    assert_int_equal(parse(&cfg, "serve", "--port", "82", NULL), CT_OK);
    int b = 0;
    assert_int_equal(ct_config_get_bool(cfg, "sandbox", 0, &b, err, sizeof(err)), CT_OK);
    assert_int_equal(b, 1);
    assert_string_equal(ct_config_get(cfg, "port", NULL), "82"); /* flag over environment */
    ct_config_free(cfg);
    /* A child of another program gets no CONTRAIL_* variable, every other one. */
    setenv("CT_TEST_OTHER", "kept", 1);
    char **env = ct_config_child_environ();
    assert_non_null(env);
    int other = 0;
    for (char **e = env; *e != NULL; e++) {
        assert_int_not_equal(strncmp(*e, "CONTRAIL_", 9), 0);
        other += strcmp(*e, "CT_TEST_OTHER=kept") == 0;
    }
    assert_int_equal(other, 1);
    ct_free(env);
    unsetenv("CONTRAIL_SANDBOX");
    unsetenv("CONTRAIL_PORT");
    unsetenv("CT_TEST_OTHER");
}

static void usage_lists_every_flag(void **state)
{
    (void)state;
    char dir[256], path[400];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/usage", dir);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    ct_config_usage(&prog, f);
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    const char *want[] = {"usage: prog <command>",
                          "import WHAT FILE...",
                          "--log-level",
                          "--config PATH",
                          "--port N",
                          "(default 8080)",
                          "--sandbox true|false",
                          "--web-dir PATH",
                          "and, as for serve: --db"};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        if (strstr(text, want[i]) == NULL)
            fail_msg("usage lacks '%s':\n%s", want[i], text);
    }
    free(text);
    const ct_flag *fl = ct_config_find_flag(&prog, &cmds[0], "web_dir");
    assert_non_null(fl);
    assert_int_equal(fl->kind, CT_FLAG_PATH);
    assert_null(ct_config_find_flag(&prog, &cmds[1], "web_dir"));
    assert_non_null(ct_config_find_flag(&prog, &cmds[1], "config"));
    ts_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(booleans_one_way),       cmocka_unit_test(command_line_rules),
        cmocka_unit_test(config_file_keys),       cmocka_unit_test(environment_variables),
        cmocka_unit_test(usage_lists_every_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
