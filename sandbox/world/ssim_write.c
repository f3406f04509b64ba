/* ssim_write.c: the SSIM writer (see ssim_write.h and docs/ssim.md for every column).
 *
 * Records are built in a 200-byte buffer of spaces with put() at 1-based columns, then
 * written with a newline. A small writer struct numbers records and pads blocks of five with
 * filler records of zeros. */
#include "sandbox/world/ssim_write.h"

#include "base/alloc.h"
#include "base/fileutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"

#define REC 200

typedef struct ssim_out {
    FILE *f;
    long serial;   /* last record serial number written */
    long physical; /* records written including fillers */
    long bytes;
    int err;
} ssim_out;

/* Writes text's characters from column col, cut at the record's end; no terminator (a field). */
static void put(char *rec, int col, const char *text)
{
    /* A loop rather than memcpy of strnlen: gcc's -Wstringop-overread (Release) sees the
     * bound exceed small source arrays once inlined; clang-tidy wants no strlen-sized copy. */
    for (int i = 0; text[i] != '\0' && col - 1 + i < REC; i++)
        rec[col - 1 + i] = text[i];
}

static void emit(ssim_out *o, char *rec, int numbered)
{
    if (numbered) {
        char serial[8];
        snprintf(serial, sizeof(serial), "%06ld", ++o->serial % 1000000);
        put(rec, 195, serial);
    }
    if (fwrite(rec, 1, REC, o->f) != REC || fputc('\n', o->f) == EOF)
        o->err = 1;
    o->physical++;
    o->bytes += REC + 1;
}

static void fill_block(ssim_out *o)
{
    char rec[REC];
    memset(rec, '0', REC);
    while (o->physical % 5 != 0)
        emit(o, rec, 0);
}

static void blank(char *rec)
{
    memset(rec, ' ', REC);
}

static void fmt_date(int64_t day, char out[8])
{
    static const char *months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    int y, m, d;
    ct_civil_from_days(day, &y, &m, &d);
    snprintf(out, 8, "%02d%s%02d", d, months[m - 1], y % 100);
}

static void fmt_hhmm(int minutes, char *out)
{
    unsigned h = (unsigned)(minutes / 60) % 24u, m = (unsigned)minutes % 60u;
    out[0] = (char)('0' + h / 10);
    out[1] = (char)('0' + h % 10);
    out[2] = (char)('0' + m / 10);
    out[3] = (char)('0' + m % 10);
    out[4] = '\0';
}

static void fmt_variation(int offset_sec, char *out)
{
    int m = offset_sec / 60;
    out[0] = m < 0 ? '-' : '+';
    fmt_hhmm(m < 0 ? -m : m, out + 1);
}

static char day_var(int offset)
{
    return offset < 0 ? 'A' : (char)('0' + (offset > 9 ? 9 : offset));
}

/* What a leg's record says on one date; a period is split where it changes. */
typedef struct leg_sig {
    int dep_var, arr_var; /* UTC offsets, seconds */
    int dep_local_min;    /* STD as the wall clock reads it (moved on a spring-forward gap) */
    int dep_day;          /* departure date variation */
    int arr_local_min;    /* STA, local minutes */
    int arr_day;          /* arrival date variation */
} leg_sig;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static void leg_signature(const sb_world *w, const sb_flight *f, int64_t day, leg_sig *sig)
{
    for (int l = 0; l < f->nlegs; l++) {
        int64_t dep, arr;
        sb_leg_times(w, f, l, day, &dep, &arr);
        const sb_zone *zo = &w->zones[w->airports[f->legs[l].origin].zone];
        const sb_zone *zd = &w->zones[w->airports[f->legs[l].dest].zone];
        sig[l].dep_var = sb_zone_offset_at(zo, dep);
        sig[l].arr_var = sb_zone_offset_at(zd, arr);
        int64_t local = dep + sig[l].dep_var;
        int64_t local_day = floor_div(local, 86400);
        sig[l].dep_local_min = (int)((local - local_day * 86400) / 60);
        sig[l].dep_day = (int)(local_day - day);
        local = arr + sig[l].arr_var;
        local_day = floor_div(local, 86400);
        sig[l].arr_local_min = (int)((local - local_day * 86400) / 60);
        sig[l].arr_day = (int)(local_day - day);
    }
}

/* The booking classes (position 76) and the configuration (173, "F8J42W24Y218") of the
 * cabins the aircraft has, first to economy. */
static void write_cabins(char *rec, const sb_aircraft *ac)
{
    static const struct {
        char letter;
        const char *classes;
    } cabins[] = {{'F', "FA"}, {'J', "JC"}, {'W', "WE"}, {'Y', "YBMHQV"}};
    const int seats[] = {ac->seats_first, ac->seats_business, ac->seats_premium, ac->seats_economy};
    char classes[24] = "", config[24] = "";
    size_t nc = 0, ng = 0;
    for (size_t k = 0; k < sizeof(cabins) / sizeof(cabins[0]); k++) {
        if (seats[k] <= 0)
            continue;
        nc += (size_t)snprintf(classes + nc, sizeof(classes) - nc, "%s", cabins[k].classes);
        ng += (size_t)snprintf(config + ng, sizeof(config) - ng, "%c%d", cabins[k].letter,
                               seats[k] > 999 ? 999 : seats[k]);
    }
    put(rec, 76, classes);
    put(rec, 173, config);
}

static void write_leg(ssim_out *o, const sb_world *w, const sb_flight *f, int l, int ivi,
                      int64_t from, int64_t to, const leg_sig *sig)
{
    const sb_carrier *cr = &w->carriers[f->carrier];
    const sb_leg *leg = &f->legs[l];
    int naircraft;
    const sb_aircraft *ac = &sb_aircraft_types(&naircraft)[leg->aircraft];
    char rec[REC], buf[32];
    blank(rec);
    put(rec, 1, "3");
    put(rec, 3, cr->code);
    snprintf(buf, sizeof(buf), "%04d%02d%02dJ", f->number, ivi, l + 1);
    put(rec, 6, buf);
    fmt_date(from, buf);
    put(rec, 15, buf);
    fmt_date(to, buf);
    put(rec, 22, buf);
    for (int d = 0; d < 7; d++) {
        if (f->dow_mask & (1u << d)) {
            char digit[2] = {(char)('1' + d), 0};
            put(rec, 29 + d, digit);
        }
    }
    put(rec, 37, w->airports[leg->origin].iata);
    fmt_hhmm(sig->dep_local_min, buf);
    put(rec, 40, buf);
    put(rec, 44, buf);
    fmt_variation(sig->dep_var, buf);
    put(rec, 48, buf);
    put(rec, 55, w->airports[leg->dest].iata);
    fmt_hhmm(sig->arr_local_min, buf);
    put(rec, 58, buf);
    put(rec, 62, buf);
    fmt_variation(sig->arr_var, buf);
    put(rec, 66, buf);
    put(rec, 73, ac->iata);
    write_cabins(rec, ac);
    put(rec, 129, cr->code);
    char vars[3] = {day_var(sig->dep_day), day_var(sig->arr_day), 0};
    put(rec, 193, vars);
    emit(o, rec, 1);
}

/* Type 4 for multi-leg flights: the through segment's operating-airline disclosure. */
static void write_segment(ssim_out *o, const sb_world *w, const sb_flight *f, int ivi)
{
    const sb_carrier *cr = &w->carriers[f->carrier];
    char rec[REC], buf[64];
    blank(rec);
    put(rec, 1, "4");
    put(rec, 3, cr->code);
    snprintf(buf, sizeof(buf), "%04d%02d%02dJ", f->number, ivi, 1);
    put(rec, 6, buf);
    char points[3] = {'A', (char)('A' + f->nlegs), 0};
    put(rec, 29, points);
    put(rec, 31, "010");
    put(rec, 34, w->airports[f->legs[0].origin].iata);
    put(rec, 37, w->airports[f->legs[f->nlegs - 1].dest].iata);
    snprintf(buf, sizeof(buf), "%s", cr->code);
    put(rec, 40, buf);
    emit(o, rec, 1);
}

static int sig_equal(const leg_sig *a, const leg_sig *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof(leg_sig)) == 0;
}

/* Writes one flight pattern, split into periods of constant times. */
static void write_flight(ssim_out *o, const sb_world *w, const sb_flight *f, int *ivi,
                         long *records)
{
    leg_sig cur[SB_MAX_LEGS], next[SB_MAX_LEGS];
    int64_t from = -1, last = -1;
    for (int64_t d = f->first_day; d <= f->last_day + 1; d++) {
        int end = d > f->last_day;
        if (!end && !sb_flight_operates(f, d))
            continue;
        if (!end)
            leg_signature(w, f, d, next);
        if (from >= 0 && (end || !sig_equal(cur, next, f->nlegs))) {
            ++*ivi;
            for (int l = 0; l < f->nlegs; l++)
                write_leg(o, w, f, l, *ivi > 99 ? 99 : *ivi, from, last, &cur[l]);
            if (f->nlegs > 1)
                write_segment(o, w, f, *ivi > 99 ? 99 : *ivi);
            *records += f->nlegs;
            from = -1;
        }
        if (end)
            break;
        if (from < 0) {
            from = d;
            memcpy(cur, next, sizeof(cur));
        }
        last = d;
    }
}

ct_status sb_ssim_write_carrier(const sb_world *w, int c, FILE *f, int64_t created_day,
                                sb_ssim_stats *stats)
{
    const sb_carrier *cr = &w->carriers[c];
    ssim_out o = {f, 0, 0, 0, 0};
    char rec[REC], buf[64];
    blank(rec);
    put(rec, 1, "1AIRLINE STANDARD SCHEDULE DATA SET");
    put(rec, 41, "1");
    put(rec, 192, "001");
    emit(&o, rec, 1);
    fill_block(&o);

    int64_t first = w->start_day + w->horizon_days, last = w->start_day;
    for (int i = 0; i < cr->nflights; i++) {
        const sb_flight *fl = &w->flights[cr->first_flight + i];
        first = fl->first_day < first ? fl->first_day : first;
        last = fl->last_day > last ? fl->last_day : last;
    }
    blank(rec);
    put(rec, 1, "2L");
    put(rec, 3, cr->code);
    int y, m, d;
    ct_civil_from_days(w->start_day, &y, &m, &d);
    snprintf(buf, sizeof(buf), "%c%02d", m >= 4 && m <= 10 ? 'S' : 'W', y % 100);
    put(rec, 11, buf);
    fmt_date(first, buf);
    put(rec, 15, buf);
    fmt_date(last, buf);
    put(rec, 22, buf);
    fmt_date(created_day, buf);
    put(rec, 29, buf);
    put(rec, 36, "CONTRAIL SANDBOX SCHEDULE");
    put(rec, 65, buf);
    put(rec, 72, "C");
    char name[36];
    size_t k = 0;
    for (const char *p = cr->name; *p && k < 35; p++)
        name[k++] = (unsigned char)*p < 0x80 ? *p : '?';
    name[k] = '\0';
    put(rec, 73, name);
    emit(&o, rec, 1);
    fill_block(&o);

    int *ivi_of = ct_calloc(10000, sizeof(int)); /* next itinerary variation per flight number */
    if (ivi_of == NULL)
        return CT_NOMEM;
    long records = 0;
    for (int i = 0; i < cr->nflights; i++) {
        const sb_flight *fl = &w->flights[cr->first_flight + i];
        write_flight(&o, w, fl, &ivi_of[fl->number % 10000], &records);
    }
    ct_free(ivi_of);
    long last_serial = o.serial;
    fill_block(&o);

    blank(rec);
    put(rec, 1, "5");
    put(rec, 3, cr->code);
    fmt_date(created_day, buf);
    put(rec, 6, buf);
    snprintf(buf, sizeof(buf), "%06ld", last_serial);
    put(rec, 188, buf);
    put(rec, 194, "E");
    emit(&o, rec, 1);
    fill_block(&o);
    stats->records += records;
    stats->bytes += o.bytes;
    stats->files++;
    return o.err ? CT_IO : CT_OK;
}

/* 1 when the file `path` exists and holds exactly these `len` bytes. */
static int same_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char buf[65536];
    size_t at = 0, n;
    int same = 1;
    while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        same = at + n <= len && memcmp(buf, data + at, n) == 0;
        at += n;
    }
    fclose(f);
    return same && at == len;
}

ct_status sb_ssim_write_world(const sb_world *w, const char *dir, int64_t created_day,
                              sb_ssim_stats *stats)
{
    for (int c = 0; c < w->ncarriers; c++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s.ssim", dir, w->carriers[c].code);
        /* In memory first: an unchanged file is not rewritten, so it keeps its inode and
         * time, and readers that key caches on them (the platform's timetable cache) see
         * that nothing changed. */
        char *data = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&data, &len);
        if (f == NULL)
            return CT_NOMEM;
        ct_status rc = sb_ssim_write_carrier(w, c, f, created_day, stats);
        if (fclose(f) != 0 && !rc)
            rc = CT_IO;
        if (!rc && !same_bytes(path, data, len)) {
            ct_file_buf buf = {data, len};
            rc = ct_file_replace(path, ct_file_write_buf, &buf);
        }
        free(data);
        if (rc)
            return rc;
    }
    return CT_OK;
}
