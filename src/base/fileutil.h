/* fileutil.h: helpers for files written whole and replaced atomically (a temporary file
 * beside the target, fsync, rename(2), then fsync of the folder so the rename survives a
 * crash): the timetable cache, the pricebook file and the feeds' state use them. */
#ifndef CT_BASE_FILEUTIL_H
#define CT_BASE_FILEUTIL_H

/* Creates the folders leading to `path` (mkdir -p of its dirname); errors are left to the
 * open that follows, which reports the real problem. */
void ct_file_make_parents(const char *path);

/* fsyncs the folder that holds `path` (best effort). */
void ct_file_sync_parent(const char *path);

#endif
