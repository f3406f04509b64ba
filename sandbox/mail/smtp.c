/* smtp.c: the SMTP server (see smtp.h for the protocol subset and the threading).
 *
 * Each session owns a 4 KiB read buffer and reads line by line from it, so pipelined commands
 * and the message text that follows DATA in the same packet are handled in order. A command
 * line ends at LF (a CR before it is dropped, which tolerates hand-typed sessions); a line of
 * message text ends only at CRLF, so a bare LF stays part of the text. A line longer than its
 * limit is consumed up to its end and reported once, without keeping its bytes.
 *
 * Session state is the RFC 5321 state machine reduced to three flags: greeted (after
 * EHLO/HELO), in a mail transaction (after MAIL), and the recipient list (RCPT). EHLO, HELO
 * and RSET end a transaction; so does the end of DATA, whatever its outcome.
 *
 * Ownership: the acceptor thread and sb_smtp_stop are the only ones that join session threads,
 * close their sockets and free them; a session thread only marks itself finished. So a socket
 * is never closed while another thread may still shut it down. */
#define _GNU_SOURCE
#include "sandbox/mail/smtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/vec.h"

#define BUF_SIZE        4096
#define COMMAND_LIMIT   512  /* octets, CRLF included (RFC 5321 4.5.3.1.4) */
#define TEXT_LIMIT      1000 /* octets, CRLF included (RFC 5321 4.5.3.1.6) */
#define PATH_LIMIT      256  /* octets, brackets included (RFC 5321 4.5.3.1.3) */
#define MAX_ERRORS      20
#define DEFAULT_HOST    "127.0.0.1"
#define DEFAULT_NAME    SB_SMTP_DEFAULT_HOSTNAME
#define DEFAULT_SIZE    (10u << 20)
#define DEFAULT_CLIENTS 32
#define DEFAULT_TIMEOUT 300
#define DEFAULT_RCPTS   100

typedef struct session session;

struct sb_smtp_server {
    sb_smtp_options opt;
    char *host, *hostname;
    int listen_fd;
    int wake[2]; /* a byte on wake[1] stops the acceptor */
    int port;
    pthread_t acceptor;
    pthread_mutex_t lock; /* guards sessions, nactive and each session's finished flag */
    session *sessions;    /* every session not yet reaped */
    int nactive;          /* sessions still running (what max_clients limits) */
    atomic_int stopping;
};

typedef enum line_rc { LINE_OK, LINE_TOO_LONG, LINE_EOF, LINE_TIMEOUT, LINE_ERROR } line_rc;

/* Why a session ends. */
typedef enum session_end { RUNNING = 0, END_QUIT, END_CLOSED, END_TIMEOUT } session_end;

struct session {
    sb_smtp_server *srv;
    int fd;
    pthread_t thread;
    int finished;
    session *next;
    char peer[INET_ADDRSTRLEN];
    char buf[BUF_SIZE];
    size_t start, end; /* unread bytes are buf[start..end) */
    /* protocol state */
    char helo[COMMAND_LIMIT];
    int greeted; /* 0, 1 after HELO, 2 after EHLO */
    int in_mail;
    char mail_from[PATH_LIMIT];
    const char *body_type;
    CT_VEC(char *) rcpt;
    int errors;
    session_end quit;
};

/* ---- replies ---- */

/* Writes all n bytes; CT_IO when the peer went away. */
static ct_status send_all(session *s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CT_IO;
        p += w;
        n -= (size_t)w;
    }
    return CT_OK;
}

/* Sends one reply line (CRLF appended); counts 5xx replies towards MAX_ERRORS. On a failed
 * write the session ends. */
static void reply(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(session *s, const char *fmt, ...)
{
    char line[COMMAND_LIMIT];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(line) - 3)
        n = (int)sizeof(line) - 3;
    line[n] = '\r'; /* the reply ends in CRLF, not a terminator: it is sent by length */
    line[n + 1] = '\n';
    if (line[0] == '5')
        s->errors++;
    if (send_all(s, line, (size_t)n + 2) != CT_OK && s->quit == RUNNING)
        s->quit = END_CLOSED;
}

/* ---- the line reader ---- */

/* Finds the end of the current line in the buffer, scanning from `from`: the LF of a line
 * (command mode) or of a CRLF (text mode). NULL when the buffer holds no complete line. */
static char *find_eol(session *s, size_t from, int text)
{
    char *p = s->buf + from, *end = s->buf + s->end;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (!text || (p > s->buf + s->start && p[-1] == '\r'))
            return p;
        p++;
    }
    return NULL;
}

static line_rc fill(session *s)
{
    if (s->start == s->end) {
        s->start = s->end = 0;
    } else if (s->start > 0 && s->end == BUF_SIZE) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    for (;;) {
        ssize_t n = recv(s->fd, s->buf + s->end, BUF_SIZE - s->end, 0);
        if (n > 0) {
            s->end += (size_t)n;
            return LINE_OK;
        }
        if (n == 0)
            return LINE_EOF;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? LINE_TIMEOUT : LINE_ERROR;
    }
}

/* Reads one line into *line (NUL-terminated in the buffer, without its line end; valid until
 * the next read) and its length. `limit` counts the line end. */
static line_rc read_line(session *s, int text, size_t limit, char **line, size_t *len)
{
    int too_long = 0;
    size_t scanned = 0;
    for (;;) {
        char *eol = find_eol(s, s->start + scanned, text);
        if (eol != NULL) {
            size_t total = (size_t)(eol - (s->buf + s->start)) + 1;
            char *begin = s->buf + s->start;
            s->start += total;
            if (too_long || total > limit)
                return LINE_TOO_LONG;
            size_t n = total - 1;
            if (n > 0 && begin[n - 1] == '\r')
                n--;
            begin[n] = '\0';
            *line = begin;
            *len = n;
            return LINE_OK;
        }
        if (s->end - s->start >= limit) {
            /* Over the limit: drop what we have but its last byte (maybe the CR of a CRLF). */
            too_long = 1;
            s->buf[0] = s->buf[s->end - 1];
            s->start = 0;
            s->end = 1;
        }
        scanned = s->end - s->start;
        line_rc rc = fill(s);
        if (rc != LINE_OK)
            return rc;
    }
}

/* ---- transaction state ---- */

static void reset_transaction(session *s)
{
    for (size_t i = 0; i < s->rcpt.len; i++)
        ct_free(s->rcpt.items[i]);
    s->rcpt.len = 0;
    s->in_mail = 0;
    s->mail_from[0] = '\0';
    s->body_type = "7BIT";
}

/* ---- addresses ---- */

static int domain_valid(const char *d, size_t n)
{
    if (n == 0 || n > 255)
        return 0;
    if (d[0] == '[')
        return d[n - 1] == ']' && n > 2;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (isalnum(c) || c == '-') {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0;
}

static int local_valid(const char *l, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    int quoted = n >= 2 && l[0] == '"' && l[n - 1] == '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c <= 0x20 || c >= 0x7f) {
            if (!(quoted && c == ' '))
                return 0;
        } else if (!quoted && strchr("<>()[]\\,;:\"", c) != NULL) {
            return 0;
        }
    }
    return 1;
}

/* A mailbox local@domain; `postmaster` (any case) is accepted alone when allowed. */
static int mailbox_valid(const char *m, int allow_postmaster)
{
    if (allow_postmaster && strcasecmp(m, "postmaster") == 0)
        return 1;
    const char *at = strrchr(m, '@');
    return at != NULL && local_valid(m, (size_t)(at - m)) && domain_valid(at + 1, strlen(at + 1));
}

/* Parses "FROM:<path>" / "TO:<path>" at `arg` (the keyword given in `key`), tolerating spaces
 * after the colon. Copies the mailbox (source route removed) into out and points *rest at the
 * parameters. CT_INVALID on a syntax error. */
static ct_status parse_path(const char *arg, const char *key, char *out, size_t outlen,
                            const char **rest)
{
    size_t klen = strlen(key);
    if (strncasecmp(arg, key, klen) != 0)
        return CT_INVALID;
    const char *p = arg + klen;
    while (*p == ' ')
        p++;
    if (*p != '<')
        return CT_INVALID;
    const char *close = strchr(p, '>');
    if (close == NULL || (size_t)(close - p + 1) > PATH_LIMIT)
        return CT_INVALID;
    const char *box = p + 1;
    if (*box == '@') { /* source route "@a,@b:" is obsolete; skip it (RFC 5321 4.1.2) */
        const char *colon = memchr(box, ':', (size_t)(close - box));
        if (colon == NULL)
            return CT_INVALID;
        box = colon + 1;
    }
    size_t n = (size_t)(close - box);
    if (n >= outlen)
        return CT_INVALID;
    memcpy(out, box, n);
    out[n] = '\0';
    *rest = close + 1;
    return CT_OK;
}

/* ---- commands ---- */

static void cmd_ehlo(session *s, const char *arg, int extended)
{
    if (*arg == '\0' || strchr(arg, ' ') != NULL) {
        reply(s, "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" : "HELO");
        return;
    }
    reset_transaction(s);
    snprintf(s->helo, sizeof(s->helo), "%s", arg);
    s->greeted = extended ? 2 : 1;
    if (!extended) {
        reply(s, "250 %s", s->srv->hostname);
        return;
    }
    reply(s, "250-%s Hello %s [%s]", s->srv->hostname, arg, s->peer);
    reply(s, "250-SIZE %zu", s->srv->opt.max_message_size);
    reply(s, "250-8BITMIME");
    reply(s, "250-PIPELINING");
    reply(s, "250 ENHANCEDSTATUSCODES");
}

/* MAIL parameters: SIZE=n and BODY=7BIT|8BITMIME, only after EHLO. On failure the reply was
 * sent: CT_TOO_LARGE for a SIZE over the maximum, CT_INVALID otherwise. */
static ct_status mail_params(session *s, const char *p)
{
    while (*p == ' ')
        p++;
    while (*p != '\0') {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (s->greeted == 2 && n > 5 && strncasecmp(p, "SIZE=", 5) == 0) {
            char *stop = NULL;
            errno = 0;
            unsigned long long size = strtoull(p + 5, &stop, 10);
            if (stop != p + n || errno || !isdigit((unsigned char)p[5])) {
                reply(s, "501 5.5.4 Syntax: SIZE=<octets>");
                return CT_INVALID;
            }
            if (size > s->srv->opt.max_message_size) {
                reply(s, "552 5.3.4 Message size exceeds fixed maximum message size (%zu)",
                      s->srv->opt.max_message_size);
                return CT_TOO_LARGE;
            }
        } else if (s->greeted == 2 && n == 9 && strncasecmp(p, "BODY=7BIT", 9) == 0) {
            s->body_type = "7BIT";
        } else if (s->greeted == 2 && n == 13 && strncasecmp(p, "BODY=8BITMIME", 13) == 0) {
            s->body_type = "8BITMIME";
        } else {
            reply(s, "555 5.5.4 Unsupported MAIL parameter %.*s", (int)(n > 64 ? 64 : n), p);
            return CT_INVALID;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return CT_OK;
}

static void cmd_mail(session *s, const char *arg)
{
    if (!s->greeted) {
        reply(s, "503 5.5.1 Error: send HELO/EHLO first");
        return;
    }
    if (s->in_mail) {
        reply(s, "503 5.5.1 Error: nested MAIL command");
        return;
    }
    const char *rest = NULL;
    if (parse_path(arg, "FROM:", s->mail_from, sizeof(s->mail_from), &rest) != CT_OK) {
        reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return;
    }
    if (s->mail_from[0] != '\0' && !mailbox_valid(s->mail_from, 0)) {
        reply(s, "501 5.1.7 Bad sender address syntax");
        return;
    }
    s->body_type = "7BIT";
    if (mail_params(s, rest) != CT_OK)
        return;
    s->in_mail = 1;
    reply(s, "250 2.1.0 Ok");
}

static void cmd_rcpt(session *s, const char *arg)
{
    char box[PATH_LIMIT];
    const char *rest = NULL;
    if (!s->in_mail) {
        reply(s, "503 5.5.1 Error: need MAIL command");
        return;
    }
    if (parse_path(arg, "TO:", box, sizeof(box), &rest) != CT_OK) {
        reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
        return;
    }
    if (!mailbox_valid(box, 1)) {
        reply(s, "501 5.1.3 Bad recipient address syntax");
        return;
    }
    while (*rest == ' ')
        rest++;
    if (*rest != '\0') {
        reply(s, "555 5.5.4 Unsupported RCPT parameter");
        return;
    }
    if (s->rcpt.len >= (size_t)s->srv->opt.max_recipients) {
        reply(s, "452 4.5.3 Error: too many recipients");
        return;
    }
    char *copy = ct_strdup(box);
    if (copy == NULL || CT_VEC_PUSH(&s->rcpt, copy)) {
        ct_free(copy);
        reply(s, "451 4.3.0 Error: out of memory");
        return;
    }
    reply(s, "250 2.1.5 Ok");
}

typedef struct data_state {
    ct_strbuf text;
    int oversize, line_too_long, has_nul;
} data_state;

/* Reads message text up to <CRLF>.<CRLF>. Returns LINE_OK at the end of the text, or the
 * reader's failure (the session then ends without delivering). */
static line_rc read_text(session *s, data_state *d)
{
    for (;;) {
        char *line = NULL;
        size_t len = 0;
        line_rc rc = read_line(s, 1, TEXT_LIMIT, &line, &len);
        if (rc == LINE_TOO_LONG) {
            d->line_too_long = 1;
            continue;
        }
        if (rc != LINE_OK)
            return rc;
        if (len == 1 && line[0] == '.')
            return LINE_OK;
        if (line[0] == '.') { /* dot-unstuffing (RFC 5321 4.5.2) */
            line++;
            len--;
        }
        if (memchr(line, '\0', len) != NULL)
            d->has_nul = 1;
        if (!d->oversize && (ct_strbuf_append(&d->text, line, len) != CT_OK ||
                             ct_strbuf_append(&d->text, "\r\n", 2) != CT_OK))
            d->oversize = 1;
    }
}

static void deliver(session *s, data_state *d)
{
    sb_smtp_options *o = &s->srv->opt;
    sb_smtp_envelope env = {.helo = s->helo,
                            .peer = s->peer,
                            .esmtp = s->greeted == 2,
                            .mail_from = s->mail_from,
                            .rcpt = (const char *const *)s->rcpt.items,
                            .nrcpt = s->rcpt.len,
                            .body_type = s->body_type};
    char id[64] = "";
    ct_status rc =
        o->deliver(o->deliver_ctx, &env, ct_strbuf_str(&d->text), d->text.len, id, sizeof(id));
    if (rc)
        reply(s, "451 4.3.0 Error: local error in processing");
    else
        reply(s, "250 2.0.0 Ok: queued as %s", id);
}

static void cmd_data(session *s, const char *arg)
{
    if (*arg != '\0') {
        reply(s, "501 5.5.4 Syntax: DATA");
        return;
    }
    if (!s->in_mail) {
        reply(s, "503 5.5.1 Error: need MAIL command");
        return;
    }
    if (s->rcpt.len == 0) {
        reply(s, "503 5.5.1 Error: need RCPT command");
        return;
    }
    reply(s, "354 End data with <CR><LF>.<CR><LF>");
    data_state d = {0};
    ct_strbuf_init(&d.text, s->srv->opt.max_message_size);
    line_rc rc = read_text(s, &d);
    if (rc != LINE_OK)
        s->quit = rc == LINE_TIMEOUT ? END_TIMEOUT : END_CLOSED;
    else if (d.oversize)
        reply(s, "552 5.3.4 Message size exceeds fixed maximum message size (%zu)",
              s->srv->opt.max_message_size);
    else if (d.line_too_long)
        reply(s, "500 5.5.2 Line too long (limit %d octets including CRLF)", TEXT_LIMIT);
    else if (d.has_nul)
        reply(s, "554 5.6.0 Message contains NUL octets");
    else
        deliver(s, &d);
    ct_strbuf_free(&d.text);
    reset_transaction(s);
}

static void simple_command(session *s, const char *verb, const char *arg)
{
    static const char *const not_implemented[] = {"EXPN", "STARTTLS", "AUTH", "BDAT",
                                                  "TURN", "ETRN",     NULL};
    if (strcasecmp(verb, "RSET") == 0 && *arg != '\0') {
        reply(s, "501 5.5.4 Syntax: RSET");
    } else if (strcasecmp(verb, "RSET") == 0) {
        reset_transaction(s);
        reply(s, "250 2.0.0 Ok");
    } else if (strcasecmp(verb, "NOOP") == 0) {
        reply(s, "250 2.0.0 Ok");
    } else if (strcasecmp(verb, "QUIT") == 0) {
        reply(s, "221 2.0.0 Bye");
        s->quit = END_QUIT;
    } else if (strcasecmp(verb, "VRFY") == 0) {
        reply(s, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
    } else if (strcasecmp(verb, "HELP") == 0) {
        reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
    } else {
        for (size_t i = 0; not_implemented[i] != NULL; i++) {
            if (strcasecmp(verb, not_implemented[i]) == 0) {
                reply(s, "502 5.5.1 Error: command not implemented");
                return;
            }
        }
        reply(s, "500 5.5.2 Error: command not recognized");
    }
}

static void dispatch(session *s, char *line, size_t len)
{
    if (memchr(line, '\0', len) != NULL) {
        reply(s, "500 5.5.2 Error: NUL octet in command");
        return;
    }
    char *arg = strchr(line, ' ');
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + len;
    if (strcasecmp(line, "EHLO") == 0 || strcasecmp(line, "HELO") == 0)
        cmd_ehlo(s, arg, strcasecmp(line, "EHLO") == 0);
    else if (strcasecmp(line, "MAIL") == 0)
        cmd_mail(s, arg);
    else if (strcasecmp(line, "RCPT") == 0)
        cmd_rcpt(s, arg);
    else if (strcasecmp(line, "DATA") == 0)
        cmd_data(s, arg);
    else
        simple_command(s, line, arg);
}

/* ---- sessions ---- */

static void run_session(session *s)
{
    reply(s, "220 %s ESMTP contrail-sandbox", s->srv->hostname);
    while (s->quit == RUNNING) {
        char *line = NULL;
        size_t len = 0;
        line_rc rc = read_line(s, 0, COMMAND_LIMIT, &line, &len);
        if (rc == LINE_OK)
            dispatch(s, line, len);
        else if (rc == LINE_TOO_LONG)
            reply(s, "500 5.5.2 Error: line too long (limit %d octets including CRLF)",
                  COMMAND_LIMIT);
        else
            s->quit = rc == LINE_TIMEOUT ? END_TIMEOUT : END_CLOSED;
        if (s->errors >= MAX_ERRORS && s->quit == RUNNING) {
            reply(s, "421 4.7.0 %s Error: too many errors", s->srv->hostname);
            s->quit = END_CLOSED;
        }
    }
    if (s->quit == END_TIMEOUT)
        reply(s, "421 4.4.2 %s Error: timeout exceeded", s->srv->hostname);
    else if (s->quit == END_CLOSED && atomic_load(&s->srv->stopping))
        reply(s, "421 4.3.2 %s Service shutting down", s->srv->hostname);
}

static void *session_main(void *arg)
{
    session *s = arg;
    run_session(s);
    reset_transaction(s);
    CT_VEC_FREE(&s->rcpt);
    shutdown(s->fd, SHUT_RDWR);
    pthread_mutex_lock(&s->srv->lock);
    s->finished = 1;
    s->srv->nactive--;
    pthread_mutex_unlock(&s->srv->lock);
    return NULL;
}

static void session_free(session *s)
{
    close(s->fd);
    ct_free(s);
}

/* Joins and frees finished sessions (all of them when `all`). Caller holds srv->lock. */
static void reap(sb_smtp_server *srv, int all)
{
    session **link = &srv->sessions;
    while (*link != NULL) {
        session *s = *link;
        if (!all && !s->finished) {
            link = &s->next;
            continue;
        }
        *link = s->next;
        pthread_mutex_unlock(&srv->lock);
        pthread_join(s->thread, NULL);
        session_free(s);
        pthread_mutex_lock(&srv->lock);
    }
}

static void set_timeouts(int fd, int seconds)
{
    struct timeval tv = {.tv_sec = seconds};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void refuse(sb_smtp_server *srv, int fd)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "421 4.3.2 %s Too many connections, try again later\r\n",
                     srv->hostname);
    if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        ct_log(CT_LOG_DEBUG, "smtp.refuse_failed", NULL);
    close(fd);
}

static void accept_one(sb_smtp_server *srv)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    int fd = accept4(srv->listen_fd, (struct sockaddr *)&addr, &alen, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    pthread_mutex_lock(&srv->lock);
    session *s = srv->nactive < srv->opt.max_clients ? ct_calloc(1, sizeof(*s)) : NULL;
    if (s == NULL) {
        pthread_mutex_unlock(&srv->lock);
        refuse(srv, fd);
        return;
    }
    s->srv = srv;
    s->fd = fd;
    s->body_type = "7BIT";
    inet_ntop(AF_INET, &addr.sin_addr, s->peer, sizeof(s->peer));
    set_timeouts(fd, srv->opt.timeout_sec);
    /* Replies go out line by line (a multi-line EHLO is several writes): without NODELAY
     * each message waited for the client's delayed ACK (40 ms; bench/orders.sh). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (pthread_create(&s->thread, NULL, session_main, s) != 0) {
        pthread_mutex_unlock(&srv->lock);
        ct_free(s);
        refuse(srv, fd);
        return;
    }
    s->next = srv->sessions;
    srv->sessions = s;
    srv->nactive++;
    pthread_mutex_unlock(&srv->lock);
}

static void *acceptor_main(void *arg)
{
    sb_smtp_server *srv = arg;
    for (;;) {
        struct pollfd fds[2] = {{.fd = srv->listen_fd, .events = POLLIN},
                                {.fd = srv->wake[0], .events = POLLIN}};
        int n = poll(fds, 2, 500);
        pthread_mutex_lock(&srv->lock);
        reap(srv, 0);
        pthread_mutex_unlock(&srv->lock);
        if (n > 0 && fds[1].revents != 0)
            return NULL;
        if (n > 0 && (fds[0].revents & POLLIN))
            accept_one(srv);
    }
}

/* ---- lifecycle ---- */

static ct_status listen_on(sb_smtp_server *srv)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->opt.port)};
    if (inet_pton(AF_INET, srv->host, &addr.sin_addr) != 1)
        return CT_INVALID;
    srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0)
        return CT_IO;
    int one = 1;
    setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t alen = sizeof(addr);
    if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(srv->listen_fd, 64) != 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&addr, &alen) != 0)
        return CT_IO;
    srv->port = ntohs(addr.sin_port);
    return CT_OK;
}

static void apply_defaults(sb_smtp_options *o)
{
    if (o->max_message_size == 0)
        o->max_message_size = DEFAULT_SIZE;
    if (o->max_clients <= 0)
        o->max_clients = DEFAULT_CLIENTS;
    if (o->timeout_sec <= 0)
        o->timeout_sec = DEFAULT_TIMEOUT;
    if (o->max_recipients <= 0)
        o->max_recipients = DEFAULT_RCPTS;
}

ct_status sb_smtp_start(const sb_smtp_options *opt, sb_smtp_server **out)
{
    if (opt->deliver == NULL)
        return CT_INVALID;
    sb_smtp_server *srv = ct_calloc(1, sizeof(*srv));
    if (srv == NULL)
        return CT_NOMEM;
    srv->opt = *opt;
    apply_defaults(&srv->opt);
    srv->listen_fd = srv->wake[0] = srv->wake[1] = -1;
    pthread_mutex_init(&srv->lock, NULL);
    srv->host = ct_strdup(opt->host ? opt->host : DEFAULT_HOST);
    srv->hostname = ct_strdup(opt->hostname ? opt->hostname : DEFAULT_NAME);
    ct_status rc = srv->host && srv->hostname ? listen_on(srv) : CT_NOMEM;
    if (rc == CT_OK && pipe2(srv->wake, O_CLOEXEC) != 0)
        rc = CT_IO;
    if (rc == CT_OK && pthread_create(&srv->acceptor, NULL, acceptor_main, srv) != 0)
        rc = CT_ERR;
    if (rc) {
        close(srv->wake[0]);
        close(srv->wake[1]);
        close(srv->listen_fd);
        pthread_mutex_destroy(&srv->lock);
        ct_free(srv->host);
        ct_free(srv->hostname);
        ct_free(srv);
        return rc;
    }
    *out = srv;
    return CT_OK;
}

ct_status sb_smtp_serve_fd(const sb_smtp_options *opt, int fd, const char *peer)
{
    if (opt->deliver == NULL)
        return CT_INVALID;
    /* A server that never listens: what a session reads of it (options, greeting name,
     * the stopping flag). */
    sb_smtp_server srv = {.opt = *opt, .listen_fd = -1, .wake = {-1, -1}};
    apply_defaults(&srv.opt);
    srv.hostname = ct_strdup(opt->hostname ? opt->hostname : DEFAULT_NAME);
    session *s = ct_calloc(1, sizeof(*s));
    ct_status rc = CT_NOMEM;
    if (srv.hostname == NULL || s == NULL)
        goto cleanup;
    s->srv = &srv;
    s->fd = fd;
    s->body_type = "7BIT";
    snprintf(s->peer, sizeof(s->peer), "%s", peer != NULL ? peer : "unknown");
    set_timeouts(fd, srv.opt.timeout_sec);
    run_session(s);
    reset_transaction(s);
    CT_VEC_FREE(&s->rcpt);
    rc = CT_OK;
cleanup:
    ct_free(s);
    ct_free(srv.hostname);
    return rc;
}

int sb_smtp_port(const sb_smtp_server *s)
{
    return s->port;
}

void sb_smtp_stop(sb_smtp_server *srv)
{
    if (srv == NULL)
        return;
    atomic_store(&srv->stopping, 1);
    if (write(srv->wake[1], "x", 1) != 1)
        ct_log(CT_LOG_WARN, "smtp.wake_failed", NULL);
    pthread_join(srv->acceptor, NULL);
    close(srv->listen_fd);
    pthread_mutex_lock(&srv->lock);
    for (session *s = srv->sessions; s != NULL; s = s->next)
        shutdown(s->fd, SHUT_RD);
    reap(srv, 1);
    pthread_mutex_unlock(&srv->lock);
    close(srv->wake[0]);
    close(srv->wake[1]);
    pthread_mutex_destroy(&srv->lock);
    ct_free(srv->host);
    ct_free(srv->hostname);
    ct_free(srv);
}
