/* smtp_fuzz.c: libFuzzer driver for the sandbox's SMTP server session (sandbox/mail/smtp.h):
 * the line reader (command lines to LF, message text to CRLF, over-long lines, the 4 KiB
 * buffer's refills), the command parser (EHLO/HELO, MAIL FROM and its parameters, RCPT TO,
 * DATA with dot-unstuffing, the others) and the state machine.
 *
 * The input is what a client sends. A session runs in this thread on one end of a
 * socketpair (sb_smtp_serve_fd); a second thread writes the input to the other end, closes
 * its write side and reads every reply until the session ends. Checks: every reply line is
 * "NNN " or "NNN-" then text, ended by CRLF, with a 2xx-5xx code; a delivered message is
 * whole lines ended by CRLF, without NUL (a "." line is content: it was sent as ".."); the session
 * ends (no hang: libFuzzer's -timeout catches one). A broken promise traps. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "sandbox/mail/smtp.h"

#define REPLY_CAP (4u << 20)

typedef struct client {
    int fd;
    const uint8_t *data;
    size_t size;
    char *replies;
    size_t nreplies;
} client;

/* Writes the input and reads the replies at the same time (poll), so that neither side can
 * block the other on a full socket buffer. */
static void *client_main(void *arg)
{
    client *c = arg;
    size_t off = 0;
    int writing = 1;
    char buf[16384];
    for (;;) {
        if (writing && off == c->size) {
            shutdown(c->fd, SHUT_WR);
            writing = 0;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN | (writing ? POLLOUT : 0)};
        if (poll(&p, 1, -1) < 0)
            continue;
        if (writing && (p.revents & POLLOUT)) {
            ssize_t n = send(c->fd, c->data + off, c->size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                off += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                off = c->size; /* the session is gone */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return NULL;
            size_t k = n > 0 ? (size_t)n : 0;
            if (c->nreplies + k > REPLY_CAP)
                k = REPLY_CAP - c->nreplies;
            memcpy(c->replies + c->nreplies, buf, k);
            c->nreplies += k;
        }
    }
}

static ct_status deliver(void *ctx, const sb_smtp_envelope *env, const char *data, size_t len,
                         char *id_out, size_t id_len)
{
    (void)ctx;
    /* A line that is only "." may be delivered: the client sent it stuffed as "..", and
     * unstuffing gives "." back (RFC 5321 4.5.2), so it is content, not the end. */
    if (env->nrcpt == 0 || env->mail_from == NULL || memchr(data, '\0', len) != NULL ||
        (len > 0 && (len < 2 || data[len - 2] != '\r' || data[len - 1] != '\n')))
        __builtin_trap();
    for (size_t i = 0; i < env->nrcpt; i++) {
        if (env->rcpt[i] == NULL || env->rcpt[i][0] == '\0')
            __builtin_trap();
    }
    snprintf(id_out, id_len, "m%zu", len);
    return len % 7 == 3 ? CT_ERR : CT_OK; /* now and then the mailbox fails (451) */
}

static void check_replies(const char *r, size_t n)
{
    if (n == REPLY_CAP)
        return; /* cut short: only whole replies are checked */
    size_t i = 0;
    while (i < n) {
        const char *eol = memmem(r + i, n - i, "\r\n", 2);
        if (eol == NULL || (size_t)(eol - (r + i)) < 4 || r[i] < '2' || r[i] > '5' ||
            r[i + 1] < '0' || r[i + 1] > '9' || r[i + 2] < '0' || r[i + 2] > '9' ||
            (r[i + 3] != ' ' && r[i + 3] != '-'))
            __builtin_trap();
        i = (size_t)(eol - r) + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    client c = {.fd = sv[1], .data = data, .size = size, .replies = malloc(REPLY_CAP)};
    pthread_t th;
    if (c.replies == NULL || pthread_create(&th, NULL, client_main, &c) != 0)
        abort();
    sb_smtp_options opt = {.deliver = deliver,
                           .max_message_size = 2048 + size % 4096,
                           .max_recipients = 3,
                           .timeout_sec = 5};
    if (sb_smtp_serve_fd(&opt, sv[0], "127.0.0.1") != CT_OK)
        __builtin_trap();
    shutdown(sv[0], SHUT_RDWR);
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
    check_replies(c.replies, c.nreplies);
    free(c.replies);
    return 0;
}
