/* test_server_guard.c: the server's defences over real sockets (raw requests, no client
 * library in between): conflicting Content-Length framing, NUL bytes in the request line,
 * 414/431/415 as problem+json, the CORS allow-list and preflights, the security headers,
 * the per-address connection cap and the head/body deadlines under a slow-client flood
 * (other clients, from 127.0.0.2, keep getting answers), and the worker pool of offloaded
 * routes (cheap requests answered while every worker is busy; a full queue gets 503). */
#define _GNU_SOURCE
#include "ct_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"

static ct_router *router;
static ct_http_server *server;
static int port;
static sem_t release_slow; /* posted once per /slow request to let it finish */
static atomic_int slow_running;
static atomic_int slow_sent; /* /slow requests written by the client threads */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void h_fast(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply(req, 200, "text/plain", "ok", 2);
}

static void h_echo(ct_http_req *req, void *ctx)
{
    (void)ctx;
    size_t n = 0;
    const char *b = ct_http_body(req, &n);
    ct_http_reply(req, 200, "text/plain", b, n);
}

static void h_slow(ct_http_req *req, void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&slow_running, 1);
    sem_wait(&release_slow);
    atomic_fetch_sub(&slow_running, 1);
    ct_http_reply(req, 200, "text/plain", "slow", 4);
}

static void start(const ct_http_options *opt)
{
    router = ct_router_create();
    assert_non_null(router);
    assert_int_equal(ct_router_add(router, "GET", "/fast", h_fast, NULL), CT_OK);
    assert_int_equal(ct_router_add(router, "POST", "/echo", h_echo, NULL), CT_OK);
    assert_int_equal(ct_router_add(router, "PUT", "/items/{id}", h_echo, NULL), CT_OK);
    assert_int_equal(ct_router_add(router, "GET", "/items/{id}", h_fast, NULL), CT_OK);
    assert_int_equal(ct_router_add_offload(router, "POST", "/slow", h_slow, NULL), CT_OK);
    assert_int_equal(ct_http_server_start(opt, router, &server), CT_OK);
    port = ct_http_server_port(server);
}

static void stop(void)
{
    ct_http_server_stop(server);
    ct_router_destroy(router);
    server = NULL;
    router = NULL;
}

/* A TCP connection to the server from the loopback address `from` ("127.0.0.2"). */
static int connect_from(const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (from != NULL) {
        inet_pton(AF_INET, from, &a.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* Reads until the peer closes or `ms` pass; returns the bytes (malloc'd). *closed = 1 when
 * the peer closed (EOF or reset). */
static char *read_all(int fd, int ms, int *closed)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    double until = now_ms() + ms;
    *closed = 0;
    for (;;) {
        int left = (int)(until - now_ms());
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0) {
            *closed = 1;
            break;
        }
        len += (size_t)n;
        if (len == cap)
            break;
    }
    buf[len] = '\0';
    return buf;
}

/* Sends `len` raw bytes on a fresh connection and returns everything answered within 2 s
 * (or until the server closes). */
static char *exchange(const char *data, size_t len, int *closed)
{
    int fd = connect_from(NULL);
    assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
    char *out = read_all(fd, 2000, closed);
    close(fd);
    return out;
}

static int count_responses(const char *out)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
        n++;
    return n;
}

static void expect_status(const char *out, int status)
{
    char want[32];
    snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("expected %d, got: %.300s", status, out);
}

#define RAW(s) s, sizeof(s) - 1

static int setup_default(void **state)
{
    (void)state;
    ct_http_options opt = {.threads = 2, .max_body = 4096, .cors_origins = "https://a.example"};
    start(&opt);
    return 0;
}

static int teardown_server(void **state)
{
    (void)state;
    stop();
    return 0;
}

static void test_conflicting_content_length(void **state)
{
    (void)state;
    int closed = 0;
    /* A proxy that used the second length would send all of it as one body; the server
     * must neither use the first nor parse the rest as a second request. */
    char *out = exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 3\r\nContent-Length: 40\r\n\r\n"
                             "abcGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"),
                         &closed);
    expect_status(out, 400);
    assert_int_equal(count_responses(out), 1);
    assert_non_null(strstr(out, "application/problem+json"));
    assert_non_null(strcasestr(out, "Connection: close"));
    assert_true(closed);
    free(out);
    /* The same length twice is refused too, as are Content-Length with Transfer-Encoding
     * and a length that is no decimal number. */
    out = exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
                   &closed);
    expect_status(out, 400);
    free(out);
    out =
        exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
                 &closed);
    expect_status(out, 400);
    assert_int_equal(count_responses(out), 1);
    free(out);
    out = exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2, 2\r\n\r\n{}"),
                   &closed);
    expect_status(out, 400);
    free(out);
    /* One length is fine, and keep-alive goes on. */
    out = exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\n\r\n{}GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"),
                   &closed);
    expect_status(out, 200);
    assert_int_equal(count_responses(out), 2);
    free(out);
}

static void test_nul_in_request_line(void **state)
{
    (void)state;
    int closed = 0;
    char *out = exchange(RAW("GET /fa\0st HTTP/1.1\r\nHost: x\r\n\r\n"), &closed);
    expect_status(out, 400);
    assert_non_null(strstr(out, "NUL"));
    assert_true(closed);
    free(out);
    out = exchange(RAW("GET /fast\0/x HTTP/1.1\r\nHost: x\r\n\r\n"), &closed);
    expect_status(out, 400);
    free(out);
    out = exchange(RAW("GE\0T /fast HTTP/1.1\r\nHost: x\r\n\r\n"), &closed);
    assert_true(strncmp(out, "HTTP/1.1 200", 12) != 0);
    free(out);
    out = exchange(RAW("GET /fast HTTP/1.1\0\r\nHost: x\r\n\r\n"), &closed);
    expect_status(out, 400);
    free(out);
    /* Spaces and an encoded %00 are not NUL bytes of the line. */
    out = exchange(RAW("GET  /fast  HTTP/1.1\r\nHost: x\r\n\r\n"), &closed);
    assert_true(strncmp(out, "HTTP/1.1 400", 12) != 0);
    free(out);
    out = exchange(RAW("GET /items/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"), &closed);
    assert_true(strncmp(out, "HTTP/1.1 400", 12) != 0);
    free(out);
}

static void test_too_long_as_problems(void **state)
{
    (void)state;
    int closed = 0;
    char *req = malloc(70000);
    int n = snprintf(req, 70000, "GET /items/");
    memset(req + n, 'a', 9000);
    n += 9000;
    n += snprintf(req + n, 70000 - (size_t)n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    char *out = exchange(req, (size_t)n, &closed);
    expect_status(out, 414);
    assert_non_null(strstr(out, "application/problem+json"));
    assert_non_null(strstr(out, "\"status\":414"));
    free(out);
    n = snprintf(req, 70000, "GET /fast HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 40; i++) {
        n += snprintf(req + n, 70000 - (size_t)n, "X-Filler-%d: ", i);
        memset(req + n, 'b', 1000);
        n += 1000;
        n += snprintf(req + n, 70000 - (size_t)n, "\r\n");
    }
    n += snprintf(req + n, 70000 - (size_t)n, "\r\n");
    out = exchange(req, (size_t)n, &closed);
    expect_status(out, 431);
    assert_non_null(strstr(out, "application/problem+json"));
    assert_non_null(strstr(out, "\"status\":431"));
    free(out);
    free(req);
}

static void test_json_bodies_only(void **state)
{
    (void)state;
    static const char *refused[] = {"text/plain",
                                    "application/x-www-form-urlencoded",
                                    "multipart/form-data; boundary=x",
                                    "application/xml",
                                    "application/jsonp",
                                    "text/json",
                                    NULL};
    static const char *accepted[] = {"application/json", "application/json; charset=utf-8",
                                     "Application/JSON;charset=UTF-8",
                                     "application/merge-patch+json", NULL};
    char buf[512];
    int closed = 0;
    for (int i = 0; refused[i] != NULL; i++) {
        int n = snprintf(buf, sizeof(buf),
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                         "Content-Length: 2\r\n\r\n{}",
                         refused[i]);
        char *out = exchange(buf, (size_t)n, &closed);
        expect_status(out, 415);
        assert_non_null(strstr(out, "application/problem+json"));
        free(out);
    }
    for (int i = 0; accepted[i] != NULL; i++) {
        int n = snprintf(buf, sizeof(buf),
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                         "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                         accepted[i]);
        char *out = exchange(buf, (size_t)n, &closed);
        expect_status(out, 200);
        free(out);
    }
    /* No Content-Type with a body: refused; no body: nothing to check. */
    char *out =
        exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"), &closed);
    expect_status(out, 415);
    free(out);
    out = exchange(RAW("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       "Content-Length: 0\r\nConnection: close\r\n\r\n"),
                   &closed);
    expect_status(out, 200);
    free(out);
}

static char *simple(const char *method, const char *path, const char *extra)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
                     method, path, extra);
    int closed = 0;
    return exchange(buf, (size_t)n, &closed);
}

static void test_cors_allow_list(void **state)
{
    (void)state;
    char *out = simple("GET", "/fast", "Origin: https://a.example\r\n");
    expect_status(out, 200);
    assert_non_null(strcasestr(out, "Access-Control-Allow-Origin: https://a.example\r\n"));
    assert_non_null(strcasestr(out, "Vary: Origin"));
    free(out);
    out = simple("GET", "/fast", "Origin: https://evil.example\r\n");
    expect_status(out, 200);
    assert_null(strcasestr(out, "Access-Control-Allow-Origin"));
    free(out);
    /* Preflights: a real route and an allowed origin; X-API-Key among the headers. */
    out = simple("OPTIONS", "/items/7",
                 "Origin: https://a.example\r\nAccess-Control-Request-Method: PUT\r\n");
    expect_status(out, 204);
    assert_non_null(strcasestr(out, "Access-Control-Allow-Origin: https://a.example"));
    assert_non_null(strcasestr(out, "Access-Control-Allow-Methods: PUT, GET"));
    assert_non_null(strstr(out, "X-API-Key"));
    free(out);
    out = simple("OPTIONS", "/items/7",
                 "Origin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n");
    expect_status(out, 403);
    assert_null(strcasestr(out, "Access-Control-Allow"));
    free(out);
    out = simple("OPTIONS", "/no/such/route",
                 "Origin: https://a.example\r\nAccess-Control-Request-Method: GET\r\n");
    expect_status(out, 404);
    assert_null(strcasestr(out, "Access-Control-Allow-Methods"));
    free(out);
    out = simple("OPTIONS", "/fast", "");
    expect_status(out, 204);
    assert_non_null(strcasestr(out, "Allow: GET"));
    free(out);
}

static void test_no_cors_by_default(void **state)
{
    (void)state;
    ct_http_options opt = {.threads = 1};
    start(&opt);
    char *out = simple("GET", "/fast", "Origin: https://a.example\r\n");
    expect_status(out, 200);
    assert_null(strcasestr(out, "Access-Control-"));
    free(out);
    out = simple("OPTIONS", "/fast",
                 "Origin: https://a.example\r\nAccess-Control-Request-Method: GET\r\n");
    expect_status(out, 403);
    assert_null(strcasestr(out, "Access-Control-"));
    free(out);
    stop();
}

static void test_security_headers(void **state)
{
    (void)state;
    const char *paths[] = {"/fast", "/nothing-here", NULL};
    for (int i = 0; paths[i] != NULL; i++) {
        char *out = simple("GET", paths[i], "");
        assert_non_null(strcasestr(out, "Content-Security-Policy: default-src 'self'"));
        assert_non_null(strstr(out, "frame-ancestors 'none'"));
        assert_non_null(strcasestr(out, "X-Frame-Options: DENY"));
        assert_non_null(strcasestr(out, "Referrer-Policy: strict-origin-when-cross-origin"));
        assert_non_null(strcasestr(out, "X-Content-Type-Options: nosniff"));
        assert_null(strcasestr(out, "Strict-Transport-Security"));
        free(out);
    }
    stop();
    ct_http_options opt = {.threads = 1, .hsts_max_age = 31536000};
    start(&opt);
    char *out = simple("GET", "/fast", "");
    assert_non_null(strcasestr(out, "Strict-Transport-Security: max-age=31536000\r\n"));
    free(out);
    stop();
    ct_http_options again = {.threads = 2, .max_body = 4096, .cors_origins = "https://a.example"};
    start(&again); /* what the teardown stops */
}

/* ---- slow clients ---- */

#define SLOW_CAP 16
#define SLOW_N   48

static void test_slow_clients(void **state)
{
    (void)state;
    ct_http_options opt = {.threads = 2,
                           .per_ip_connections = SLOW_CAP,
                           .header_timeout_ms = 1500,
                           .body_timeout_ms = 1500};
    start(&opt);
    int fds[SLOW_N];
    for (int i = 0; i < SLOW_N; i++) {
        fds[i] = connect_from("127.0.0.1");
        const char *line = i % 4 == 3 ? "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                        "application/json\r\nContent-Length: 100\r\n\r\n{"
                                      : "GET /fast HTTP/1.1\r\nHost: x\r\n";
        send(fds[i], line, strlen(line), MSG_NOSIGNAL);
    }
    /* Drip for 3 s (a header line or a body byte every 250 ms), while another address asks
     * for /fast: it gets every answer, quickly. */
    double t0 = now_ms(), worst = 0;
    int answered = 0, open_at_1s = -1;
    while (now_ms() - t0 < 3000) {
        for (int i = 0; i < SLOW_N; i++) {
            if (fds[i] >= 0)
                send(fds[i], i % 4 == 3 ? "x" : "X-Drip: 1\r\n", i % 4 == 3 ? 1 : 11, MSG_NOSIGNAL);
        }
        double t = now_ms();
        int fd = connect_from("127.0.0.2");
        const char *get = "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        send(fd, get, strlen(get), MSG_NOSIGNAL);
        int closed = 0;
        char *out = read_all(fd, 2000, &closed);
        close(fd);
        if (strncmp(out, "HTTP/1.1 200", 12) == 0)
            answered++;
        free(out);
        if (now_ms() - t > worst)
            worst = now_ms() - t;
        /* Count the slow connections still open (not closed by the server). */
        int open = 0;
        for (int i = 0; i < SLOW_N; i++) {
            if (fds[i] < 0)
                continue;
            char b[256];
            ssize_t n = recv(fds[i], b, sizeof(b), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(fds[i]);
                fds[i] = -1;
            } else {
                open++;
            }
        }
        if (open_at_1s < 0 && now_ms() - t0 >= 1000)
            open_at_1s = open;
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int still_open = 0;
    for (int i = 0; i < SLOW_N; i++) {
        if (fds[i] >= 0) {
            still_open++;
            close(fds[i]);
        }
    }
    print_message("slow clients: %d answered from 127.0.0.2, worst %.1f ms; %d slow open at 1 s,"
                  " %d at 3 s; %llu closed by deadline\n",
                  answered, worst, open_at_1s, still_open,
                  (unsigned long long)ct_http_server_deadline_closes(server));
    assert_true(answered >= 8);
    assert_true(worst < 1000);
    /* The cap: no more than SLOW_CAP of them were ever kept from one address. */
    assert_true(open_at_1s >= 1 && open_at_1s <= SLOW_CAP);
    /* The deadline: dripping did not keep any open past 1.5 s. */
    assert_int_equal(still_open, 0);
    assert_true(ct_http_server_deadline_closes(server) >= SLOW_CAP / 2);
    stop();
    ct_http_options again = {.threads = 2, .max_body = 4096, .cors_origins = "https://a.example"};
    start(&again);
}

/* ---- the worker pool ---- */

typedef struct call {
    pthread_t t;
    char *out;
} call;

static void *post_slow(void *arg)
{
    call *c = arg;
    int fd = connect_from(NULL);
    const char *req = "POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    atomic_fetch_add(&slow_sent, 1);
    int closed = 0;
    c->out = read_all(fd, 10000, &closed);
    close(fd);
    return NULL;
}

static void wait_running(int n)
{
    for (int i = 0; i < 500 && atomic_load(&slow_running) < n; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(atomic_load(&slow_running), n);
}

static void test_offloaded_routes(void **state)
{
    (void)state;
    ct_http_options opt = {.threads = 2, .workers = 2, .queue = 2};
    start(&opt);
    sem_init(&release_slow, 0, 0);
    call calls[4];
    for (int i = 0; i < 2; i++)
        pthread_create(&calls[i].t, NULL, post_slow, &calls[i]);
    wait_running(2); /* both workers blocked; two more queued behind them */
    for (int i = 2; i < 4; i++)
        pthread_create(&calls[i].t, NULL, post_slow, &calls[i]);
    for (int i = 0; i < 500 && atomic_load(&slow_sent) < 4; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct timespec settle = {0, 300 * 1000 * 1000};
    nanosleep(&settle, NULL);
    /* Every worker is busy: cheap requests still answer at once, on both request threads. */
    for (int i = 0; i < 10; i++) {
        double t = now_ms();
        char *out = simple("GET", "/fast", "");
        expect_status(out, 200);
        free(out);
        assert_true(now_ms() - t < 500);
    }
    /* The queue is full: the next slow request gets 503 with Retry-After at once. */
    char *out = simple("POST", "/slow", "");
    expect_status(out, 503);
    assert_non_null(strcasestr(out, "Retry-After: 1"));
    free(out);
    for (int i = 0; i < 4; i++)
        sem_post(&release_slow);
    for (int i = 0; i < 4; i++) {
        pthread_join(calls[i].t, NULL);
        expect_status(calls[i].out, 200);
        assert_non_null(strstr(calls[i].out, "slow"));
        free(calls[i].out);
    }
    /* Stopping with a request on a worker: it finishes and is answered first. */
    call last;
    pthread_create(&last.t, NULL, post_slow, &last);
    wait_running(1);
    sem_post(&release_slow);
    stop();
    pthread_join(last.t, NULL);
    expect_status(last.out, 200);
    free(last.out);
    sem_destroy(&release_slow);
    ct_http_options again = {.threads = 2, .max_body = 4096, .cors_origins = "https://a.example"};
    start(&again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conflicting_content_length),
        cmocka_unit_test(test_nul_in_request_line),
        cmocka_unit_test(test_too_long_as_problems),
        cmocka_unit_test(test_json_bodies_only),
        cmocka_unit_test(test_cors_allow_list),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test(test_slow_clients),
        cmocka_unit_test(test_offloaded_routes),
    };
    int rc = cmocka_run_group_tests(tests, setup_default, teardown_server);
    if (rc == 0) {
        const struct CMUnitTest alone[] = {cmocka_unit_test(test_no_cors_by_default)};
        rc = cmocka_run_group_tests(alone, NULL, NULL);
    }
    return rc;
}
