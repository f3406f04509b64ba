/* ssim_fuzz.c: libFuzzer driver for the SSIM reader (src/timetable/ssim.c).
 *
 * Feeds the input to ct_ssim_open_memory and walks every leg, touching each field the reader
 * fills and computing the UTC instants of every leg on its first period date, so ASan and
 * UBSan see all of it. The read buffer size is taken from the input length (512 bytes, 1 KiB
 * or the default) so the refill path at buffer boundaries is fuzzed too. Invariants the
 * reader promises are checked with __builtin_trap: counters agree, times are in range, the
 * period is ordered. Built and run by scripts/fuzz.sh (seeds: tests/fuzz/corpus/ssim_fuzz/). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "timetable/ssim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_diag(void *ctx, const ct_ssim_diag *d)
{
    size_t *n = ctx;
    if (d->line == 0 || d->column == 0 || strlen(d->text) < strlen(d->message))
        __builtin_trap();
    (*n)++;
}

static void check_leg(const ct_ssim_leg *leg)
{
    if (leg->period_to < leg->period_from || leg->dow == 0 || leg->dow > 0x7f)
        __builtin_trap();
    if (leg->dep_time < 0 || leg->dep_time >= 1440 || leg->arr_time < 0 || leg->arr_time >= 1440)
        __builtin_trap();
    if (leg->nsegments < 0 || leg->nsegments > CT_SSIM_MAX_SEGMENTS)
        __builtin_trap();
    size_t text = strlen(leg->airline) + strlen(leg->dep) + strlen(leg->arr) + strlen(leg->prbd) +
                  strlen(leg->config) + strlen(leg->aircraft_type) + strlen(leg->dep_terminal) +
                  strlen(leg->arr_terminal);
    for (int i = 0; i < leg->nsegments; i++)
        text += strlen(leg->segments[i].data) + strlen(leg->segments[i].board) +
                strlen(leg->segments[i].off);
    if (leg->carrier != NULL)
        text += strlen(leg->carrier->name) + strlen(leg->carrier->title);
    ct_utc dep, arr;
    if (ct_ssim_leg_utc(leg, leg->period_from, &dep, &arr) != CT_OK || arr <= dep || text == 0)
        __builtin_trap();
    (void)ct_ssim_leg_operates(leg, leg->period_from + 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t buffers[] = {512, 1024, 0};
    size_t ndiag = 0;
    ct_ssim_options opts = {
        .name = "fuzz", .on_diag = on_diag, .ctx = &ndiag, .buffer_size = buffers[size % 3]};
    ct_ssim_reader *r = NULL;
    if (ct_ssim_open_memory(data, size, &opts, &r) != CT_OK)
        return 0;
    const ct_ssim_leg *leg;
    size_t legs = 0;
    ct_status rc;
    while ((rc = ct_ssim_next(r, &leg)) == CT_ROW) {
        check_leg(leg);
        legs++;
    }
    const ct_ssim_report *rep = ct_ssim_get_report(r);
    if (rc != CT_DONE || legs != rep->legs || ndiag != rep->errors + rep->warnings ||
        rep->nmessages > CT_SSIM_MAX_MESSAGES || rep->filler > rep->records)
        __builtin_trap();
    ct_ssim_close(r);
    return 0;
}
