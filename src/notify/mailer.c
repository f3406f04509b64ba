/* mailer.c: SMTP through libcurl's smtp:// support (see mailer.h). A text-only message is
 * built in a capped buffer and streamed to curl with a read callback; a message with an HTML
 * part is made with libcurl's MIME API (boundaries, quoted-printable), so no MIME writer is
 * hand-written here. */
#include "notify/mailer.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    upload *u = ud;
    size_t room = size * nitems, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

static int is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80)
            return 0;
    }
    return 1;
}

/* Extracts the address inside <...>, or the whole string. */
static void bare_address(const char *s, char *out, size_t len)
{
    const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt != NULL && gt != NULL)
        snprintf(out, len, "%.*s", (int)(gt - lt - 1), lt + 1);
    else
        snprintf(out, len, "%s", s);
}

/* The header fields every message has: Date, From, To, Subject (RFC 2047 when not ASCII),
 * Message-ID. Each one line, without its CRLF, through emit(). */
static ct_status header_fields(const ct_mailer *m, const char *to, const char *subject,
                               const char *const *extra,
                               ct_status (*emit)(void *ctx, const char *line), void *ctx)
{
    char date[64], id[33], line[1200];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
    snprintf(line, sizeof(line), "Date: %s", date);
    ct_status rc = emit(ctx, line);
    snprintf(line, sizeof(line), "From: %s", m->from);
    if (!rc)
        rc = emit(ctx, line);
    snprintf(line, sizeof(line), "To: %s", to);
    if (!rc)
        rc = emit(ctx, line);
    if (is_ascii(subject)) {
        snprintf(line, sizeof(line), "Subject: %.700s", subject);
    } else {
        char b64[1024];
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)subject, strnlen(subject, 700),
                          sodium_base64_VARIANT_ORIGINAL);
        snprintf(line, sizeof(line), "Subject: =?UTF-8?B?%s?=", b64);
    }
    if (!rc)
        rc = emit(ctx, line);
    snprintf(line, sizeof(line), "Message-ID: <%s@contrail>", id);
    if (!rc)
        rc = emit(ctx, line);
    for (size_t i = 0; !rc && extra != NULL && extra[i] != NULL; i++)
        rc = emit(ctx, extra[i]);
    return rc;
}

static ct_status emit_to_buf(void *ctx, const char *line)
{
    ct_strbuf *sb = ctx;
    ct_status rc = ct_strbuf_puts(sb, line);
    return rc ? rc : ct_strbuf_puts(sb, "\r\n");
}

static ct_status emit_to_list(void *ctx, const char *line)
{
    struct curl_slist **list = ctx, *more = curl_slist_append(*list, line);
    if (more == NULL)
        return CT_NOMEM;
    *list = more;
    return CT_OK;
}

/* Appends text with CRLF line ends (curl does the SMTP dot-stuffing). */
static ct_status put_crlf(ct_strbuf *sb, const char *text)
{
    ct_status rc = CT_OK;
    for (const char *p = text; !rc && *p; p++)
        rc = *p == '\n' ? ct_strbuf_puts(sb, "\r\n") : ct_strbuf_putc(sb, *p);
    return rc;
}

static ct_status build_message(ct_strbuf *sb, const ct_mailer *m, const char *to,
                               const char *subject, const char *body, const char *const *extra)
{
    ct_status rc = header_fields(m, to, subject, extra, emit_to_buf, sb);
    if (!rc)
        rc = ct_strbuf_puts(sb, "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: 8bit\r\n\r\n");
    if (!rc)
        rc = put_crlf(sb, body);
    if (!rc)
        rc = ct_strbuf_puts(sb, "\r\n");
    return rc;
}

/* A text part of a multipart/alternative body: `type` ("text/plain"), UTF-8, quoted-printable
 * (libcurl's encoder: lines kept under 76 characters whatever the HTML). */
static ct_status add_part(curl_mime *mime, const char *type, const char *text, ct_strbuf *tmp)
{
    ct_strbuf_reset(tmp);
    if (put_crlf(tmp, text) != CT_OK)
        return CT_TOO_LARGE;
    curl_mimepart *part = curl_mime_addpart(mime);
    char ctype[64];
    snprintf(ctype, sizeof(ctype), "%s; charset=utf-8", type);
    if (part == NULL || curl_mime_data(part, ct_strbuf_str(tmp), tmp->len) != CURLE_OK ||
        curl_mime_type(part, ctype) != CURLE_OK ||
        curl_mime_encoder(part, "quoted-printable") != CURLE_OK)
        return CT_NOMEM;
    return CT_OK;
}

static void common_options(CURL *c, const ct_mailer *m, const char *to, char *from_env,
                           size_t from_len, struct curl_slist **rcpt)
{
    char from_addr[256], to_addr[256];
    bare_address(m->from, from_addr, sizeof(from_addr));
    bare_address(to, to_addr, sizeof(to_addr));
    snprintf(from_env, from_len, "<%s>", from_addr);
    *rcpt = curl_slist_append(NULL, to_addr);
    curl_easy_setopt(c, CURLOPT_URL, m->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_env);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, *rcpt);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(m->timeout_s > 0 ? m->timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
}

static int header_injection(const char *to, const char *subject, const char *const *extra,
                            char *err, size_t errlen)
{
    int bad = strpbrk(to, "\r\n") != NULL || strpbrk(subject, "\r\n") != NULL;
    for (size_t i = 0; !bad && extra != NULL && extra[i] != NULL; i++)
        bad = strpbrk(extra[i], "\r\n") != NULL || strlen(extra[i]) > 900 ||
              strchr(extra[i], ':') == NULL;
    if (!bad)
        return 0;
    snprintf(err, errlen, "header injection refused");
    return 1;
}

/* A text-only message, built whole and streamed to curl. */
static ct_status send_text(const ct_mailer *m, const char *to, const char *subject,
                           const char *body, const char *const *extra, char *err, size_t errlen)
{
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1u << 20);
    ct_status rc = build_message(&sb, m, to, subject, body, extra);
    if (rc) {
        ct_strbuf_free(&sb);
        snprintf(err, errlen, "message too large");
        return rc;
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        ct_strbuf_free(&sb);
        return CT_NOMEM;
    }
    char from_env[260];
    struct curl_slist *rcpt = NULL;
    common_options(c, m, to, from_env, sizeof(from_env), &rcpt);
    upload u = {ct_strbuf_str(&sb), sb.len, 0};
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "smtp: %s", curl_easy_strerror(cc));
        rc = CT_UNAVAILABLE;
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    ct_strbuf_free(&sb);
    return rc;
}

ct_status ct_mailer_send(const ct_mailer *m, const char *to, const char *subject, const char *body,
                         char *err, size_t errlen)
{
    return ct_mailer_send_ex(m, to, subject, body, NULL, NULL, err, errlen);
}

ct_status ct_mailer_send_alt(const ct_mailer *m, const char *to, const char *subject,
                             const char *text, const char *html, char *err, size_t errlen)
{
    return ct_mailer_send_ex(m, to, subject, text, html, NULL, err, errlen);
}

ct_status ct_mailer_send_ex(const ct_mailer *m, const char *to, const char *subject,
                            const char *text, const char *html, const char *const *extra, char *err,
                            size_t errlen)
{
    if (header_injection(to, subject, extra, err, errlen))
        return CT_INVALID;
    if (html == NULL)
        return send_text(m, to, subject, text, extra, err, errlen);
    ct_status rc = CT_NOMEM;
    struct curl_slist *headers = NULL, *rcpt = NULL, *inline_hdr = NULL;
    curl_mime *mime = NULL, *alt = NULL;
    ct_strbuf crlf;
    ct_strbuf_init(&crlf, 1u << 20);
    CURL *c = curl_easy_init();
    if (c == NULL)
        goto cleanup;
    /* libcurl's layout for SMTP (its smtp-mime example): a multipart/mixed message holding
     * one inline multipart/alternative part of the text, then the HTML (readers show the
     * last one they can). libcurl writes MIME-Version and the boundaries. */
    mime = curl_mime_init(c);
    alt = curl_mime_init(c);
    if (mime == NULL || alt == NULL)
        goto cleanup;
    rc = add_part(alt, "text/plain", text, &crlf); /* curl_mime_data copies the bytes */
    if (!rc)
        rc = add_part(alt, "text/html", html, &crlf);
    if (rc) {
        snprintf(err, errlen, rc == CT_TOO_LARGE ? "message too large" : "out of memory");
        goto cleanup;
    }
    rc = CT_NOMEM;
    curl_mimepart *holder = curl_mime_addpart(mime);
    if (holder == NULL || curl_mime_subparts(holder, alt) != CURLE_OK)
        goto cleanup;
    alt = NULL; /* owned by the holder part now */
    inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline");
    if (inline_hdr == NULL || curl_mime_type(holder, "multipart/alternative") != CURLE_OK ||
        curl_mime_headers(holder, inline_hdr, 1) != CURLE_OK)
        goto cleanup;
    inline_hdr = NULL; /* owned by the part */
    rc = header_fields(m, to, subject, extra, emit_to_list, &headers);
    if (rc)
        goto cleanup;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    char from_env[260];
    common_options(c, m, to, from_env, sizeof(from_env), &rcpt);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "smtp: %s", curl_easy_strerror(cc));
        rc = CT_UNAVAILABLE;
    }
cleanup:
    curl_mime_free(alt);
    curl_mime_free(mime);
    curl_slist_free_all(inline_hdr);
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpt);
    if (c != NULL)
        curl_easy_cleanup(c);
    ct_strbuf_free(&crlf);
    return rc;
}
