/* backup.h: a database copied to one file and back (`contrail backup` / `contrail restore`).
 *
 * SQLite: the online backup API (sqlite3_backup_*) copies the database in one read
 * transaction, so the copy is the consistent state of one moment while a server keeps
 * writing; the file is an ordinary SQLite database (rollback journal, not WAL).
 * PostgreSQL: pg_dump in its custom format and pg_restore, run as child processes with an
 * argv (no shell); the password from the URL travels in PGPASSWORD, never on a command line.
 * The copy holds the schema the URL selects: the whole database when that is `public` (the
 * default), else the first schema of the URL's search_path (options=-csearch_path=NAME).
 *
 * Both write the backup to FILE.tmp and rename it, so FILE is never half written. Restore
 * checks the file first (a damaged one is refused naming what is wrong) and restores in one
 * transaction, so a failure leaves the target as it was. A target that already holds tables
 * is refused (CT_CONFLICT) unless `force`; with force its tables are replaced.
 * Errors: CT_INVALID (a bad URL or damaged file), CT_CONFLICT, CT_IO / CT_UNAVAILABLE
 * (files, the server, the tools); `err` says which and what to do. */
#ifndef CT_STORE_BACKUP_H
#define CT_STORE_BACKUP_H

#include <stddef.h>

#include "base/status.h"

/* Copies the database at `url` into the file `out_path`. */
ct_status ct_store_backup(const char *url, const char *out_path, char *err, size_t errlen);

/* Restores the backup `in_path` into the database at `url` (a new sqlite file is created). */
ct_status ct_store_restore(const char *url, const char *in_path, int force, char *err,
                           size_t errlen);

#endif
