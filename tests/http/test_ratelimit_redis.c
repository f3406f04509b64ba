/* test_ratelimit_redis.c: rate limits shared in Redis and the client address behind trusted
 * proxies.
 *
 * The test starts its own redis-server (a free loopback port, a temporary directory, no
 * persistence) and runs two limiters on it, as two `serve` instances would: the configured
 * limit holds in total, also under threads on both; Retry-After is the time until the next
 * request is allowed; keys carry a TTL. Then Redis is stopped: ct_ratelimit_take falls back
 * to each instance's own bucket (fail open to a local limit), the strict take refuses (fail
 * closed), both counted; Redis is started again on the same port and the limiters use it
 * again (the restarted server has lost the script: EVALSHA's NOSCRIPT falls back to EVAL).
 * Without redis-server the Redis tests are skipped with a message, unless
 * CT_TEST_REQUIRE_REDIS is set (scripts/test.sh), which makes a missing server a failure.
 * The proxy tests read X-Forwarded-For through ct__proxies_client and over a real server. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "http/http_internal.h"
#include "http/ratelimit.h"
#include "redisserver.h"

static ts_redis redis;
static int have_redis;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup_redis(void **state)
{
    (void)state;
    have_redis = ts_redis_available();
    if (have_redis)
        ts_redis_start(&redis);
    return 0;
}

static int teardown_redis(void **state)
{
    (void)state;
    if (have_redis)
        ts_redis_stop(&redis);
    return 0;
}

static void need_redis(void)
{
    if (!have_redis)
        skip();
}

static ct_ratelimit *redis_limiter(void)
{
    ct_ratelimit *rl = NULL;
    char err[128];
    assert_int_equal(ct_ratelimit_create_redis(redis.url, &rl, err, sizeof(err)), CT_OK);
    return rl;
}

static void test_limit_holds_in_total(void **state)
{
    (void)state;
    need_redis();
    ct_ratelimit *a = redis_limiter(), *b = redis_limiter();
    double started = now_s();
    /* One a minute, burst 10: whatever the two instances are asked, ten in total. */
    int allowed = 0, retry = 0, last_retry = 0;
    for (int i = 0; i < 40; i++) {
        retry = 0;
        if (ct_ratelimit_take(i % 2 ? a : b, "ip:203.0.113.9", 1, 10, &retry))
            allowed++;
        else
            last_retry = retry;
    }
    double took = now_s() - started;
    assert_int_equal(allowed, 10);
    /* The next token is one emission interval (60 s) after the first request. */
    assert_true(last_retry <= 60);
    assert_true(last_retry >= 60 - (int)took - 1);
    /* Another key is another bucket. */
    assert_int_equal(ct_ratelimit_take(a, "ip:198.51.100.1", 1, 10, &retry), 1);
    /* Keys expire: the TTL is at most the time until the bucket is full again. */
    redisContext *c = redisConnect("127.0.0.1", redis.port);
    redisReply *r = redisCommand(c, "PTTL ct:rl:ip:203.0.113.9");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 0 && r->integer <= 10 * 60 * 1000 + 1);
    freeReplyObject(r);
    redisFree(c);
    ct_ratelimit_stats st;
    ct_ratelimit_stats_get(a, &st);
    assert_string_equal(st.backend, "redis");
    assert_int_equal(st.redis_up, 1);
    assert_int_equal(st.fallbacks, 0);
    ct_ratelimit_destroy(a);
    ct_ratelimit_destroy(b);
}

/* A fast limit: Retry-After is when the next request passes (1 s for 60 a minute). */
static void test_retry_after_is_when_allowed_again(void **state)
{
    (void)state;
    need_redis();
    ct_ratelimit *a = redis_limiter(), *b = redis_limiter();
    int retry = 0;
    assert_int_equal(ct_ratelimit_take(a, "user:usr_retry", 60, 1, &retry), 1);
    assert_int_equal(ct_ratelimit_take(b, "user:usr_retry", 60, 1, &retry), 0);
    assert_int_equal(retry, 1);
    /* Polling (bounded): allowed again, on the other instance too. */
    double t0 = now_s();
    int ok = 0;
    while (!ok && now_s() - t0 < 10) {
        sleep_ms(50);
        ok = ct_ratelimit_take(b, "user:usr_retry", 60, 1, &retry);
    }
    assert_int_equal(ok, 1);
    ct_ratelimit_destroy(a);
    ct_ratelimit_destroy(b);
}

typedef struct hammer {
    ct_ratelimit *rl;
    int allowed;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    int retry;
    for (int i = 0; i < 50; i++)
        h->allowed += ct_ratelimit_take(h->rl, "key:key_threads", 1, 20, &retry);
    return NULL;
}

static void test_atomic_under_threads(void **state)
{
    (void)state;
    need_redis();
    ct_ratelimit *a = redis_limiter(), *b = redis_limiter();
    hammer h[4] = {{a, 0}, {b, 0}, {a, 0}, {b, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer_run, &h[i]);
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += h[i].allowed;
    }
    assert_int_equal(total, 20);
    ct_ratelimit_destroy(a);
    ct_ratelimit_destroy(b);
}

/* Redis stopped: local buckets (per instance) for take, refusal for take_strict; started
 * again: shared again. */
static void test_redis_down_then_back(void **state)
{
    (void)state;
    need_redis();
    ct_ratelimit *a = redis_limiter(), *b = redis_limiter();
    int retry = 0;
    assert_int_equal(ct_ratelimit_take(a, "ip:192.0.2.1", 1, 3, &retry), 1); /* connected */
    ts_redis_kill(&redis);
    int allowed = 0;
    for (int i = 0; i < 20; i++)
        allowed += ct_ratelimit_take(i % 2 ? a : b, "ip:192.0.2.50", 1, 3, &retry);
    assert_int_equal(allowed, 6); /* 3 per instance: the documented fail-open-to-local */
    retry = 0;
    assert_int_equal(ct_ratelimit_take_strict(a, "lookup:192.0.2.50", 10, 5, &retry), -1);
    assert_int_equal(retry, 1);
    ct_ratelimit_stats st;
    ct_ratelimit_stats_get(a, &st);
    assert_int_equal(st.redis_up, 0);
    assert_true(st.redis_errors >= 1);
    assert_int_equal(st.fallbacks, 10);
    assert_int_equal(st.refused, 1);

    ts_redis_resume(&redis); /* same port; an empty server without the script */
    double t0 = now_s();
    int got = -1;
    while (got < 0 && now_s() - t0 < 10) {
        got = ct_ratelimit_take_strict(a, "lookup:192.0.2.77", 10, 5, &retry);
        if (got < 0)
            sleep_ms(50);
    }
    assert_int_equal(got, 1);
    /* Both instances back on the shared limit (b reconnects on its next call after the gap). */
    t0 = now_s();
    while (ct_ratelimit_take_strict(b, "lookup:192.0.2.78", 10, 5, &retry) < 0 && now_s() - t0 < 10)
        sleep_ms(50);
    allowed = 1;
    for (int i = 0; i < 20; i++)
        allowed += ct_ratelimit_take(i % 2 ? a : b, "lookup:192.0.2.78", 10, 5, &retry) == 1;
    assert_int_equal(allowed, 5);
    ct_ratelimit_stats_get(a, &st);
    assert_int_equal(st.redis_up, 1);
    ct_ratelimit_destroy(a);
    ct_ratelimit_destroy(b);
}

static void test_bad_urls(void **state)
{
    (void)state;
    const char *bad[] = {"http://x",     "redis://",        "redis://:6379",
                         "redis://h:0",  "redis://h:99999", "redis://h:12x",
                         "redis://h/16", "redis://u:p@h",   NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        ct_ratelimit *rl = NULL;
        char err[128];
        if (ct_ratelimit_create_redis(bad[i], &rl, err, sizeof(err)) != CT_INVALID)
            fail_msg("accepted %s", bad[i]);
        assert_null(rl);
    }
    ct_ratelimit *rl = NULL;
    char err[128];
    assert_int_equal(ct_ratelimit_create_redis("redis://cache.internal", &rl, err, sizeof(err)),
                     CT_OK);
    ct_ratelimit_destroy(rl);
}

/* ---- trusted proxies ---- */

static const char *client_of(const char *trusted, const char *peer, const char *const *xff, int n)
{
    static char out[64];
    ct_proxies *p = NULL;
    assert_int_equal(ct__proxies_parse(trusted, &p), CT_OK);
    ct__proxies_client(p, peer, xff, n, out, sizeof(out));
    ct__proxies_free(p);
    return out;
}

static void test_forwarded_for(void **state)
{
    (void)state;
    const char *one[] = {"203.0.113.9"};
    const char *spoofed[] = {"1.2.3.4, 203.0.113.9"};
    const char *chain[] = {"6.6.6.6, 203.0.113.9, 10.1.2.3"};
    const char *lines[] = {"1.2.3.4", "203.0.113.9"};
    const char *garbage[] = {"203.0.113.9, not-an-address"};
    const char *inner[] = {"10.0.0.5"};
    const char *v6[] = {"2001:db8::7"};
    const char *v6b[] = {" [2001:db8::7] "};
    /* An untrusted peer: X-Forwarded-For is ignored. */
    assert_string_equal(client_of(NULL, "198.51.100.4", one, 1), "198.51.100.4");
    assert_string_equal(client_of("10.0.0.0/8", "198.51.100.4", one, 1), "198.51.100.4");
    /* A trusted one: the right-most untrusted address. */
    assert_string_equal(client_of("127.0.0.1", "127.0.0.1", one, 1), "203.0.113.9");
    assert_string_equal(client_of("127.0.0.1", "127.0.0.1", spoofed, 1), "203.0.113.9");
    assert_string_equal(client_of("10.0.0.0/8", "10.9.9.9", chain, 1), "203.0.113.9");
    assert_string_equal(client_of("127.0.0.1", "127.0.0.1", lines, 2), "203.0.113.9");
    /* No header, garbage, or only proxies. */
    assert_string_equal(client_of("127.0.0.1", "127.0.0.1", NULL, 0), "127.0.0.1");
    assert_string_equal(client_of("127.0.0.1", "127.0.0.1", garbage, 1), "127.0.0.1");
    assert_string_equal(client_of("10.0.0.0/8", "10.0.0.1", inner, 1), "10.0.0.5");
    /* IPv6, brackets, IPv4-mapped peers. */
    assert_string_equal(client_of("::1, fd00::/8", "::1", v6, 1), "2001:db8::7");
    assert_string_equal(client_of("fd00::/8", "fd12::1", v6b, 1), "2001:db8::7");
    assert_string_equal(client_of("127.0.0.1", "::ffff:127.0.0.1", one, 1), "203.0.113.9");
    assert_string_equal(client_of("10.0.0.0/8", "11.0.0.1", one, 1), "11.0.0.1");
    /* Malformed lists. */
    const char *bad[] = {"10.0.0.0/33", "nonsense", "::1/129", "10.0.0.1/", "1.2.3.4/x", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        ct_proxies *p = NULL;
        if (ct__proxies_parse(bad[i], &p) != CT_INVALID)
            fail_msg("accepted %s", bad[i]);
    }
}

static void h_whoami(ct_http_req *req, void *ctx)
{
    (void)ctx;
    const char *ip = ct_http_client_ip(req);
    ct_http_reply(req, 200, "text/plain", ip, strlen(ip));
}

/* GET /who over a raw socket with an X-Forwarded-For line; the body (the client address). */
static void ask_who(int port, const char *xff, char *out, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /who HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\nConnection: "
                     "close\r\n\r\n",
                     xff);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    char buf[4096];
    size_t got = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    const char *body = strstr(buf, "\r\n\r\n");
    assert_non_null(body);
    snprintf(out, len, "%s", body + 4);
}

static void test_server_uses_trusted_proxies(void **state)
{
    (void)state;
    ct_router *r = ct_router_create();
    assert_int_equal(ct_router_add(r, "GET", "/who", h_whoami, NULL), CT_OK);
    ct_http_server *trusting = NULL, *plain = NULL;
    ct_http_options opt = {.threads = 1, .trusted_proxies = "127.0.0.1, 10.0.0.0/8"};
    assert_int_equal(ct_http_server_start(&opt, r, &trusting), CT_OK);
    ct_http_options opt2 = {.threads = 1};
    assert_int_equal(ct_http_server_start(&opt2, r, &plain), CT_OK);
    ct_http_options bad = {.threads = 1, .trusted_proxies = "10.0.0.0/99"};
    ct_http_server *none = NULL;
    assert_int_equal(ct_http_server_start(&bad, r, &none), CT_INVALID);
    char who[64];
    ask_who(ct_http_server_port(trusting), "1.2.3.4, 198.51.100.7, 10.2.3.4", who, sizeof(who));
    assert_string_equal(who, "198.51.100.7");
    ask_who(ct_http_server_port(plain), "198.51.100.7", who, sizeof(who));
    assert_string_equal(who, "127.0.0.1");
    ct_http_server_stop(trusting);
    ct_http_server_stop(plain);
    ct_router_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_holds_in_total),
        cmocka_unit_test(test_retry_after_is_when_allowed_again),
        cmocka_unit_test(test_atomic_under_threads),
        cmocka_unit_test(test_redis_down_then_back),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_forwarded_for),
        cmocka_unit_test(test_server_uses_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, setup_redis, teardown_redis);
}
