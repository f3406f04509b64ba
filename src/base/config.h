/* config.h: configuration from command-line flags over environment over a file.
 *
 * Keys are lower-case words with underscores ("port", "db", "web_dir"). A key's value comes
 * from the first source that has it:
 *   1. a flag `--port=8080` or `--port 8080` (dashes in flag names map to underscores),
 *   2. the environment variable CONTRAIL_PORT,
 *   3. the file named by --config / CONTRAIL_CONFIG: lines `key = value`, `#` comments.
 * Arguments that are not flags (subcommand words) are kept in order as positionals. */
#ifndef CT_BASE_CONFIG_H
#define CT_BASE_CONFIG_H

#include <stddef.h>

#include "base/status.h"

typedef struct ct_config ct_config;

/* Parses argv[first..argc) and reads the file if one is named. On CT_INVALID, `err` says what
 * was wrong (file, line and column for a bad file line). The caller owns *out. */
ct_status ct_config_load(int argc, char **argv, int first, ct_config **out, char *err,
                         size_t errlen);

void ct_config_free(ct_config *cfg);

/* The value of `key`, or `fallback` when no source sets it. Owned by the config. */
const char *ct_config_get(const ct_config *cfg, const char *key, const char *fallback);

/* Integer value of `key` in [min, max]; CT_INVALID (with a message) when malformed. */
ct_status ct_config_get_int(const ct_config *cfg, const char *key, long fallback, long min,
                            long max, long *out, char *err, size_t errlen);

/* Sets a value as if from a flag (used by tests and by subcommands for derived values). */
ct_status ct_config_set(ct_config *cfg, const char *key, const char *value);

/* Positional (non-flag) arguments. */
size_t ct_config_npositional(const ct_config *cfg);
const char *ct_config_positional(const ct_config *cfg, size_t i);

#endif
