/* parse.c: ingest's names for the providers module's dialect reader (providers/providers.h),
 * and the request paths the sync driver sends. The dialects themselves (member names,
 * amounts, request paths) live in src/providers/. */
#include <string.h>

#include "ingest/ingest_internal.h"

/* The pricebook indexes classes as the providers module does; apply.c relies on it. */
_Static_assert(CT_PROVIDERS_NCLASSES == CT_NCLASSES, "class counts differ");
_Static_assert(CT_PROVIDERS_AMOUNT_NONE == CT_AMOUNT_NONE, "no-amount markers differ");

int ct_ingest_dialect_of(const char *name)
{
    return ct_providers_dialect_of(name);
}

const char *ct_ingest_dialect_name(ct_ingest_dialect d)
{
    return ct_providers_dialect_name(d);
}

const char *ct_ingest_feed_name(ct_ingest_feed f)
{
    return ct_providers_feed_name(f);
}

ct_status ct_ingest_decimal(const char *text, int digits, int32_t *out)
{
    return ct_providers_decimal(text, digits, out);
}

ct_status ct_ingest_parse(ct_ingest_dialect d, ct_ingest_feed feed, const char *body, size_t len,
                          int minor_digits, ct_ingest_page *out, char *err, size_t errlen)
{
    return ct_providers_parse_page(d, feed, body, len, minor_digits, out, err, errlen);
}

void ct_ingest_page_clear(ct_ingest_page *page)
{
    ct_providers_page_clear(page);
}

void ct__request_path(ct_ingest_dialect d, ct_ingest_feed feed, int page_size, const char *token,
                      const char *since, int64_t from, int64_t to, char *out, size_t len)
{
    if (ct_providers_request_path(d, feed, page_size, token, since, from, to, out, len) && len > 0)
        out[0] = '\0'; /* a failing request rather than a truncated one */
}
