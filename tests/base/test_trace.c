/* test_trace.c: W3C traceparent parsing and spans (base/trace.h), and the trace id in every
 * log line of a thread with a current span (base/log.c). Cases from the specification's
 * examples and its rules for invalid headers. */
#include "ct_test.h"

#include <stdio.h>
#include <unistd.h>

#include "base/log.h"
#include "base/trace.h"
#include "testsupport.h"

#define EXAMPLE "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void parses_valid_and_refuses_invalid(void **state)
{
    (void)state;
    ct_trace t;
    assert_true(ct_trace_parse(EXAMPLE, &t));
    assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(t.parent_id, "00f067aa0ba902b7");
    assert_int_equal(t.flags, 1);
    /* A later version may carry more fields after a dash. */
    assert_true(ct_trace_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what", &t));
    const char *bad[] = {
        NULL,
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* 00 is exactly 55 */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* zero parent id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  /* dashes misplaced */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",  /* flags not hex */
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* no dash after flags */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ct_trace_parse(bad[i], &t))
            fail_msg("accepted %s", bad[i] ? bad[i] : "NULL");
}

static void spans_continue_or_start_a_trace(void **state)
{
    (void)state;
    ct_trace t, u, c;
    ct_trace_start(&t, EXAMPLE);
    assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(t.parent_id, "00f067aa0ba902b7");
    assert_int_equal(strlen(t.span_id), 16);
    assert_string_not_equal(t.span_id, "00f067aa0ba902b7");
    char tp[CT_TRACEPARENT_LEN + 1];
    ct_trace_format(&t, tp, sizeof(tp));
    assert_int_equal(strlen(tp), CT_TRACEPARENT_LEN);
    assert_true(ct_trace_parse(tp, &u)); /* what we send is valid */
    assert_string_equal(u.parent_id, t.span_id);
    ct_trace_start(&u, "garbage"); /* an invalid header starts a new trace */
    assert_int_equal(strlen(u.trace_id), 32);
    assert_string_not_equal(u.trace_id, t.trace_id);
    assert_string_equal(u.parent_id, "");
    assert_int_equal(u.flags, 1);
    ct_trace_child(&t, &c);
    assert_string_equal(c.trace_id, t.trace_id);
    assert_string_equal(c.parent_id, t.span_id);
    assert_string_not_equal(c.span_id, t.span_id);
}

static void log_lines_carry_the_trace_id(void **state)
{
    (void)state;
    char dir[256], path[300];
    ts_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/log", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = freopen(path, "w", stderr);
    assert_non_null(f);
    ct_trace t;
    ct_trace_start(&t, EXAMPLE);
    ct_log_set_level(CT_LOG_INFO);
    ct_trace_set_current(&t);
    assert_ptr_equal(ct_trace_current(), &t);
    ct_log(CT_LOG_INFO, "traced", NULL);
    ct_trace_set_current(NULL);
    ct_log(CT_LOG_INFO, "untraced", NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *in = fopen(path, "r");
    char a[512] = "", b[512] = "";
    assert_non_null(fgets(a, sizeof(a), in));
    assert_non_null(fgets(b, sizeof(b), in));
    fclose(in);
    assert_non_null(strstr(a, "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
    assert_null(strstr(b, "trace_id"));
    ts_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_valid_and_refuses_invalid),
        cmocka_unit_test(spans_continue_or_start_a_trace),
        cmocka_unit_test(log_lines_carry_the_trace_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
