/* sign.c: Standard Webhooks signatures, secrets, the retry schedule and the SSRF check of
 * endpoint URLs (see webhooks.h).
 *
 * A signature is HMAC-SHA256 (libsodium's crypto_auth_hmacsha256, whose key may be of any
 * length) over "msg_id.timestamp.body" with the bytes of the secret after "whsec_" decoded
 * from base64, written "v1," + standard base64 with padding.
 *
 * The URL check parses with libcurl's URL API, then resolves the host (getaddrinfo: a literal
 * address too) and refuses it when any address is not public: unspecified, loopback (unless
 * allowed), private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10: cloud metadata),
 * carrier-grade NAT, multicast, reserved, and their IPv4-mapped IPv6 forms. A name that does
 * not resolve is refused too. Checked at creation and before every attempt (a name may
 * resolve elsewhere later); the window between the check and libcurl's own resolution is a
 * known gap (a rebinding name), closed only by pinning the address, which the upstream client
 * does not offer. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "webhooks/webhooks.h"

void ct_webhooks_new_secret(char *out, size_t len)
{
    unsigned char raw[32];
    char b64[64];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, len, "whsec_%s", b64);
}

ct_status ct_webhooks_sign(const char *secret, const char *msg_id, int64_t timestamp,
                           const char *body, size_t body_len, char *out, size_t len)
{
    unsigned char key[128];
    size_t key_len = 0;
    if (secret == NULL || strncmp(secret, "whsec_", 6) != 0 ||
        sodium_base642bin(key, sizeof(key), secret + 6, strlen(secret + 6), NULL, &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        key_len == 0)
        return CT_INVALID;
    char ts[24];
    snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof(key));
    char b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, len, "v1,%s", b64);
    return n > 0 && (size_t)n < len ? CT_OK : CT_TOO_LARGE;
}

int64_t ct_webhooks_retry_delay_ms(int n, double scale)
{
    /* After attempt n fails (1-based): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h;
     * the first attempt is immediate. About three days in all. */
    static const int64_t after_s[CT_WEBHOOKS_SCHEDULE_LEN] = {
        0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600};
    if (n < 1 || n >= CT_WEBHOOKS_SCHEDULE_LEN)
        return -1;
    return (int64_t)((double)after_s[n] * 1000.0 * scale);
}

/* ---- the URL check ---- */

typedef enum addr_kind { ADDR_PUBLIC, ADDR_LOOPBACK, ADDR_FORBIDDEN } addr_kind;

static addr_kind ipv4_kind(uint32_t a) /* host order */
{
    uint32_t b0 = a >> 24, b1 = (a >> 16) & 0xff;
    if (b0 == 127)
        return ADDR_LOOPBACK;
    if (b0 == 0 || b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168) ||
        (b0 == 169 && b1 == 254) || (b0 == 100 && (b1 & 0xc0) == 64) || b0 >= 224 ||
        (b0 == 192 && b1 == 0 && ((a >> 8) & 0xff) == 0) || (b0 == 198 && (b1 & 0xfe) == 18))
        return ADDR_FORBIDDEN;
    return ADDR_PUBLIC;
}

static addr_kind ipv6_kind(const struct in6_addr *a)
{
    const unsigned char *b = a->s6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a))
        return ADDR_LOOPBACK;
    if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
        uint32_t v4 = ((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) | ((uint32_t)b[14] << 8) |
                      (uint32_t)b[15];
        return ipv4_kind(v4);
    }
    if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
        IN6_IS_ADDR_MULTICAST(a) || (b[0] & 0xfe) == 0xfc ||
        (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8))
        return ADDR_FORBIDDEN;
    return ADDR_PUBLIC;
}

/* The worst kind among the host's addresses; -1 when it does not resolve. */
static int host_kind(const char *host)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return -1;
    int worst = ADDR_PUBLIC;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int k = ADDR_FORBIDDEN;
        if (ai->ai_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ai->ai_addr;
            k = ipv4_kind(ntohl(sin->sin_addr.s_addr));
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
            k = ipv6_kind(&s6->sin6_addr);
        }
        if (k > worst)
            worst = k;
    }
    freeaddrinfo(res);
    return worst;
}

static int refuse(char *why, size_t len, const char *reason)
{
    snprintf(why, len, "%s", reason);
    return 0;
}

int ct_webhooks_url_allowed(const char *url, int allow_loopback, char *why, size_t whylen)
{
    if (url == NULL || strlen(url) > 2000)
        return refuse(why, whylen, "must be an https URL of at most 2000 characters");
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    int ok = 0;
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        refuse(why, whylen, "must be an absolute https URL");
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        refuse(why, whylen, "must not carry credentials");
        goto cleanup;
    }
    int https = strcasecmp(scheme, "https") == 0;
    if (!https && strcasecmp(scheme, "http") != 0) {
        refuse(why, whylen, "must be an https URL");
        goto cleanup;
    }
    /* [::1] comes back bracketed */
    char bare[300];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof(bare)) {
        memcpy(bare, host + 1, hl - 2);
        bare[hl - 2] = '\0';
    } else
        snprintf(bare, sizeof(bare), "%s", host);
    int kind = host_kind(bare);
    if (kind < 0)
        refuse(why, whylen, "the host does not resolve");
    else if (kind == ADDR_FORBIDDEN || (kind == ADDR_LOOPBACK && !allow_loopback))
        refuse(why, whylen, "must reach a public address (not private, loopback or link-local)");
    else if (!https && kind != ADDR_LOOPBACK)
        refuse(why, whylen, "must be an https URL (http only to loopback in the sandbox)");
    else
        ok = 1;
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return ok;
}
