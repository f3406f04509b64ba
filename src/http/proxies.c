/* proxies.c: the trusted proxies (load balancers) and the client address behind them (see
 * http_internal.h).
 *
 * A set is a short array of networks (address bytes, prefix length), IPv4 kept as 4 bytes:
 * an IPv4-mapped IPv6 address (::ffff:10.0.0.1, what a dual-stack socket reports) is the
 * IPv4 address it maps, both when parsed in the list and when matched. Lookups walk the
 * array: a deployment trusts a handful of balancers, not thousands.
 *
 * The client: X-Forwarded-For lists the hops oldest first, and each proxy appends the
 * address it received the request from. Only what trusted proxies appended is true, so the
 * list is read from the right: skip the addresses that are themselves trusted proxies and
 * take the first that is not. Anything left of it was written by the client and may be made
 * up ("X-Forwarded-For: 1.2.3.4" sent to nginx arrives as "1.2.3.4, <real address>"). An
 * entry that is not an address ends the walk at the last address read (the proxy that
 * passed it on); a list of trusted proxies only gives its left-most one. */
#include "http/http_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define MAX_NETWORKS 64
#define MAX_HOPS     32 /* X-Forwarded-For entries read from the right at most */

typedef struct network {
    unsigned char addr[16];
    int len; /* 4 or 16 bytes */
    int prefix;
} network;

struct ct_proxies {
    network nets[MAX_NETWORKS];
    int n;
};

/* `text` (an address, nothing else) into bytes; IPv4-mapped IPv6 becomes IPv4. 0 when it is
 * not an address. */
static int parse_addr(const char *text, unsigned char out[16], int *len)
{
    if (inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof(mapped)) == 0) {
        memmove(out, out + 12, 4);
        *len = 4;
        return 1;
    }
    *len = 16;
    return 1;
}

/* One list entry, "ADDR" or "ADDR/PREFIX", trimmed. 0 when malformed. */
static int parse_network(const char *entry, network *net)
{
    char text[64];
    size_t n = strlen(entry);
    if (n == 0 || n >= sizeof(text))
        return 0;
    memcpy(text, entry, n + 1);
    char *slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    if (!parse_addr(text, net->addr, &net->len))
        return 0;
    int max = net->len * 8;
    net->prefix = max;
    if (slash != NULL) {
        char *end = NULL;
        long p = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || p < 0 || p > max)
            return 0;
        /* "10.0.0.0/8" written as "::ffff:10.0.0.0/104" counts its prefix over IPv6 bits. */
        if (net->len == 4 && strchr(text, ':') != NULL)
            p = p >= 96 ? p - 96 : -1;
        if (p < 0)
            return 0;
        net->prefix = (int)p;
    }
    return 1;
}

ct_status ct__proxies_parse(const char *list, ct_proxies **out)
{
    *out = NULL;
    ct_proxies *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    char *copy = list != NULL ? ct_strdup(list) : NULL;
    if (list != NULL && copy == NULL) {
        ct_free(p);
        return CT_NOMEM;
    }
    ct_status rc = CT_OK;
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*tok == '\0')
            continue;
        if (p->n == MAX_NETWORKS || !parse_network(tok, &p->nets[p->n])) {
            rc = CT_INVALID;
            break;
        }
        p->n++;
    }
    ct_free(copy);
    if (rc) {
        ct_free(p);
        return rc;
    }
    *out = p;
    return CT_OK;
}

void ct__proxies_free(ct_proxies *p)
{
    ct_free(p);
}

int ct__proxies_count(const ct_proxies *p)
{
    return p != NULL ? p->n : 0;
}

static int in_network(const network *net, const unsigned char *addr, int len)
{
    if (len != net->len)
        return 0;
    int full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (addr[full] & mask);
}

static int trusted_bytes(const ct_proxies *p, const unsigned char *addr, int len)
{
    for (int i = 0; p != NULL && i < p->n; i++)
        if (in_network(&p->nets[i], addr, len))
            return 1;
    return 0;
}

int ct__proxies_trusted(const ct_proxies *p, const char *addr)
{
    unsigned char b[16];
    int len;
    return addr != NULL && parse_addr(addr, b, &len) && trusted_bytes(p, b, len);
}

/* The canonical text of an address (inet_ntop of its bytes). */
static void addr_text(const unsigned char *b, int len, char *out, size_t outlen)
{
    if (inet_ntop(len == 4 ? AF_INET : AF_INET6, b, out, (socklen_t)outlen) == NULL)
        snprintf(out, outlen, "unknown");
}

/* The entry of `list` ending just before `end` (after the previous comma), trimmed, into
 * `out`; returns where that entry starts (the next walk's end). */
static const char *entry_before(const char *list, const char *end, char *out, size_t outlen)
{
    const char *start = end;
    while (start > list && start[-1] != ',')
        start--;
    const char *a = start, *b = end;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (a < b && *a == '[' && b[-1] == ']') { /* "[2001:db8::1]" */
        a++;
        b--;
    }
    size_t n = (size_t)(b - a);
    if (n >= outlen)
        n = 0; /* too long to be an address: read as not one */
    memcpy(out, a, n);
    out[n] = '\0';
    return start > list ? start - 1 : NULL;
}

void ct__proxies_client(const ct_proxies *p, const char *peer, const char *const *xff, int nxff,
                        char *out, size_t outlen)
{
    unsigned char b[16];
    int len;
    if (peer == NULL || !parse_addr(peer, b, &len)) {
        snprintf(out, outlen, "%s", peer != NULL ? peer : "unknown");
        return;
    }
    addr_text(b, len, out, outlen);
    if (!trusted_bytes(p, b, len))
        return;
    int hops = 0;
    /* The header lines in order; the last line's last entry is the nearest hop. */
    for (int h = nxff - 1; h >= 0; h--) {
        const char *list = xff[h];
        for (const char *end = list + strlen(list); end != NULL && hops < MAX_HOPS; hops++) {
            char entry[64];
            end = entry_before(list, end, entry, sizeof(entry));
            if (!parse_addr(entry, b, &len))
                return; /* not an address: the last one read stands */
            addr_text(b, len, out, outlen);
            if (!trusted_bytes(p, b, len))
                return;
        }
    }
}
