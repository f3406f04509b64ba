/* fuzz_http.h: a minimal HTTP/1.1 client for the drivers that fuzz a real server over
 * loopback (header only). One request per connection ("Connection: close"): the whole
 * request is written, the write side shut, and the answer read to its end (a 10 s receive
 * timeout turns a hung server into an abort, which libFuzzer reports). A call interrupted by
 * a signal (EINTR: libFuzzer's SIGALRM for -timeout arrives every few seconds) is repeated,
 * so that it is never mistaken for an empty answer. */
#ifndef CT_FUZZ_HTTP_H
#define CT_FUZZ_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/time.h>

#include "fuzz.h"

typedef struct fz_answer {
    int status; /* 0 when the answer has no status line */
    char *text; /* the whole answer, NUL-terminated (malloc'd; the caller frees) */
    size_t len;
    const char *body; /* into text, after the blank line; "" when none */
} fz_answer;

static inline void fz_http(int port, const char *req, size_t len, fz_answer *out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 10};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
        abort();
    /* Thousands of inputs a second leave the accept queue briefly full (the server closes
     * each connection asynchronously): retry for up to 2 s; a server that never accepts again
     * is still a failure. */
    int tries = 0;
    while (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (++tries > 200)
            abort();
        close(fd);
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
            abort();
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the server answered and closed early */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t got = recv(fd, buf + n, cap - n, 0);
        if (got < 0 && errno == EINTR)
            continue; /* libFuzzer's SIGALRM (its -timeout check) interrupts blocking calls */
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fprintf(stderr, "fuzz: the server did not answer within 10 s\n");
            abort();
        }
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    out->text = buf;
    out->len = n;
    out->status = 0;
    if (n >= 12 && memcmp(buf, "HTTP/1.", 7) == 0)
        out->status = atoi(buf + 9);
    const char *end = strstr(buf, "\r\n\r\n");
    out->body = end != NULL ? end + 4 : "";
}

#endif
