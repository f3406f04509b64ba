/* config.c: layered configuration and its checks against flag tables (see config.h).
 *
 * Flags and file entries live in two maps; environment lookups go to getenv at read time so
 * the precedence is applied in one place, ct_config_get. Values are owned copies. The file's
 * line of each key and the flags given without a value are kept beside them, for the checks
 * of ct_config_parse: after the whole command line and the file are read, every flag, file key
 * and CONTRAIL_* variable is looked up in the program's tables, then every value of the
 * command's own flags is checked by kind. */
#define _GNU_SOURCE
#include "base/config.h"
#include "base/alloc.h"
#include "base/map.h"
#include "base/vec.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct ct_config {
    ct_map *flags;
    ct_map *file;
    ct_map *file_line; /* key -> (void *)(intptr_t) its line in the file */
    ct_map *bare;      /* keys of flags given without a value ("--sandbox") */
    const char *file_path;
    CT_VEC(char *) positional;
    CT_VEC(char *) owned; /* every value string, freed with the config */
};

static char *keep(ct_config *cfg, const char *s, size_t n)
{
    char *copy = ct_strndup(s, n);
    if (copy == NULL)
        return NULL;
    if (CT_VEC_PUSH(&cfg->owned, copy)) {
        ct_free(copy);
        return NULL;
    }
    return copy;
}

/* The key of a flag, file key or variable name: lower case, dashes to underscores. */
static ct_status norm_key(const char *key, size_t klen, char *kbuf, size_t cap)
{
    if (klen == 0 || klen >= cap)
        return CT_INVALID;
    for (size_t i = 0; i < klen; i++)
        kbuf[i] = key[i] == '-' ? '_' : (char)tolower((unsigned char)key[i]);
    kbuf[klen] = '\0';
    return CT_OK;
}

static ct_status put_key(ct_config *cfg, ct_map *m, const char *key, size_t klen, const char *value)
{
    char kbuf[128];
    if (norm_key(key, klen, kbuf, sizeof(kbuf)))
        return CT_INVALID;
    char *v = keep(cfg, value, strlen(value));
    if (v == NULL)
        return CT_NOMEM;
    return ct_map_put(m, kbuf, v);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static ct_status read_file(ct_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CT_INVALID;
    }
    ct_status rc = CT_OK;
    cfg->file_path = keep(cfg, path, strlen(path));
    if (cfg->file_path == NULL) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return CT_NOMEM;
    }
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d:%d: expected 'key = value'", path, lineno,
                     (int)(s - line) + 1);
            rc = CT_INVALID;
            goto cleanup;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        rc = put_key(cfg, cfg->file, key, strlen(key), value);
        char kbuf[128];
        if (!rc && !norm_key(key, strlen(key), kbuf, sizeof(kbuf)))
            rc = ct_map_put(cfg->file_line, kbuf, (void *)(intptr_t)lineno);
        if (rc) {
            snprintf(err, errlen, "%s:%d:1: bad key '%s'", path, lineno, key);
            goto cleanup;
        }
    }
cleanup:
    fclose(f);
    return rc;
}

ct_status ct_config_load(int argc, char **argv, int first, ct_config **out, char *err,
                         size_t errlen)
{
    ct_status rc = CT_NOMEM;
    ct_config *cfg = ct_calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return CT_NOMEM;
    cfg->flags = ct_map_create();
    cfg->file = ct_map_create();
    cfg->file_line = ct_map_create();
    cfg->bare = ct_map_create();
    if (cfg->flags == NULL || cfg->file == NULL || cfg->file_line == NULL || cfg->bare == NULL)
        goto err;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            char *p = keep(cfg, arg, strlen(arg));
            if (p == NULL || CT_VEC_PUSH(&cfg->positional, p))
                goto err;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        const char *value;
        size_t klen;
        int bare = 0;
        if (eq != NULL) {
            klen = (size_t)(eq - name);
            value = eq + 1;
        } else {
            klen = strlen(name);
            if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                value = argv[++i];
            } else {
                value = "true";
                bare = 1;
            }
        }
        rc = put_key(cfg, cfg->flags, name, klen, value);
        char kbuf[128];
        if (!rc && !norm_key(name, klen, kbuf, sizeof(kbuf)))
            rc = ct_map_put(cfg->bare, kbuf, bare ? cfg : NULL);
        if (rc) {
            snprintf(err, errlen, "bad flag '%s'", arg);
            goto err;
        }
    }
    const char *path = ct_map_get(cfg->flags, "config");
    if (path == NULL)
        path = getenv("CONTRAIL_CONFIG");
    if (path != NULL && *path) {
        rc = read_file(cfg, path, err, errlen);
        if (rc)
            goto err;
    }
    *out = cfg;
    return CT_OK;
err:
    if (rc == CT_NOMEM)
        snprintf(err, errlen, "out of memory");
    ct_config_free(cfg);
    return rc;
}

void ct_config_free(ct_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->owned.len; i++)
        ct_free(cfg->owned.items[i]);
    CT_VEC_FREE(&cfg->owned);
    CT_VEC_FREE(&cfg->positional);
    ct_map_destroy(cfg->flags);
    ct_map_destroy(cfg->file);
    ct_map_destroy(cfg->file_line);
    ct_map_destroy(cfg->bare);
    ct_free(cfg);
}

const char *ct_config_get(const ct_config *cfg, const char *key, const char *fallback)
{
    const char *v = ct_map_get(cfg->flags, key);
    if (v != NULL)
        return v;
    char env[160] = "CONTRAIL_";
    size_t n = strlen(env);
    for (const char *k = key; *k && n + 1 < sizeof(env); k++)
        env[n++] = (char)toupper((unsigned char)*k);
    env[n] = '\0';
    v = getenv(env);
    if (v != NULL)
        return v;
    v = ct_map_get(cfg->file, key);
    return v ? v : fallback;
}

ct_status ct_config_get_int(const ct_config *cfg, const char *key, long fallback, long min,
                            long max, long *out, char *err, size_t errlen)
{
    const char *v = ct_config_get(cfg, key, NULL);
    if (v == NULL) {
        *out = fallback;
        return CT_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < min || n > max) {
        snprintf(err, errlen, "%s: expected an integer in [%ld, %ld], got '%s'", key, min, max, v);
        return CT_INVALID;
    }
    *out = n;
    return CT_OK;
}

ct_status ct_config_set(ct_config *cfg, const char *key, const char *value)
{
    return put_key(cfg, cfg->flags, key, strlen(key), value);
}

size_t ct_config_npositional(const ct_config *cfg)
{
    return cfg->positional.len;
}

const char *ct_config_positional(const ct_config *cfg, size_t i)
{
    return i < cfg->positional.len ? cfg->positional.items[i] : NULL;
}

ct_status ct_config_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no",
                                                                                "off"};
    for (size_t i = 0; s != NULL && i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return CT_OK;
        }
    }
    return CT_INVALID;
}

#define BOOL_WORDS "true or false (also 1/0, yes/no, on/off)"

ct_status ct_config_get_bool(const ct_config *cfg, const char *key, int fallback, int *out,
                             char *err, size_t errlen)
{
    const char *v = ct_config_get(cfg, key, NULL);
    if (v == NULL) {
        *out = fallback;
        return CT_OK;
    }
    int b = 0;
    if (ct_config_parse_bool(v, &b) != CT_OK) {
        snprintf(err, errlen, "%s: expected %s, got '%s'", key, BOOL_WORDS, v);
        return CT_INVALID;
    }
    *out = b;
    return CT_OK;
}

/* ---- checks against a program's tables ---- */

static const ct_flag *in_table(const ct_flag *t, const char *key)
{
    for (; t != NULL && t->name != NULL; t++) {
        if (strcmp(t->name, key) == 0)
            return t;
    }
    return NULL;
}

const ct_flag *ct_config_find_flag(const ct_program *prog, const ct_command *cmd, const char *key)
{
    const ct_flag *f = in_table(prog->common, key);
    for (int i = 0; f == NULL && cmd != NULL && i < CT_COMMAND_MAX_TABLES; i++)
        f = in_table(cmd->tables[i], key);
    return f;
}

/* 1 when some command of the program has the flag `key`. */
static int program_has(const ct_program *prog, const char *key)
{
    if (in_table(prog->common, key) != NULL)
        return 1;
    for (size_t i = 0; i < prog->ncommands; i++) {
        if (ct_config_find_flag(prog, &prog->commands[i], key) != NULL)
            return 1;
    }
    return 0;
}

/* "--log-level" for the key "log_level". */
static void flag_text(const char *key, char *out, size_t len)
{
    int n = snprintf(out, len, "--%s", key);
    for (int i = 2; i < n && (size_t)i < len; i++)
        out[i] = out[i] == '_' ? '-' : out[i];
}

/* A value of flag `f` from the source `where` ("--port", "CONTRAIL_PORT", "c.conf:3: port"). */
static ct_status check_value(const ct_flag *f, const char *v, const char *where, char *err,
                             size_t errlen)
{
    int b = 0;
    if (f->kind == CT_FLAG_BOOL && ct_config_parse_bool(v, &b) != CT_OK) {
        snprintf(err, errlen, "%s: expected %s, got '%s'", where, BOOL_WORDS, v);
        return CT_INVALID;
    }
    if (f->kind == CT_FLAG_INT) {
        char *end;
        errno = 0;
        (void)strtol(v, &end, 10);
        if (errno || end == v || *end != '\0') {
            snprintf(err, errlen, "%s: expected an integer, got '%s'", where, v);
            return CT_INVALID;
        }
    }
    return CT_OK;
}

/* The command line's flags: each one the command's, with a value where it needs one. */
static ct_status check_flags(const ct_program *prog, const ct_command *cmd, const ct_config *cfg,
                             char *err, size_t errlen)
{
    size_t pos = 0;
    const char *key;
    void *value;
    char name[160];
    while (ct_map_next(cfg->flags, &pos, &key, &value)) {
        flag_text(key, name, sizeof(name));
        const ct_flag *f = ct_config_find_flag(prog, cmd, key);
        if (f == NULL) {
            snprintf(err, errlen, "unknown flag %s for '%s %s'", name, prog->name, cmd->name);
            return CT_INVALID;
        }
        if (f->kind != CT_FLAG_BOOL && ct_map_get(cfg->bare, key) != NULL) {
            snprintf(err, errlen, "%s: expects a value", name);
            return CT_INVALID;
        }
        if (check_value(f, value, name, err, errlen))
            return CT_INVALID;
    }
    return CT_OK;
}

/* The file's keys: each one a flag of some command; the command's own values by kind. */
static ct_status check_file(const ct_program *prog, const ct_command *cmd, const ct_config *cfg,
                            char *err, size_t errlen)
{
    size_t pos = 0;
    const char *key;
    void *value;
    char where[1200];
    while (ct_map_next(cfg->file, &pos, &key, &value)) {
        int line = (int)(intptr_t)ct_map_get(cfg->file_line, key);
        if (!program_has(prog, key)) {
            snprintf(err, errlen, "%s:%d: unknown key '%s' (no %s command has it)", cfg->file_path,
                     line, key, prog->name);
            return CT_INVALID;
        }
        const ct_flag *f = ct_config_find_flag(prog, cmd, key);
        snprintf(where, sizeof(where), "%s:%d: %s", cfg->file_path, line, key);
        if (f != NULL && check_value(f, value, where, err, errlen))
            return CT_INVALID;
    }
    return CT_OK;
}

/* The CONTRAIL_* variables: each one a flag of some command; the command's own by kind. */
static ct_status check_environment(const ct_program *prog, const ct_command *cmd, char *err,
                                   size_t errlen)
{
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, "CONTRAIL_", 9) != 0)
            continue;
        const char *name = *e + 9, *eq = strchr(name, '=');
        char key[128];
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        int bad = norm_key(name, nlen, key, sizeof(key)) != CT_OK || !program_has(prog, key);
        if (bad) {
            snprintf(err, errlen,
                     "CONTRAIL_%.*s: not a flag of any %s command (%s help lists them)", (int)nlen,
                     name, prog->name, prog->name);
            return CT_INVALID;
        }
        const ct_flag *f = ct_config_find_flag(prog, cmd, key);
        char where[160];
        snprintf(where, sizeof(where), "CONTRAIL_%.*s", (int)nlen, name);
        if (f != NULL && eq != NULL && check_value(f, eq + 1, where, err, errlen))
            return CT_INVALID;
    }
    return CT_OK;
}

ct_status ct_config_parse(const ct_program *prog, int argc, char **argv, ct_config **out,
                          const ct_command **cmd, char *err, size_t errlen)
{
    *out = NULL;
    *cmd = NULL;
    if (argc < 2 || argv[1][0] == '-' || argv[1][0] == '\0') {
        snprintf(err, errlen, "a command comes first: %s <command> [--flag value ...]", prog->name);
        return CT_INVALID;
    }
    const ct_command *c = NULL;
    for (size_t i = 0; c == NULL && i < prog->ncommands; i++) {
        if (strcmp(prog->commands[i].name, argv[1]) == 0)
            c = &prog->commands[i];
    }
    if (c == NULL) {
        snprintf(err, errlen, "unknown command '%s'", argv[1]);
        return CT_INVALID;
    }
    ct_config *cfg = NULL;
    ct_status rc = ct_config_load(argc, argv, 1, &cfg, err, errlen);
    if (rc)
        return rc;
    rc = check_flags(prog, c, cfg, err, errlen);
    if (!rc && c->args == NULL && cfg->positional.len > 1) {
        snprintf(err, errlen, "'%s %s' takes no argument '%s'", prog->name, c->name,
                 cfg->positional.items[1]);
        rc = CT_INVALID;
    }
    if (!rc)
        rc = check_file(prog, c, cfg, err, errlen);
    if (!rc)
        rc = check_environment(prog, c, err, errlen);
    if (rc) {
        ct_config_free(cfg);
        return rc;
    }
    *out = cfg;
    *cmd = c;
    return CT_OK;
}

/* ---- help ---- */

static void print_table(const ct_flag *t, FILE *out)
{
    static const char *const meta[] = {"true|false", "N", "TEXT", "PATH"};
    for (; t->name != NULL; t++) {
        char name[200];
        flag_text(t->name, name, sizeof(name));
        char left[240];
        snprintf(left, sizeof(left), "%s %s", name, meta[t->kind]);
        fprintf(out, "  %-28s %s", left, t->help);
        if (t->def != NULL)
            fprintf(out, " (default %s)", t->def[0] ? t->def : "\"\"");
        fputc('\n', out);
    }
}

void ct_config_usage(const ct_program *prog, FILE *out)
{
    fprintf(out, "usage: %s <command> [--flag value ...]\n\ncommands:\n", prog->name);
    for (size_t i = 0; i < prog->ncommands; i++) {
        const ct_command *c = &prog->commands[i];
        char left[200];
        snprintf(left, sizeof(left), "%s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
        fprintf(out, "  %-28s %s\n", left, c->summary);
    }
    fprintf(out, "\nA flag is also CONTRAIL_<NAME> in the environment or `name = value` in the"
                 " --config file\n(flags over environment over file). Booleans: true/false,"
                 " 1/0, yes/no, on/off.\n");
    if (prog->common != NULL && prog->common->name != NULL) {
        fprintf(out, "\nflags of every command:\n");
        print_table(prog->common, out);
    }
    for (size_t i = 0; i < prog->ncommands; i++) {
        const ct_command *c = &prog->commands[i];
        if (c->tables[0] == NULL)
            continue;
        fprintf(out, "\n%s %s:\n", prog->name, c->name);
        for (int t = 0; t < CT_COMMAND_MAX_TABLES && c->tables[t] != NULL; t++) {
            const ct_command *first = NULL; /* an earlier command with this table */
            for (size_t k = 0; k < i && first == NULL; k++) {
                for (int u = 0; u < CT_COMMAND_MAX_TABLES; u++) {
                    if (prog->commands[k].tables[u] == c->tables[t])
                        first = &prog->commands[k];
                }
            }
            if (first == NULL) {
                print_table(c->tables[t], out);
                continue;
            }
            fprintf(out, "  and, as for %s:", first->name);
            for (const ct_flag *f = c->tables[t]; f->name != NULL; f++) {
                char name[200];
                flag_text(f->name, name, sizeof(name));
                fprintf(out, " %s", name);
            }
            fputc('\n', out);
        }
    }
}

char **ct_config_child_environ(void)
{
    size_t n = 0;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        n++;
    char **copy = ct_calloc(n + 1, sizeof(*copy));
    if (copy == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "CONTRAIL_", 9) != 0)
            copy[k++] = environ[i];
    }
    return copy;
}
