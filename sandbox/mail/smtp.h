/* smtp.h: an SMTP server (RFC 5321 subset) that hands every accepted message to a callback.
 *
 * Written by hand because no library the project links speaks SMTP as a server:
 * libmicrohttpd is HTTP only, and libcurl is a client. The subset is what a mail submission
 * client needs and what the sandbox mailbox must check:
 *   - greeting 220; EHLO (advertises SIZE <limit>, 8BITMIME, PIPELINING,
 *     ENHANCEDSTATUSCODES) and HELO; MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME]; RCPT TO:<path>
 *     (several, up to max_recipients); DATA with dot-unstuffing, ended only by <CRLF>.<CRLF>
 *     (a bare LF never ends it, which closes the "SMTP smuggling" hole); RSET, NOOP, VRFY (252),
 *     HELP, QUIT; EXPN, STARTTLS, AUTH, BDAT, TURN, ETRN answer 502, anything else 500;
 *   - replies carry enhanced status codes (RFC 3463): 503 5.5.1 for a command out of sequence,
 *     501 5.5.4 / 501 5.1.7 / 501 5.1.3 for bad syntax or addresses, 555 5.5.4 for unknown MAIL
 *     or RCPT parameters, 552 5.3.4 for a message over the size limit (announced or actual),
 *     500 5.5.2 for a line over the limit (512 octets for commands, 1000 for message text,
 *     CRLF included), 554 5.6.0 for NUL octets in a message, 452 4.5.3 for too many
 *     recipients, 451 4.3.0 when the callback fails, 421 for a timeout, too many errors, too
 *     many connections, or shutdown;
 *   - a message that breaks a limit is read to its end and then refused, so the session stays
 *     in step with the client and may go on.
 *
 * Threads: one acceptor thread polls the listening socket; each connection gets its own
 * thread, at most max_clients at once (the next one is told 421 and closed). Reads and writes
 * time out after timeout_sec. Stopping wakes the acceptor, shuts the read side of every
 * session (each one answers 421 and ends) and joins every thread. A message counts as
 * delivered only once the callback returned CT_OK and the 250 was sent; a session cut short
 * delivers nothing (the client keeps responsibility for the message, RFC 5321 section 6.1). */
#ifndef SB_SMTP_H
#define SB_SMTP_H

#include <stddef.h>

#include "base/status.h"

/* The name the server greets with when none is configured. */
#define SB_SMTP_DEFAULT_HOSTNAME "mail.sandbox.contrail.test"

typedef struct sb_smtp_server sb_smtp_server;

/* The envelope of one message. All strings are valid only during the callback. */
typedef struct sb_smtp_envelope {
    const char *helo;        /* the domain the client gave in EHLO/HELO */
    const char *peer;        /* the client's IP address */
    int esmtp;               /* 1 after EHLO, 0 after HELO */
    const char *mail_from;   /* reverse path without brackets; "" for the null path <> */
    const char *const *rcpt; /* forward paths without brackets, in RCPT order */
    size_t nrcpt;
    const char *body_type; /* "7BIT" or "8BITMIME" as declared (default 7BIT) */
} sb_smtp_envelope;

/* Receives one message: `data` is the text after dot-unstuffing, lines ending in CRLF, without
 * the terminating ".". Called from session threads, concurrently. Return CT_OK and write an id
 * (at most id_len - 1 characters) into id_out to accept; anything else answers 451 4.3.0. */
typedef ct_status (*sb_smtp_deliver_fn)(void *ctx, const sb_smtp_envelope *env, const char *data,
                                        size_t len, char *id_out, size_t id_len);

typedef struct sb_smtp_options {
    const char *host;        /* IPv4 bind address, default "127.0.0.1" */
    int port;                /* 0 = ephemeral (see sb_smtp_port) */
    const char *hostname;    /* the name in the greeting, default "mail.sandbox.contrail.test" */
    size_t max_message_size; /* octets, default 10 MiB; advertised in SIZE */
    int max_clients;         /* concurrent sessions, default 32 */
    int timeout_sec;         /* per read or write, default 300 (RFC 5321 4.5.3.2) */
    int max_recipients;      /* per message, default 100 (RFC 5321 4.5.3.1.8) */
    sb_smtp_deliver_fn deliver;
    void *deliver_ctx;
} sb_smtp_options;

/* Binds, listens and starts the acceptor thread. The options are copied. CT_INVALID for a bad
 * host or a missing callback, CT_IO when the address cannot be bound. */
ct_status sb_smtp_start(const sb_smtp_options *opt, sb_smtp_server **out);

/* The bound port. */
int sb_smtp_port(const sb_smtp_server *s);

/* Stops accepting, ends every session (421), joins all threads and frees the server. NULL is
 * allowed. */
void sb_smtp_stop(sb_smtp_server *s);

/* Runs one whole session on the connected stream socket `fd` in the calling thread, as the
 * server does for a connection it accepted (greeting, the line reader, commands, DATA,
 * delivery through opt->deliver), and returns when the client quits or closes, or on a
 * timeout (opt->timeout_sec, applied to fd). `peer` names the client (may be NULL). The fd
 * stays open: the caller closes it. For the fuzzer (fuzz/smtp_fuzz.c) and tests that drive a
 * session over a socketpair. CT_INVALID without a callback, CT_NOMEM. */
ct_status sb_smtp_serve_fd(const sb_smtp_options *opt, int fd, const char *peer);

#endif
