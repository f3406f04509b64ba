/* bench_ssim.c: SSIM reader throughput beside two peers, in the same run.
 *
 * The input is a synthetic, valid SSIM Chapter 7 file that THIS BENCHMARK WRITES ITSELF into
 * /tmp (not the sandbox's SSIM writer: the benchmark depends on nothing but the reader): one
 * carrier section with RECORDS type 3 records (default 500,000) of varied airlines, stations,
 * UTC variations, times, periods, days, aircraft, booking designators and configurations,
 * every tenth flight a two-leg flight, framed by type 1, 2 and 5 records and filler as
 * docs/ssim.md lays out. Then, single-threaded with the file in the page cache, it times RUNS
 * passes (default 7, after one warm-up pass each) of
 *   - contrail: ct_ssim_open + ct_ssim_next over the file, every field validated and converted;
 *   - a naive peer: fgets + sscanf of the same fixed-width fields, month names looked up, no
 *     validation (how a quick importer is usually written);
 *   - the I/O floor: read(2) in 1 MiB chunks and memchr counting line breaks.
 * It prints min/p50/p90/max per peer, records/s and MB/s at the median, the ratios, and the
 * peak RSS (getrusage ru_maxrss) before and right after the reader's passes, to show that the
 * reader does not hold the file in memory. Usage: bench_ssim [RECORDS] [RUNS] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "timetable/ssim.h"

typedef struct station {
    const char *code;
    int var; /* summer UTC variation, minutes */
} station;

static const station stations[] = {
    {"ZRH", 120},  {"GVA", 120},  {"FRA", 120},  {"MUC", 120},  {"CDG", 120},  {"AMS", 120},
    {"LHR", 60},   {"LGW", 60},   {"DUB", 60},   {"LIS", 60},   {"MAD", 120},  {"BCN", 120},
    {"FCO", 120},  {"VIE", 120},  {"CPH", 120},  {"ARN", 120},  {"HEL", 180},  {"ATH", 180},
    {"IST", 180},  {"DXB", 240},  {"DOH", 180},  {"DEL", 330},  {"BOM", 330},  {"BKK", 420},
    {"SIN", 480},  {"HKG", 480},  {"NRT", 540},  {"ICN", 540},  {"SYD", 600},  {"JFK", -240},
    {"EWR", -240}, {"BOS", -240}, {"ORD", -300}, {"ATL", -240}, {"MIA", -240}, {"LAX", -420},
    {"SFO", -420}, {"YYZ", -240}, {"GRU", -180}, {"JNB", 120},  {"CAI", 180},  {"KTM", 345},
};
#define NSTATIONS (sizeof(stations) / sizeof(stations[0]))

static const char *airlines[] = {"LX ", "LH ", "AF ", "BA ", "KL ", "U2 ",
                                 "OS ", "SN ", "IB ", "AZ ", "TP ", "EZY"};
static const char *aircraft[] = {"32N", "320", "321", "77W", "359", "388", "333", "E95", "73H"};
static const char *prbds[] = {"JCDZPYBMUHQVWSGKLT", "CDJYBMHQVWSGKLT", "Y", "JCDZYBMHQ"};
static const char *configs[] = {"F8J62Y240", "C20Y150", "Y186", "J42W24Y200", "C47Y181", "VV320A"};
static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";

/* ---- the synthetic file ---- */

static void put(char *rec, int col, const char *s, size_t n)
{
    memcpy(rec + col - 1, s, n);
}

static void put_str(char *rec, int col, const char *s)
{
    put(rec, col, s, strlen(s));
}

/* A zero-padded number of `width` digits. */
static void put_num(char *rec, int col, int width, long v)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        rec[col - 1 + i] = (char)('0' + v % 10);
}

static void put_date(char *rec, int col, int64_t days)
{
    int y, m, d;
    ct_civil_from_days(days, &y, &m, &d);
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%02d%.3s%02d", d % 100, months + 3 * (m - 1), y % 100);
    put(rec, col, tmp, 7);
}

static void put_time(char *rec, int col, int minutes)
{
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%02d%02d", (minutes / 60) % 100, minutes % 60);
    put(rec, col, tmp, 4);
}

static void put_var(char *rec, int col, int var)
{
    char tmp[16];
    int a = var < 0 ? -var : var;
    snprintf(tmp, sizeof(tmp), "%c%02d%02d", var < 0 ? '-' : '+', (a / 60) % 100, a % 60);
    put(rec, col, tmp, 5);
}

static void emit(FILE *out, char *rec, long *serial)
{
    put_num(rec, 195, 6, ++*serial);
    fwrite(rec, 1, 200, out);
    fputc('\n', out);
}

static void fill_block(FILE *out, long *nrec)
{
    char filler[201];
    memset(filler, '0', 200);
    filler[200] = '\n';
    while (*nrec % 5 != 0) {
        fwrite(filler, 1, 201, out);
        ++*nrec;
    }
}

/* One leg: i picks the values; dep/arr are station indexes; day_off the leg's date variation. */
static void leg_record(char *rec, long i, int seq, int number, size_t dep, size_t arr, int dep_min,
                       int day_off, int block)
{
    memset(rec, ' ', 200);
    rec[0] = '3';
    put(rec, 3, airlines[i % 12], 3);
    put_num(rec, 6, 4, number);
    put_num(rec, 10, 2, 1 + (i / 9999) % 99);
    put_num(rec, 12, 2, seq);
    rec[13] = 'J';
    int64_t from = ct_days_from_civil(2026, 3, 29) + i % 60;
    put_date(rec, 15, from);
    put_date(rec, 22, from + 30 + (i * 7) % 170);
    int mask = 1 + (int)((i * 37) % 127);
    for (int d = 0; d < 7; d++)
        rec[28 + d] = (char)((mask >> d) & 1 ? '1' + d : ' ');
    rec[28 + (i % 7)] = (char)('1' + i % 7); /* at least the first period date operates */
    int dep_utc = dep_min - stations[dep].var + day_off * 1440;
    int arr_local = dep_utc + block + stations[arr].var;
    int arr_day = arr_local >= 0 ? arr_local / 1440 : -1;
    put(rec, 37, stations[dep].code, 3);
    put_time(rec, 40, dep_min);
    put_time(rec, 44, dep_min);
    put_var(rec, 48, stations[dep].var);
    put(rec, 55, stations[arr].code, 3);
    put_time(rec, 58, arr_local - arr_day * 1440);
    put_time(rec, 62, arr_local - arr_day * 1440);
    put_var(rec, 66, stations[arr].var);
    put(rec, 73, aircraft[i % 9], 3);
    put_str(rec, 76, prbds[i % 4]);
    put_str(rec, 173, configs[i % 6]);
    rec[192] = (char)(day_off < 0 ? 'A' : '0' + day_off);
    rec[193] = (char)(arr_day < 0 ? 'A' : '0' + arr_day);
}

/* Writes the file; returns its size in bytes. */
static long write_file(const char *path, long nlegs)
{
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        perror(path);
        exit(1);
    }
    char rec[201];
    long serial = 0, nrec = 0;
    memset(rec, ' ', 200);
    put_str(rec, 1, "1AIRLINE STANDARD SCHEDULE DATA SET");
    put_str(rec, 41, "1");
    put_str(rec, 192, "001");
    emit(out, rec, &serial);
    nrec++;
    fill_block(out, &nrec);
    memset(rec, ' ', 200);
    put_str(rec, 1, "2LLX      S26 29MAR2624OCT2610MAR26BENCHMARK");
    emit(out, rec, &serial);
    nrec++;
    fill_block(out, &nrec);
    for (long i = 0; i < nlegs; i++) {
        size_t dep = (size_t)(i * 7) % NSTATIONS, arr = (size_t)(i * 11 + 3) % NSTATIONS;
        if (arr == dep)
            arr = (arr + 1) % NSTATIONS;
        int dep_min = (int)((i * 37) % 288) * 5, block = 45 + (int)((i * 13) % 120) * 5;
        int number = 1 + (int)(i % 9999);
        leg_record(rec, i, 1, number, dep, arr, dep_min, 0, block);
        emit(out, rec, &serial);
        nrec++;
        if (i % 10 == 9 && i + 1 < nlegs) { /* a second leg from where the first arrived */
            size_t arr2 = (arr + 5) % NSTATIONS;
            int dep_utc = dep_min - stations[dep].var + block + 60;
            int local = dep_utc + stations[arr].var;
            int day = local >= 0 ? local / 1440 : -1;
            leg_record(rec, i, 2, number, arr, arr2, local - day * 1440, day, 90);
            emit(out, rec, &serial);
            nrec++;
            i++;
        }
    }
    fill_block(out, &nrec);
    memset(rec, ' ', 200);
    put_str(rec, 1, "5 LX 10MAR26");
    put_num(rec, 188, 6, serial);
    put_str(rec, 194, "E");
    emit(out, rec, &serial);
    nrec++;
    fill_block(out, &nrec);
    long size = ftell(out);
    if (fclose(out) != 0) {
        perror(path);
        exit(1);
    }
    return size;
}

/* ---- the three readers; each returns a checksum so nothing is optimised away ---- */

static long run_contrail(const char *path, long expect)
{
    ct_ssim_reader *r = NULL;
    if (ct_ssim_open(path, NULL, &r) != CT_OK) {
        perror(path);
        exit(1);
    }
    const ct_ssim_leg *leg;
    long n = 0, sum = 0;
    while (ct_ssim_next(r, &leg) == CT_ROW) {
        sum += leg->flight_number + leg->dep_time + leg->seats_total + leg->dep[0];
        n++;
    }
    const ct_ssim_report *rep = ct_ssim_get_report(r);
    if (n != expect || rep->errors || rep->warnings) {
        fprintf(stderr, "bench: read %ld legs of %ld, %zu errors, %zu warnings; first: %s\n", n,
                expect, rep->errors, rep->warnings, rep->nmessages ? rep->messages[0] : "");
        exit(1);
    }
    ct_ssim_close(r);
    return sum;
}

static int naive_date(const char *s)
{
    int d = 0, y = 0;
    char mon[4] = "";
    if (sscanf(s, "%2d%3s%2d", &d, mon, &y) != 3)
        return -1;
    const char *m = strstr(months, mon);
    return m ? d + 31 * (int)((m - months) / 3) + 372 * y : -1;
}

static long run_naive(const char *path, long expect)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    char line[512];
    long n = 0, sum = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] != '3')
            continue;
        char airline[4] = "", from[8] = "", to[8] = "", days[8] = "", dep[4] = "", arr[4] = "";
        char dvar[6] = "", avar[6] = "", type[4] = "", config[21] = "", dv = 0, av = 0;
        int number = 0, ivi = 0, seq = 0, std = 0, sta = 0;
        int k = sscanf(line, "3%*c%3c%4d%2d%2d%*c%7c%7c%7c%*c%3c%4d%*4c%5c%*2c%3c%*4c%4d%5c%*2c%3c",
                       airline, &number, &ivi, &seq, from, to, days, dep, &std, dvar, arr, &sta,
                       avar, type);
        if (k != 14 || sscanf(line + 172, "%20c%c%c", config, &dv, &av) != 3)
            continue;
        sum += number + (std / 100) * 60 + std % 100 + dep[0] + naive_date(from) + naive_date(to) +
               atoi(dvar + 1) + atoi(avar + 1) + (days[0] == '1');
        n++;
    }
    fclose(f);
    if (n != expect) {
        fprintf(stderr, "bench: naive peer read %ld legs of %ld\n", n, expect);
        exit(1);
    }
    return sum;
}

static long run_raw(const char *path, long expect)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    static char buf[1 << 20];
    long lines = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof(buf))) > 0) {
        const char *p = buf, *end = buf + got;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p++;
        }
    }
    close(fd);
    (void)expect;
    return lines;
}

/* ---- timing ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Times `runs` passes after a warm-up; prints one line and returns the median in seconds. */
static double measure(const char *name, long (*fn)(const char *, long), const char *path, long legs,
                      long size, int runs)
{
    double samples[64];
    volatile long sink = fn(path, legs);
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        sink += fn(path, legs);
        samples[i] = now_s() - t0;
    }
    (void)sink;
    qsort(samples, (size_t)runs, sizeof(double), cmp_double);
    double p50 = samples[runs / 2], p90 = samples[(runs * 9) / 10];
    printf("%-36s min %7.1f  p50 %7.1f  p90 %7.1f  max %7.1f ms   %6.2f M legs/s  %7.1f MB/s\n",
           name, samples[0] * 1e3, p50 * 1e3, p90 * 1e3, samples[runs - 1] * 1e3,
           (double)legs / p50 / 1e6, (double)size / p50 / 1e6);
    return p50;
}

int main(int argc, char **argv)
{
    long legs = argc > 1 ? atol(argv[1]) : 500000;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    if (legs < 10 || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: %s [RECORDS >= 10] [RUNS 1-64]\n", argv[0]);
        return 2;
    }
    char path[256];
    snprintf(path, sizeof(path), "/tmp/contrail-bench-ssim-%d.ssim", (int)getpid());
    double t0 = now_s();
    long size = write_file(path, legs);
    printf("ssim reader: %ld type 3 records, %.1f MB written by this benchmark to %s in %.1f s;\n"
           "%d passes each after a warm-up, single thread, file in the page cache\n",
           legs, (double)size / 1e6, path, now_s() - t0, runs);
    long rss_before = peak_rss_kb();
    double c = measure("contrail ct_ssim (validating)", run_contrail, path, legs, size, runs);
    long rss_after = peak_rss_kb();
    double n = measure("naive fgets + sscanf", run_naive, path, legs, size, runs);
    double w = measure("raw line count (read + memchr)", run_raw, path, legs, size, runs);
    printf("ratio p50: naive/contrail %.2fx (contrail is %.1fx faster); contrail/raw %.2fx\n",
           n / c, n / c, c / w);
    printf("peak RSS: %.1f MB before the reader's passes, %.1f MB after (file %.1f MB)\n",
           (double)rss_before / 1024, (double)rss_after / 1024, (double)size / 1e6);
    unlink(path);
    return 0;
}
