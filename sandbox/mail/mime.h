/* mime.h: reading Internet messages (RFC 5322 headers, MIME bodies) for the sandbox mailbox.
 *
 * Enough of RFC 5322, 2045-2047 and 2231-free Content-Type parameters to show a developer
 * what the platform sent: header lookup with unfolding, RFC 2047 encoded words in headers
 * (B and Q, for UTF-8, US-ASCII and ISO-8859-1), quoted-printable and base64 bodies, and a walk
 * through multipart bodies (nested up to 8 levels) that picks the first text/plain and the
 * first text/html part that is not an attachment. Text in ISO-8859-1 is converted to UTF-8;
 * other charsets are passed through, and the mailbox API replaces whatever is not valid UTF-8
 * with U+FFFD (sb_mime_utf8_clean). Lines may end in CRLF or LF.
 *
 * Nothing here allocates except through the ct_strbuf outputs, which the caller owns; a
 * malformed message never fails: the parser takes what it can (a part without a header block
 * is all body, a base64 body that does not decode is shown as it is). */
#ifndef SB_MIME_H
#define SB_MIME_H

#include <stddef.h>

#include "base/status.h"
#include "base/strbuf.h"

/* The header section and body of a message or a part (pointers into the caller's text). */
typedef struct sb_mime_view {
    const char *head;
    size_t head_len;
    const char *body;
    size_t body_len;
} sb_mime_view;

/* Splits at the first empty line. Without one, the whole text is the header section. */
void sb_mime_split(const char *msg, size_t len, sb_mime_view *out);

/* Calls fn for each header field in order, with its name and its unfolded value (leading and
 * trailing white space removed), both NUL-terminated and valid during the call. Stops at the
 * first non-OK return and returns it; CT_NOMEM on allocation failure. */
typedef ct_status (*sb_mime_header_fn)(const char *name, const char *value, void *ctx);
ct_status sb_mime_each_header(const sb_mime_view *v, sb_mime_header_fn fn, void *ctx);

/* Writes the unfolded value of the first header `name` (case-insensitive) to out, replacing
 * its content. CT_NOT_FOUND when absent; CT_NOMEM / CT_TOO_LARGE from the buffer. */
ct_status sb_mime_header(const sb_mime_view *v, const char *name, ct_strbuf *out);

/* Appends `value` with RFC 2047 encoded words decoded to UTF-8 (white space between two
 * adjacent encoded words is dropped, as the RFC says). Undecodable words stay as they are. */
ct_status sb_mime_decode_words(const char *value, ct_strbuf *out);

/* Appends the quoted-printable decoding of in[0..len) (soft line breaks removed, =XX decoded,
 * a malformed escape kept literally). */
ct_status sb_mime_decode_qp(const char *in, size_t len, ct_strbuf *out);

/* Appends the base64 decoding of in[0..len), ignoring white space. CT_INVALID when it is not
 * base64 (out unchanged). */
ct_status sb_mime_decode_base64(const char *in, size_t len, ct_strbuf *out);

/* Finds the first text/plain and text/html parts of a whole message and appends their decoded
 * text (transfer encoding undone, ISO-8859-1 converted) to `text` and `html`. A message
 * without a Content-Type is text/plain. Sets *has_text / *has_html (may be NULL). */
ct_status sb_mime_text_bodies(const char *msg, size_t len, ct_strbuf *text, int *has_text,
                              ct_strbuf *html, int *has_html);

/* Appends s[0..len) as well-formed UTF-8: malformed sequences and NUL become U+FFFD. */
ct_status sb_mime_utf8_clean(const char *s, size_t len, ct_strbuf *out);

#endif
