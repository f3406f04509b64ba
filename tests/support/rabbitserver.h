/* rabbitserver.h: a throwaway rabbitmq-server for the tests: free loopback ports (AMQP,
 * Erlang distribution, its own epmd), a temporary directory for the node's cookie, data, logs
 * and configuration, and a unique node name, so it never meets another test's or the system's
 * broker. Erlang starts slowly (10-25 s here), so a test binary starts one and shares it. */
#ifndef CT_TEST_RABBITSERVER_H
#define CT_TEST_RABBITSERVER_H

#include <sys/types.h>

typedef struct ts_rabbit {
    pid_t pid;      /* the node's process (beam.smp after exec), 0 while stopped */
    pid_t epmd_pid; /* its own epmd, a child too */
    int port, dist_port, epmd_port;
    char dir[64];
    char node[64];
    char url[96]; /* amqp://guest:guest@127.0.0.1:PORT/%2f (the vhost "/", percent-encoded) */
} ts_rabbit;

/* 1 when rabbitmq-server is installed. Without it: 0 and a message, or a failed test when
 * CT_TEST_REQUIRE_AMQP is set (scripts/test.sh), so CI cannot skip silently. */
int ts_rabbit_available(void);
/* Starts a node; fails the test when its AMQP port does not answer within 120 s. */
void ts_rabbit_start(ts_rabbit *r);
/* The broker application stopped and started again inside the running node (rabbitmqctl
 * stop_app / start_app: connections dropped, queues recovered from disk; seconds). down_ms:
 * how long it stays stopped. */
void ts_rabbit_restart_app(ts_rabbit *r, int down_ms);
/* The whole node stopped (rabbitmqctl stop: the Erlang VM exits) and started again on the
 * same ports and data (tens of seconds). */
void ts_rabbit_restart_node(ts_rabbit *r);
/* SIGKILL of the node (a crash); ts_rabbit_resume starts it on the same ports and data. After
 * a SIGKILL RabbitMQ 3.10.8 here did not bring its quorum queues back within 80 s (their
 * operations time out), so the restart tests use ts_rabbit_restart_node. */
void ts_rabbit_kill(ts_rabbit *r);
void ts_rabbit_resume(ts_rabbit *r);
/* Runs `rabbitmqctl ARGS...` against the node (NULL-terminated); its exit status. */
int ts_rabbit_ctl(const ts_rabbit *r, ...) __attribute__((sentinel));
/* Kills the node and its epmd and removes the directory. */
void ts_rabbit_stop(ts_rabbit *r);
/* 1 when CT_TEST_AMQP_FULL is set: the slow cases (a real process restart) run too. */
int ts_rabbit_full(void);

#endif
