/* ingest_state_fuzz.c: libFuzzer driver for the feeds' state file reader
 * (ct_ingest_load_state, ingest/state.c).
 *
 * The input is the state file (JSON). Each one is loaded into a fresh driver, configured
 * with the five sandbox providers over a pricebook of the tiny timetable of fuzz_world.h
 * and the horizon 20541..20547 (the seeds' providers, URLs and horizon, so that mutations
 * reach the resuming of a provider). Checks: CT_OK, CT_INVALID or CT_NOT_FOUND only (no sync
 * ran, so never CT_CONFLICT), at most one resumed provider per configured one, and a second
 * load into the same driver is CT_CONFLICT exactly when the first resumed someone. */
#include <curl/curl.h>
#include <string.h>

#include "fares/pricebook.h"
#include "fuzz_world.h"
#include "ingest/ingest.h"

static ct_pricebook *pb;
static ct_ingest_config cfg;
static char path[400];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ct_pricebook_new(fz_timetable("state"), &pb) != CT_OK)
        abort();
    static const char *const names[] = {"airline-1", "airline-2", "ota-eur", "ota-usd", "combiner"};
    for (int i = 0; i < 5; i++) {
        ct_ingest_provider_cfg *p = &cfg.providers[cfg.nproviders++];
        snprintf(p->name, sizeof(p->name), "%s", names[i]);
        snprintf(p->base_url, sizeof(p->base_url), "http://127.0.0.1:%d", 9101 + i);
        p->dialect = (ct_ingest_dialect)ct_ingest_dialect_of(names[i]);
    }
    cfg.from_day = 20541;
    cfg.to_day = 20547;
    cfg.today = 20541;
    snprintf(path, sizeof(path), "%s/pricebook.bin.state.json", fz_tempdir("state"));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write_file(path, data, size);
    ct_ingest *ing = NULL;
    if (ct_ingest_new(pb, &cfg, &ing) != CT_OK)
        abort();
    int resumed = -1;
    ct_status rc = ct_ingest_load_state(ing, path, &resumed);
    if ((rc != CT_OK && rc != CT_INVALID && rc != CT_NOT_FOUND) ||
        (rc == CT_OK && (resumed < 0 || resumed > cfg.nproviders)))
        __builtin_trap();
    if (rc == CT_OK) {
        int again = -1;
        ct_status rc2 = ct_ingest_load_state(ing, path, &again);
        if ((resumed > 0) != (rc2 == CT_CONFLICT))
            __builtin_trap();
    }
    ct_ingest_free(ing);
    return 0;
}
