/* rabbitserver.c: the tests' throwaway rabbitmq-server (see rabbitserver.h). The node runs as
 * a child (fork + exec of rabbitmq-server in the foreground) with RABBITMQ_* variables naming
 * its ports and directories, HOME in its directory (the Erlang cookie rabbitmqctl needs too)
 * and ERL_EPMD_PORT for an epmd of its own. Readiness: the AMQP port answers the protocol
 * header with a frame (the listener opens at the end of the boot), over a plain socket, so the
 * support library needs no AMQP client. */
#define _GNU_SOURCE
#include "rabbitserver.h"

#include "ct_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVER "/usr/lib/rabbitmq/bin/rabbitmq-server"
#define CTL    "/usr/lib/rabbitmq/bin/rabbitmqctl"

int ts_rabbit_available(void)
{
    if (access(SERVER, X_OK) == 0 && access(CTL, X_OK) == 0)
        return 1;
    if (getenv("CT_TEST_REQUIRE_AMQP") != NULL)
        fail_msg("rabbitmq-server is not installed and CT_TEST_REQUIRE_AMQP is set");
    print_message("rabbitmq-server not installed: RabbitMQ tests skipped (scripts/deps.sh)\n");
    return 0;
}

int ts_rabbit_full(void)
{
    const char *v = getenv("CT_TEST_AMQP_FULL");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
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

static int answers_amqp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        send(fd, "AMQP\0\0\x09\x01", 8, MSG_NOSIGNAL) == 8) {
        struct pollfd p = {fd, POLLIN, 0};
        unsigned char buf[8] = {0};
        ok = poll(&p, 1, 2000) == 1 && recv(fd, buf, sizeof(buf), 0) > 0 && buf[0] == 1;
    }
    close(fd);
    return ok;
}

static void node_env(const ts_rabbit *r)
{
    char v[160];
    setenv("HOME", r->dir, 1);
    setenv("RABBITMQ_NODENAME", r->node, 1);
    snprintf(v, sizeof(v), "%d", r->epmd_port);
    setenv("ERL_EPMD_PORT", v, 1);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void wait_ready(const ts_rabbit *r)
{
    for (int i = 0; i < 1200 && !answers_amqp(r->port); i++)
        sleep_ms(100);
    if (!answers_amqp(r->port))
        fail_msg("rabbitmq-server on port %d does not answer (see %s/log)", r->port, r->dir);
}

void ts_rabbit_resume(ts_rabbit *r)
{
    r->pid = fork();
    assert_true(r->pid >= 0);
    if (r->pid == 0) {
        char v[160];
        node_env(r);
        snprintf(v, sizeof(v), "%d", r->port);
        setenv("RABBITMQ_NODE_PORT", v, 1);
        setenv("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1", 1);
        snprintf(v, sizeof(v), "%d", r->dist_port);
        setenv("RABBITMQ_DIST_PORT", v, 1);
        snprintf(v, sizeof(v), "%s/mnesia", r->dir);
        setenv("RABBITMQ_MNESIA_BASE", v, 1);
        snprintf(v, sizeof(v), "%s/log", r->dir);
        setenv("RABBITMQ_LOG_BASE", v, 1);
        snprintf(v, sizeof(v), "%s/rabbitmq", r->dir);
        setenv("RABBITMQ_CONFIG_FILE", v, 1);
        snprintf(v, sizeof(v), "%s/enabled_plugins", r->dir);
        setenv("RABBITMQ_ENABLED_PLUGINS_FILE", v, 1);
        snprintf(v, sizeof(v), "%s/rabbitmq-env.conf", r->dir);
        setenv("RABBITMQ_CONF_ENV_FILE", v, 1);
        snprintf(v, sizeof(v), "%s/node.pid", r->dir);
        setenv("RABBITMQ_PID_FILE", v, 1);
        snprintf(v, sizeof(v), "%s/server.out", r->dir);
        int fd = open(v, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setpgid(0, 0);
        execl(SERVER, "rabbitmq-server", (char *)NULL);
        _exit(127);
    }
    wait_ready(r);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The node's epmd as a child of the test (erl finds it on ERL_EPMD_PORT and starts none). */
static void start_epmd(ts_rabbit *r)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", r->epmd_port);
    r->epmd_pid = fork();
    assert_true(r->epmd_pid >= 0);
    if (r->epmd_pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execlp("epmd", "epmd", "-port", port, "-address", "127.0.0.1", (char *)NULL);
        _exit(127);
    }
    sleep_ms(200);
}

void ts_rabbit_start(ts_rabbit *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/ct-rabbit-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    r->port = free_port();
    r->dist_port = free_port();
    r->epmd_port = free_port();
    snprintf(r->node, sizeof(r->node), "ct%d@localhost", (int)getpid());
    snprintf(r->url, sizeof(r->url), "amqp://guest:guest@127.0.0.1:%d/%%2f", r->port);
    char conf[256];
    snprintf(conf, sizeof(conf),
             "listeners.tcp.default = 127.0.0.1:%d\nloopback_users = none\n"
             "log.console = false\nlog.file.level = warning\n",
             r->port);
    write_file(r->dir, "rabbitmq.conf", conf);
    write_file(r->dir, "enabled_plugins", "[].\n");
    write_file(r->dir, "rabbitmq-env.conf", "");
    start_epmd(r);
    ts_rabbit_resume(r);
}

int ts_rabbit_ctl(const ts_rabbit *r, ...)
{
    const char *argv[16] = {"rabbitmqctl", "-q"};
    int n = 2;
    va_list ap;
    va_start(ap, r);
    for (const char *a = va_arg(ap, const char *); a != NULL && n < 15;
         a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        node_env(r);
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        execv(CTL, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void ts_rabbit_restart_app(ts_rabbit *r, int down_ms)
{
    assert_int_equal(ts_rabbit_ctl(r, "stop_app", NULL), 0);
    sleep_ms(down_ms);
    assert_int_equal(ts_rabbit_ctl(r, "start_app", NULL), 0);
    wait_ready(r);
}

void ts_rabbit_restart_node(ts_rabbit *r)
{
    assert_int_equal(ts_rabbit_ctl(r, "stop", NULL), 0);
    if (r->pid > 0) {
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    ts_rabbit_resume(r);
}

void ts_rabbit_kill(ts_rabbit *r)
{
    if (r->pid <= 0)
        return;
    kill(-r->pid, SIGKILL); /* its process group: the node and its port programs */
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

void ts_rabbit_stop(ts_rabbit *r)
{
    ts_rabbit_kill(r);
    if (r->dir[0] == '\0')
        return;
    if (r->epmd_pid > 0) {
        kill(r->epmd_pid, SIGKILL);
        waitpid(r->epmd_pid, NULL, 0);
        r->epmd_pid = 0;
    }
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", r->dir);
    r->dir[0] = '\0';
}
