/* mime.c: header unfolding, RFC 2047 words, transfer decodings and the multipart walk (see
 * mime.h). Every function works on (pointer, length) text and appends to capped ct_strbufs;
 * the multipart walk recurses at most MAX_DEPTH levels. */
#define _GNU_SOURCE
#include "sandbox/mail/mime.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

#define MAX_DEPTH    8
#define HEADER_CAP   (1u << 20)
#define SCRATCH_CAP  (64u << 20)
#define MAX_NAME     128
#define MAX_BOUNDARY 200
#define REPLACEMENT  "\xEF\xBF\xBD" /* U+FFFD */

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

void sb_mime_split(const char *msg, size_t len, sb_mime_view *out)
{
    size_t i = 0;
    while (i < len) {
        size_t blank = msg[i] == '\n' ? 1 : (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n');
        if (blank) {
            size_t eol = msg[i] == '\n' ? 1 : 2;
            *out = (sb_mime_view){msg, i, msg + i + eol, len - i - eol};
            return;
        }
        const char *nl = memchr(msg + i, '\n', len - i);
        if (nl == NULL)
            break;
        i = (size_t)(nl - msg) + 1;
    }
    *out = (sb_mime_view){msg, len, msg + len, 0};
}

/* ---- headers ---- */

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Calls fn for the field collected so far (name + value buffer), if any. */
static ct_status flush_field(char *name, ct_strbuf *value, sb_mime_header_fn fn, void *ctx)
{
    if (name[0] == '\0')
        return CT_OK;
    const char *v = ct_strbuf_str(value);
    size_t n = value->len;
    trim(&v, &n);
    char *copy = ct_strndup(v, n);
    if (copy == NULL)
        return CT_NOMEM;
    ct_status rc = fn(name, copy, ctx);
    ct_free(copy);
    name[0] = '\0';
    ct_strbuf_reset(value);
    return rc;
}

/* Starts a field from a line "Name: value"; lines without a colon are ignored. */
static ct_status start_field(const char *line, size_t n, char *name, ct_strbuf *value)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL)
        return CT_OK;
    const char *nm = line;
    size_t nn = (size_t)(colon - line);
    trim(&nm, &nn);
    if (nn == 0 || nn >= MAX_NAME)
        return CT_OK;
    memcpy(name, nm, nn);
    name[nn] = '\0';
    return ct_strbuf_append(value, colon + 1, n - (size_t)(colon - line) - 1);
}

ct_status sb_mime_each_header(const sb_mime_view *v, sb_mime_header_fn fn, void *ctx)
{
    char name[MAX_NAME] = "";
    ct_strbuf value;
    ct_strbuf_init(&value, HEADER_CAP);
    ct_status rc = CT_OK;
    size_t i = 0;
    while (rc == CT_OK && i < v->head_len) {
        const char *line = v->head + i;
        const char *nl = memchr(line, '\n', v->head_len - i);
        size_t n = nl ? (size_t)(nl - line) : v->head_len - i;
        i += n + 1;
        size_t content = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
        if (content > 0 && is_wsp(line[0])) { /* continuation: unfold */
            if (name[0] != '\0' && ct_strbuf_append(&value, line, content) == CT_NOMEM)
                rc = CT_NOMEM; /* too large: the field is cut, not fatal */
            continue;
        }
        rc = flush_field(name, &value, fn, ctx);
        if (rc == CT_OK)
            rc = start_field(line, content, name, &value);
        if (rc == CT_TOO_LARGE)
            rc = CT_OK; /* an absurdly long field is cut, not fatal */
    }
    if (rc == CT_OK)
        rc = flush_field(name, &value, fn, ctx);
    ct_strbuf_free(&value);
    return rc;
}

typedef struct header_query {
    const char *name;
    ct_strbuf *out;
    ct_status rc;
} header_query;

static ct_status match_header(const char *name, const char *value, void *ctx)
{
    header_query *q = ctx;
    if (strcasecmp(name, q->name) != 0)
        return CT_OK;
    ct_strbuf_reset(q->out);
    q->rc = ct_strbuf_puts(q->out, value);
    return CT_DONE; /* stop: found */
}

ct_status sb_mime_header(const sb_mime_view *v, const char *name, ct_strbuf *out)
{
    header_query q = {name, out, CT_NOT_FOUND};
    ct_status rc = sb_mime_each_header(v, match_header, &q);
    return rc == CT_DONE ? q.rc : (rc ? rc : CT_NOT_FOUND);
}

/* ---- decodings ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)toupper((unsigned char)c);
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

ct_status sb_mime_decode_qp(const char *in, size_t len, ct_strbuf *out)
{
    ct_status rc = CT_OK;
    for (size_t i = 0; rc == CT_OK && i < len; i++) {
        if (in[i] != '=') {
            rc = ct_strbuf_putc(out, in[i]);
            continue;
        }
        size_t j = i + 1;
        while (j < len && is_wsp(in[j])) /* "=" then padding then a line end: soft break */
            j++;
        if (j == len || in[j] == '\n') {
            i = j; /* a soft break (at the very end, when j == len: no hex digits follow) */
        } else if (j + 1 < len && in[j] == '\r' && in[j + 1] == '\n') {
            i = j + 1;
        } else if (i + 2 < len && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            rc = ct_strbuf_putc(out, (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2])));
            i += 2;
        } else {
            rc = ct_strbuf_putc(out, '=');
        }
    }
    return rc;
}

ct_status sb_mime_decode_base64(const char *in, size_t len, ct_strbuf *out)
{
    size_t cap = len / 4 * 3 + 3;
    unsigned char *bin = ct_malloc(cap + 1);
    if (bin == NULL)
        return CT_NOMEM;
    size_t n = 0;
    const char *end = NULL;
    ct_status rc = CT_INVALID;
    if (sodium_base642bin(bin, cap, in, len, " \t\r\n", &n, &end, sodium_base64_VARIANT_ORIGINAL) ==
            0 &&
        end == in + len)
        rc = ct_strbuf_append(out, bin, n);
    ct_free(bin);
    return rc;
}

static ct_status latin1_to_utf8(const unsigned char *s, size_t len, ct_strbuf *out)
{
    ct_status rc = CT_OK;
    for (size_t i = 0; rc == CT_OK && i < len; i++) {
        if (s[i] < 0x80) {
            rc = ct_strbuf_putc(out, (char)s[i]);
        } else {
            char two[2] = {(char)(0xC0 | (s[i] >> 6)), (char)(0x80 | (s[i] & 0x3F))};
            rc = ct_strbuf_append(out, two, 2);
        }
    }
    return rc;
}

static int is_latin1(const char *charset)
{
    return strcasecmp(charset, "iso-8859-1") == 0 || strcasecmp(charset, "latin1") == 0 ||
           strcasecmp(charset, "iso_8859-1") == 0;
}

/* Appends decoded bytes in `charset` as UTF-8 (ISO-8859-1 converted, the rest as they are). */
static ct_status append_charset(const char *s, size_t len, const char *charset, ct_strbuf *out)
{
    if (is_latin1(charset))
        return latin1_to_utf8((const unsigned char *)s, len, out);
    return ct_strbuf_append(out, s, len);
}

/* ---- RFC 2047 encoded words ---- */

static int word_charset_known(const char *cs)
{
    return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "us-ascii") == 0 || is_latin1(cs);
}

/* Decodes one "=?charset?E?text?=" at p into out; returns its length, or 0 when p does not
 * start a decodable word. */
static size_t decode_word(const char *p, ct_strbuf *out)
{
    const char *q1 = strchr(p + 2, '?');
    if (q1 == NULL || q1 - (p + 2) >= 40 || q1 == p + 2 || q1[1] == '\0' || q1[2] != '?')
        return 0;
    char enc = (char)toupper((unsigned char)q1[1]);
    const char *text = q1 + 3, *close = strstr(text, "?=");
    if (close == NULL || (enc != 'B' && enc != 'Q') || memchr(text, ' ', (size_t)(close - text)))
        return 0;
    char charset[40];
    snprintf(charset, sizeof(charset), "%.*s", (int)(q1 - (p + 2)), p + 2);
    char *star = strchr(charset, '*'); /* RFC 2231 language suffix */
    if (star != NULL)
        *star = '\0';
    if (!word_charset_known(charset))
        return 0;
    ct_strbuf raw;
    ct_strbuf_init(&raw, HEADER_CAP);
    ct_status rc = CT_OK;
    if (enc == 'B') {
        rc = sb_mime_decode_base64(text, (size_t)(close - text), &raw);
    } else {
        for (const char *c = text; rc == CT_OK && c < close; c++) {
            if (*c == '_')
                rc = ct_strbuf_putc(&raw, ' ');
            else if (*c == '=' && c + 2 < close && hexval(c[1]) >= 0 && hexval(c[2]) >= 0) {
                rc = ct_strbuf_putc(&raw, (char)(hexval(c[1]) * 16 + hexval(c[2])));
                c += 2;
            } else
                rc = ct_strbuf_putc(&raw, *c);
        }
    }
    if (rc == CT_OK)
        rc = append_charset(ct_strbuf_str(&raw), raw.len, charset, out);
    ct_strbuf_free(&raw);
    return rc == CT_OK ? (size_t)(close + 2 - p) : 0;
}

ct_status sb_mime_decode_words(const char *value, ct_strbuf *out)
{
    const char *p = value, *ws = NULL;
    int after_word = 0;
    ct_strbuf word;
    ct_strbuf_init(&word, HEADER_CAP);
    ct_status rc = CT_OK;
    while (rc == CT_OK && *p != '\0') {
        ct_strbuf_reset(&word);
        size_t used = p[0] == '=' && p[1] == '?' ? decode_word(p, &word) : 0;
        if (used > 0) { /* white space between two words is dropped, other white space kept */
            if (ws != NULL && !after_word)
                rc = ct_strbuf_append(out, ws, (size_t)(p - ws));
            if (rc == CT_OK)
                rc = ct_strbuf_append(out, word.data ? word.data : "", word.len);
            ws = NULL;
            after_word = 1;
            p += used;
            continue;
        }
        if (is_wsp(*p)) {
            if (ws == NULL)
                ws = p;
            p++;
            continue;
        }
        if (ws != NULL)
            rc = ct_strbuf_append(out, ws, (size_t)(p - ws));
        ws = NULL;
        after_word = 0;
        if (rc == CT_OK)
            rc = ct_strbuf_putc(out, *p++);
    }
    if (rc == CT_OK && ws != NULL)
        rc = ct_strbuf_append(out, ws, (size_t)(p - ws));
    ct_strbuf_free(&word);
    return rc;
}

/* ---- MIME structure ---- */

typedef struct content_type {
    char type[64]; /* "type/subtype", lower case */
    char boundary[MAX_BOUNDARY];
    char charset[40]; /* lower case */
} content_type;

/* Reads the parameter value at p (token or quoted string) into out; returns the end. */
static const char *param_value(const char *p, char *out, size_t outlen)
{
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p != '\0' && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (n + 1 < outlen)
                out[n++] = *p;
        }
        if (*p == '"')
            p++;
    } else {
        for (; *p != '\0' && *p != ';' && !isspace((unsigned char)*p); p++) {
            if (n + 1 < outlen)
                out[n++] = *p;
        }
    }
    out[n] = '\0';
    return p;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void parse_content_type(const char *value, content_type *ct)
{
    memset(ct, 0, sizeof(*ct));
    size_t n = strcspn(value, ";");
    const char *t = value;
    trim(&t, &n);
    snprintf(ct->type, sizeof(ct->type), "%.*s", (int)n, t);
    lower(ct->type);
    const char *p = value + strcspn(value, ";");
    while (*p == ';') {
        p++;
        while (isspace((unsigned char)*p))
            p++;
        size_t nlen = strcspn(p, "=;");
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)nlen, p);
        lower(name);
        p += nlen;
        char val[MAX_BOUNDARY] = "";
        if (*p == '=')
            p = param_value(p + 1, val, sizeof(val));
        if (strcmp(name, "boundary") == 0)
            snprintf(ct->boundary, sizeof(ct->boundary), "%s", val);
        else if (strcmp(name, "charset") == 0)
            snprintf(ct->charset, sizeof(ct->charset), "%.39s", val);
        p += strcspn(p, ";");
    }
    lower(ct->charset);
}

typedef struct bodies {
    ct_strbuf *text, *html;
    int has_text, has_html;
} bodies;

static ct_status walk(const char *msg, size_t len, int depth, bodies *b);

static ct_status decode_into(const sb_mime_view *v, const char *cte, const char *charset,
                             ct_strbuf *out)
{
    ct_strbuf raw;
    ct_strbuf_init(&raw, SCRATCH_CAP);
    ct_status rc = CT_OK;
    if (strcasecmp(cte, "quoted-printable") == 0)
        rc = sb_mime_decode_qp(v->body, v->body_len, &raw);
    else if (strcasecmp(cte, "base64") != 0 ||
             sb_mime_decode_base64(v->body, v->body_len, &raw) != CT_OK)
        rc = ct_strbuf_append(&raw, v->body, v->body_len);
    if (rc == CT_OK)
        rc = append_charset(raw.data ? raw.data : "", raw.len, charset, out);
    ct_strbuf_free(&raw);
    return rc;
}

/* 1 when the line (without its line end) is a delimiter for `delim`; *closing for "--". */
static int is_delimiter(const char *line, size_t n, const char *delim, size_t dlen, int *closing)
{
    if (n < dlen || memcmp(line, delim, dlen) != 0)
        return 0;
    *closing = n >= dlen + 2 && line[dlen] == '-' && line[dlen + 1] == '-';
    for (size_t i = dlen + (*closing ? 2 : 0); i < n; i++) {
        if (!isspace((unsigned char)line[i]))
            return 0;
    }
    return 1;
}

/* Walks the parts between the boundary's delimiter lines (RFC 2046 5.1.1). */
static ct_status each_part(const char *body, size_t len, const char *boundary, int depth, bodies *b)
{
    char delim[MAX_BOUNDARY + 3];
    size_t dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
    const char *part = NULL;
    size_t i = 0;
    ct_status rc = CT_OK;
    while (rc == CT_OK && i < len) {
        const char *line = body + i, *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        int closing = 0;
        if (is_delimiter(line, n, delim, dlen, &closing)) {
            if (part != NULL) {
                size_t plen = (size_t)(line - part);
                plen -= plen > 0 && part[plen - 1] == '\n';
                plen -= plen > 0 && part[plen - 1] == '\r';
                rc = walk(part, plen, depth + 1, b);
            }
            if (closing)
                return rc;
            part = nl ? nl + 1 : body + len;
        }
        i += n + 1;
    }
    if (rc == CT_OK && part != NULL && part < body + len) /* no closing delimiter */
        rc = walk(part, (size_t)(body + len - part), depth + 1, b);
    return rc;
}

static ct_status walk(const char *msg, size_t len, int depth, bodies *b)
{
    sb_mime_view v;
    sb_mime_split(msg, len, &v);
    ct_strbuf h;
    ct_strbuf_init(&h, HEADER_CAP);
    content_type ct;
    parse_content_type(
        sb_mime_header(&v, "Content-Type", &h) == CT_OK ? ct_strbuf_str(&h) : "text/plain", &ct);
    int attachment = sb_mime_header(&v, "Content-Disposition", &h) == CT_OK &&
                     strncasecmp(ct_strbuf_str(&h), "attachment", 10) == 0;
    char cte[40] = "7bit";
    if (sb_mime_header(&v, "Content-Transfer-Encoding", &h) == CT_OK)
        snprintf(cte, sizeof(cte), "%s", ct_strbuf_str(&h));
    ct_strbuf_free(&h);
    if (strncmp(ct.type, "multipart/", 10) == 0 && ct.boundary[0] != '\0')
        return depth < MAX_DEPTH ? each_part(v.body, v.body_len, ct.boundary, depth, b) : CT_OK;
    if (attachment)
        return CT_OK;
    if (strcmp(ct.type, "text/plain") == 0 && !b->has_text) {
        b->has_text = 1;
        return decode_into(&v, cte, ct.charset, b->text);
    }
    if (strcmp(ct.type, "text/html") == 0 && !b->has_html) {
        b->has_html = 1;
        return decode_into(&v, cte, ct.charset, b->html);
    }
    return CT_OK;
}

ct_status sb_mime_text_bodies(const char *msg, size_t len, ct_strbuf *text, int *has_text,
                              ct_strbuf *html, int *has_html)
{
    bodies b = {text, html, 0, 0};
    ct_status rc = walk(msg, len, 0, &b);
    if (has_text != NULL)
        *has_text = b.has_text;
    if (has_html != NULL)
        *has_html = b.has_html;
    return rc;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || n > len)
        return 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return n;
}

ct_status sb_mime_utf8_clean(const char *s, size_t len, ct_strbuf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    ct_status rc = CT_OK;
    size_t i = 0;
    while (rc == CT_OK && i < len) {
        size_t run = i; /* copy ASCII runs in one go */
        while (run < len && u[run] != 0 && u[run] < 0x80)
            run++;
        if (run > i) {
            rc = ct_strbuf_append(out, s + i, run - i);
            i = run;
            continue;
        }
        size_t n = u[i] == 0 ? 0 : utf8_seq(u + i, len - i);
        rc = n ? ct_strbuf_append(out, s + i, n) : ct_strbuf_puts(out, REPLACEMENT);
        i += n ? n : 1;
    }
    return rc;
}
