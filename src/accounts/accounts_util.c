/* accounts_util.c: ids, tokens, hashing and e-mail normalisation for the accounts module. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts/accounts.h"

int64_t ct__accounts_clock_offset;

int64_t ct__accounts_now(void)
{
    return (int64_t)time(NULL) + ct__accounts_clock_offset;
}

void ct__accounts_new_id(const char *prefix, char out[40])
{
    unsigned char raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(out, 40, "%s_%s", prefix, hex);
}

void ct__accounts_new_token(char out[64])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 64, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void ct__accounts_sha256_hex(const char *s, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* A practical address check: one '@', a non-empty local part of allowed characters, a
 * domain with a dot, no spaces or control characters, at most 254 bytes. */
int ct__accounts_normalize_email(const char *in, char *out, size_t len)
{
    size_t n = strlen(in);
    if (n < 3 || n > 254 || n >= len)
        return 0;
    const char *at = strchr(in, '@');
    if (at == NULL || at == in || strchr(at + 1, '@') != NULL)
        return 0;
    const char *dot = strrchr(at, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c >= 0x7f || strchr("\"(),:;<>[\\]", c) != NULL)
            return 0;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return 1;
}

void ct__accounts_field_error(ct_field_error *fe, const char *field, const char *message)
{
    snprintf(fe->field, sizeof(fe->field), "%s", field);
    snprintf(fe->message, sizeof(fe->message), "%s", message);
}
