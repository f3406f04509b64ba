/* jsonw.c: the streaming JSON writer (see jsonw.h). */
#include "base/jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void ct_jw_init(ct_jw *w, ct_strbuf *sb)
{
    memset(w, 0, sizeof(*w));
    w->sb = sb;
}

ct_status ct_jw_status(const ct_jw *w)
{
    return w->rc;
}

static inline void put(ct_jw *w, const char *s, size_t n)
{
    ct_strbuf *sb = w->sb;
    if (w->rc == CT_OK && sb->len + n + 1 <= sb->alloc) { /* room: no call */
        memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
    } else if (w->rc == CT_OK) {
        w->rc = ct_strbuf_append(sb, s, n);
    }
}

/* The separator before a value, and marks the container as non-empty. */
static void before_value(ct_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        uint32_t bit = 1u << (w->depth - 1);
        if (w->has_item & bit)
            put(w, ",", 1);
        w->has_item |= bit;
    }
}

static void open_container(ct_jw *w, char c)
{
    before_value(w);
    if (w->depth >= 32) {
        if (w->rc == CT_OK)
            w->rc = CT_TOO_LARGE;
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->has_item &= ~(1u << (w->depth - 1));
}

static void close_container(ct_jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void ct_jw_obj(ct_jw *w)
{
    open_container(w, '{');
}

void ct_jw_obj_end(ct_jw *w)
{
    close_container(w, '}');
}

void ct_jw_arr(ct_jw *w)
{
    open_container(w, '[');
}

void ct_jw_arr_end(ct_jw *w)
{
    close_container(w, ']');
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes are not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    }
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a surrogate */
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* 1 for a byte written as it is: printable ASCII other than the quote and the backslash. */
static inline int plain_byte(unsigned char c)
{
    return (unsigned)(c - 0x20) < 0x60u && c != '"' && c != '\\';
}

/* 1 when all of s[0..n) are plain bytes. Eight at a time with the usual word tricks (no
 * library tests bytes against a set like this; a byte at a time cost a tenth of writing a
 * search answer): (v - 0x01..) & ~v & 0x80.. is non-zero exactly when a byte of v is zero,
 * and (x - 0x20..) & ~x & 0x80.. when a byte of x is below 0x20. */
static int plain_run(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, sizeof(x));
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t bad = ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x;
        if (bad & highs)
            return 0;
    }
    for (; i < n; i++) {
        if (!plain_byte(s[i]))
            return 0;
    }
    return 1;
}

static void put_string(ct_jw *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
    size_t n = strlen((const char *)s);
    ct_strbuf *sb = w->sb;
    int plain = plain_run(s, n);
    if (plain && w->rc == CT_OK && sb->len + n + 3 <= sb->alloc) {
        /* The common case (codes, names, times): quoted in one copy. */
        char *d = sb->data + sb->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        d[n + 2] = '\0';
        sb->len += n + 2;
        return;
    }
    put(w, "\"", 1);
    const unsigned char *run = s;
    if (plain)
        s += n;
    while (*s) {
        unsigned char c = *s;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            s++;
            continue;
        }
        size_t len = c >= 0x80 ? utf8_len(s) : 1;
        if (c >= 0x80 && len > 0) {
            s += len;
            continue;
        }
        put(w, (const char *)run, (size_t)(s - run));
        char esc[8];
        if (c >= 0x80)
            put(w, "\xef\xbf\xbd", 3); /* not UTF-8: U+FFFD */
        else if (c == '"' || c == '\\')
            put(w, c == '"' ? "\\\"" : "\\\\", 2);
        else if (c == '\n' || c == '\r' || c == '\t')
            put(w, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t", 2);
        else {
            snprintf(esc, sizeof(esc), "\\u%04X", c); /* as jansson */
            put(w, esc, 6);
        }
        s++;
        run = s;
    }
    put(w, (const char *)run, (size_t)(s - run));
    put(w, "\"", 1);
}

void ct_jw_key(ct_jw *w, const char *key)
{
    before_value(w);
    put_string(w, key);
    put(w, ":", 1);
    w->after_key = 1;
}

void ct_jw_str(ct_jw *w, const char *s)
{
    before_value(w);
    put_string(w, s);
}

void ct_jw_int(ct_jw *w, int64_t v)
{
    before_value(w);
    char buf[24], *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void ct_jw_bool(ct_jw *w, int v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void ct_jw_null(ct_jw *w)
{
    before_value(w);
    put(w, "null", 4);
}

/* Writes v when it is the double nearest a decimal with at most two places and below 1e7
 * (scores and amounts: most reals an answer holds), digit by digit; 0 for any other value.
 * Such a decimal has at most 9 significant digits, so "%.9g" prints it exactly and without
 * trailing zeros, as this does (snprintf cost more than the rest of writing a real). */
static int put_cents(ct_jw *w, double v)
{
    if (!(fabs(v) < 1e7) || v == 0) /* zero: "-0.0" keeps its sign below */
        return 0;
    double r = nearbyint(v * 100);
    if (r / 100 != v)
        return 0;
    uint64_t c = (uint64_t)(int64_t)fabs(r), whole = c / 100, frac = c % 100;
    char buf[24], *p = buf + sizeof(buf);
    if (frac == 0) {
        *--p = '0';
    } else {
        if (frac % 10 != 0)
            *--p = (char)('0' + frac % 10);
        *--p = (char)('0' + frac / 10);
    }
    *--p = '.';
    do {
        *--p = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (v < 0)
        *--p = '-';
    put(w, p, (size_t)(buf + sizeof(buf) - p));
    return 1;
}

void ct_jw_real(ct_jw *w, double v)
{
    if (!isfinite(v)) {
        ct_jw_null(w);
        return;
    }
    before_value(w);
    if (put_cents(w, v))
        return;
    char buf[40];
    int n = snprintf(buf, sizeof(buf), "%.9g", v);
    /* as jansson writes reals: a whole number still reads as one ("3.0"), and an exponent
     * has no '+' and no leading zeros ("1e21", "1e-5") */
    char *e = strchr(buf, 'e');
    if (e != NULL) {
        char *d = e + 1, *from = d;
        if (*from == '-')
            d++, from++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1] != '\0')
            from++;
        memmove(d, from, strlen(from) + 1);
        n = (int)strlen(buf);
    } else if (strchr(buf, '.') == NULL && n + 2 < (int)sizeof(buf)) {
        buf[n++] = '.';
        buf[n++] = '0';
    }
    put(w, buf, (size_t)n);
}

void ct_jw_raw(ct_jw *w, const char *json, size_t len)
{
    before_value(w);
    put(w, json, len);
}

void ct_jw_kstr(ct_jw *w, const char *key, const char *s)
{
    ct_jw_key(w, key);
    ct_jw_str(w, s);
}

void ct_jw_kint(ct_jw *w, const char *key, int64_t v)
{
    ct_jw_key(w, key);
    ct_jw_int(w, v);
}

void ct_jw_kbool(ct_jw *w, const char *key, int v)
{
    ct_jw_key(w, key);
    ct_jw_bool(w, v);
}
