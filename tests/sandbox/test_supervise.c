/* test_supervise.c: the world's process supervisor restarts a dying child with back-off and
 * stops everything it started. */
#include "ct_test.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/runtime/supervise.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void restarts_dying_child_and_stops_all(void **state)
{
    (void)state;
    sb_child children[2];
    memset(children, 0, sizeof(children));
    children[0].name = "sleeper";
    children[0].argv[0] = "/bin/sleep";
    children[0].argv[1] = "30";
    children[1].name = "crasher";
    children[1].argv[0] = "/bin/sh";
    children[1].argv[1] = "-c";
    children[1].argv[2] = "exit 3";
    sb_supervisor s = {children, 2, 2000};
    assert_int_equal(sb_supervisor_start(&s), CT_OK);
    pid_t sleeper = children[0].pid;
    assert_true(sleeper > 0);
    for (int i = 0; i < 40; i++) { /* 4 s: the crasher restarts after 1 s, then 2 s */
        sb_supervisor_poll(&s);
        sleep_ms(100);
    }
    assert_true(children[1].restarts >= 1);
    assert_true(children[1].restarts <= 3); /* back-off doubles: not a tight loop */
    assert_int_equal(children[0].restarts, 0);
    assert_int_equal(children[0].pid, sleeper);
    /* A killed child comes back. */
    kill(sleeper, SIGKILL);
    for (int i = 0; i < 30 && (children[0].pid == sleeper || children[0].pid == 0); i++) {
        sleep_ms(100);
        sb_supervisor_poll(&s);
    }
    assert_true(children[0].pid > 0);
    assert_int_not_equal(children[0].pid, sleeper);
    pid_t second = children[0].pid;
    sb_supervisor_stop(&s);
    assert_int_equal(children[0].pid, 0);
    assert_int_equal(kill(second, 0), -1); /* really gone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restarts_dying_child_and_stops_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
