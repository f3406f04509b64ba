/* test_ssim.c: the SSIM reader on the fixtures in tests/data/ssim/ and on records built here.
 *
 * Fixtures (200-column files, the layout of docs/ssim.md):
 *   clean.ssim     two carrier sections (LX, U2), a two-leg flight with segment records, an
 *                  overnight arrival; no diagnostics expected
 *   crlf.ssim      CRLF line ends, blank lines, records cut short, `00000` filler, no serials
 *   nobreaks.ssim  records back to back without line breaks, one with a bad station
 *   bad.ssim       a bad date, station, time and days of operation between good legs
 * Legs are compared as one formatted line (leg_str) so every field is checked exactly. */
#include "ct_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "testsupport.h"
#include "timetable/ssim.h"

#define MAX_LEGS 16

/* ---- helpers ---- */

typedef struct loaded {
    ct_ssim_leg legs[MAX_LEGS];
    int n;
    ct_ssim_report report;
    ct_status end; /* what ct_ssim_next returned last */
} loaded;

/* Reads every leg (copies) and the final report. */
static void drain(ct_ssim_reader *r, loaded *out)
{
    const ct_ssim_leg *leg;
    memset(out, 0, sizeof(*out));
    while ((out->end = ct_ssim_next(r, &leg)) == CT_ROW) {
        assert_non_null(leg);
        assert_true(out->n < MAX_LEGS);
        out->legs[out->n++] = *leg;
    }
    out->report = *ct_ssim_get_report(r);
}

static void fixture_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/tests/data/ssim/%s", ts_source_dir(), name);
}

/* Loads a fixture through the file reader, naming it by its base name in messages. */
static void load_fixture(const char *name, loaded *out)
{
    char path[1024];
    fixture_path(path, sizeof(path), name);
    ct_ssim_options opts = {.name = name};
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open(path, &opts, &r), CT_OK);
    drain(r, out);
    ct_ssim_close(r);
    assert_int_equal(out->end, CT_DONE);
}

static void load_memory(const char *text, const ct_ssim_options *opts, loaded *out)
{
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open_memory(text, strlen(text), opts, &r), CT_OK);
    drain(r, out);
    ct_ssim_close(r);
    assert_int_equal(out->end, CT_DONE);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = malloc(1 << 20);
    assert_non_null(data);
    *len = fread(data, 1, 1 << 20, f);
    fclose(f);
    return data;
}

static const char *day_str(int64_t days, char buf[16])
{
    int y, m, d;
    ct_civil_from_days(days, &y, &m, &d);
    snprintf(buf, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    return buf;
}

/* Every field of a leg except seats and segments, on one line. */
static const char *leg_str(const ct_ssim_leg *l, char *buf, size_t len)
{
    char from[16], to[16];
    char suffix[2] = {l->suffix, '\0'};
    snprintf(buf, len,
             "%s%04d%s v%d l%d %c%c %s..%s%s dow%02x/%d %s %02d:%02d%+d d%d T%s > %s %02d:%02d%+d "
             "d%d T%s %s %s %s=%d seg%d @%zu:%zu #%ld",
             l->airline, l->flight_number, suffix, l->ivi, l->leg_seq, l->service_type,
             l->time_mode, day_str(l->period_from, from), day_str(l->period_to, to),
             l->period_open ? " open" : "", l->dow, l->frequency_rate, l->dep, l->dep_time / 60,
             l->dep_time % 60, l->dep_utc_var, l->dep_date_var, l->dep_terminal, l->arr,
             l->arr_time / 60, l->arr_time % 60, l->arr_utc_var, l->arr_date_var, l->arr_terminal,
             l->aircraft_type, l->prbd, l->config, l->seats_total, l->nsegments, l->line, l->column,
             l->serial);
    return buf;
}

static void assert_leg(const ct_ssim_leg *l, const char *expected)
{
    char buf[512];
    assert_string_equal(leg_str(l, buf, sizeof(buf)), expected);
}

static int64_t day_of(int y, int m, int d)
{
    return ct_days_from_civil(y, m, d);
}

static ct_utc utc_of(const char *s)
{
    ct_utc t = 0;
    assert_int_equal(ct_utc_parse(s, &t), CT_OK);
    return t;
}

static void assert_leg_utc(const ct_ssim_leg *l, int64_t day, const char *dep, const char *arr)
{
    ct_utc d, a;
    assert_int_equal(ct_ssim_leg_utc(l, day, &d, &a), CT_OK);
    assert_int_equal(d, utc_of(dep));
    assert_int_equal(a, utc_of(arr));
}

/* ---- records built in the test: a blank 200-column record with fields put by column ---- */

typedef struct doc {
    char text[64 * 1024];
    size_t len;
} doc;

static void put(char *rec, int col, const char *s)
{
    /* A field: no terminator. A loop, as sandbox/world/ssim_write.c's (the strnlen form fails
     * the Release build: gcc -Wstringop-overread). */
    for (int i = 0; s[i] != '\0' && col - 1 + i < 200; i++)
        rec[col - 1 + i] = s[i];
}

static void blank(char rec[201])
{
    memset(rec, ' ', 200);
    rec[200] = '\0';
}

static void add(doc *d, const char *rec)
{
    assert_true(d->len + 202 < sizeof(d->text));
    memcpy(d->text + d->len, rec, 200);
    d->len += 200;
    d->text[d->len++] = '\n';
    d->text[d->len] = '\0';
}

static void carrier_rec(char rec[201], char mode)
{
    char m[2] = {mode, '\0'};
    blank(rec);
    put(rec, 1, "2");
    put(rec, 2, m);
    put(rec, 3, "LX");
    put(rec, 11, "S26");
    put(rec, 15, "29MAR2624OCT26");
    put(rec, 195, "000001");
}

/* LX 0014 ZRH 13:00 +0200 -> JFK 15:55 -0400, daily, summer 2026 (as in clean.ssim). */
static void leg_rec(char rec[201])
{
    blank(rec);
    put(rec, 1, "3 LX 00140101J29MAR2624OCT261234567 ZRH13001300+02001 JFK15551555-04004 77W");
    put(rec, 76, "JCDZPYBMUHQVWSGKLT");
    put(rec, 173, "F8J62Y240");
    put(rec, 193, "00000002");
}

static void trailer_rec(char rec[201], const char *ref)
{
    blank(rec);
    put(rec, 1, "5 LX 10MAR26");
    put(rec, 188, ref);
    put(rec, 194, "E000003");
}

/* A document of a carrier record, the given leg record and a trailer referring to serial 2. */
static void one_leg_doc(doc *d, char mode, const char *leg)
{
    char rec[201];
    d->len = 0;
    carrier_rec(rec, mode);
    add(d, rec);
    add(d, leg);
    trailer_rec(rec, "000002");
    add(d, rec);
}

/* ---- fixtures ---- */

static void clean_file_two_carriers(void **state)
{
    (void)state;
    static loaded f;
    load_fixture("clean.ssim", &f);
    assert_int_equal(f.report.records, 40);
    assert_int_equal(f.report.filler, 26);
    assert_int_equal(f.report.carriers, 2);
    assert_int_equal(f.report.legs, 6);
    assert_int_equal(f.report.segments, 3);
    assert_int_equal(f.report.rejected, 0);
    assert_int_equal(f.report.errors, 0);
    assert_int_equal(f.report.warnings, 0);
    assert_int_equal(f.report.nmessages, 0);
    assert_int_equal(f.n, 6);
    assert_leg(&f.legs[0],
               "LX0014 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 ZRH 13:00+120 d0 T1 > "
               "JFK 15:55-240 d0 T4 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg0 @11:1 #3");
    /* overnight: arrives the next day */
    assert_leg(&f.legs[1],
               "LX0015 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 JFK 18:30-240 d0 T4 > "
               "ZRH 08:15+120 d1 T1 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg1 @12:1 #4");
    assert_leg_utc(&f.legs[1], day_of(2026, 6, 1), "2026-06-01T22:30:00Z", "2026-06-02T06:15:00Z");
    const ct_ssim_segment *s = &f.legs[1].segments[0];
    assert_int_equal(s->dei, 505);
    assert_int_equal(s->leg_seq, 1);
    assert_int_equal(s->board_indicator, 'A');
    assert_int_equal(s->off_indicator, 'B');
    assert_string_equal(s->board, "JFK");
    assert_string_equal(s->off, "ZRH");
    assert_string_equal(s->data, "ET");
    assert_int_equal(s->line, 13);
    /* the two legs of LX 180, Mon/Wed/Fri/Sun; leg 2 departs the day after the period date */
    assert_leg(&f.legs[2], "LX0180 v1 l1 JL 2026-03-30..2026-10-23 dow55/1 ZRH 22:45+120 d0 T > "
                           "BKK 15:35+420 d1 T 343 JCDZYBMHQ C47Y181=228 seg0 @14:1 #6");
    assert_leg(&f.legs[3], "LX0180 v1 l2 JL 2026-03-30..2026-10-23 dow55/1 BKK 17:00+420 d1 T > "
                           "SIN 20:20+480 d1 T 343 JCDZYBMHQ C47Y181=228 seg2 @15:1 #7");
    assert_leg_utc(&f.legs[2], day_of(2026, 4, 1), "2026-04-01T20:45:00Z", "2026-04-02T08:35:00Z");
    assert_leg_utc(&f.legs[3], day_of(2026, 4, 1), "2026-04-02T10:00:00Z", "2026-04-02T12:20:00Z");
    assert_int_equal(f.legs[3].segments[0].dei, 170);
    assert_string_equal(f.legs[3].segments[0].board, "ZRH");
    assert_string_equal(f.legs[3].segments[0].off, "SIN");
    assert_string_equal(f.legs[3].segments[0].data, "K");
    assert_int_equal(f.legs[3].segments[1].dei, 503);
    assert_string_equal(f.legs[3].segments[1].data, "MEAL SERVICE DETAIL 9");
    assert_int_equal(f.legs[3].segments[1].line, 17);
    assert_leg(&f.legs[4], "U21381 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 GVA 07:05+120 d0 T1 > "
                           "LGW 07:45+60 d0 TS 320 Y Y180=180 seg0 @31:1 #12");
    assert_leg(&f.legs[5], "U21382 v1 l1 JL 2026-03-29..2026-10-24 dow5f/1 LGW 08:30+60 d0 TS > "
                           "GVA 11:15+120 d0 T1 32N Y Y186=186 seg0 @32:1 #13");
    assert_int_equal(f.legs[0].seats['F' - 'A'], 8);
    assert_int_equal(f.legs[0].seats['J' - 'A'], 62);
    assert_int_equal(f.legs[0].seats['Y' - 'A'], 240);
    assert_int_equal(f.legs[0].seats['C' - 'A'], 0);
}

static void clean_file_carriers(void **state)
{
    (void)state;
    char path[1024];
    fixture_path(path, sizeof(path), "clean.ssim");
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open(path, NULL, &r), CT_OK);
    const ct_ssim_leg *leg;
    const ct_ssim_carrier *lx = NULL;
    while (ct_ssim_next(r, &leg) == CT_ROW) {
        assert_non_null(leg->carrier);
        assert_string_equal(leg->carrier->airline, leg->airline);
        if (lx == NULL)
            lx = leg->carrier;
    }
    size_t n = 0;
    const ct_ssim_carrier *const *c = ct_ssim_carriers(r, &n);
    assert_int_equal(n, 2);
    assert_ptr_equal(c[0], lx);
    assert_string_equal(c[0]->airline, "LX");
    assert_int_equal(c[0]->time_mode, 'L');
    assert_string_equal(c[0]->season, "S26");
    assert_int_equal(c[0]->valid_from, day_of(2026, 3, 29));
    assert_int_equal(c[0]->valid_to, day_of(2026, 10, 24));
    assert_int_equal(c[0]->valid_open, 0);
    assert_int_equal(c[0]->created, day_of(2026, 3, 10));
    assert_int_equal(c[0]->released, day_of(2026, 3, 10));
    assert_int_equal(c[0]->status, 'C');
    assert_string_equal(c[0]->title, "SWISS SUMMER 2026");
    assert_string_equal(c[0]->name, "SWISS INTERNATIONAL AIR LINES");
    assert_int_equal(c[0]->line, 6);
    assert_string_equal(c[1]->airline, "U2");
    assert_string_equal(c[1]->name, "EASYJET");
    assert_int_equal(c[1]->line, 26);
    /* messages name the path when no name is given */
    assert_int_equal(ct_ssim_get_report(r)->errors, 0);
    ct_ssim_close(r);
}

/* The memory reader with the smallest buffer reads exactly what the file reader reads. */
static void memory_and_small_buffers_match_file(void **state)
{
    (void)state;
    static loaded a, b;
    const char *names[] = {"clean.ssim", "crlf.ssim", "nobreaks.ssim", "bad.ssim"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        load_fixture(names[i], &a);
        char path[1024];
        fixture_path(path, sizeof(path), names[i]);
        size_t len;
        char *data = read_all(path, &len);
        size_t sizes[] = {1, 512, 777, 4096};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            ct_ssim_options opts = {.name = names[i], .buffer_size = sizes[k]};
            ct_ssim_reader *r = NULL;
            assert_int_equal(ct_ssim_open_memory(data, len, &opts, &r), CT_OK);
            drain(r, &b);
            ct_ssim_close(r);
            assert_int_equal(b.n, a.n);
            for (int j = 0; j < a.n; j++) {
                char x[512], y[512];
                assert_string_equal(leg_str(&a.legs[j], x, sizeof(x)),
                                    leg_str(&b.legs[j], y, sizeof(y)));
            }
            assert_int_equal(b.report.nmessages, a.report.nmessages);
            for (size_t j = 0; j < a.report.nmessages; j++)
                assert_string_equal(b.report.messages[j], a.report.messages[j]);
        }
        free(data);
    }
}

static void crlf_blank_lines_and_short_records(void **state)
{
    (void)state;
    static loaded f;
    load_fixture("crlf.ssim", &f);
    assert_int_equal(f.report.records, 11);
    assert_int_equal(f.report.filler, 6);
    assert_int_equal(f.report.carriers, 1);
    assert_int_equal(f.report.errors, 0);
    assert_int_equal(f.report.warnings, 0);
    assert_int_equal(f.n, 2);
    assert_leg(&f.legs[0],
               "LX0014 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 ZRH 13:00+120 d0 T1 > "
               "JFK 15:55-240 d0 T4 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg0 @11:1 #-1");
    assert_leg(&f.legs[1],
               "LX0015 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 JFK 18:30-240 d0 T4 > "
               "ZRH 08:15+120 d1 T1 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg0 @12:1 #-1");
}

static void no_line_breaks(void **state)
{
    (void)state;
    static loaded f;
    load_fixture("nobreaks.ssim", &f);
    assert_int_equal(f.report.records, 15);
    assert_int_equal(f.report.filler, 8);
    assert_int_equal(f.report.legs, 3);
    assert_int_equal(f.report.rejected, 1);
    assert_int_equal(f.report.errors, 1);
    assert_int_equal(f.report.warnings, 0);
    assert_string_equal(f.report.messages[0],
                        "nobreaks.ssim:1:1455: arrival station: expected three letters A-Z, "
                        "got 'Z1C'");
    assert_int_equal(f.n, 3);
    assert_leg(&f.legs[0],
               "LX0014 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 ZRH 13:00+120 d0 T > "
               "JFK 15:55-240 d0 T 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg0 @1:1001 #3");
    assert_leg(&f.legs[1], "LX0016 v1 l1 JL 2026-03-29..2026-10-24 dow7f/1 ZRH 17:00+120 d0 T > "
                           "EWR 19:55-240 d0 T 333 JCDZPYBMUHQVWSGKLT C42Y194=236 seg0 @1:1201 #4");
    assert_leg(&f.legs[2], "LX1612 v1 l1 JL 2026-03-29..2026-10-24 dow1f/1 ZRH 07:20+120 d0 T > "
                           "VIE 08:50+120 d0 T 221 CDJYBM C20Y105=125 seg0 @1:1601 #6");
}

typedef struct diag_log {
    int n;
    ct_ssim_severity sev[16];
    size_t line[16], column[16];
    char text[16][256];
} diag_log;

static void collect(void *ctx, const ct_ssim_diag *d)
{
    diag_log *log = ctx;
    if (log->n >= 16)
        return;
    log->sev[log->n] = d->severity;
    log->line[log->n] = d->line;
    log->column[log->n] = d->column;
    snprintf(log->text[log->n], sizeof(log->text[0]), "%s", d->text);
    log->n++;
}

static void bad_records_reported_and_skipped(void **state)
{
    (void)state;
    static loaded f;
    static diag_log log;
    char path[1024];
    fixture_path(path, sizeof(path), "bad.ssim");
    ct_ssim_options opts = {.name = "bad.ssim", .on_diag = collect, .ctx = &log};
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open(path, &opts, &r), CT_OK);
    drain(r, &f);
    ct_ssim_close(r);
    assert_int_equal(f.end, CT_DONE);
    const char *expected[] = {
        "bad.ssim:12:15: period of operation from: expected a date DDMMMYY, got '31FEB26'",
        "bad.ssim:14:55: arrival station: expected three letters A-Z, got 'Z1C'",
        "bad.ssim:16:40: passenger STD: expected a time HHMM (0000-2359), got '2561'",
        "bad.ssim:17:1: warning: segment data dropped with its rejected leg",
        "bad.ssim:19:32: days of operation: position 4 must be '4' or blank, got '5'",
        "bad.ssim:20:1: warning: unknown record type '7'; record skipped",
    };
    const size_t lines[] = {12, 14, 16, 17, 19, 20}, columns[] = {15, 55, 40, 1, 32, 1};
    assert_int_equal(f.report.nmessages, 6);
    assert_int_equal(log.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(f.report.messages[i], expected[i]);
        assert_string_equal(log.text[i], expected[i]);
        assert_int_equal(log.line[i], lines[i]);
        assert_int_equal(log.column[i], columns[i]);
        assert_int_equal(log.sev[i],
                         strstr(expected[i], "warning:") ? CT_SSIM_WARNING : CT_SSIM_ERROR);
    }
    assert_int_equal(f.report.errors, 4);
    assert_int_equal(f.report.warnings, 2);
    assert_int_equal(f.report.rejected, 5);
    assert_int_equal(f.report.legs, 5);
    /* the neighbours all load, with their own line numbers */
    const int numbers[] = {100, 102, 104, 106, 108};
    const size_t leg_lines[] = {11, 13, 15, 18, 21};
    assert_int_equal(f.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f.legs[i].flight_number, numbers[i]);
        assert_int_equal(f.legs[i].line, leg_lines[i]);
        assert_int_equal(f.legs[i].nsegments, 0);
    }
}

/* ---- records built here ---- */

static void open_ended_periods(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    leg_rec(rec);
    put(rec, 22, "00XXX00");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.errors + f.report.warnings, 0);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.legs[0].period_open, 1);
    assert_int_equal(f.legs[0].period_from, day_of(2026, 3, 29));
    assert_int_equal(f.legs[0].period_to, day_of(2026, 3, 29) + 365);
    ct_ssim_options opts = {.open_until = day_of(2026, 6, 30)};
    load_memory(d.text, &opts, &f);
    assert_int_equal(f.legs[0].period_to, day_of(2026, 6, 30));
    assert_true(ct_ssim_leg_operates(&f.legs[0], day_of(2026, 6, 30)));
    assert_false(ct_ssim_leg_operates(&f.legs[0], day_of(2026, 7, 1)));
    opts.open_until = day_of(2026, 1, 1); /* a horizon before the start: one day */
    load_memory(d.text, &opts, &f);
    assert_int_equal(f.legs[0].period_to, day_of(2026, 3, 29));
    /* 00XXX00 is not a "from" date */
    put(rec, 15, "00XXX00");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 0);
    assert_string_equal(f.report.messages[0], "<memory>:2:15: period of operation from: expected "
                                              "a date DDMMMYY, got '00XXX00'");
}

static void two_digit_years(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    leg_rec(rec);
    put(rec, 15, "01jan7031DEC69");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.legs[0].period_from, 0); /* 1970-01-01 */
    assert_int_equal(f.legs[0].period_to, day_of(2069, 12, 31));
    /* ends before it starts */
    put(rec, 15, "02JAN0001JAN00");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 0);
    assert_string_equal(f.report.messages[0], "<memory>:2:22: period of operation: ends "
                                              "(01JAN00) before it starts (02JAN00)");
}

static void date_variation_a_is_minus_one(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    /* Sydney 07:00 -> Honolulu 21:00 the previous local day (crossing the date line). */
    leg_rec(rec);
    put(rec, 1, "3 QF 00030101J01APR2630APR261234567 SYD07000700+1000  HNL21002100-1000");
    put(rec, 193, "0A");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.errors, 0);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.legs[0].dep_date_var, 0);
    assert_int_equal(f.legs[0].arr_date_var, -1);
    assert_leg_utc(&f.legs[0], day_of(2026, 4, 10), "2026-04-09T21:00:00Z", "2026-04-10T07:00:00Z");
    /* a bad date variation */
    put(rec, 194, "B");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 0);
    assert_string_equal(f.report.messages[0], "<memory>:2:194: arrival date variation: expected "
                                              "a date variation 0-9 or A (= -1), got 'B'");
}

static void utc_time_mode(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    /* U file: ZRH 22:30Z (+0200) -> JFK 02:00Z next UTC day (-0400) */
    leg_rec(rec);
    put(rec, 15, "01APR26");
    put(rec, 40, "22302230");
    put(rec, 58, "02000200");
    put(rec, 193, "01");
    one_leg_doc(&d, 'U', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.errors + f.report.warnings, 0);
    assert_int_equal(f.n, 1);
    assert_non_null(f.legs[0].carrier); /* (closed with the reader: not dereferenced here) */
    /* local: departs 00:30 the next day in Zurich, arrives 22:00 the period day in New York */
    assert_leg(&f.legs[0], "LX0014 v1 l1 JU 2026-04-01..2026-10-24 dow7f/1 ZRH 00:30+120 d1 T1 > "
                           "JFK 22:00-240 d0 T4 77W JCDZPYBMUHQVWSGKLT F8J62Y240=310 seg0 @2:1 #2");
    assert_leg_utc(&f.legs[0], day_of(2026, 4, 1), "2026-04-01T22:30:00Z", "2026-04-02T02:00:00Z");
    /* the same flight in an L file gives the same instants */
    leg_rec(rec);
    put(rec, 15, "01APR26");
    put(rec, 40, "00300030");
    put(rec, 58, "22002200");
    put(rec, 193, "10");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_leg_utc(&f.legs[0], day_of(2026, 4, 1), "2026-04-01T22:30:00Z", "2026-04-02T02:00:00Z");
    /* a bad time mode rejects the carrier; its legs are read as local, with one warning */
    leg_rec(rec);
    one_leg_doc(&d, 'X', rec);
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 2);
    assert_null(f.legs[0].carrier);
    assert_int_equal(f.legs[0].time_mode, 'L');
    assert_int_equal(f.report.nmessages, 2);
    assert_string_equal(f.report.messages[0],
                        "<memory>:1:2: time mode: expected L (local) or U (UTC), got 'X'");
    assert_string_equal(f.report.messages[1], "<memory>:2:1: warning: no valid carrier record "
                                              "(type 2) before this leg; times read as local");
}

static void aircraft_configuration(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    leg_rec(rec);
    put(rec, 173, "F8J42W24Y200        ");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.warnings, 0);
    assert_string_equal(f.legs[0].config, "F8J42W24Y200");
    assert_int_equal(f.legs[0].seats['F' - 'A'], 8);
    assert_int_equal(f.legs[0].seats['J' - 'A'], 42);
    assert_int_equal(f.legs[0].seats['W' - 'A'], 24);
    assert_int_equal(f.legs[0].seats['Y' - 'A'], 200);
    assert_int_equal(f.legs[0].seats_total, 274);
    int sum = 0;
    for (int i = 0; i < 26; i++)
        sum += f.legs[0].seats[i];
    assert_int_equal(sum, 274);

    put(rec, 173, "J30Y150             ");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.legs[0].seats['J' - 'A'], 30);
    assert_int_equal(f.legs[0].seats['Y' - 'A'], 150);
    assert_int_equal(f.legs[0].seats_total, 180);

    /* blank, or an aircraft version code: no seats, no warning */
    const char *quiet[] = {"                    ", "VV320A              "};
    for (int i = 0; i < 2; i++) {
        put(rec, 173, quiet[i]);
        one_leg_doc(&d, 'L', rec);
        load_memory(d.text, NULL, &f);
        assert_int_equal(f.n, 1);
        assert_int_equal(f.report.warnings, 0);
        assert_int_equal(f.legs[0].seats_total, 0);
    }

    /* malformed: the leg is kept, seats unknown, a warning at the offending column */
    const char *bad[] = {"J3XY100             ", "Y1000               ", "30Y150              "};
    const char *msgs[] = {
        "<memory>:2:176: warning: aircraft configuration: expected cabin letters with seats "
        "(J30Y150), got 'J3XY100             '; seats left unknown",
        "<memory>:2:177: warning: aircraft configuration: expected cabin letters with seats "
        "(J30Y150), got 'Y1000               '; seats left unknown",
        "<memory>:2:173: warning: aircraft configuration: expected cabin letters with seats "
        "(J30Y150), got '30Y150              '; seats left unknown",
    };
    for (int i = 0; i < 3; i++) {
        put(rec, 173, bad[i]);
        one_leg_doc(&d, 'L', rec);
        load_memory(d.text, NULL, &f);
        assert_int_equal(f.n, 1);
        assert_int_equal(f.legs[0].seats_total, 0);
        assert_int_equal(f.legs[0].seats['Y' - 'A'], 0);
        assert_int_equal(f.report.nmessages, 1);
        assert_string_equal(f.report.messages[0], msgs[i]);
    }
}

/* Real files (issue 15): configurations with an aircraft version after "VV"; overnight legs
 * whose arrival date variation is blank; a habit repeated on every record warns once with a
 * count; every rejected record's line is kept. */
static void real_file_habits(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    /* "Y118VV118", "W18Y112VVCGO": the cabins before VV, no warning. */
    const struct {
        const char *config;
        int w, y, total;
    } versions[] = {{"Y118VV118           ", 0, 118, 118}, {"W18Y112VVCGO        ", 18, 112, 130}};
    for (int i = 0; i < 2; i++) {
        leg_rec(rec);
        put(rec, 173, versions[i].config);
        one_leg_doc(&d, 'L', rec);
        load_memory(d.text, NULL, &f);
        assert_int_equal(f.report.warnings, 0);
        assert_int_equal(f.legs[0].seats['W' - 'A'], versions[i].w);
        assert_int_equal(f.legs[0].seats['Y' - 'A'], versions[i].y);
        assert_int_equal(f.legs[0].seats_total, versions[i].total);
    }

    /* ZRH 22:30 +0100 -> LHR 00:10 +0000 with a blank arrival date variation: next day. */
    leg_rec(rec);
    put(rec, 1, "3 LX 03180101J29MAR2624OCT261234567 ZRH22302230+01001 LHR00100010+00002 320");
    put(rec, 193, "  ");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.report.rejected, 0);
    assert_int_equal(f.legs[0].arr_date_var, 1);
    assert_int_equal(f.report.warnings, 1); /* one line for the file, with the count */
    assert_non_null(strstr(f.report.messages[0], "1 leg(s) arrive before they depart"));
    /* Written as the same day ("0"), it is an error as before: the file says so. */
    put(rec, 194, "0");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 0);
    assert_int_equal(f.report.rejected, 1);

    /* Ten records with one bad configuration: three warnings, then one summary line. */
    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    for (int i = 0; i < 10; i++) {
        leg_rec(rec);
        char num[16];
        snprintf(num, sizeof(num), "%04d", 100 + i);
        put(rec, 6, num);
        put(rec, 173, "J3XY100             ");
        char serial[16];
        snprintf(serial, sizeof(serial), "%06d", i + 2);
        put(rec, 195, serial);
        add(&d, rec);
    }
    trailer_rec(rec, "000011");
    put(rec, 195, "000012");
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 10);
    assert_int_equal(f.report.warnings, 4);
    assert_int_equal(f.report.warnings_folded, 7);
    assert_non_null(strstr(f.report.messages[3], "7 more warning(s) like line 2's: aircraft"));

    /* Rejected records: each one's line. */
    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    for (int i = 0; i < 4; i++) {
        leg_rec(rec);
        if (i % 2)
            put(rec, 40, "2599"); /* not a time */
        add(&d, rec);
    }
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open_memory(d.text, d.len, NULL, &r), CT_OK);
    const ct_ssim_leg *leg;
    while (ct_ssim_next(r, &leg) == CT_ROW)
        ;
    const ct_ssim_report *rep = ct_ssim_get_report(r);
    assert_int_equal(rep->rejected, 2);
    assert_int_equal(rep->rejected_lines[0], 3);
    assert_int_equal(rep->rejected_lines[1], 5);
    ct_ssim_close(r);
}

static void trailer_serial_check(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    leg_rec(rec);
    one_leg_doc(&d, 'L', rec); /* the trailer refers to serial 000002: the leg */
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.warnings + f.report.errors, 0);

    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    leg_rec(rec);
    add(&d, rec);
    trailer_rec(rec, "000001");
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.report.warnings, 1);
    assert_string_equal(f.report.messages[0],
                        "<memory>:3:188: warning: serial number check reference 000001 does not "
                        "match the serial of the last record, 000002");

    /* no trailer at all: a warning at the last record */
    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    leg_rec(rec);
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.report.messages[0], "<memory>:2:1: warning: no trailer record (type 5) "
                                              "after the records of carrier 'LX'");
}

static void cross_record_checks(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    char rec[201];
    /* leg 02 departs where leg 01 did not arrive */
    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    leg_rec(rec);
    add(&d, rec);
    put(rec, 12, "02");
    put(rec, 37, "BOS18001800-0400");
    put(rec, 55, "ORD");
    put(rec, 58, "20002000-0500");
    add(&d, rec);
    trailer_rec(rec, "000002");
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.report.nmessages, 1);
    assert_string_equal(f.report.messages[0], "<memory>:3:37: warning: departure station: leg 02 "
                                              "departs BOS but leg 01 arrived at JFK");

    /* arrival before departure in UTC is an error */
    leg_rec(rec);
    put(rec, 62, "0500");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 0);
    assert_string_equal(f.report.messages[0], "<memory>:2:62: passenger STA: arrival is not after "
                                              "departure (-120 minutes in UTC); check the times, "
                                              "UTC and date variations");

    /* a single Tuesday with only Monday flights */
    leg_rec(rec);
    put(rec, 15, "31MAR2631MAR261      ");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.report.messages[0], "<memory>:2:29: warning: days of operation: none "
                                              "falls in the period of operation");

    /* segment data without a leg of its flight */
    d.len = 0;
    carrier_rec(rec, 'L');
    add(&d, rec);
    blank(rec);
    put(rec, 1, "4 LX 00990101J              AB505ZRHJFKET");
    add(&d, rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.report.rejected, 1);
    assert_string_equal(f.report.messages[0], "<memory>:2:3: segment data: no leg of flight "
                                              "LX0099 (variation 01) precedes it");
}

static void every_field_is_checked(void **state)
{
    (void)state;
    static doc d;
    static loaded f;
    struct {
        int col;
        const char *value, *message;
    } cases[] = {
        {2, "1", "operational suffix: expected a blank or a letter A-Z, got '1'"},
        {3, "L$ ",
         "airline designator: expected two letters or digits and a blank, or three "
         "letters, got 'L$ '"},
        {3, "12 ",
         "airline designator: expected two letters or digits and a blank, or three "
         "letters, got '12 '"},
        {6, "00A4", "flight number: expected a number 0001-9999, got '00A4'"},
        {6, "0000", "flight number: expected a number 0001-9999, got '0000'"},
        {10, "00", "itinerary variation identifier: expected 01-99, got '00'"},
        {12, "  ", "leg sequence number: expected 01-99, got '  '"},
        {14, " ", "service type: expected a letter A-Z, got ' '"},
        {22, "31APR26", "period of operation to: expected a date DDMMMYY, got '31APR26'"},
        {29, "       ", "days of operation: no day given"},
        {36, "X", "frequency rate: expected a blank or 1-9, got 'X'"},
        {37, "zrh", "departure station: expected three letters A-Z, got 'zrh'"},
        {48, "+1500",
         "UTC variation at departure: expected +HHMM or -HHMM (at most 1400), got "
         "'+1500'"},
        {66, "0400 ",
         "UTC variation at arrival: expected +HHMM or -HHMM (at most 1400), got "
         "'0400 '"},
        {62, "1260", "passenger STA: expected a time HHMM (0000-2359), got '1260'"},
        {73, "7 W", "aircraft type: expected three letters or digits, got '7 W'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rec[201], expected[300];
        leg_rec(rec);
        put(rec, cases[i].col, cases[i].value);
        one_leg_doc(&d, 'L', rec);
        load_memory(d.text, NULL, &f);
        assert_int_equal(f.n, 0);
        assert_int_equal(f.report.rejected, 1);
        assert_int_equal(f.report.errors, 1);
        snprintf(expected, sizeof(expected), "<memory>:2:%d: %s", cases[i].col, cases[i].message);
        assert_string_equal(f.report.messages[0], expected);
    }
    /* tolerated: a suffix, a three-letter designator, a blank-padded number, a fortnightly rate */
    char rec[201];
    leg_rec(rec);
    put(rec, 2, "DEZY  12");
    put(rec, 36, "2");
    one_leg_doc(&d, 'L', rec);
    load_memory(d.text, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.legs[0].airline, "EZY");
    assert_int_equal(f.legs[0].suffix, 'D');
    assert_int_equal(f.legs[0].flight_number, 12);
    assert_int_equal(f.legs[0].frequency_rate, 2);
}

static void operating_days_and_zones(void **state)
{
    (void)state;
    static loaded f;
    load_fixture("clean.ssim", &f);
    const ct_ssim_leg *lx180 = &f.legs[2]; /* Mon, Wed, Fri, Sun from Mon 2026-03-30 */
    assert_true(ct_ssim_leg_operates(lx180, day_of(2026, 3, 30)));
    assert_false(ct_ssim_leg_operates(lx180, day_of(2026, 3, 31)));
    assert_true(ct_ssim_leg_operates(lx180, day_of(2026, 4, 1)));
    assert_true(ct_ssim_leg_operates(lx180, day_of(2026, 10, 23)));
    assert_false(ct_ssim_leg_operates(lx180, day_of(2026, 10, 25)));
    assert_false(ct_ssim_leg_operates(lx180, day_of(2026, 3, 29)));
    ct_ssim_leg fortnightly = *lx180;
    fortnightly.frequency_rate = 2;
    assert_true(ct_ssim_leg_operates(&fortnightly, day_of(2026, 4, 1)));
    assert_false(ct_ssim_leg_operates(&fortnightly, day_of(2026, 4, 6)));
    assert_true(ct_ssim_leg_operates(&fortnightly, day_of(2026, 4, 13)));

    const ct_ssim_leg *lx14 = &f.legs[0];
    int dep = 0, arr = 0;
    assert_int_equal(ct_ssim_leg_check_zones(lx14, day_of(2026, 6, 1), "Europe/Zurich",
                                             "America/New_York", &dep, &arr),
                     CT_OK);
    assert_int_equal(dep, 120);
    assert_int_equal(arr, -240);
    /* in winter the zones say +0100 / -0500: the summer variations conflict */
    assert_int_equal(ct_ssim_leg_check_zones(lx14, day_of(2026, 1, 15), "Europe/Zurich",
                                             "America/New_York", &dep, &arr),
                     CT_CONFLICT);
    assert_int_equal(dep, 60);
    assert_int_equal(arr, -300);
    /* one end only; a wrong zone */
    assert_int_equal(
        ct_ssim_leg_check_zones(lx14, day_of(2026, 6, 1), NULL, "America/New_York", NULL, &arr),
        CT_OK);
    assert_int_equal(
        ct_ssim_leg_check_zones(lx14, day_of(2026, 6, 1), "Europe/London", NULL, &dep, NULL),
        CT_CONFLICT);
    assert_int_equal(dep, 60);
    assert_int_equal(
        ct_ssim_leg_check_zones(lx14, day_of(2026, 6, 1), "Mars/Olympus", NULL, NULL, NULL),
        CT_INVALID);
    ct_utc t;
    assert_int_equal(ct_ssim_leg_utc(lx14, 200000000, &t, NULL), CT_INVALID);
}

/* A generated file large enough for many buffer refills, with and without line breaks. */
static void large_files_across_buffer_boundaries(void **state)
{
    (void)state;
    char dir[256], path[512];
    ts_tempdir(dir, sizeof(dir));
    const char *seps[] = {"\r\n", ""};
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof(path), "%s/big-%d.ssim", dir, s);
        FILE *out = fopen(path, "wb");
        assert_non_null(out);
        char rec[201];
        carrier_rec(rec, 'L');
        fprintf(out, "%s%s", rec, seps[s]);
        const int n = 3000;
        for (int i = 0; i < n; i++) {
            char num[16];
            leg_rec(rec);
            snprintf(num, sizeof(num), "%04d", (i + 1) % 10000);
            put(rec, 6, num);
            fprintf(out, "%s%s", rec, seps[s]);
        }
        fclose(out);
        ct_ssim_options opts = {.buffer_size = 1000};
        ct_ssim_reader *r = NULL;
        assert_int_equal(ct_ssim_open(path, &opts, &r), CT_OK);
        const ct_ssim_leg *leg;
        int count = 0;
        while (ct_ssim_next(r, &leg) == CT_ROW) {
            assert_int_equal(leg->flight_number, count + 1);
            assert_int_equal(leg->line, s == 0 ? (size_t)count + 2 : 1);
            assert_int_equal(leg->column, s == 0 ? 1 : (size_t)count * 200 + 201);
            count++;
        }
        assert_int_equal(count, n);
        /* one warning: no trailer */
        assert_int_equal(ct_ssim_get_report(r)->warnings, 1);
        assert_int_equal(ct_ssim_get_report(r)->errors, 0);
        ct_ssim_close(r);
    }
    ts_rmtree(dir);
}

/* Pseudo-random damage must never crash or loop (the fuzzer does more of this). */
static void damaged_input_never_crashes(void **state)
{
    (void)state;
    char path[1024];
    fixture_path(path, sizeof(path), "clean.ssim");
    size_t len;
    char *data = read_all(path, &len);
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        char *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, data, len);
        for (int k = 0; k < 40; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            copy[at] = (char)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        size_t cut = (seed >> 4) % (len + 1);
        ct_ssim_options opts = {.buffer_size = 512 + (size_t)round};
        ct_ssim_reader *r = NULL;
        assert_int_equal(ct_ssim_open_memory(copy, cut, &opts, &r), CT_OK);
        const ct_ssim_leg *leg;
        int legs = 0;
        while (ct_ssim_next(r, &leg) == CT_ROW) {
            assert_true(leg->period_to >= leg->period_from);
            assert_true(leg->dep_time >= 0 && leg->dep_time < 1440);
            assert_true(leg->arr_time >= 0 && leg->arr_time < 1440);
            legs++;
        }
        assert_true(legs <= 6);
        assert_int_equal((size_t)legs, ct_ssim_get_report(r)->legs);
        ct_ssim_close(r);
        free(copy);
    }
    free(data);
    /* nothing at all */
    static loaded f;
    ct_ssim_reader *r = NULL;
    assert_int_equal(ct_ssim_open_memory(NULL, 0, NULL, &r), CT_OK);
    drain(r, &f);
    ct_ssim_close(r);
    assert_int_equal(f.end, CT_DONE);
    assert_int_equal(f.report.records, 0);
    load_memory("\xEF\xBB\xBF\n\r\n   \n", NULL, &f);
    assert_int_equal(f.report.records, 0);
}

static void open_failures(void **state)
{
    (void)state;
    ct_ssim_reader *r = (ct_ssim_reader *)&r;
    errno = 0;
    assert_int_equal(ct_ssim_open("/nonexistent/contrail.ssim", NULL, &r), CT_IO);
    assert_int_equal(errno, ENOENT);
    assert_null(r);
    for (long i = 0; i < 4; i++) {
        ct_alloc_fail_after(i);
        ct_status rc = ct_ssim_open_memory("", 0, NULL, &r);
        ct_alloc_fail_after(-1);
        if (i < 3) {
            assert_int_equal(rc, CT_NOMEM);
            assert_null(r);
        } else {
            assert_int_equal(rc, CT_OK);
            ct_ssim_close(r);
        }
    }
    /* running out of memory for a carrier stops the reader with CT_NOMEM, then stays stopped */
    static doc d;
    char rec[201];
    leg_rec(rec);
    one_leg_doc(&d, 'L', rec);
    assert_int_equal(ct_ssim_open_memory(d.text, d.len, NULL, &r), CT_OK);
    const ct_ssim_leg *leg;
    ct_alloc_fail_after(0);
    assert_int_equal(ct_ssim_next(r, &leg), CT_NOMEM);
    ct_alloc_fail_after(-1);
    assert_null(leg);
    assert_int_equal(ct_ssim_next(r, &leg), CT_NOMEM);
    assert_string_equal(ct_ssim_get_report(r)->messages[0],
                        "<memory>:1:1: cannot keep the carrier record: out_of_memory");
    ct_ssim_close(r);
    ct_ssim_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_file_two_carriers),
        cmocka_unit_test(clean_file_carriers),
        cmocka_unit_test(memory_and_small_buffers_match_file),
        cmocka_unit_test(crlf_blank_lines_and_short_records),
        cmocka_unit_test(no_line_breaks),
        cmocka_unit_test(bad_records_reported_and_skipped),
        cmocka_unit_test(open_ended_periods),
        cmocka_unit_test(two_digit_years),
        cmocka_unit_test(date_variation_a_is_minus_one),
        cmocka_unit_test(utc_time_mode),
        cmocka_unit_test(aircraft_configuration),
        cmocka_unit_test(real_file_habits),
        cmocka_unit_test(trailer_serial_check),
        cmocka_unit_test(cross_record_checks),
        cmocka_unit_test(every_field_is_checked),
        cmocka_unit_test(operating_days_and_zones),
        cmocka_unit_test(large_files_across_buffer_boundaries),
        cmocka_unit_test(damaged_input_never_crashes),
        cmocka_unit_test(open_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
