/* bench_http_load.c: what other clients get from a running server under two kinds of abuse
 * (issue 13): a slow-client flood and a sign-in load. Built and run by bench/slowloris.sh
 * (libc only, no project module).
 *
 *   bench_http_load PORT flood N SECONDS   N connections from 127.0.0.1 each sending a
 *                                          header line every second (reopened when closed)
 *   bench_http_load PORT signin N SECONDS  N clients signing in back to back (argon2id)
 *   bench_http_load PORT none 0 SECONDS    no load
 *
 * Meanwhile 4 measuring clients from 127.0.0.2 (Linux routes all of 127/8 to lo, so the
 * per-address cap sees another client) send keep-alive GETs alternating /healthz and an
 * airport search, each waiting 5 ms between requests, and print one line: requests served
 * per second, p50/p99/max latency, failures (a request unanswered within 5 s counts as one
 * and reopens the connection). Plain sockets, no client library. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEASURERS   4
#define MAX_SAMPLES 200000

static int port;
static double deadline_ms;
static double samples[MAX_SAMPLES];
static atomic_int nsamples, failures;
static atomic_int signins_ok, flood_open, flood_passes;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int dial(const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto fail;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto fail;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
fail:
    close(fd);
    return -1;
}

/* One request on a keep-alive connection; returns the status, or -1 (connection unusable). */
static int roundtrip(int fd, const char *req, size_t len)
{
    if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
        return -1;
    char buf[65536];
    size_t have = 0;
    double until = now_ms() + 5000;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(until - now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
        if (have >= (size_t)(end + 4 - buf) + body)
            return atoi(buf + 9);
        if (have == sizeof(buf) - 1)
            return -1;
    }
}

static void *measure(void *arg)
{
    (void)arg;
    static const char *reqs[] = {
        "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n",
        "GET /api/v1/airports?q=zur HTTP/1.1\r\nHost: bench\r\n\r\n",
    };
    int fd = -1;
    for (int i = 0; now_ms() < deadline_ms; i++) {
        if (fd < 0)
            fd = dial("127.0.0.2");
        double t = now_ms();
        const char *r = reqs[i % 2];
        int st = fd >= 0 ? roundtrip(fd, r, strlen(r)) : -1;
        if (st == 200) {
            int k = atomic_fetch_add(&nsamples, 1);
            if (k < MAX_SAMPLES)
                samples[k] = now_ms() - t;
        } else {
            atomic_fetch_add(&failures, 1);
            if (fd >= 0)
                close(fd);
            fd = -1;
            pause_ms(100);
        }
        pause_ms(5);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* The flood: n half-open heads from 127.0.0.1, a header line per connection every second. */
typedef struct flood {
    int n;
} flood;

static void *run_flood(void *arg)
{
    flood *f = arg;
    int *fds = calloc((size_t)f->n, sizeof(int));
    for (int i = 0; i < f->n; i++)
        fds[i] = -1;
    while (now_ms() < deadline_ms) {
        int open = 0;
        for (int i = 0; i < f->n; i++) {
            if (fds[i] >= 0) {
                char b[512];
                ssize_t r = recv(fds[i], b, sizeof(b), MSG_DONTWAIT);
                if (r == 0 || (r < 0 && errno != EAGAIN) ||
                    send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) != 11) {
                    close(fds[i]);
                    fds[i] = -1;
                }
            }
            if (fds[i] < 0) {
                fds[i] = dial("127.0.0.1");
                if (fds[i] >= 0)
                    send(fds[i], "GET / HTTP/1.1\r\nHost: x\r\n", 26, MSG_NOSIGNAL);
            }
            open += fds[i] >= 0;
        }
        atomic_store(&flood_open, open);
        atomic_fetch_add(&flood_passes, 1);
        pause_ms(1000);
    }
    for (int i = 0; i < f->n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    free(fds);
    return NULL;
}

static void *run_signin(void *arg)
{
    int id = (int)(intptr_t)arg;
    char body[160], req[512];
    int blen =
        snprintf(body, sizeof(body),
                 "{\"email\":\"bench%d@example.test\",\"password\":\"correct horse battery\"}", id);
    int fd = dial("127.0.0.3");
    int rlen = snprintf(req, sizeof(req),
                        "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                        "\r\nContent-Length: %d\r\n\r\n%s",
                        blen, body);
    if (fd >= 0)
        roundtrip(fd, req, (size_t)rlen); /* 202 the first time, alike afterwards */
    rlen = snprintf(req, sizeof(req),
                    "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    "\r\nContent-Length: %d\r\n\r\n%s",
                    blen, body);
    while (now_ms() < deadline_ms) {
        if (fd < 0)
            fd = dial("127.0.0.3");
        int st = fd >= 0 ? roundtrip(fd, req, (size_t)rlen) : -1;
        if (st == 200)
            atomic_fetch_add(&signins_ok, 1);
        if (st < 0) {
            if (fd >= 0)
                close(fd);
            fd = -1;
            pause_ms(50);
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_http_load PORT flood|signin|none N SECONDS\n");
        return 2;
    }
    port = atoi(argv[1]);
    const char *mode = argv[2];
    int n = atoi(argv[3]), seconds = atoi(argv[4]);
    double start = now_ms();
    deadline_ms = start + seconds * 1000.0;
    pthread_t load[64], m[MEASURERS], fl;
    flood f = {n};
    int nload = 0;
    if (strcmp(mode, "flood") == 0) {
        pthread_create(&fl, NULL, run_flood, &f);
        while (atomic_load(&flood_passes) < 2) /* the flood in place before measuring */
            pause_ms(50);
        deadline_ms = now_ms() + seconds * 1000.0;
    } else if (strcmp(mode, "signin") == 0) {
        for (; nload < n && nload < 64; nload++)
            pthread_create(&load[nload], NULL, run_signin, (void *)(intptr_t)nload);
        pause_ms(500);
    }
    double t0 = now_ms();
    for (int i = 0; i < MEASURERS; i++)
        pthread_create(&m[i], NULL, measure, NULL);
    for (int i = 0; i < MEASURERS; i++)
        pthread_join(m[i], NULL);
    double secs = (now_ms() - t0) / 1000.0;
    if (strcmp(mode, "flood") == 0)
        pthread_join(fl, NULL);
    for (int i = 0; i < nload; i++)
        pthread_join(load[i], NULL);
    int k = atomic_load(&nsamples);
    if (k > MAX_SAMPLES)
        k = MAX_SAMPLES;
    qsort(samples, (size_t)k, sizeof(double), cmp);
    double p50 = k ? samples[k / 2] : 0, p99 = k ? samples[(size_t)(k * 0.99)] : 0;
    printf("%-7s n=%-5d other clients: %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms"
           "  failed %d",
           mode, n, k / secs, p50, p99, k ? samples[k - 1] : 0, atomic_load(&failures));
    if (strcmp(mode, "flood") == 0)
        printf("  (slow connections open at the end: %d)", atomic_load(&flood_open));
    if (strcmp(mode, "signin") == 0)
        printf("  (sign-ins: %.1f/s)", atomic_load(&signins_ok) / secs);
    printf("\n");
    return 0;
}
