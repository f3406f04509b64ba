/* config.h: configuration from command-line flags over environment over a file, checked
 * against each command's table of flags.
 *
 * Keys are lower-case words with underscores ("port", "db", "web_dir"). A key's value comes
 * from the first source that has it:
 *   1. a flag `--port=8080` or `--port 8080` (dashes in flag names map to underscores),
 *   2. the environment variable CONTRAIL_PORT,
 *   3. the file named by --config / CONTRAIL_CONFIG: lines `key = value`, `#` comments.
 * Arguments that are not flags (subcommand words) are kept in order as positionals.
 *
 * A program (`contrail`, `contrail-sandbox`) describes itself as a ct_program: its commands,
 * each with tables of the flags it reads (name, kind, default, help), and the common flags
 * every command takes (--log-level, --config). ct_config_parse checks a command line against
 * them, with these rules (the same in both programs):
 *   - the command word comes first (`contrail serve --port 0`); a missing or unknown command
 *     is an error;
 *   - a flag the command does not have is an error, and so is a positional word for a command
 *     that takes none;
 *   - `--name value` takes the next argument unless it starts with "--"; `--name` alone (at
 *     the end, or before another flag) means "true", which only a boolean accepts;
 *   - in the --config file, a key that is a flag of no command of the program is an error
 *     naming file:line; a key of another command is ignored (one file serves them all);
 *   - in the environment, a CONTRAIL_* variable that is a flag of no command of the program
 *     is an error naming the variable (a typo must not pass silently); a variable of another
 *     command is ignored (the environment is process-wide: CONTRAIL_PORT must not break
 *     `contrail migrate`). A process that starts another program hands it its configuration
 *     by flags, with the CONTRAIL_* variables removed (ct_config_child_environ);
 *   - every value of the command's own flags is checked by kind, from whichever source:
 *     booleans are true/false, 1/0, yes/no or on/off in any case (ct_config_parse_bool),
 *     integers are decimal; an error names the flag (or the variable, or file:line).
 * Integer ranges and the meaning of strings stay with the command (ct_config_get_int, ...). */
#ifndef CT_BASE_CONFIG_H
#define CT_BASE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "base/status.h"

typedef struct ct_config ct_config;

/* What a flag's value must be. */
typedef enum ct_flag_kind {
    CT_FLAG_BOOL,   /* ct_config_parse_bool */
    CT_FLAG_INT,    /* a decimal integer (its range is checked by ct_config_get_int) */
    CT_FLAG_STRING, /* any text */
    CT_FLAG_PATH,   /* a file or folder name (any text; shown as PATH in the help) */
} ct_flag_kind;

/* One flag. A table is an array of these ended by an entry whose name is NULL. */
typedef struct ct_flag {
    const char *name; /* the key: "log_level" is --log-level and CONTRAIL_LOG_LEVEL */
    ct_flag_kind kind;
    const char *def;  /* the default as the help shows it; NULL: none */
    const char *help; /* one line */
} ct_flag;

#define CT_COMMAND_MAX_TABLES 8

/* One command and the flags it reads: up to CT_COMMAND_MAX_TABLES tables, the rest NULL
 * (tables are shared between commands that read the same flags). */
typedef struct ct_command {
    const char *name;    /* "serve" */
    const char *args;    /* its positional words for the usage ("refdata | ssim FILE..."),
                          * NULL when it takes none */
    const char *summary; /* one line */
    const ct_flag *tables[CT_COMMAND_MAX_TABLES];
} ct_command;

/* A program: its name (for messages), the flags of every command, its commands. */
typedef struct ct_program {
    const char *name;
    const ct_flag *common;
    const ct_command *commands;
    size_t ncommands;
} ct_program;

/* Parses argv[1..argc) for `prog` with the rules at the top of this file and reads the
 * --config file. On CT_OK, *out (owned by the caller, ct_config_free) holds the values and
 * *cmd the command (argv[1]). On CT_INVALID, `err` says what was wrong and *out is NULL; the
 * caller prints it with the usage on stderr and exits 2. CT_NOMEM when out of memory. */
ct_status ct_config_parse(const ct_program *prog, int argc, char **argv, ct_config **out,
                          const ct_command **cmd, char *err, size_t errlen);

/* The usage of `prog`: its commands, then the common flags, then each command's flags from
 * its tables (a table shared by several commands is printed at its first use and named after
 * that). */
void ct_config_usage(const ct_program *prog, FILE *out);

/* The flag `key` of `cmd` (the common flags of `prog` included), or NULL. */
const ct_flag *ct_config_find_flag(const ct_program *prog, const ct_command *cmd, const char *key);

/* The one boolean parser: *out = 1 for true/yes/on/1, 0 for false/no/off/0 (any case);
 * CT_INVALID for anything else (NULL included), *out untouched. */
ct_status ct_config_parse_bool(const char *s, int /* OUT: */ *out);

/* The environment of a child process of another program: a copy of `environ` without the
 * CONTRAIL_* variables (that program reads its own flags, and a variable of this one would be
 * unknown to it). NULL-terminated; the array and its strings point into `environ` and live
 * as long as it is unchanged; free the array with ct_free. NULL when out of memory. */
char **ct_config_child_environ(void);

/* Parses argv[first..argc) and reads the file if one is named, without a program's tables
 * (every flag and key accepted; no checks of values). On CT_INVALID, `err` says what was wrong
 * (file, line and column for a bad file line). The caller owns *out. */
ct_status ct_config_load(int argc, char **argv, int first, ct_config **out, char *err,
                         size_t errlen);

void ct_config_free(ct_config *cfg);

/* The value of `key`, or `fallback` when no source sets it. Owned by the config. */
const char *ct_config_get(const ct_config *cfg, const char *key, const char *fallback);

/* Integer value of `key` in [min, max]; CT_INVALID (with a message) when malformed. */
ct_status ct_config_get_int(const ct_config *cfg, const char *key, long fallback, long min,
                            long max, long *out, char *err, size_t errlen);

/* Boolean value of `key` (ct_config_parse_bool), `fallback` when unset; CT_INVALID (with a
 * message naming the flag) when it is not a boolean. */
ct_status ct_config_get_bool(const ct_config *cfg, const char *key, int fallback, int *out,
                             char *err, size_t errlen);

/* Sets a value as if from a flag (used by tests and by subcommands for derived values). */
ct_status ct_config_set(ct_config *cfg, const char *key, const char *value);

/* Positional (non-flag) arguments; with ct_config_parse the first is the command. */
size_t ct_config_npositional(const ct_config *cfg);
const char *ct_config_positional(const ct_config *cfg, size_t i);

#endif
