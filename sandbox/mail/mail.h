/* mail.h: the sandbox mail server: SMTP in, a mailbox out over HTTP.
 *
 * The platform sends its emails (booking confirmations, alerts) to this server exactly as it
 * would to a real relay, over SMTP (sandbox/smtp.h). Every message is accepted for any
 * recipient and stored, never forwarded: tests and the developer inbox page then read them
 * through a small HTTP API:
 *
 *   GET    /api/v1/messages?to=&limit=   newest first; `to` filters by envelope recipient
 *                                        (case-insensitive); summaries only
 *   GET    /api/v1/messages/{id}         one message: envelope, headers, decoded text and HTML
 *                                        bodies, and the raw message
 *   GET    /api/v1/messages/{id}/raw     the raw message as message/rfc822
 *   DELETE /api/v1/messages/{id}         removes one (204)
 *   DELETE /api/v1/messages              removes all; answers {"deleted": n}
 *   GET    /healthz, GET|PUT /admin/clock
 *
 * Stored per message (SQLite tables messages and message_recipients in the server's own file):
 * the envelope (MAIL FROM, every RCPT TO, the client's HELO name and address), the raw text
 * with the Return-Path and Received trace fields this server adds as the final delivery
 * (RFC 5321 4.4), the Subject, From, To, Date and Message-ID headers with RFC 2047 words
 * decoded, the size as received, and the world-clock time of receipt. HTTP errors are
 * problem+json, as on the platform's own API. */
#ifndef SB_MAIL_H
#define SB_MAIL_H

#include "base/config.h"

#include <stddef.h>

#include "base/status.h"
#include "http/http.h"
#include "sandbox/mail/smtp.h"

/* Defaults of the `mail` subcommand. */
#define SB_MAIL_DEFAULT_PORT      8025
#define SB_MAIL_DEFAULT_SMTP_PORT 2525
#define SB_MAIL_DEFAULT_DB        "var/sandbox/mail.db"

typedef struct sb_mail sb_mail;

typedef struct sb_mail_options {
    ct_http_options http;   /* the mailbox API; port 0 = ephemeral */
    sb_smtp_options smtp;   /* the SMTP listener (host defaults to http.host); deliver and
                               deliver_ctx are ignored: the mailbox sets them */
    const char *db_url;     /* store URL of the state file */
    const char *clock_path; /* world clock file (sandbox/runtime/clock.h); NULL = real time */
} sb_mail_options;

/* Opens (and if needed creates) the mailbox, starts the SMTP listener and the HTTP API. The
 * options are copied. On failure writes a message to err and returns non-OK; nothing keeps
 * running. Stop with sb_mail_stop. */
ct_status sb_mail_start(const sb_mail_options *opt, sb_mail **out, char *err, size_t errlen);

/* The bound ports. */
int sb_mail_http_port(const sb_mail *m);
int sb_mail_smtp_port(const sb_mail *m);

/* Stops SMTP first (open sessions are told 421), then HTTP (in-flight requests finish), closes
 * the database and frees everything. NULL is allowed. */
void sb_mail_stop(sb_mail *m);

/* The `mail` command's own flags (a base/config.h table; also the HTTP server's and --clock). */
extern const ct_flag sb_mail_flags[];

/* Entry point (sandbox/cmd/main.c), returning the process exit code (0 success, 1 failure, 2
 * usage error). `mail`: the SMTP server and its mailbox HTTP API until SIGINT/SIGTERM. */
int sb_mail_main(const ct_config *cfg);

#endif
