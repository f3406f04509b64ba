/* fileutil.h: files written whole and replaced atomically, and plain file copies.
 *
 * ct_file_replace() is the project's one way to rewrite a file that readers may open at any
 * moment (the timetable cache, the pricebook file, the feeds' state, port files, the sandbox's
 * clock, SSIM files and world.json): the new bytes go to a temporary file beside the target
 * (same folder, so rename(2) stays on one file system) with a unique name
 * ("<target>.tmp.XXXXXX", made by mkostemp), are fsynced, the temporary file is renamed over
 * the target and the folder is fsynced so the rename survives a crash. A reader sees the old
 * file or the new one, never half of one; on any failure the temporary file is removed and the
 * target is left as it was. No shell is involved anywhere, so any byte a path may hold
 * (spaces, quotes) is fine. */
#ifndef CT_BASE_FILEUTIL_H
#define CT_BASE_FILEUTIL_H

#include <stddef.h>

#include "base/status.h"

/* Writes the new content to `fd` (open for writing and reading, at offset 0, a regular file).
 * Returns CT_OK, or any other status to abandon the replacement (that status is what
 * ct_file_replace returns). It must not close `fd`; it may pwrite, fstat or futimens it. */
typedef ct_status (*ct_file_writer)(int fd, void *ctx);

/* A writer's input for a file made of one buffer: see ct_file_write_buf. */
typedef struct ct_file_buf {
    const void *data;
    size_t len;
} ct_file_buf;

/* Replaces the file `path` atomically with what `write(fd, ctx)` writes (see the top of this
 * file), with mode 0644. The folders leading to `path` are created when
 * missing. Returns CT_OK; the writer's status when it fails; CT_INVALID for an empty or too
 * long path; CT_IO when the temporary file cannot be made, written, fsynced or renamed. On
 * failure no temporary file is left and the old file (if any) is intact. */
ct_status ct_file_replace(const char *path, ct_file_writer write, void *ctx);

/* A ct_file_writer for a ct_file_buf (ctx): writes its bytes. */
ct_status ct_file_write_buf(int fd, void *ctx);

/* Writes all `len` bytes of `buf` to `fd` (retrying short writes and EINTR); CT_IO on error. */
ct_status ct_file_write_all(int fd, const void *buf, size_t len);

/* Copies the file `src` to `dst` (atomically replaced with ct_file_replace), with
 * copy_file_range(2) and a read/write loop where the kernel cannot. CT_IO when `src` cannot be
 * read; see ct_file_replace for the rest. */
ct_status ct_file_copy(const char *src, const char *dst);

/* Creates the folders leading to `path` (mkdir -p of its dirname); errors are left to the
 * open that follows, which reports the real problem. */
void ct_file_make_parents(const char *path);

/* fsyncs the folder that holds `path` (best effort). */
void ct_file_sync_parent(const char *path);

#endif
