/* redisserver.c: the tests' throwaway redis-server (see redisserver.h). Started as a child
 * (fork + exec, --daemonize no) so the test holds its pid; readiness is a PING over a plain
 * socket, so the support library needs no Redis client. */
#define _GNU_SOURCE
#include "redisserver.h"

#include "ct_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int ts_redis_available(void)
{
    if (system("command -v redis-server >/dev/null 2>&1") == 0)
        return 1;
    if (getenv("CT_TEST_REQUIRE_REDIS") != NULL)
        fail_msg("redis-server is not installed and CT_TEST_REQUIRE_REDIS is set");
    print_message("redis-server not installed: Redis tests skipped (scripts/deps.sh)\n");
    return 0;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int answers_ping(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
        struct pollfd p = {fd, POLLIN, 0};
        char buf[16] = {0};
        ok = poll(&p, 1, 500) == 1 && recv(fd, buf, sizeof(buf) - 1, 0) > 0 &&
             strncmp(buf, "+PONG", 5) == 0;
    }
    close(fd);
    return ok;
}

void ts_redis_resume(ts_redis *r)
{
    char port[16], log[96];
    snprintf(port, sizeof(port), "%d", r->port);
    snprintf(log, sizeof(log), "%s/redis.log", r->dir);
    r->pid = fork();
    assert_true(r->pid >= 0);
    if (r->pid == 0) {
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir",
               r->dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", log,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && !answers_ping(r->port); i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!answers_ping(r->port))
        fail_msg("redis-server on port %d does not answer (see %s)", r->port, log);
}

void ts_redis_start(ts_redis *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/ct-redis-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    r->port = free_port();
    snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d/0", r->port);
    ts_redis_resume(r);
}

void ts_redis_kill(ts_redis *r)
{
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

void ts_redis_stop(ts_redis *r)
{
    ts_redis_kill(r);
    if (r->dir[0] == '\0')
        return;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", r->dir);
    r->dir[0] = '\0';
}
