/* test_prices_cli.c: `contrail prices record | train | backtest` as a user runs them, in
 * quick mode: the small sandbox world recorded for 8 world days (departures up to 14 days
 * ahead, a step a day: a few seconds), a model of 10 rounds trained on the recording, the
 * backtest's table printed from the held-back part; and the usage error. The world's prices
 * move with its clock (some series change between steps), and the platform reaches the world
 * over HTTP only (the recorder is the `contrail` program, the world `contrail-sandbox`). */
#include "ct_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

static char dir[256];
static char out[1 << 16], err[1 << 16];

static const char *contrail_bin(void)
{
    const char *bin = getenv("CT_CONTRAIL_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        fail_msg("CT_CONTRAIL_BIN does not name the built contrail (run through ctest)");
    return bin;
}

static void read_into(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs contrail with argv (NULL-terminated, after the program); stdout and stderr land in out
 * and err. Returns the exit code. */
static int run(char *const *args)
{
    char *argv[32] = {(char *)contrail_bin()};
    for (int i = 0; args[i] != NULL && i < 30; i++)
        argv[i + 1] = args[i];
    char outp[400], errp[400];
    snprintf(outp, sizeof(outp), "%s/stdout", dir);
    snprintf(errp, sizeof(errp), "%s/stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    read_into(outp, out, sizeof(out));
    read_into(errp, err, sizeof(err));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("expected '%s' in:\n%s", want, text);
}

typedef struct row {
    char key[64];
    long long at;
    double price;
} row;

static int row_cmp(const void *x, const void *y)
{
    const row *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* Series (route, date, cabin) of the recording whose price differs between two of their
 * observations; *lines gets the file's line count. */
static long moving_series(const char *path, long *lines)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    row *rows = ct_malloc(cap * sizeof(*rows));
    assert_non_null(rows);
    char line[512];
    *lines = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        (*lines)++;
        char o[8], d[8], date[16], cabin[16];
        row r;
        double before;
        if (sscanf(line, "%3[A-Z0-9],%3[A-Z0-9],%15[0-9-],%15[a-z],%lld,%lf,%lf", o, d, date, cabin,
                   &r.at, &before, &r.price) != 7)
            continue;
        snprintf(r.key, sizeof(r.key), "%s%s%s%s", o, d, date, cabin);
        if (n == cap) {
            cap *= 2;
            rows = ct_realloc(rows, cap * sizeof(*rows));
            assert_non_null(rows);
        }
        rows[n++] = r;
    }
    fclose(f);
    qsort(rows, n, sizeof(*rows), row_cmp);
    long moving = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        int moved = 0;
        for (; j < n && strcmp(rows[j].key, rows[i].key) == 0; j++)
            moved |= rows[j].price != rows[j - 1].price;
        moving += moved;
        i = j;
    }
    ct_free(rows);
    return moving;
}

static void record_train_backtest(void **state)
{
    (void)state;
    ts_tempdir(dir, sizeof(dir));
    char obs[400], model[400], world[400], db[400], refdata[1100];
    snprintf(obs, sizeof(obs), "--observations=%s/observations.csv", dir);
    snprintf(model, sizeof(model), "--price-model=%s/models/model.json", dir);
    snprintf(world, sizeof(world), "--sandbox-dir=%s/world", dir);
    snprintf(db, sizeof(db), "--db=sqlite:%s/refdata.db", dir);
    snprintf(refdata, sizeof(refdata), "--refdata-dir=%s", ts_refdata_dir());
    char *record[] = {"prices",
                      "record",
                      obs,
                      world,
                      db,
                      refdata,
                      "--record-days=8",
                      "--record-step-hours=24",
                      "--record-horizon=14",
                      "--log-level=warn",
                      NULL};
    if (run(record) != 0)
        fail_msg("record failed:\n%s\n%s", out, err);
    assert_contains(out, "recorded ");
    assert_contains(out, "in 8 steps of 24 world hours");
    char path[400];
    snprintf(path, sizeof(path), "%s/observations.csv", dir);
    long lines = 0, moving = moving_series(path, &lines);
    assert_true(lines > 1000);
    assert_true(moving > 100); /* prices move with the world clock */
    struct stat st;
    snprintf(path, sizeof(path), "%s/world/world.json", dir);
    assert_int_not_equal(stat(path, &st), 0); /* the world was stopped */

    char *train[] = {"prices", "train", obs, model, "--train-rounds=10", NULL};
    if (run(train) != 0)
        fail_msg("train failed:\n%s\n%s", out, err);
    assert_contains(out, "trained on ");
    assert_contains(out, "wait margin");
    snprintf(path, sizeof(path), "%s/models/model.json", dir);
    assert_int_equal(stat(path, &st), 0);

    char *backtest[] = {"prices", "backtest", obs, model, NULL};
    if (run(backtest) != 0)
        fail_msg("backtest failed:\n%s\n%s", out, err);
    assert_contains(out, "held-back series");
    assert_contains(out, "| model (xgboost) |");
    assert_contains(out, "| always buy now |");
    assert_contains(out, "| buy 7 days before |");
    assert_contains(out, "| clairvoyant |");
    assert_contains(out, "rises by more than 5 % within 7 days");

    char *usage[] = {"prices", "predict", NULL};
    assert_int_equal(run(usage), 2);
    assert_contains(err, "usage: contrail prices record | train | backtest");
    ts_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_train_backtest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
