/* ingest_fuzz.c: libFuzzer driver for the providers' feed parsers (ct_ingest_parse,
 * ingest/ingest.h: every dialect's descriptor, rates, fares and availability pages).
 *
 * Input: one byte choosing the page (bits 0-1: dialect ndc, voyagio, farefinder, hopscotch;
 * bits 2-3: feed descriptor, rates, fares, availability; bit 4: a currency of 0 minor
 * digits instead of 2), then the response body as a provider sends it. A parsed page must
 * be consistent: no more kept or rejected records than the document has, rejects listed up
 * to CT_INGEST_MAX_REJECTS with NUL-terminated texts, codes of at most three characters,
 * the page cursor and next token NUL-terminated; a refused document must say why. Offer and
 * order answers have no parser yet (no booking client): nothing to fuzz there. */
#include <string.h>

#include "fuzz.h"
#include "ingest/ingest.h"

static void check_code(const char *c, size_t cap)
{
    if (memchr(c, '\0', cap) == NULL)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ct_ingest_dialect d = (ct_ingest_dialect)(data[0] & 3);
    ct_ingest_feed feed = (ct_ingest_feed)((data[0] >> 2) & 3);
    int digits = data[0] & 16 ? 0 : 2;
    ct_ingest_page page;
    memset(&page, 0xA5, sizeof(page)); /* the parser must set what it reports */
    char err[256] = "";
    ct_status rc =
        ct_ingest_parse(d, feed, (const char *)data + 1, size - 1, digits, &page, err, sizeof(err));
    if (rc != CT_OK) {
        if (rc == CT_INVALID && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
            __builtin_trap();
        return 0;
    }
    size_t kept = page.nfares + page.nseats + page.nrates + page.ncarriers;
    if (page.nrejected > page.nrecords || kept > page.nrecords + page.ncarriers + page.nrates ||
        memchr(page.next, '\0', sizeof(page.next)) == NULL ||
        memchr(page.cursor, '\0', sizeof(page.cursor)) == NULL)
        __builtin_trap();
    size_t listed = page.nrejected < CT_INGEST_MAX_REJECTS ? page.nrejected : CT_INGEST_MAX_REJECTS;
    for (size_t i = 0; i < listed; i++) {
        check_code(page.rejects[i].field, sizeof(page.rejects[i].field));
        check_code(page.rejects[i].message, sizeof(page.rejects[i].message));
    }
    for (size_t i = 0; i < page.nfares; i++) {
        check_code(page.fares[i].carrier, 4);
        check_code(page.fares[i].origin, 4);
        check_code(page.fares[i].dest, 4);
    }
    for (size_t i = 0; i < page.nseats; i++) {
        check_code(page.seats[i].carrier, 4);
        check_code(page.seats[i].origin, 4);
        for (int k = 0; k < CT_NCLASSES; k++) {
            if (page.seats[i].seats[k] < 0)
                __builtin_trap();
        }
    }
    for (size_t i = 0; i < page.nrates; i++) {
        check_code(page.rates[i].currency, 4);
        if (!(page.rates[i].per_usd > 0))
            __builtin_trap();
    }
    for (size_t i = 0; i < page.ncarriers; i++) {
        check_code(page.carriers[i].code, 4);
        check_code(page.carriers[i].alliance, sizeof(page.carriers[i].alliance));
    }
    ct_ingest_page_clear(&page);
    return 0;
}
