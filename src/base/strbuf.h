/* strbuf.h: a growable string builder with a hard cap (curl dynbuf).
 *
 * Appends fail with CT_TOO_LARGE once the content would exceed the cap, and with CT_NOMEM when
 * memory runs out; after a failure the buffer keeps what it had. The content is always
 * NUL-terminated. The buffer owns its memory until ct_strbuf_take hands it to the caller. */
#ifndef CT_BASE_STRBUF_H
#define CT_BASE_STRBUF_H

#include <stddef.h>

#include "base/status.h"

typedef struct ct_strbuf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap;
} ct_strbuf;

/* Initialises an empty buffer that may hold at most `cap` bytes of content. */
void ct_strbuf_init(ct_strbuf *sb, size_t cap);

/* Frees the content; the buffer may be reused after ct_strbuf_init. */
void ct_strbuf_free(ct_strbuf *sb);

/* Empties the buffer without releasing memory. */
void ct_strbuf_reset(ct_strbuf *sb);

/* Makes room for `extra` more bytes of content without changing it. */
ct_status ct_strbuf_reserve(ct_strbuf *sb, size_t extra);
ct_status ct_strbuf_append(ct_strbuf *sb, const void *data, size_t n);
ct_status ct_strbuf_puts(ct_strbuf *sb, const char *s);
ct_status ct_strbuf_putc(ct_strbuf *sb, char c);
/* Appends s escaped for HTML text and attribute values: & < > " ' as entities. */
ct_status ct_strbuf_put_html(ct_strbuf *sb, const char *s);
ct_status ct_strbuf_printf(ct_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The NUL-terminated content ("" when empty). Owned by the buffer. */
const char *ct_strbuf_str(const ct_strbuf *sb);

/* Hands the content to the caller (free with ct_free) and empties the buffer. NULL on OOM. */
char *ct_strbuf_take(ct_strbuf *sb);

#endif
