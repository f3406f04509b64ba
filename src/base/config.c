/* config.c: layered configuration (see config.h).
 *
 * Flags and file entries live in two maps; environment lookups go to getenv at read time so
 * the precedence is applied in one place, ct_config_get. Values are owned copies. */
#include "base/config.h"
#include "base/alloc.h"
#include "base/map.h"
#include "base/vec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ct_config {
    ct_map *flags;
    ct_map *file;
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

static ct_status put_key(ct_config *cfg, ct_map *m, const char *key, size_t klen, const char *value)
{
    char kbuf[128];
    if (klen == 0 || klen >= sizeof(kbuf))
        return CT_INVALID;
    for (size_t i = 0; i < klen; i++)
        kbuf[i] = key[i] == '-' ? '_' : (char)tolower((unsigned char)key[i]);
    kbuf[klen] = '\0';
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
    if (cfg->flags == NULL || cfg->file == NULL)
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
        if (eq != NULL) {
            klen = (size_t)(eq - name);
            value = eq + 1;
        } else {
            klen = strlen(name);
            if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                value = argv[++i];
            else
                value = "true";
        }
        rc = put_key(cfg, cfg->flags, name, klen, value);
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
