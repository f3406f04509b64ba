/* timetable_cache_fuzz.c: libFuzzer driver for the timetable cache reader
 * (ct_timetable_open_cache, timetable/cache.c).
 *
 * Input: one mode byte, then the cache file. The inputs' key is the one of the tiny world of
 * fuzz_world.h (its SSIM file, the reference airports). With bit 0 of the mode set, the
 * driver first repairs what the reader checks before the sections (magic, version, byte
 * order, header and leg sizes, file length, airport count, the inputs' key, and the check
 * hash over the header and the small sections, in the layout of cache.c), so that mutations
 * reach the section and offset validation; without it the header itself is fuzzed. An
 * opened timetable must have what the reader promises (window covering the one asked for,
 * per-airport offsets from 0 to nlegs, never decreasing); its legs are then read end to end
 * so that AddressSanitizer sees any section the mapping does not hold. With
 * CT_FUZZ_WRITE_SEEDS=DIR the driver writes a seed (the saved tiny timetable) and exits. */
#include <sodium.h>
#include <string.h>

#include "fuzz_world.h"

#define HDR_SIZE   240
#define CHECK_AT   208
#define SECTS_AT   112
#define NSECTIONS  6
#define KEY_AT     80
#define EDGE_BYTES (64 * 1024)

static const ct_refdata *rd;
static const char *paths[1];
static int64_t from, to;
static unsigned char key[32];
static char dir[300];

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void fix_up(unsigned char *f, size_t len)
{
    if (len < HDR_SIZE)
        return;
    uint32_t v32[4] = {1, 0x01020304u, HDR_SIZE, sizeof(ct_leg)};
    memcpy(f, "CTTIMETB", 8);
    memcpy(f + 8, v32, sizeof(v32));
    put64(f + 24, len);
    put64(f + 40, ct_refdata_airport_count(rd));
    memcpy(f + KEY_AT, key, 32);
    /* the check: the header up to it, then first, first_arr, country and carriers */
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, f, CHECK_AT);
    static const int small[] = {1, 3, 4, 5};
    for (int i = 0; i < 4; i++) {
        uint64_t off = get64(f + SECTS_AT + 16 * small[i]);
        uint64_t n = get64(f + SECTS_AT + 16 * small[i] + 8);
        if (off > len || n > len - off)
            return; /* the reader refuses it before the hash anyway */
        crypto_generichash_update(&st, f + off, (size_t)n);
    }
    crypto_generichash_final(&st, f + CHECK_AT, 32);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    snprintf(dir, sizeof(dir), "%s", fz_tempdir("cache"));
    rd = fz_refdata("cache");
    paths[0] = fz_schedule_path("cache");
    fz_window(&from, &to);
    if (ct__timetable_key(rd, paths, 1, key) != CT_OK)
        abort();
    const char *out = getenv("CT_FUZZ_WRITE_SEEDS");
    if (out != NULL) {
        ct_timetable *tt = fz_timetable("cache");
        char path[600];
        snprintf(path, sizeof(path), "%s/timetable.bin", dir);
        if (ct_timetable_save(tt, path) != CT_OK)
            abort();
        size_t len;
        unsigned char *f = fz_read_file(path, &len);
        unsigned char *seed = malloc(len + 1);
        seed[0] = 1;
        memcpy(seed + 1, f, len);
        snprintf(path, sizeof(path), "%s/tiny-world", out);
        fz_write_file(path, seed, len + 1);
        free(seed);
        free(f);
        ct_timetable_free(tt);
        exit(0);
    }
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
    char path[600];
    snprintf(path, sizeof(path), "%s/input.bin", dir);
    fz_write_file(path, f, size - 1);
    free(f);
    ct_timetable *tt = NULL;
    if (ct_timetable_open_cache(rd, paths, 1, from, to, path, &tt) != CT_OK)
        return 0;
    if (tt->from_day > from || tt->to_day < to || tt->nairports != ct_refdata_airport_count(rd) ||
        tt->first[0] != 0 || tt->first[tt->nairports] != tt->nlegs ||
        tt->first_arr[tt->nairports] != tt->nlegs)
        __builtin_trap();
    uint64_t sum = 0;
    for (size_t a = 0; a < tt->nairports; a++) {
        if (tt->first[a] > tt->first[a + 1] || tt->first_arr[a] > tt->first_arr[a + 1])
            __builtin_trap();
        sum += tt->country[a];
    }
    for (size_t i = 0; i < tt->nlegs; i++) {
        const unsigned char *leg = (const unsigned char *)&tt->legs[i];
        for (size_t k = 0; k < sizeof(ct_leg); k++)
            sum += leg[k];
        sum += tt->by_arr[i];
    }
    for (size_t c = 0; c < tt->ncarriers; c++)
        sum += (unsigned char)tt->carriers[c][0];
    if (sum == 1) /* keeps the reads */
        fprintf(stderr, ".");
    ct_timetable_free(tt);
    return 0;
}
