/* mailer.h: sends e-mail over SMTP with libcurl.
 *
 * One message per call: a plain-text UTF-8 body (and, with ct_mailer_send_alt, an HTML
 * alternative) with From, To, Subject, Date and Message-ID headers (Subject encoded as RFC 2047
 * when not ASCII), and with ct_mailer_send_ex the extra header fields the caller gives
 * (List-Unsubscribe and List-Unsubscribe-Post: notify/hub.h). Connection errors and 4xx/5xx SMTP
 * replies return CT_UNAVAILABLE with the reason in err. Thread-safe: each call uses its own curl
 * handle. */
#ifndef CT_NOTIFY_MAILER_H
#define CT_NOTIFY_MAILER_H

#include <stddef.h>

#include "base/status.h"

typedef struct ct_mailer {
    const char *smtp_url; /* e.g. "smtp://127.0.0.1:2525" */
    const char *from;     /* e.g. "Contrail <no-reply@contrail.test>" */
    int timeout_s;        /* whole transfer, default 10 */
} ct_mailer;

ct_status ct_mailer_send(const ct_mailer *m, const char *to, const char *subject, const char *body,
                         char *err, size_t errlen);

/* The same message with an HTML alternative: multipart/alternative of `text` and `html`
 * (both UTF-8, quoted-printable), inside a multipart/mixed message as libcurl writes it.
 * html NULL: ct_mailer_send. */
ct_status ct_mailer_send_alt(const ct_mailer *m, const char *to, const char *subject,
                             const char *text, const char *html, char *err, size_t errlen);

/* ct_mailer_send_alt with extra header fields: `headers` is a NULL-terminated list of whole
 * fields ("List-Unsubscribe: <https://...>"), each one line of at most 900 bytes (CT_INVALID
 * for a CR or LF in one: no header injection); headers NULL: none. html NULL: text only. */
ct_status ct_mailer_send_ex(const ct_mailer *m, const char *to, const char *subject,
                            const char *text, const char *html, const char *const *headers,
                            char *err, size_t errlen);

#endif
