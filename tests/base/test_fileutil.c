/* test_fileutil.c: ct_file_replace and ct_file_copy on real files: the new content replaces
 * the old; a writer that fails half-way leaves the old file intact and no temporary file;
 * names with spaces and quotes; a copy of a large file through the kernel. */
#include "ct_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "testsupport.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    ts_tempdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(dir);
    return 0;
}

/* The whole file, NUL-terminated (caller frees), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

/* Entries of the folder (. and .. left out). */
static int entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static ct_status put(const char *path, const char *text)
{
    ct_file_buf b = {text, strlen(text)};
    return ct_file_replace(path, ct_file_write_buf, &b);
}

/* Writes half, then fails like a full disk would. */
static ct_status fail_half_way(int fd, void *ctx)
{
    (void)ctx;
    if (ct_file_write_all(fd, "half of the new", 15))
        return CT_ERR;
    return CT_IO;
}

static void replace_writes_and_replaces(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof(path), "%s/a/b/file.txt", dir); /* folders made */
    assert_int_equal(put(path, "first\n"), CT_OK);
    char *got = slurp(path, NULL);
    assert_string_equal(got, "first\n");
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(put(path, "second, longer\n"), CT_OK);
    got = slurp(path, NULL);
    assert_string_equal(got, "second, longer\n");
    free(got);
    char sub[400];
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    assert_int_equal(entries(sub), 1);
}

static void failed_write_keeps_old_file_and_no_temporary(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof(path), "%s/keep.bin", dir);
    assert_int_equal(put(path, "the old content"), CT_OK);
    assert_int_equal(ct_file_replace(path, fail_half_way, NULL), CT_IO);
    char *got = slurp(path, NULL);
    assert_string_equal(got, "the old content");
    free(got);
    assert_int_equal(entries(dir), 1); /* no keep.bin.tmp.* left */
    /* Without an old file: nothing at all afterwards. */
    char other[400];
    snprintf(other, sizeof(other), "%s/never.bin", dir);
    assert_int_equal(ct_file_replace(other, fail_half_way, NULL), CT_IO);
    assert_int_equal(access(other, F_OK), -1);
    assert_int_equal(entries(dir), 1);
    /* A folder that cannot be made: CT_IO, nothing made. */
    char blocked[500];
    snprintf(blocked, sizeof(blocked), "%s/keep.bin/under/x", dir);
    assert_int_equal(put(blocked, "x"), CT_IO);
    assert_int_equal(put("", "x"), CT_INVALID);
}

static void names_with_spaces_and_quotes(void **state)
{
    (void)state;
    char src[400], dst[400];
    snprintf(src, sizeof(src), "%s/it's a \"schedule\" $(touch x).ssim", dir);
    snprintf(dst, sizeof(dst), "%s/copy of it's \"that\"; rm -rf x", dir);
    assert_int_equal(put(src, "quoted\n"), CT_OK);
    assert_int_equal(ct_file_copy(src, dst), CT_OK);
    char *got = slurp(dst, NULL);
    assert_string_equal(got, "quoted\n");
    free(got);
    assert_int_equal(entries(dir), 2);
}

static void copy_large_and_missing(void **state)
{
    (void)state;
    char src[400], dst[400];
    snprintf(src, sizeof(src), "%s/big", dir);
    snprintf(dst, sizeof(dst), "%s/sub/big copy", dir);
    size_t n = 3 * 1024 * 1024 + 17;
    char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 2654435761u >> 13);
    ct_file_buf b = {data, n};
    assert_int_equal(ct_file_replace(src, ct_file_write_buf, &b), CT_OK);
    assert_int_equal(put(dst, "an older copy"), CT_OK);
    assert_int_equal(ct_file_copy(src, dst), CT_OK);
    size_t len = 0;
    char *got = slurp(dst, &len);
    assert_int_equal(len, n);
    assert_memory_equal(got, data, n);
    free(got);
    free(data);
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    assert_int_equal(ct_file_copy(missing, dst), CT_IO);
    assert_int_equal(ct_file_copy(src, ""), CT_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(replace_writes_and_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_write_keeps_old_file_and_no_temporary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(names_with_spaces_and_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(copy_large_and_missing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
