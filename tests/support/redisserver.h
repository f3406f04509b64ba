/* redisserver.h: a throwaway redis-server for the tests (a free loopback port, a temporary
 * directory, no persistence), started and stopped by the test itself. */
#ifndef CT_TEST_REDISSERVER_H
#define CT_TEST_REDISSERVER_H

#include <sys/types.h>

typedef struct ts_redis {
    pid_t pid; /* 0 while stopped */
    int port;
    char dir[64];
    char url[64]; /* redis://127.0.0.1:PORT/0 */
} ts_redis;

/* 1 when redis-server is installed. Without it: 0 and a message, or a failed test when
 * CT_TEST_REQUIRE_REDIS is set (scripts/test.sh), so CI cannot skip silently. */
int ts_redis_available(void);
/* Starts a server on a free port in a new temporary directory; fails the test if it does
 * not answer PING. */
void ts_redis_start(ts_redis *r);
/* SIGKILL (a crash: nothing kept) and start again on the same port. */
void ts_redis_kill(ts_redis *r);
void ts_redis_resume(ts_redis *r);
/* Kills the server and removes its directory. */
void ts_redis_stop(ts_redis *r);

#endif
