/* test_report.c: the realism report (sandbox/world/report.h) on the small world: every
 * target that applies is met, `contrail-sandbox report --size small` says so with exit code
 * 0 (the check `make test` runs), and a world broken on purpose (a leg flown beyond 16,000 km,
 * wide-bodies everywhere, a carrier moved away from its main hub) fails the matching target. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/timeutil.h"
#include "sandbox/world/report.h"
#include "sandbox/world/sandbox_data.h"
#include "testsupport.h"

static sb_data small;

static int setup(void **state)
{
    (void)state;
    int64_t start;
    char err[256];
    ct_date_parse("2026-11-23", &start);
    sb_world_params p = {42, start, SB_WORLD_SMALL, ts_refdata_dir()};
    if (sb_data_open(&p, &small, err, sizeof(err)))
        fail_msg("small world: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_data_close(&small);
    return 0;
}

/* The report of `w` in a string (the caller frees it). */
static char *report_of(const sb_world *w, sb_report *rep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(sb_world_report(w, f, rep), CT_OK);
    fclose(f);
    return text;
}

static void small_world_meets_its_targets(void **state)
{
    (void)state;
    sb_report rep;
    char *text = report_of(small.world, &rep);
    if (rep.failed)
        fail_msg("%s", text);
    assert_true(rep.checked >= 6);
    assert_non_null(strstr(text, "PASS  largest airlines"));
    assert_non_null(strstr(text, "PASS  busiest routes"));
    assert_non_null(strstr(text, "n/a   Heathrow-JFK")); /* a frequency of the real world */
    free(text);
}

static void command_exits_zero(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "%s report --size small --start 2026-11-23 --refdata-dir %s "
             "--log-level off",
             ts_sandbox_bin(), ts_refdata_dir());
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    int met = 0;
    while (fgets(line, sizeof(line), p) != NULL)
        met |= strstr(line, "targets met") != NULL;
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(met);
}

/* A copy of the small world whose flights can be changed (the caller frees flights). */
static sb_world copy_world(void)
{
    sb_world w = *small.world;
    w.flights = malloc((size_t)w.nflights * sizeof(sb_flight));
    memcpy(w.flights, small.world->flights, (size_t)w.nflights * sizeof(sb_flight));
    w.carriers = malloc((size_t)w.ncarriers * sizeof(sb_carrier));
    memcpy(w.carriers, small.world->carriers, (size_t)w.ncarriers * sizeof(sb_carrier));
    return w;
}

static int airport(const sb_world *w, const char *iata)
{
    for (int i = 0; i < w->nairports; i++) {
        if (strcmp(w->airports[i].iata, iata) == 0)
            return i;
    }
    fail_msg("%s not in the small world", iata);
    return -1;
}

static void broken_worlds_fail(void **state)
{
    (void)state;
    sb_report rep;
    /* London to Sydney nonstop (about 17,000 km) on one daily flight. */
    sb_world w = copy_world();
    for (int i = 0; i < w.nflights; i++) {
        if (w.flights[i].dow_mask == 0x7f && w.flights[i].nlegs == 1) {
            w.flights[i].legs[0].origin = airport(&w, "LHR");
            w.flights[i].legs[0].dest = airport(&w, "SYD");
            break;
        }
    }
    char *text = report_of(&w, &rep);
    assert_non_null(strstr(text, "FAIL  longest leg"));
    free(text);
    free(w.flights);
    free(w.carriers);
    /* Wide-bodies on every leg. */
    w = copy_world();
    int n;
    const sb_aircraft *types = sb_aircraft_types(&n);
    int wide = 0;
    while (!sb_aircraft_widebody(wide))
        wide++;
    for (int i = 0; i < w.nflights; i++)
        for (int l = 0; l < w.flights[i].nlegs; l++)
            w.flights[i].legs[l].aircraft = wide;
    text = report_of(&w, &rep);
    assert_non_null(strstr(text, "FAIL  wide-body legs"));
    assert_true(types[wide].range_km > 10000);
    free(text);
    free(w.flights);
    free(w.carriers);
    /* The largest carrier's main hub said to be another of its airports. */
    w = copy_world();
    int big = 0;
    for (int c = 1; c < w.ncarriers; c++)
        big = w.carriers[c].mpax > w.carriers[big].mpax ? c : big;
    assert_true(w.carriers[big].nhubs >= 2);
    w.carriers[big].hubs[0] = w.carriers[big].hubs[1];
    text = report_of(&w, &rep);
    assert_non_null(strstr(text, "FAIL  largest airlines"));
    assert_true(rep.failed >= 1);
    free(text);
    free(w.flights);
    free(w.carriers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_world_meets_its_targets),
        cmocka_unit_test(command_exits_zero),
        cmocka_unit_test(broken_worlds_fail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
