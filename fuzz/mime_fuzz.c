/* mime_fuzz.c: libFuzzer driver for the sandbox mailbox's message reader (sandbox/mail/mime.h).
 *
 * The input is a whole message (what an SMTP client sent): it is split into header section
 * and body, every header is walked and decoded (RFC 2047 words), the Subject and
 * Content-Type looked up, the body decoded as quoted-printable and as base64, and the
 * multipart walk asked for the text and HTML parts; every output is then cleaned to UTF-8
 * and must come out valid (no NUL, well-formed sequences). The views must stay inside the
 * input. A broken promise traps. */
#include <string.h>

#include "base/strbuf.h"
#include "base/text.h"
#include "fuzz.h"
#include "sandbox/mail/mime.h"

#define CAP (1u << 20)

static void check_clean(const ct_strbuf *in)
{
    ct_strbuf out;
    ct_strbuf_init(&out, 4 * CAP);
    if (sb_mime_utf8_clean(ct_strbuf_str(in), in->len, &out) == CT_OK &&
        (memchr(ct_strbuf_str(&out), '\0', out.len) != NULL ||
         !ct_utf8_valid(ct_strbuf_str(&out), out.len)))
        __builtin_trap();
    ct_strbuf_free(&out);
}

static ct_status on_header(const char *name, const char *value, void *ctx)
{
    ct_strbuf *words = ctx;
    if (name == NULL || value == NULL)
        __builtin_trap();
    ct_strbuf_reset(words);
    (void)sb_mime_decode_words(value, words);
    check_clean(words);
    return CT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *msg = (const char *)data;
    sb_mime_view v;
    sb_mime_split(msg, size, &v);
    if (v.head < msg || v.head + v.head_len > msg + size ||
        (v.body_len > 0 && (v.body < msg || v.body + v.body_len > msg + size)))
        __builtin_trap();
    ct_strbuf a, b;
    ct_strbuf_init(&a, CAP);
    ct_strbuf_init(&b, CAP);
    (void)sb_mime_each_header(&v, on_header, &a);
    ct_strbuf_reset(&a);
    (void)sb_mime_header(&v, "Subject", &a);
    (void)sb_mime_header(&v, "content-type", &a);
    ct_strbuf_reset(&a);
    (void)sb_mime_decode_qp(v.body, v.body_len, &a);
    check_clean(&a);
    ct_strbuf_reset(&a);
    (void)sb_mime_decode_base64(v.body, v.body_len, &a);
    ct_strbuf_reset(&a);
    int has_text = 0, has_html = 0;
    (void)sb_mime_text_bodies(msg, size, &a, &has_text, &b, &has_html);
    if ((!has_text && a.len != 0) || (!has_html && b.len != 0))
        __builtin_trap();
    check_clean(&a);
    check_clean(&b);
    ct_strbuf_free(&a);
    ct_strbuf_free(&b);
    return 0;
}
