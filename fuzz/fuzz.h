/* fuzz.h: helpers shared by the libFuzzer drivers of fuzz/ (header only, static functions).
 *
 * Every driver defines LLVMFuzzerTestOneInput (and maybe LLVMFuzzerInitialize); the build
 * (fuzz/CMakeLists.txt) links each one with -fsanitize=fuzzer,address,undefined against the
 * one module it fuzzes. These helpers turn the raw bytes into what the parsers take: a
 * NUL-terminated copy, or a file in a private temporary folder. A helper that cannot do its
 * job (out of memory, disk full) aborts: that is an environment failure, not a finding. */
#ifndef CT_FUZZ_FUZZ_H
#define CT_FUZZ_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A malloc'd NUL-terminated copy of data[0..size) (embedded NULs kept; the caller frees). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static char fz__dir[256];

/* Removes `path` and what it holds (no symbolic links are followed). */
static inline void fz__rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            fz__rmtree(sub);
        }
        if (d != NULL)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void fz__cleanup(void)
{
    fz__rmtree(fz__dir);
}

/* A private temporary folder made once per process ("/dev/shm/ct-fuzz-NAME.XXXXXX", in
 * memory so that the fsyncs of the writers cost nothing; /tmp without /dev/shm); its path.
 * Removed at exit (a crash leaves it). */
static inline const char *fz_tempdir(const char *name)
{
    if (fz__dir[0] == '\0') {
        snprintf(fz__dir, sizeof(fz__dir), "%s/ct-fuzz-%s.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
        if (mkdtemp(fz__dir) == NULL)
            abort();
        atexit(fz__cleanup);
    }
    return fz__dir;
}

/* Writes data[0..size) to `path` (replaced). */
static inline void fz_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
}

/* Reads a whole file into a malloc'd buffer (*size set); NULL when it cannot be read. */
static inline unsigned char *fz_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;
    unsigned char chunk[65536];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    *size = len;
    return buf != NULL ? buf : malloc(1);
}

#endif
