/* store_internal.h: the driver vtable behind store.h; shared by store.c and the drivers. */
#ifndef CT_STORE_INTERNAL_H
#define CT_STORE_INTERNAL_H

#include "store/store.h"

typedef struct ct_store_driver {
    const char *name;
    void (*close)(ct_store *st);
    ct_status (*exec)(ct_store *st, const char *sql);
    ct_status (*begin)(ct_store *st);
    ct_status (*prepare)(ct_store *st, const char *sql, ct_stmt **out);
    ct_status (*bind_text)(ct_stmt *s, int idx, const char *value);
    ct_status (*bind_int64)(ct_stmt *s, int idx, int64_t value);
    ct_status (*bind_double)(ct_stmt *s, int idx, double value);
    ct_status (*bind_null)(ct_stmt *s, int idx);
    ct_status (*step)(ct_stmt *s);
    ct_status (*reset)(ct_stmt *s);
    void (*finalize)(ct_stmt *s);
    int (*column_count)(ct_stmt *s);
    int (*is_null)(ct_stmt *s, int col);
    const char *(*text)(ct_stmt *s, int col);
    int64_t (*int64)(ct_stmt *s, int col);
    double (*dbl)(ct_stmt *s, int col);
    /* Is the connection usable? Revives a lost one where the engine allows (see
     * ct_store_check); CT_UNAVAILABLE with errmsg set otherwise. */
    ct_status (*check)(ct_store *st);
} ct_store_driver;

/* Every driver's connection struct starts with this header. */
struct ct_store {
    const ct_store_driver *drv;
    char errmsg[512];
};

/* Every driver's statement struct starts with this header. */
struct ct_stmt {
    ct_store *st;
};

ct_status ct__sqlite_open(const char *path, ct_store **out, char *err, size_t errlen);
ct_status ct__pg_open(const char *url, ct_store **out, char *err, size_t errlen);

/* Records a storage fault (the engine's error code `code`, its message already in
 * st->errmsg): kept for ct_store_fault_recent and logged at error level (at most once every
 * 10 s per code, so a full disk does not flood the log). */
void ct__store_fault(ct_store *st, int code);

/* Forgets the last fault when it was of kind `code` (a lost server connection, once one is
 * revived: the fault is over, unlike a full disk, which only time and a write can tell). */
void ct__store_fault_clear(int code);

/* Records an error message on the connection (printf-style). */
void ct__store_set_error(ct_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
