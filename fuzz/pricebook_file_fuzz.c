/* pricebook_file_fuzz.c: libFuzzer driver for the pricebook file reader (ct_pricebook_load,
 * fares/pricebook_file.c).
 *
 * Input: one mode byte, then the file. The pricebook is over the tiny timetable of
 * fuzz_world.h. With bit 0 of the mode set, the driver first repairs what the reader checks
 * before the body (magic, version, byte order, header size, file length, the timetable's
 * identity and counts, and the BLAKE2b check over body and header, in the layout documented
 * in pricebook_file.c), so that mutations reach the body's validation instead of dying at
 * the hash; without it the header itself is fuzzed. Each input loads into a fresh pricebook;
 * a load that succeeds must save, and that file must load again into another pricebook (a
 * refusal there traps). With CT_FUZZ_WRITE_SEEDS=DIR the driver writes seed files (a
 * pricebook with two providers' fares, seats, rates and alliances, and an empty one) into
 * DIR and exits. */
#include <sodium.h>
#include <string.h>

#include "fares/pricebook.h"
#include "fuzz_world.h"

#define HDR_SIZE 144

static ct_timetable *tt;
static size_t nmarkets;
static char dir[300];

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void fix_up(unsigned char *f, size_t len)
{
    if (len < HDR_SIZE)
        return;
    memcpy(f, "CTPRICEB", 8);
    put32(f + 8, 1);
    put32(f + 12, 0x01020304u);
    put32(f + 16, HDR_SIZE);
    put64(f + 24, len);
    ct_timetable_identity(tt, f + 32);
    put64(f + 64, tt->nlegs);
    put64(f + 72, nmarkets);
    put64(f + 80, tt->ncarriers);
    memset(f + 112, 0, 32);
    unsigned char check[32];
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, sizeof(check));
    crypto_generichash_update(&hs, f + HDR_SIZE, len - HDR_SIZE);
    crypto_generichash_update(&hs, f, HDR_SIZE);
    crypto_generichash_final(&hs, check, sizeof(check));
    memcpy(f + 112, check, 32);
}

static void write_seed(const char *out, const char *name, ct_pricebook *pb)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/pricebook.bin", dir);
    if (ct_pricebook_save(pb, path) != CT_OK)
        abort();
    size_t len;
    unsigned char *f = fz_read_file(path, &len);
    unsigned char *seed = malloc(len + 1);
    seed[0] = 1; /* repair the header: mutations then reach the body */
    memcpy(seed + 1, f, len);
    snprintf(path, sizeof(path), "%s/%s", out, name);
    fz_write_file(path, seed, len + 1);
    free(seed);
    free(f);
}

/* Two providers over every leg of the tiny timetable: fares per market, seats per leg. */
static ct_pricebook *filled(void)
{
    ct_pricebook *pb = NULL;
    if (ct_pricebook_new(tt, &pb) != CT_OK)
        abort();
    ct_pricebook_begin(pb);
    static const ct_provider_desc d[2] = {{"airline-1", CT_PROVIDER_AIRLINE, "CHF", 2, 0, 0},
                                          {"combiner", CT_PROVIDER_COMBINER, "JPY", 0, 1500, 180}};
    const char(*sold)[4] = (const char(*)[4])tt->carriers;
    ct_pricebook_set_rate(pb, "CHF", 0.88);
    ct_pricebook_set_rate(pb, "JPY", 150);
    ct_pricebook_set_rates_day(pb, 20541);
    for (size_t c = 0; c < tt->ncarriers; c++)
        ct_pricebook_set_alliance(pb, tt->carriers[c], c % 2 ? "star" : "");
    for (int p = 0; p < 2; p++) {
        int id, known, changed;
        if (ct_pricebook_provider(pb, &d[p], &id) != CT_OK ||
            ct_pricebook_set_sold(pb, id, sold, tt->ncarriers) != CT_OK)
            abort();
        for (size_t i = 0; i < tt->nlegs; i++) {
            const ct_leg *l = &tt->legs[i];
            const char *from = ct_refdata_airport_at(tt->rd, l->from)->iata;
            const char *dest = ct_refdata_airport_at(tt->rd, l->to)->iata;
            int32_t amount[CT_NCLASSES];
            int seats[CT_NCLASSES];
            for (int k = 0; k < CT_NCLASSES; k++) {
                amount[k] = k == 3 ? CT_AMOUNT_NONE : (int32_t)(9000 + 1000 * k + 7 * i + p);
                seats[k] = (int)((i + (size_t)k + (size_t)p) % 10);
            }
            ct_pricebook_put_fare(pb, id, tt->carriers[l->carrier], from, dest, amount, &known);
            ct_pricebook_put_seats(pb, id, tt->carriers[l->carrier], l->number, from, l->dep, seats,
                                   &known, &changed);
        }
    }
    if (ct_pricebook_commit(pb) != CT_OK)
        abort();
    return pb;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    snprintf(dir, sizeof(dir), "%s", fz_tempdir("pricebook"));
    tt = fz_timetable("pricebook");
    ct_pricebook *pb = NULL;
    if (ct_pricebook_new(tt, &pb) != CT_OK)
        abort();
    ct_pb_view v;
    ct_pricebook_acquire(pb, &v);
    nmarkets = v.nmarkets;
    ct_pricebook_release(pb, &v);
    const char *out = getenv("CT_FUZZ_WRITE_SEEDS");
    if (out != NULL) {
        write_seed(out, "empty", pb);
        ct_pricebook *full = filled();
        write_seed(out, "filled", full);
        ct_pricebook_free(full);
        exit(0);
    }
    ct_pricebook_free(pb);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned char *f = malloc(size);
    memcpy(f, data + 1, size - 1);
    if (data[0] & 1)
        fix_up(f, size - 1);
    char path[600], again[600];
    snprintf(path, sizeof(path), "%s/input.bin", dir);
    snprintf(again, sizeof(again), "%s/again.bin", dir);
    fz_write_file(path, f, size - 1);
    free(f);
    ct_pricebook *pb = NULL, *pb2 = NULL;
    if (ct_pricebook_new(tt, &pb) != CT_OK)
        abort();
    int loaded = 0;
    if (ct_pricebook_load(pb, path, &loaded) == CT_OK && loaded) {
        if (ct_pricebook_save(pb, again) != CT_OK || ct_pricebook_new(tt, &pb2) != CT_OK)
            abort();
        loaded = 0;
        if (ct_pricebook_load(pb2, again, &loaded) != CT_OK || !loaded)
            __builtin_trap(); /* what the reader accepted, the writer must write readably */
        ct_pricebook_free(pb2);
    }
    ct_pricebook_free(pb);
    return 0;
}
