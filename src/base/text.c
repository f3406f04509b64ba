/* text.c: search-key folding with ICU's transliterator ("Any-Latin; Latin-ASCII; Lower"), so
 * every script and accent ICU knows is handled; the punctuation-to-space pass and the UTF-8
 * check are a few lines by hand.
 *
 * A UTransliterator is not safe to share between threads and costs ~1 ms to open, so each
 * thread opens its own once and keeps it behind a pthread key (closed when the thread ends). */
#include "base/text.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#define FOLD_MAX_UCHARS 512

int ct_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        int n;
        unsigned min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            min = 0x80;
            c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            min = 0x800;
            c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return 0;
        }
        if (end - p <= n)
            return 0;
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

static pthread_key_t fold_key;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_close(void *p)
{
    utrans_close(p);
}

static void fold_key_init(void)
{
    pthread_key_create(&fold_key, fold_close);
}

static UTransliterator *transliterator(void)
{
    pthread_once(&fold_once, fold_key_init);
    UTransliterator *t = pthread_getspecific(fold_key);
    if (t != NULL)
        return t;
    static const char id[] = "Any-Latin; Latin-ASCII; Lower";
    UChar uid[64];
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(uid, 64, NULL, id, -1, &status);
    t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
    if (U_FAILURE(status))
        return NULL;
    if (pthread_setspecific(fold_key, t) != 0) {
        utrans_close(t);
        return NULL;
    }
    return t;
}

ct_status ct_text_fold(const char *utf8, char *out, size_t outlen)
{
    size_t len = strlen(utf8);
    if (!ct_utf8_valid(utf8, len))
        return CT_INVALID;
    if (outlen == 0)
        return CT_TOO_LARGE;
    UTransliterator *t = transliterator();
    if (t == NULL)
        return CT_ERR;
    UChar buf[FOLD_MAX_UCHARS];
    int32_t ulen = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(buf, FOLD_MAX_UCHARS, &ulen, utf8, (int32_t)len, &status);
    if (U_FAILURE(status) || ulen >= FOLD_MAX_UCHARS)
        return status == U_BUFFER_OVERFLOW_ERROR || ulen >= FOLD_MAX_UCHARS ? CT_TOO_LARGE
                                                                            : CT_INVALID;
    int32_t limit = ulen;
    utrans_transUChars(t, buf, &ulen, FOLD_MAX_UCHARS - 1, 0, &limit, &status);
    if (U_FAILURE(status))
        return CT_TOO_LARGE;
    /* Keep ASCII letters and digits; everything else separates words. */
    size_t n = 0;
    int pending_space = 0;
    for (int32_t i = 0; i < ulen; i++) {
        UChar c = buf[i];
        if (c < 0x80 && isalnum((int)c)) {
            if (pending_space && n > 0) {
                if (n + 1 >= outlen)
                    return CT_TOO_LARGE;
                out[n++] = ' ';
            }
            pending_space = 0;
            if (n + 1 >= outlen)
                return CT_TOO_LARGE;
            out[n++] = (char)tolower((int)c);
        } else if (c != '\'' && c != 0x2019) { /* "Chicago O'Hare" folds to "ohare" */
            pending_space = 1;
        }
    }
    out[n] = '\0';
    return CT_OK;
}
