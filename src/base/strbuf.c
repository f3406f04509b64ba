/* strbuf.c: capped string builder (see strbuf.h). Growth doubles, bounded by the cap. */
#include "base/strbuf.h"
#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ct_strbuf_init(ct_strbuf *sb, size_t cap)
{
    sb->data = NULL;
    sb->len = 0;
    sb->alloc = 0;
    sb->cap = cap;
}

void ct_strbuf_free(ct_strbuf *sb)
{
    ct_free(sb->data);
    sb->data = NULL;
    sb->len = 0;
    sb->alloc = 0;
}

void ct_strbuf_reset(ct_strbuf *sb)
{
    sb->len = 0;
    if (sb->data != NULL)
        sb->data[0] = '\0';
}

static ct_status reserve(ct_strbuf *sb, size_t extra)
{
    if (extra > sb->cap || sb->len > sb->cap - extra)
        return CT_TOO_LARGE;
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return CT_OK;
    size_t size = sb->alloc ? sb->alloc : 64;
    while (size < need)
        size *= 2;
    if (size > sb->cap + 1)
        size = sb->cap + 1;
    char *p = ct_realloc(sb->data, size);
    if (p == NULL)
        return CT_NOMEM;
    sb->data = p;
    sb->alloc = size;
    return CT_OK;
}

ct_status ct_strbuf_reserve(ct_strbuf *sb, size_t extra)
{
    return reserve(sb, extra);
}

ct_status ct_strbuf_append(ct_strbuf *sb, const void *data, size_t n)
{
    ct_status rc = reserve(sb, n);
    if (rc)
        return rc;
    memcpy(sb->data + sb->len, data, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
    return CT_OK;
}

ct_status ct_strbuf_puts(ct_strbuf *sb, const char *s)
{
    return ct_strbuf_append(sb, s, strlen(s));
}

ct_status ct_strbuf_putc(ct_strbuf *sb, char c)
{
    return ct_strbuf_append(sb, &c, 1);
}

ct_status ct_strbuf_put_html(ct_strbuf *sb, const char *s)
{
    ct_status rc = CT_OK;
    for (; !rc && *s; s++) {
        const char *r = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        rc = r ? ct_strbuf_puts(sb, r) : ct_strbuf_putc(sb, *s);
    }
    return rc;
}

ct_status ct_strbuf_printf(ct_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return CT_INVALID;
    ct_status rc = reserve(sb, (size_t)len);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)len + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)len;
    return CT_OK;
}

const char *ct_strbuf_str(const ct_strbuf *sb)
{
    return sb->data ? sb->data : "";
}

char *ct_strbuf_take(ct_strbuf *sb)
{
    char *p = sb->data;
    if (p == NULL)
        p = ct_strdup("");
    sb->data = NULL;
    sb->len = 0;
    sb->alloc = 0;
    return p;
}
