/* identity.c: a database knows who it is, and the server remembers which one it had.
 *
 * A restart must not silently come up on an empty or different database where there used to
 * be data (the file deleted while the server ran, a wrong path, a restored volume of another
 * instance): users would find their accounts gone and /readyz would say all is well. So every
 * database gets an identity (a random 128-bit id in the one-row table `store_identity`, made
 * on first use), and the server keeps a marker file beside an embedded database
 * ("<file>.identity", written with ct_file_replace) holding the id of the database it last
 * served. At start, ct_store_identity_check compares the two:
 *   no marker               -> first start (or a server older than this check): the marker
 *                              is written, the database's id created when missing;
 *   marker, same id         -> the same database: fine;
 *   marker, database new    -> refused (the database was lost: restore it), unless allowed;
 *   marker, another id      -> refused (another database is in its place), unless allowed.
 * Allowed (`allow_new`): the marker is rewritten for the database found. PostgreSQL servers
 * are shared by many instances and backed up by their operators: the check applies to
 * embedded databases (a marker path is only derived for sqlite: URLs). */
#include "store/store_internal.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fileutil.h"

/* The database's id; *created when this call made it. */
static ct_status database_id(ct_store *st, char out[33], int *created)
{
    *created = 0;
    ct_status rc = ct_store_exec(st, "CREATE TABLE IF NOT EXISTS store_identity"
                                     " (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)");
    if (rc)
        return rc;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st, "SELECT id FROM store_identity", &s);
    if (rc)
        return rc;
    rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        const char *id = ct_stmt_text(s, 0);
        snprintf(out, 33, "%s", id ? id : "");
        ct_stmt_finalize(s);
        return CT_OK;
    }
    ct_stmt_finalize(s);
    if (rc != CT_DONE)
        return rc;
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, 33, raw, sizeof(raw));
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
    const char *params[] = {out, at};
    rc = ct_store_run(st, "INSERT INTO store_identity (id, created_at) VALUES (?, ?)", 2, params);
    if (!rc)
        *created = 1;
    return rc;
}

/* The id in the marker file: CT_OK, CT_NOT_FOUND when there is none, CT_IO when unreadable
 * or not 32 hex digits. */
static ct_status marker_id(const char *path, char out[33])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return access(path, F_OK) == 0 ? CT_IO : CT_NOT_FOUND;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return CT_IO;
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strlen(buf) != 32 || strspn(buf, "0123456789abcdef") != 32)
        return CT_IO; /* not a marker this code wrote */
    memcpy(out, buf, 33);
    return CT_OK;
}

static ct_status write_marker(const char *path, const char *id)
{
    char text[40];
    int n = snprintf(text, sizeof(text), "%s\n", id);
    ct_file_buf b = {text, (size_t)n};
    return ct_file_replace(path, ct_file_write_buf, &b);
}

int ct_store_identity_marker(const char *url, char *out, size_t len)
{
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
    size_t n = strlen(url);
    if (path == NULL && n > 3 && strcmp(url + n - 3, ".db") == 0 &&
        strncmp(url, "postgres", 8) != 0)
        path = url;
    if (path == NULL || path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return 0;
    return snprintf(out, len, "%s.identity", path) < (int)len;
}

ct_status ct_store_identity_check(ct_store *st, const char *marker, int allow_new, char *err,
                                  size_t errlen)
{
    char have[33] = "", want[33] = "";
    int created = 0;
    ct_status rc = database_id(st, have, &created);
    if (rc) {
        snprintf(err, errlen, "cannot read the database's identity: %s", ct_store_errmsg(st));
        return rc;
    }
    rc = marker_id(marker, want);
    if (rc == CT_IO) {
        snprintf(err, errlen, "cannot read %s (or it is not a database identity)", marker);
        return rc;
    }
    if (rc == CT_OK && strcmp(want, have) != 0 && !allow_new) {
        snprintf(err, errlen,
                 created ? "the database is new, but %s says database %s was served here:"
                           " restore it, or start with --allow-new-database true"
                         : "another database (%s says %s was served here) is in its place:"
                           " restore it, or start with --allow-new-database true",
                 marker, want);
        return CT_CONFLICT;
    }
    if (rc == CT_OK && strcmp(want, have) == 0)
        return CT_OK;
    rc = write_marker(marker, have);
    if (rc)
        snprintf(err, errlen, "cannot write %s", marker);
    return rc;
}
