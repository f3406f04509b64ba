/* fileutil.c: atomic replacement, copies and folders of files (see fileutil.h).
 *
 * ct_file_replace: mkostemp("<path>.tmp.XXXXXX") beside the target, the caller's writer,
 * fchmod 0644 (mkostemp makes 0600; the umask is not read: that is not thread-safe), fsync, close,
 * rename over the target, fsync of the folder. Every failure after the temporary file exists
 * unlinks it. */
#define _GNU_SOURCE
#include "base/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ct_file_make_parents(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *s = strchr(dir + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(dir, 0755); /* EEXIST, or the open that follows reports the real problem */
        *s = '/';
    }
}

void ct_file_sync_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

ct_status ct_file_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return CT_IO;
        p += n;
        len -= (size_t)n;
    }
    return CT_OK;
}

ct_status ct_file_write_buf(int fd, void *ctx)
{
    const ct_file_buf *b = ctx;
    return ct_file_write_all(fd, b->data, b->len);
}

ct_status ct_file_replace(const char *path, ct_file_writer write_fn, void *ctx)
{
    char tmp[PATH_MAX];
    if (path == NULL || path[0] == '\0' ||
        snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return CT_INVALID;
    ct_file_make_parents(path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return CT_IO;
    ct_status rc = write_fn(fd, ctx);
    if (rc == CT_OK && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc = CT_IO;
    if (close(fd) != 0 && rc == CT_OK)
        rc = CT_IO;
    if (rc == CT_OK && rename(tmp, path) != 0)
        rc = CT_IO;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    ct_file_sync_parent(path);
    return CT_OK;
}

static ct_status copy_from(int out, void *ctx)
{
    int in = *(const int *)ctx;
    for (;;) { /* in the kernel while it can */
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return CT_OK;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
    }
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return CT_IO;
    /* Through a buffer, from where the kernel stopped (both offsets advanced together). */
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return CT_IO;
        if (n == 0)
            return CT_OK;
        if (ct_file_write_all(out, buf, (size_t)n))
            return CT_IO;
    }
}

ct_status ct_file_copy(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return CT_IO;
    ct_status rc = ct_file_replace(dst, copy_from, &in);
    close(in);
    return rc;
}
