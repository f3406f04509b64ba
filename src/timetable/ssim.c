/* ssim.c: the streaming SSIM Chapter 7 reader (interface and semantics in ssim.h, layout in
 * docs/ssim.md).
 *
 * Input. Bytes come from a file descriptor, or from caller memory copied chunk by chunk, into
 * one buffer of `buffer_size` bytes; fill() keeps at least 202 bytes (a record and a CRLF)
 * ahead of the cursor until the input ends, so the record cutter never looks past the buffer.
 *
 * Cutting records. A record ends at a line break (LF, CRLF or a lone CR) or after 200
 * characters, whichever comes first; a break that directly follows a 200-character record
 * belongs to it. So files with line breaks, files without any (one record every 200 bytes) and
 * lines that carry trailing blanks after column 200 all cut the same way. Lines of blanks are
 * skipped; short records are padded with spaces to 200, which turns a missing mandatory field
 * into an ordinary "expected ..., got '   '" error. The cursor tracks the physical line and
 * byte column, which is what every diagnostic reports (a UTF-8 byte-order mark at the start of
 * the file is skipped).
 *
 * Records. Column access is r->rec[col - 1] on the padded copy, so no field read can leave the
 * record. Each field parser validates its bytes and either stores the value or reports
 * "field: expected X, got 'raw'" at the field's column (the exact position for days of
 * operation) and makes the whole record fail; nothing is allocated. Free-text fields are copied
 * with bytes outside printable ASCII replaced by '?'.
 *
 * Legs and their segments. Type 4 records follow the type 3 they belong to, so a parsed leg
 * waits as "pending" until the next type 3, a type 1/2/5 record or the end of input closes it.
 * Two leg buffers alternate: the pending one and the one last handed out; a new type 3 is
 * parsed into the one that is not pending. Type 4 records of a rejected leg are dropped with a
 * warning instead of an error each.
 *
 * Time modes. A `U` file's times are UTC; the reader turns them into local times by adding the
 * UTC variation and carries any day overflow into the date variation, so every leg has one
 * meaning (see ssim.h) and ct_ssim_leg_utc needs no mode.
 *
 * Cross-record checks are warnings (the record is kept): a multi-leg flight whose next leg
 * departs elsewhere than the previous arrived, a period with no day of operation in it, a
 * block time over a day, a trailer whose serial check reference is not the serial of the last
 * type 2/3/4 record, a carrier section without a trailer. A leg arriving before it departs (in
 * UTC) is an error. */
#include "timetable/ssim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/vec.h"

#define REC            CT_SSIM_RECORD_LEN
#define DEFAULT_BUFFER (256u * 1024u)
#define MIN_BUFFER     512u
#define DAY_MINUTES    1440
#define MAX_UTC_VAR    (14 * 60)
#define DAY_LIMIT      100000000 /* +-10^8 days for the instant maths */

/* The identity of a flight as types 3 and 4 write it (cols 2-14). */
typedef struct flight_id {
    char suffix;
    char airline[4];
    int number;
    int ivi;
    int leg_seq;
    char service_type;
} flight_id;

/* What later records need to know about an earlier leg. */
typedef struct leg_memo {
    int valid;
    flight_id id;
    char arr[4];
} leg_memo;

struct ct_ssim_reader {
    /* input: a file descriptor, or caller memory copied into buf chunk by chunk */
    int fd;
    int from_memory;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    unsigned char *buf;
    size_t buf_size, start, end;
    int eof;
    size_t line, col; /* physical position of buf[start] */
    /* the record being parsed, padded with spaces */
    char rec[REC];
    size_t rec_line, rec_col;
    long rec_serial; /* cols 195-200, -1 when not six digits */
    /* legs */
    ct_ssim_leg legs[2];
    int pending;       /* index into legs of the leg waiting for its type 4 records, or -1 */
    leg_memo prev;     /* the last accepted leg */
    leg_memo rejected; /* the last rejected leg */
    /* carrier sections */
    CT_VEC(ct_ssim_carrier *) carriers;
    const ct_ssim_carrier *carrier; /* in effect; NULL after a rejected type 2 */
    char section_airline[4];        /* as written in the last type 2, for messages */
    int trailer_pending;            /* a type 2 opened a section that has no trailer yet */
    int warned_no_carrier;
    long serial_count; /* non-filler records so far */
    long last_serial;  /* serial of the last type 2/3/4 record, -1 when none */
    /* real files' habits, summed up once at the end */
    size_t overnight_inferred; /* blank arrival date variations read as the next day */
    struct {
        const char *fmt; /* a warning's message template: the same kind of warning */
        size_t count, first_line;
        char first[160];
    } kinds[32];
    int nkinds;
    CT_VEC(size_t) rejected_lines; /* the line of every rejected record */
    /* state */
    ct_status status; /* sticky failure */
    int finished;
    char *name;
    ct_ssim_options opt;
    ct_ssim_report report;
};

/* ---- diagnostics ---- */

static void emit(ct_ssim_reader *r, ct_ssim_severity sev, size_t line, size_t column,
                 const char *message)
{
    char text[512];
    snprintf(text, sizeof(text), "%s:%zu:%zu: %s%s", r->name, line, column,
             sev == CT_SSIM_WARNING ? "warning: " : "", message);
    if (sev == CT_SSIM_ERROR)
        r->report.errors++;
    else
        r->report.warnings++;
    if (r->report.nmessages < CT_SSIM_MAX_MESSAGES) {
        char *slot = r->report.messages[r->report.nmessages++];
        size_t n = strlen(text);
        n = n < sizeof(r->report.messages[0]) ? n : sizeof(r->report.messages[0]) - 1;
        memcpy(slot, text, n);
        slot[n] = '\0';
    }
    if (r->opt.on_diag != NULL) {
        ct_ssim_diag d = {sev, r->name, line, column, message, text};
        r->opt.on_diag(r->opt.ctx, &d);
    }
}

static void vreport(ct_ssim_reader *r, ct_ssim_severity sev, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void vreport(ct_ssim_reader *r, ct_ssim_severity sev, int col, const char *fmt, va_list ap)
{
    char message[320];
    vsnprintf(message, sizeof(message), fmt, ap);
    emit(r, sev, r->rec_line, r->rec_col + (size_t)col - 1, message);
}

static ct_status rec_error(ct_ssim_reader *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rec_warn(ct_ssim_reader *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports an error at column `col` of the current record; returns CT_INVALID (the record
 * fails). */
static ct_status rec_error(ct_ssim_reader *r, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(r, CT_SSIM_ERROR, col, fmt, ap);
    va_end(ap);
    return CT_INVALID;
}

/* Reports a warning at column `col` of the current record (the record is kept). The first
 * WARN_SHOWN of each kind (message template) are reported; the rest are counted and summed
 * up in one line at the end of the file (a real file can repeat one habit on every record). */
#define WARN_SHOWN 3
static void rec_warn(ct_ssim_reader *r, int col, const char *fmt, ...)
{
    va_list ap;
    int k = 0;
    while (k < r->nkinds && r->kinds[k].fmt != fmt)
        k++;
    if (k == r->nkinds && k < (int)(sizeof(r->kinds) / sizeof(r->kinds[0]))) {
        r->kinds[k].fmt = fmt;
        r->kinds[k].count = 0;
        r->kinds[k].first_line = r->rec_line;
        va_start(ap, fmt);
        vsnprintf(r->kinds[k].first, sizeof(r->kinds[k].first), fmt, ap);
        va_end(ap);
        r->nkinds++;
    }
    if (k < r->nkinds && ++r->kinds[k].count > WARN_SHOWN) {
        r->report.warnings_folded++; /* summed up by summarize() */
        return;
    }
    va_start(ap, fmt);
    vreport(r, CT_SSIM_WARNING, col, fmt, ap);
    va_end(ap);
}

/* At the end of the file: the overnight legs inferred, and the warnings not shown. */
static void summarize(ct_ssim_reader *r)
{
    char message[400];
    if (r->overnight_inferred > 0) {
        snprintf(message, sizeof(message),
                 "%zu leg(s) arrive before they depart as written, with a blank arrival date "
                 "variation (column 194): the next day was inferred for them",
                 r->overnight_inferred);
        emit(r, CT_SSIM_WARNING, r->line, 1, message);
    }
    for (int k = 0; k < r->nkinds; k++) {
        if (r->kinds[k].count <= WARN_SHOWN)
            continue;
        snprintf(message, sizeof(message), "%zu more warning(s) like line %zu's: %s",
                 r->kinds[k].count - WARN_SHOWN, r->kinds[k].first_line, r->kinds[k].first);
        emit(r, CT_SSIM_WARNING, r->line, 1, message);
    }
}

/* A record skipped because of an error: counted, and its line kept for the summary. */
static void note_rejected(ct_ssim_reader *r)
{
    r->report.rejected++;
    if (CT_VEC_PUSH(&r->rejected_lines, r->rec_line) != CT_OK)
        r->report.rejected_lines_incomplete = 1;
    r->report.rejected_lines = r->rejected_lines.items;
}

/* ---- character and field helpers ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_printable(char c)
{
    return c >= 0x20 && c < 0x7f;
}

static const char *field(const ct_ssim_reader *r, int col)
{
    return r->rec + col - 1;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ')
            return 0;
    return 1;
}

/* Reads n (<= 9) decimal digits; 0 when one is not a digit. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Copies field bytes for a message: at most 31, bytes outside printable ASCII as '?'. */
static const char *shown(const char *s, size_t n, char buf[32])
{
    if (n > 31)
        n = 31;
    for (size_t i = 0; i < n; i++)
        buf[i] = is_printable(s[i]) ? s[i] : '?';
    buf[n] = '\0';
    return buf;
}

/* Copies a text field into dst (n + 1 bytes): blanks trimmed, non-printables as '?'. */
static void copy_text(char *dst, const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    while (n > 0 && *s == ' ') {
        s++;
        n--;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = is_printable(s[i]) ? s[i] : '?';
    dst[n] = '\0';
}

/* "what: expected X, got 'raw'" at col for the len bytes there; returns CT_INVALID. */
static ct_status bad_field(ct_ssim_reader *r, int col, int len, const char *what,
                           const char *expected)
{
    char raw[32];
    return rec_error(r, col, "%s: expected %s, got '%s'", what, expected,
                     shown(field(r, col), (size_t)len, raw));
}

/* ---- field parsers: CT_OK and the value stored, or CT_INVALID with the error reported ---- */

static ct_status parse_ddmmmyy(const char *s, int64_t *out)
{
    static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    int d, y, m = 0;
    if (!digits(s, 2, &d) || !digits(s + 5, 2, &y))
        return CT_INVALID;
    char mon[3];
    for (int i = 0; i < 3; i++)
        mon[i] = (char)(s[2 + i] >= 'a' && s[2 + i] <= 'z' ? s[2 + i] - 32 : s[2 + i]);
    for (int i = 0; i < 12 && m == 0; i++)
        if (memcmp(months + 3 * i, mon, 3) == 0)
            m = i + 1;
    y += y < 70 ? 2000 : 1900;
    if (m == 0 || !ct_date_valid(y, m, d))
        return CT_INVALID;
    *out = ct_days_from_civil(y, m, d);
    return CT_OK;
}

static int is_open_date(const char *s)
{
    return memcmp(s, "00XXX00", 7) == 0;
}

/* The end of an open period starting on `from`. */
static int64_t open_end(const ct_ssim_reader *r, int64_t from)
{
    if (r->opt.open_until == 0)
        return from + CT_SSIM_OPEN_DAYS;
    return r->opt.open_until < from ? from : r->opt.open_until;
}

static ct_status field_date(ct_ssim_reader *r, int col, const char *what, int64_t *out)
{
    if (parse_ddmmmyy(field(r, col), out))
        return bad_field(r, col, 7, what, "a date DDMMMYY");
    return CT_OK;
}

static ct_status field_time(ct_ssim_reader *r, int col, const char *what, int *out)
{
    const char *s = field(r, col);
    int hh, mm;
    if (!digits(s, 2, &hh) || !digits(s + 2, 2, &mm) || hh > 23 || mm > 59)
        return bad_field(r, col, 4, what, "a time HHMM (0000-2359)");
    *out = hh * 60 + mm;
    return CT_OK;
}

static ct_status field_utc_var(ct_ssim_reader *r, int col, const char *what, int *out)
{
    const char *s = field(r, col);
    int hh, mm;
    if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &hh) || !digits(s + 3, 2, &mm) ||
        mm > 59 || hh * 60 + mm > MAX_UTC_VAR)
        return bad_field(r, col, 5, what, "+HHMM or -HHMM (at most 1400)");
    *out = s[0] == '-' ? -(hh * 60 + mm) : hh * 60 + mm;
    return CT_OK;
}

static ct_status field_station(ct_ssim_reader *r, int col, const char *what, char out[4])
{
    const char *s = field(r, col);
    if (!is_upper(s[0]) || !is_upper(s[1]) || !is_upper(s[2]))
        return bad_field(r, col, 3, what, "three letters A-Z");
    memcpy(out, s, 3);
    out[3] = '\0';
    return CT_OK;
}

/* Blank ("") or a station. */
static ct_status field_station_opt(ct_ssim_reader *r, int col, const char *what, char out[4])
{
    if (is_blank(field(r, col), 3)) {
        out[0] = '\0';
        return CT_OK;
    }
    return field_station(r, col, what, out);
}

/* Two letters or digits (at least one letter) then a blank or a third one, e.g. "LX ", "U2 ",
 * "EZY"; stored without the blank. */
static ct_status field_airline(ct_ssim_reader *r, int col, char out[4])
{
    const char *s = field(r, col);
    int ok = 1;
    for (int i = 0; i < 3; i++)
        ok &= is_upper(s[i]) || is_digit(s[i]) || (i == 2 && s[i] == ' ');
    if (!ok || (is_digit(s[0]) && is_digit(s[1])))
        return bad_field(r, col, 3, "airline designator",
                         "two letters or digits and a blank, or three letters");
    memcpy(out, s, 3);
    out[s[2] == ' ' ? 2 : 3] = '\0';
    return CT_OK;
}

/* Digits right-aligned in `len` columns (leading blanks allowed), value in [lo, hi]. */
static ct_status field_number(ct_ssim_reader *r, int col, int len, int lo, int hi, const char *what,
                              const char *expected, int *out)
{
    const char *s = field(r, col);
    int i = 0;
    while (i < len - 1 && s[i] == ' ')
        i++;
    int v;
    if (!digits(s + i, len - i, &v) || v < lo || v > hi)
        return bad_field(r, col, len, what, expected);
    *out = v;
    return CT_OK;
}

static ct_status field_date_var(ct_ssim_reader *r, int col, const char *what, int *out)
{
    char c = *field(r, col);
    if (c == ' ')
        *out = 0;
    else if (c == 'A')
        *out = -1;
    else if (is_digit(c))
        *out = c - '0';
    else
        return bad_field(r, col, 1, what, "a date variation 0-9 or A (= -1)");
    return CT_OK;
}

/* Cols 2-14 of types 3 and 4; `overflow_col` holds the IVI's hundreds. */
static ct_status field_flight_id(ct_ssim_reader *r, int overflow_col, flight_id *id)
{
    char suffix = *field(r, 2);
    if (suffix != ' ' && !is_upper(suffix))
        return bad_field(r, 2, 1, "operational suffix", "a blank or a letter A-Z");
    id->suffix = suffix == ' ' ? '\0' : suffix;
    if (field_airline(r, 3, id->airline) ||
        field_number(r, 6, 4, 1, 9999, "flight number", "a number 0001-9999", &id->number) ||
        field_number(r, 10, 2, 1, 99, "itinerary variation identifier", "01-99", &id->ivi) ||
        field_number(r, 12, 2, 1, 99, "leg sequence number", "01-99", &id->leg_seq))
        return CT_INVALID;
    char over = *field(r, overflow_col);
    if (is_digit(over))
        id->ivi += 100 * (over - '0');
    id->service_type = *field(r, 14);
    if (!is_upper(id->service_type))
        return bad_field(r, 14, 1, "service type", "a letter A-Z");
    return CT_OK;
}

static int same_flight(const flight_id *a, const flight_id *b)
{
    return a->suffix == b->suffix && a->number == b->number && a->ivi == b->ivi &&
           strcmp(a->airline, b->airline) == 0;
}

/* ---- type 3: flight leg ---- */

static ct_status field_period(ct_ssim_reader *r, ct_ssim_leg *leg)
{
    if (field_date(r, 15, "period of operation from", &leg->period_from))
        return CT_INVALID;
    leg->period_open = is_open_date(field(r, 22));
    if (leg->period_open)
        leg->period_to = open_end(r, leg->period_from);
    else if (field_date(r, 22, "period of operation to", &leg->period_to))
        return CT_INVALID;
    if (leg->period_to < leg->period_from) {
        char a[32], b[32];
        return rec_error(r, 22, "period of operation: ends (%s) before it starts (%s)",
                         shown(field(r, 22), 7, a), shown(field(r, 15), 7, b));
    }
    return CT_OK;
}

static ct_status field_days(ct_ssim_reader *r, ct_ssim_leg *leg)
{
    const char *s = field(r, 29);
    unsigned mask = 0;
    for (int i = 0; i < 7; i++) {
        if (s[i] == ' ')
            continue;
        if (s[i] != '1' + i) {
            char raw[32];
            return rec_error(r, 29 + i,
                             "days of operation: position %d must be '%d' or blank, got '%s'",
                             i + 1, i + 1, shown(s + i, 1, raw));
        }
        mask |= 1u << i;
    }
    if (mask == 0)
        return rec_error(r, 29, "days of operation: no day given");
    leg->dow = (uint8_t)mask;
    char rate = *field(r, 36);
    if (rate != ' ' && (rate < '1' || rate > '9'))
        return bad_field(r, 36, 1, "frequency rate", "a blank or 1-9");
    leg->frequency_rate = rate == ' ' ? 1 : rate - '0';
    return CT_OK;
}

static ct_status field_stations_and_times(ct_ssim_reader *r, ct_ssim_leg *leg)
{
    if (field_station(r, 37, "departure station", leg->dep) ||
        field_time(r, 40, "passenger STD", &leg->dep_time) ||
        field_utc_var(r, 48, "UTC variation at departure", &leg->dep_utc_var) ||
        field_station(r, 55, "arrival station", leg->arr) ||
        field_time(r, 62, "passenger STA", &leg->arr_time) ||
        field_utc_var(r, 66, "UTC variation at arrival", &leg->arr_utc_var) ||
        field_date_var(r, 193, "departure date variation", &leg->dep_date_var) ||
        field_date_var(r, 194, "arrival date variation", &leg->arr_date_var))
        return CT_INVALID;
    copy_text(leg->dep_terminal, field(r, 53), 2);
    copy_text(leg->arr_terminal, field(r, 71), 2);
    return CT_OK;
}

/* Seats from a configuration like "F8J42W24Y200". Returns the offset of the first byte that
 * does not fit, or -1 when there is none (well formed, or a "VV" version): a position, not a
 * failure; the caller only warns. */
static int config_seats(const char *s, uint16_t seats[26], int *total)
{
    const int n = 20;
    int i = 0;
    while (i < n) {
        if (s[i] == 'V' && i + 1 < n && s[i + 1] == 'V')
            return -1; /* "VV" starts the aircraft version ("Y118VV118", "W18Y112VVCGO") */
        if (s[i] == ' ') {
            i++;
            continue;
        }
        if (!is_upper(s[i]))
            return i;
        int cabin = s[i] - 'A', start = ++i, v = 0;
        while (i < n && is_digit(s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || (i < n && is_digit(s[i])))
            return i;
        seats[cabin] = (uint16_t)(seats[cabin] + v);
        *total += v;
    }
    return -1;
}

static ct_status field_equipment(ct_ssim_reader *r, ct_ssim_leg *leg)
{
    const char *t = field(r, 73);
    for (int i = 0; i < 3; i++)
        if (!is_upper(t[i]) && !is_digit(t[i]))
            return bad_field(r, 73, 3, "aircraft type", "three letters or digits");
    memcpy(leg->aircraft_type, t, 3);
    leg->aircraft_type[3] = '\0';
    copy_text(leg->prbd, field(r, 76), 20);
    copy_text(leg->config, field(r, 173), 20);
    memset(leg->seats, 0, sizeof(leg->seats));
    leg->seats_total = 0;
    int bad = config_seats(field(r, 173), leg->seats, &leg->seats_total);
    if (bad >= 0) {
        memset(leg->seats, 0, sizeof(leg->seats));
        leg->seats_total = 0;
        char raw[32];
        rec_warn(r, 173 + bad,
                 "aircraft configuration: expected cabin letters with seats (J30Y150), got "
                 "'%s'; seats left unknown",
                 shown(field(r, 173), 20, raw));
    }
    return CT_OK;
}

/* Moves a UTC time to local: minutes and the day it falls on. */
static void utc_to_local(int *minutes, int *date_var, int utc_var)
{
    int m = *minutes + utc_var;
    int shift = m < 0 ? -1 : m / DAY_MINUTES;
    *minutes = m - shift * DAY_MINUTES;
    *date_var += shift;
}

/* Minutes from the period date's 00:00 UTC. */
static long dep_minutes_utc(const ct_ssim_leg *leg)
{
    return (long)leg->dep_date_var * DAY_MINUTES + leg->dep_time - leg->dep_utc_var;
}

static long arr_minutes_utc(const ct_ssim_leg *leg)
{
    return (long)leg->arr_date_var * DAY_MINUTES + leg->arr_time - leg->arr_utc_var;
}

/* Checks across fields and records: errors fail the leg, warnings keep it. */
static ct_status check_leg(ct_ssim_reader *r, const ct_ssim_leg *leg, const flight_id *id)
{
    long block = arr_minutes_utc(leg) - dep_minutes_utc(leg);
    if (block <= 0)
        return rec_error(r, 62,
                         "passenger STA: arrival is not after departure (%ld minutes "
                         "in UTC); check the times, UTC and date variations",
                         block);
    if (block > DAY_MINUTES)
        rec_warn(r, 193,
                 "block time %ld h %02ld min is longer than a day; check the date "
                 "variations",
                 block / 60, block % 60);
    int operates = leg->period_to - leg->period_from >= 6;
    for (int64_t d = leg->period_from; !operates && d <= leg->period_to; d++)
        operates = (leg->dow >> (ct_weekday(d) - 1)) & 1;
    if (!operates)
        rec_warn(r, 29, "days of operation: none falls in the period of operation");
    if (r->prev.valid && same_flight(&r->prev.id, id) && id->leg_seq == r->prev.id.leg_seq + 1 &&
        strcmp(r->prev.arr, leg->dep) != 0)
        rec_warn(r, 37, "departure station: leg %02d departs %s but leg %02d arrived at %s",
                 id->leg_seq, leg->dep, r->prev.id.leg_seq, r->prev.arr);
    return CT_OK;
}

static ct_status parse_leg(ct_ssim_reader *r, ct_ssim_leg *leg, flight_id *id)
{
    if (field_flight_id(r, 128, id) || field_period(r, leg) || field_days(r, leg) ||
        field_stations_and_times(r, leg) || field_equipment(r, leg))
        return CT_INVALID;
    memcpy(leg->airline, id->airline, sizeof(leg->airline));
    leg->flight_number = id->number;
    leg->suffix = id->suffix;
    leg->ivi = id->ivi;
    leg->leg_seq = id->leg_seq;
    leg->service_type = id->service_type;
    leg->carrier = r->carrier;
    leg->time_mode = r->carrier != NULL ? r->carrier->time_mode : 'L';
    if (leg->time_mode == 'U') {
        utc_to_local(&leg->dep_time, &leg->dep_date_var, leg->dep_utc_var);
        utc_to_local(&leg->arr_time, &leg->arr_date_var, leg->arr_utc_var);
    }
    leg->nsegments = 0;
    leg->serial = r->rec_serial;
    leg->line = r->rec_line;
    leg->column = r->rec_col;
    /* Real files leave the arrival date variation blank on overnight legs: when the times
     * then arrive before they depart (and only then), the arrival is the next day. */
    long block = arr_minutes_utc(leg) - dep_minutes_utc(leg);
    if (*field(r, 194) == ' ' && block <= 0 && block + DAY_MINUTES > 0) {
        leg->arr_date_var++;
        r->overnight_inferred++;
    }
    return check_leg(r, leg, id);
}

/* A type 3 record. Returns 1 with *out set when it closed the pending leg. */
static int read_leg(ct_ssim_reader *r, const ct_ssim_leg **out)
{
    int slot = r->pending == 0 ? 1 : 0;
    ct_ssim_leg *leg = &r->legs[slot];
    flight_id id;
    memset(&id, 0, sizeof(id));
    if (parse_leg(r, leg, &id)) {
        note_rejected(r);
        r->rejected = (leg_memo){1, id, ""};
        r->prev.valid = 0;
        return 0;
    }
    if (leg->carrier == NULL && !r->warned_no_carrier) {
        r->warned_no_carrier = 1;
        rec_warn(r, 1, "no valid carrier record (type 2) before this leg; times read as local");
    }
    r->report.legs++;
    r->prev.valid = 1;
    r->prev.id = id;
    memcpy(r->prev.arr, leg->arr, sizeof(r->prev.arr));
    r->rejected.valid = 0;
    int prev = r->pending;
    r->pending = slot;
    if (prev < 0)
        return 0;
    *out = &r->legs[prev];
    return 1;
}

/* ---- type 4: segment data ---- */

static void read_segment(ct_ssim_reader *r)
{
    flight_id id;
    memset(&id, 0, sizeof(id));
    ct_ssim_segment seg;
    int dei = 0;
    if (field_flight_id(r, 28, &id) ||
        field_number(r, 31, 3, 0, 999, "data element identifier", "three digits", &dei) ||
        field_station_opt(r, 34, "board point", seg.board) ||
        field_station_opt(r, 37, "off point", seg.off)) {
        note_rejected(r);
        return;
    }
    ct_ssim_leg *leg = r->pending >= 0 ? &r->legs[r->pending] : NULL;
    flight_id leg_id = {0};
    if (leg != NULL) {
        leg_id = (flight_id){leg->suffix, "", leg->flight_number, leg->ivi, 0, 0};
        memcpy(leg_id.airline, leg->airline, sizeof(leg_id.airline));
    }
    if (leg == NULL || !same_flight(&leg_id, &id)) {
        note_rejected(r);
        if (r->rejected.valid && same_flight(&r->rejected.id, &id)) {
            rec_warn(r, 1, "segment data dropped with its rejected leg");
            return;
        }
        char suffix[2] = {id.suffix, '\0'};
        rec_error(r, 3, "segment data: no leg of flight %s%04d%s (variation %02d) precedes it",
                  id.airline, id.number, suffix, id.ivi);
        return;
    }
    if (leg->nsegments >= CT_SSIM_MAX_SEGMENTS) {
        rec_warn(r, 1, "more than %d segment records for one leg; this one is dropped",
                 CT_SSIM_MAX_SEGMENTS);
        return;
    }
    seg.leg_seq = id.leg_seq;
    seg.board_indicator = is_printable(*field(r, 29)) ? *field(r, 29) : '?';
    seg.off_indicator = is_printable(*field(r, 30)) ? *field(r, 30) : '?';
    seg.dei = dei;
    copy_text(seg.data, field(r, 40), 155);
    seg.line = r->rec_line;
    leg->segments[leg->nsegments++] = seg;
    r->report.segments++;
}

/* ---- types 1, 2 and 5 ---- */

/* An optional date: CT_SSIM_NO_DATE when blank; a malformed one is a warning. */
static int64_t optional_date(ct_ssim_reader *r, int col, const char *what)
{
    int64_t d;
    if (is_blank(field(r, col), 7))
        return CT_SSIM_NO_DATE;
    if (parse_ddmmmyy(field(r, col), &d) == CT_OK)
        return d;
    char raw[32];
    rec_warn(r, col, "%s: expected a date DDMMMYY, got '%s'; ignored", what,
             shown(field(r, col), 7, raw));
    return CT_SSIM_NO_DATE;
}

static void close_section(ct_ssim_reader *r)
{
    if (r->trailer_pending)
        rec_warn(r, 1, "no trailer record (type 5) after the records of carrier '%s'",
                 r->section_airline);
    r->trailer_pending = 0;
}

static void carrier_fields(ct_ssim_reader *r, ct_ssim_carrier *c)
{
    copy_text(c->season, field(r, 11), 3);
    c->valid_from = optional_date(r, 15, "schedule validity from");
    c->valid_open = is_open_date(field(r, 22));
    if (c->valid_open)
        c->valid_to =
            c->valid_from == CT_SSIM_NO_DATE ? CT_SSIM_NO_DATE : open_end(r, c->valid_from);
    else
        c->valid_to = optional_date(r, 22, "schedule validity to");
    c->created = optional_date(r, 29, "creation date");
    copy_text(c->title, field(r, 36), 29);
    c->released = optional_date(r, 65, "release date");
    c->status = is_printable(*field(r, 72)) ? *field(r, 72) : '?';
    copy_text(c->name, field(r, 73), 35);
    c->line = r->rec_line;
}

static ct_status read_carrier(ct_ssim_reader *r)
{
    close_section(r);
    r->carrier = NULL;
    r->warned_no_carrier = 0;
    r->trailer_pending = 1;
    copy_text(r->section_airline, field(r, 3), 3);
    char airline[4];
    char mode = *field(r, 2);
    if (mode != 'L' && mode != 'U') {
        bad_field(r, 2, 1, "time mode", "L (local) or U (UTC)");
        note_rejected(r);
        return CT_OK;
    }
    if (field_airline(r, 3, airline)) {
        note_rejected(r);
        return CT_OK;
    }
    ct_ssim_carrier *c = ct_calloc(1, sizeof(*c));
    if (c == NULL || CT_VEC_PUSH(&r->carriers, c)) {
        ct_free(c);
        return CT_NOMEM;
    }
    memcpy(c->airline, airline, sizeof(airline));
    c->time_mode = mode;
    carrier_fields(r, c);
    r->carrier = c;
    r->report.carriers++;
    return CT_OK;
}

static void read_trailer(ct_ssim_reader *r)
{
    if (!r->trailer_pending)
        rec_warn(r, 1, "trailer record (type 5) without a carrier record (type 2) before it");
    r->trailer_pending = 0;
    char airline[4], raw[32];
    copy_text(airline, field(r, 3), 3);
    if (r->carrier != NULL && strcmp(airline, r->carrier->airline) != 0)
        rec_warn(r, 3, "trailer airline '%s' differs from the carrier record's '%s'", airline,
                 r->carrier->airline);
    const char *ref = field(r, 188);
    int v;
    if (is_blank(ref, 6)) {
        /* no check reference given */
    } else if (!digits(ref, 6, &v)) {
        rec_warn(r, 188, "serial number check reference: expected six digits, got '%s'",
                 shown(ref, 6, raw));
    } else if (v != r->last_serial) {
        rec_warn(r, 188,
                 "serial number check reference %06d does not match the serial of the last "
                 "record, %06ld",
                 v, r->last_serial < 0 ? 0 : r->last_serial);
    }
    char end = *field(r, 194);
    if (end != 'E' && end != 'C' && end != ' ')
        rec_warn(r, 194, "end code: expected E or C, got '%s'", shown(field(r, 194), 1, raw));
}

/* ---- cutting records ---- */

/* Makes at least REC + 2 bytes available at buf[start] unless the input ends first.
 * CT_OK, or CT_IO on a read error (errno set). */
static ct_status fill(ct_ssim_reader *r)
{
    if (r->end - r->start >= REC + 2 || r->eof)
        return CT_OK;
    size_t have = r->end - r->start;
    memmove(r->buf, r->buf + r->start, have);
    r->start = 0;
    r->end = have;
    while (r->end < r->buf_size && !r->eof) {
        size_t room = r->buf_size - r->end;
        if (r->from_memory) {
            size_t n = r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room;
            if (n > 0)
                memcpy(r->buf + r->end, r->mem + r->mem_pos, n);
            r->mem_pos += n;
            r->end += n;
            r->eof = r->mem_pos == r->mem_len;
            continue;
        }
        ssize_t n = read(r->fd, r->buf + r->end, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return CT_IO;
        r->eof = n == 0;
        r->end += (size_t)n;
    }
    return CT_OK;
}

/* Length of the line break at p (0 when none): LF, CRLF or a lone CR. */
static size_t break_len(const unsigned char *p, size_t avail)
{
    if (avail == 0)
        return 0;
    if (p[0] == '\n')
        return 1;
    if (p[0] == '\r')
        return avail > 1 && p[1] == '\n' ? 2 : 1;
    return 0;
}

/* Offset of the first line break in p[0..lim), or lim. */
static size_t record_len(const unsigned char *p, size_t lim)
{
    const unsigned char *lf = memchr(p, '\n', lim);
    size_t len = lf != NULL ? (size_t)(lf - p) : lim;
    const unsigned char *cr = len > 0 ? memchr(p, '\r', len) : NULL;
    return cr != NULL ? (size_t)(cr - p) : len;
}

static int blank_line(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return 0;
    return 1;
}

/* Cuts the next non-blank record into r->rec. CT_ROW: a record; CT_DONE: end of input; CT_IO:
 * read error (errno set). */
static ct_status next_record(ct_ssim_reader *r)
{
    for (;;) {
        if (fill(r))
            return CT_IO;
        size_t avail = r->end - r->start;
        if (avail == 0)
            return CT_DONE;
        const unsigned char *p = r->buf + r->start;
        if (r->line == 1 && r->col == 1 && avail >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            r->start += 3;
            r->col += 3;
            continue;
        }
        size_t len = record_len(p, avail < REC ? avail : REC);
        size_t brk = break_len(p + len, avail - len);
        r->rec_line = r->line;
        r->rec_col = r->col;
        r->start += len + brk;
        if (brk > 0) {
            r->line++;
            r->col = 1;
        } else {
            r->col += len;
        }
        if (blank_line(p, len))
            continue;
        memcpy(r->rec, p, len);
        memset(r->rec + len, ' ', REC - len);
        r->report.records++;
        return CT_ROW;
    }
}

/* ---- the iterator ---- */

static ct_status fail(ct_ssim_reader *r, ct_status rc, const char *what)
{
    char message[256];
    snprintf(message, sizeof(message), "%s: %s", what,
             rc == CT_IO ? strerror(errno) : ct_status_name(rc));
    if (rc == CT_IO)
        emit(r, CT_SSIM_ERROR, r->line, r->col, message);
    else
        emit(r, CT_SSIM_ERROR, r->rec_line, r->rec_col, message);
    r->status = rc;
    return rc;
}

static ct_status finish(ct_ssim_reader *r, const ct_ssim_leg **out)
{
    if (!r->finished) {
        r->finished = 1;
        close_section(r);
        summarize(r);
    }
    if (r->pending < 0)
        return CT_DONE;
    *out = &r->legs[r->pending];
    r->pending = -1;
    return CT_ROW;
}

/* Serial bookkeeping for a non-filler record. */
static void count_serial(ct_ssim_reader *r)
{
    int v;
    r->serial_count++;
    r->rec_serial = digits(field(r, 195), 6, &v) ? v : -1;
    char type = r->rec[0];
    if (type == '2' || type == '3' || type == '4')
        r->last_serial = r->rec_serial >= 0 ? r->rec_serial : r->serial_count;
}

/* Handles one record. Returns CT_ROW with *out set when a leg is complete, CT_OK to go on, or
 * a failure. */
static ct_status dispatch(ct_ssim_reader *r, const ct_ssim_leg **out)
{
    char type = r->rec[0];
    if (type == '0') {
        r->report.filler++;
        return CT_OK;
    }
    count_serial(r);
    if (type == '3')
        return read_leg(r, out) ? CT_ROW : CT_OK;
    if (type == '4') {
        read_segment(r);
        return CT_OK;
    }
    if (type == '2') {
        ct_status rc = read_carrier(r);
        if (rc)
            return rc;
    } else if (type == '5') {
        read_trailer(r);
    } else if (type != '1') {
        char raw[32];
        rec_warn(r, 1, "unknown record type '%s'; record skipped", shown(r->rec, 1, raw));
        return CT_OK;
    }
    /* types 1, 2 and 5 close the pending leg */
    if (r->pending < 0)
        return CT_OK;
    *out = &r->legs[r->pending];
    r->pending = -1;
    return CT_ROW;
}

ct_status ct_ssim_next(ct_ssim_reader *r, const ct_ssim_leg **leg)
{
    *leg = NULL;
    if (r->status)
        return r->status;
    for (;;) {
        ct_status got = next_record(r);
        if (got == CT_DONE)
            return finish(r, leg);
        if (got != CT_ROW)
            return fail(r, got, "read error");
        ct_status rc = dispatch(r, leg);
        if (rc == CT_ROW)
            return CT_ROW;
        if (rc)
            return fail(r, rc, "cannot keep the carrier record");
    }
}

/* ---- life cycle ---- */

static ct_status reader_create(const ct_ssim_options *opts, const char *default_name,
                               ct_ssim_reader **out)
{
    ct_ssim_reader *r = ct_calloc(1, sizeof(*r));
    if (r == NULL)
        return CT_NOMEM;
    if (opts != NULL)
        r->opt = *opts;
    r->fd = -1;
    r->pending = -1;
    r->last_serial = -1;
    r->line = 1;
    r->col = 1;
    r->buf_size = r->opt.buffer_size == 0 ? DEFAULT_BUFFER : r->opt.buffer_size;
    if (r->buf_size < MIN_BUFFER)
        r->buf_size = MIN_BUFFER;
    r->name = ct_strdup(r->opt.name != NULL ? r->opt.name : default_name);
    r->buf = ct_malloc(r->buf_size);
    if (r->name == NULL || r->buf == NULL) {
        ct_ssim_close(r);
        return CT_NOMEM;
    }
    *out = r;
    return CT_OK;
}

ct_status ct_ssim_open(const char *path, const ct_ssim_options *opts, ct_ssim_reader **out)
{
    *out = NULL;
    ct_ssim_reader *r = NULL;
    ct_status rc = reader_create(opts, path, &r);
    if (rc)
        return rc;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int saved = errno;
        ct_ssim_close(r);
        errno = saved;
        return CT_IO;
    }
    *out = r;
    return CT_OK;
}

ct_status ct_ssim_open_memory(const void *data, size_t len, const ct_ssim_options *opts,
                              ct_ssim_reader **out)
{
    *out = NULL;
    ct_ssim_reader *r = NULL;
    ct_status rc = reader_create(opts, "<memory>", &r);
    if (rc)
        return rc;
    r->from_memory = 1;
    r->mem = data;
    r->mem_len = data != NULL ? len : 0;
    *out = r;
    return CT_OK;
}

const ct_ssim_report *ct_ssim_get_report(const ct_ssim_reader *r)
{
    return &r->report;
}

const ct_ssim_carrier *const *ct_ssim_carriers(const ct_ssim_reader *r, size_t *n)
{
    *n = r->carriers.len;
    return (const ct_ssim_carrier *const *)r->carriers.items;
}

void ct_ssim_close(ct_ssim_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    for (size_t i = 0; i < r->carriers.len; i++)
        ct_free(r->carriers.items[i]);
    CT_VEC_FREE(&r->carriers);
    CT_VEC_FREE(&r->rejected_lines);
    ct_free(r->buf);
    ct_free(r->name);
    ct_free(r);
}

/* ---- dated legs ---- */

int ct_ssim_leg_operates(const ct_ssim_leg *leg, int64_t day)
{
    if (day < leg->period_from || day > leg->period_to)
        return 0;
    if (!((leg->dow >> (ct_weekday(day) - 1)) & 1))
        return 0;
    int rate = leg->frequency_rate > 1 ? leg->frequency_rate : 1;
    return ((day - leg->period_from) / 7) % rate == 0;
}

ct_status ct_ssim_leg_utc(const ct_ssim_leg *leg, int64_t day, ct_utc *dep_out, ct_utc *arr_out)
{
    if (day < -DAY_LIMIT || day > DAY_LIMIT)
        return CT_INVALID;
    int64_t base = day * DAY_MINUTES;
    if (dep_out != NULL)
        *dep_out = (base + dep_minutes_utc(leg)) * 60;
    if (arr_out != NULL)
        *arr_out = (base + arr_minutes_utc(leg)) * 60;
    return CT_OK;
}

/* The zone's UTC offset in minutes at local date `date`, `minutes` after midnight. */
static ct_status zone_offset(const char *zone, int64_t date, int minutes, int *out)
{
    ct_civil c = {0};
    ct_civil_from_days(date, &c.year, &c.month, &c.day);
    c.hour = minutes / 60;
    c.minute = minutes % 60;
    ct_utc t;
    int offset;
    ct_status rc = ct_tz_to_utc(zone, &c, &t, &offset);
    if (rc)
        return rc;
    *out = offset / 60;
    return CT_OK;
}

ct_status ct_ssim_leg_check_zones(const ct_ssim_leg *leg, int64_t day, const char *dep_zone,
                                  const char *arr_zone, int *dep_offset_out, int *arr_offset_out)
{
    if (day < -DAY_LIMIT / 50 || day > DAY_LIMIT / 50)
        return CT_INVALID;
    int conflict = 0, off;
    if (dep_zone != NULL) {
        if (zone_offset(dep_zone, day + leg->dep_date_var, leg->dep_time, &off))
            return CT_INVALID;
        conflict |= off != leg->dep_utc_var;
        if (dep_offset_out != NULL)
            *dep_offset_out = off;
    }
    if (arr_zone != NULL) {
        if (zone_offset(arr_zone, day + leg->arr_date_var, leg->arr_time, &off))
            return CT_INVALID;
        conflict |= off != leg->arr_utc_var;
        if (arr_offset_out != NULL)
            *arr_offset_out = off;
    }
    return conflict ? CT_CONFLICT : CT_OK;
}
