/* mailer.c: SMTP through libcurl's smtp:// support (see mailer.h). The message is built in a
 * capped buffer and streamed to curl with a read callback. */
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

static ct_status build_message(ct_strbuf *sb, const ct_mailer *m, const char *to,
                               const char *subject, const char *body)
{
    char date[64], id[33];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
    ct_status rc = ct_strbuf_printf(sb, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, m->from, to);
    if (!rc && is_ascii(subject)) {
        rc = ct_strbuf_printf(sb, "Subject: %s\r\n", subject);
    } else if (!rc) {
        char b64[1024];
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)subject, strnlen(subject, 700),
                          sodium_base64_VARIANT_ORIGINAL);
        rc = ct_strbuf_printf(sb, "Subject: =?UTF-8?B?%s?=\r\n", b64);
    }
    if (!rc)
        rc = ct_strbuf_printf(sb,
                              "Message-ID: <%s@contrail>\r\nMIME-Version: 1.0\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: 8bit\r\n\r\n",
                              id);
    /* Body with CRLF line ends; curl does the SMTP dot-stuffing. */
    for (const char *p = body; !rc && *p; p++)
        rc = *p == '\n' ? ct_strbuf_puts(sb, "\r\n") : ct_strbuf_putc(sb, *p);
    if (!rc)
        rc = ct_strbuf_puts(sb, "\r\n");
    return rc;
}

ct_status ct_mailer_send(const ct_mailer *m, const char *to, const char *subject, const char *body,
                         char *err, size_t errlen)
{
    if (strpbrk(to, "\r\n") != NULL || strpbrk(subject, "\r\n") != NULL) {
        snprintf(err, errlen, "header injection refused");
        return CT_INVALID;
    }
    ct_strbuf sb;
    ct_strbuf_init(&sb, 1u << 20);
    ct_status rc = build_message(&sb, m, to, subject, body);
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
    char from_addr[256], to_addr[256];
    bare_address(m->from, from_addr, sizeof(from_addr));
    bare_address(to, to_addr, sizeof(to_addr));
    char from_env[260];
    snprintf(from_env, sizeof(from_env), "<%s>", from_addr);
    struct curl_slist *rcpt = curl_slist_append(NULL, to_addr);
    upload u = {ct_strbuf_str(&sb), sb.len, 0};
    curl_easy_setopt(c, CURLOPT_URL, m->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_env);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(m->timeout_s > 0 ? m->timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
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
