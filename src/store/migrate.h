/* migrate.h: versioned SQL migrations, compiled into the binary.
 *
 * Migrations are the files src/store/migrations/NNNN_name.sql, embedded by the build in
 * version order (cmake/embed.cmake). ct_store_migrate applies, in version order, every
 * version not recorded in schema_migrations (one merged after a higher one included), each in
 * its own transaction, so a failed migration leaves the schema as it was before it. On PostgreSQL
 * an advisory lock serialises instances that start at the same time; on SQLite BEGIN IMMEDIATE
 * does. */
#ifndef CT_STORE_MIGRATE_H
#define CT_STORE_MIGRATE_H

#include "store/store.h"

typedef struct ct_migration {
    int version;
    const char *name;
    const char *sql;
} ct_migration;

extern const ct_migration ct_migrations[];
extern const int ct_migrations_count;

/* Applies pending migrations; *applied_out (may be NULL) receives how many ran. */
ct_status ct_store_migrate(ct_store *st, int *applied_out);

/* The highest applied version (0 for an empty database). */
ct_status ct_store_schema_version(ct_store *st, int *version_out);

#endif
