/* ssim.h: the SSIM Chapter 7 schedule reader (timetable module's input side).
 *
 * Contrail receives schedules as IATA SSIM Chapter 7 files: 200-column records, type 1
 * (header), 2 (carrier), 3 (flight leg), 4 (segment data), 5 (trailer) and `0` filler. The
 * layout, column by column, and what the reader tolerates are in docs/ssim.md; this header is
 * the reader's whole interface.
 *
 * The reader streams. It reads the file through one fixed buffer (256 KiB by default) and
 * yields one flight leg at a time through an iterator:
 *
 *   ct_ssim_reader *r = NULL;
 *   if (ct_ssim_open(path, &opts, &r)) ...        // CT_IO (errno set) or CT_NOMEM
 *   const ct_ssim_leg *leg;
 *   while ((rc = ct_ssim_next(r, &leg)) == CT_ROW)
 *       ... copy what you need from *leg ...
 *   // rc == CT_DONE at the end; CT_IO / CT_NOMEM on failure
 *   ct_ssim_get_report(r)->errors ...              // counts and the first messages
 *   ct_ssim_close(r);
 *
 * Nothing is allocated per record or per field: a leg is a fixed-size struct with char arrays,
 * owned by the reader and overwritten by the next call. Carrier records (type 2) are the only
 * per-record allocation (one small struct each, kept until ct_ssim_close so every leg's
 * `carrier` pointer stays valid).
 *
 * Times. Every leg is given in local time whatever the file's time mode: for a `U` (UTC) file
 * the reader adds the UTC variation to each time and moves the date variation accordingly. The
 * period of operation, the days of operation and the date variations always refer to the
 * "period date": the first leg's departure date in the file's time mode (local for `L`, UTC for
 * `U`). So for a period date D, a leg departs at local date D + dep_date_var, time dep_time,
 * which is UTC (D + dep_date_var) days + dep_time - dep_utc_var minutes (ct_ssim_leg_utc).
 *
 * Bad input. A malformed record is reported as "file:line:column: message" (warnings as
 * "file:line:column: warning: message") and skipped; the records around it are kept. Line and
 * column are physical: the line number in the file and the byte column in that line (for a
 * file without line breaks every record is on line 1 and record N starts at column
 * 200 * (N - 1) + 1). Diagnostics go to an optional callback and the first
 * CT_SSIM_MAX_MESSAGES are kept in the report. No input makes the reader crash, loop or read
 * out of bounds (fuzz/ssim_fuzz.c). */
#ifndef CT_TIMETABLE_SSIM_H
#define CT_TIMETABLE_SSIM_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "base/timeutil.h"

#define CT_SSIM_RECORD_LEN   200       /* characters per record */
#define CT_SSIM_MAX_SEGMENTS 24        /* type 4 records kept per leg; more are dropped (warning) */
#define CT_SSIM_MAX_MESSAGES 64        /* diagnostics kept in the report */
#define CT_SSIM_OPEN_DAYS    365       /* default length of an open-ended (00XXX00) period */
#define CT_SSIM_NO_DATE      INT64_MIN /* an optional date that was blank or malformed */

/* One carrier record (type 2). Strings are NUL-terminated, trailing blanks removed, bytes
 * outside printable ASCII replaced by '?'. */
typedef struct ct_ssim_carrier {
    char airline[4];    /* designator: "LX", "U2", "EZY" */
    char time_mode;     /* 'L' (local) or 'U' (UTC) */
    char season[4];     /* "S26", "W26" or "" */
    int64_t valid_from; /* schedule validity, days since 1970, or CT_SSIM_NO_DATE */
    int64_t valid_to;   /* idem; 00XXX00 resolved as for periods (valid_open set) */
    int valid_open;     /* 1 when the validity ended 00XXX00 */
    int64_t created;    /* creation date or CT_SSIM_NO_DATE */
    int64_t released;   /* release (sell) date or CT_SSIM_NO_DATE */
    char status;        /* 'P' planning, 'C' confirmed, or ' ' */
    char title[30];     /* title of data, cols 36-64 */
    char name[36];      /* airline name, cols 73-107 */
    size_t line;        /* where the record starts */
} ct_ssim_carrier;

/* One segment data record (type 4), kept as opaque text: the reader interprets no DEI. */
typedef struct ct_ssim_segment {
    int leg_seq;          /* the record's leg sequence number (cols 12-13) */
    char board_indicator; /* col 29, 'A'.. or ' ' */
    char off_indicator;   /* col 30 */
    int dei;              /* data element identifier, 0-999 (cols 31-33) */
    char board[4];        /* board point, cols 34-36, "" when blank */
    char off[4];          /* off point, cols 37-39, "" when blank */
    char data[156];       /* cols 40-194, trailing blanks removed */
    size_t line;
} ct_ssim_segment;

/* One flight leg (type 3) with the segment records that followed it. */
typedef struct ct_ssim_leg {
    char airline[4];      /* designator: "LX" */
    int flight_number;    /* 1-9999 */
    char suffix;          /* operational suffix, '\0' when blank */
    int ivi;              /* itinerary variation identifier 1-999 (col 128 gives hundreds) */
    int leg_seq;          /* 1-99 */
    char service_type;    /* 'J' scheduled passenger, ... */
    char time_mode;       /* the file's time mode, 'L' or 'U' (times below are local anyway) */
    int64_t period_from;  /* first period date, days since 1970 */
    int64_t period_to;    /* last period date (inclusive), >= period_from */
    int period_open;      /* 1 when the file said 00XXX00 (period_to is then the horizon) */
    uint8_t dow;          /* days of operation of the period date: bit0 Monday .. bit6 Sunday */
    int frequency_rate;   /* 1 every week, 2 every other week, ... */
    char dep[4];          /* departure station (IATA) */
    char arr[4];          /* arrival station */
    int dep_time;         /* passenger STD, local minutes after midnight, 0-1439 */
    int arr_time;         /* passenger STA, local minutes after midnight, 0-1439 */
    int dep_utc_var;      /* UTC/local variation at departure in minutes: local = UTC + var */
    int arr_utc_var;      /* idem at arrival */
    int dep_date_var;     /* days from the period date to the local departure date (A = -1) */
    int arr_date_var;     /* days from the period date to the local arrival date */
    char dep_terminal[3]; /* "" when blank */
    char arr_terminal[3];
    char aircraft_type[4]; /* IATA type: "32N", "77W" */
    char prbd[21];         /* booking designators, e.g. "JCDZYBMHQKLVST" */
    char config[21];       /* aircraft configuration/version as written, e.g. "J30Y150" */
    uint16_t seats[26];    /* seats per cabin letter from config: seats['Y' - 'A'] */
    int seats_total;       /* sum of seats[] (0 when config is blank, a version or malformed) */
    int nsegments;         /* segment records attached, at most CT_SSIM_MAX_SEGMENTS */
    ct_ssim_segment segments[CT_SSIM_MAX_SEGMENTS];
    const ct_ssim_carrier *carrier; /* the type 2 in effect; NULL when none was valid */
    long serial;                    /* record serial number (cols 195-200), -1 when blank */
    size_t line;                    /* physical line where the record starts */
    size_t column;                  /* column where it starts (1 unless the file has no breaks) */
} ct_ssim_leg;

typedef enum ct_ssim_severity {
    CT_SSIM_WARNING = 1, /* the record (or the file) was accepted; something looked wrong */
    CT_SSIM_ERROR = 2,   /* the record was skipped (or reading failed) */
} ct_ssim_severity;

/* One diagnostic, valid only during the callback. */
typedef struct ct_ssim_diag {
    ct_ssim_severity severity;
    const char *file;    /* the name given in the options (or the path) */
    size_t line, column; /* 1-based, physical (see the file comment) */
    const char *message; /* "departure station: expected three letters A-Z, got 'Z1C'" */
    const char *text;    /* "file:line:column: message" or "file:line:column: warning: message" */
} ct_ssim_diag;

typedef struct ct_ssim_options {
    const char *name; /* file name in messages (copied); NULL = the path, or "<memory>" */
    /* Last day (days since 1970) of open-ended periods; 0 = period_from + CT_SSIM_OPEN_DAYS.
     * An open period never ends before it starts: a horizon before period_from gives
     * period_to = period_from. */
    int64_t open_until;
    /* Called for every diagnostic, in file order (may be NULL). */
    void (*on_diag)(void *ctx, const ct_ssim_diag *diag);
    void *ctx;
    size_t buffer_size; /* read buffer in bytes; 0 = 256 KiB; at least 512 (tests, fuzzing) */
} ct_ssim_options;

/* What the reader saw so far; complete once ct_ssim_next returned CT_DONE. */
typedef struct ct_ssim_report {
    size_t records;         /* records read, blank lines not counted, filler counted */
    size_t filler;          /* `0` filler records */
    size_t carriers;        /* type 2 records accepted */
    size_t legs;            /* type 3 records accepted */
    size_t segments;        /* type 4 records attached to a leg */
    size_t rejected;        /* records skipped because of an error */
    size_t errors;          /* error diagnostics */
    size_t warnings;        /* warning diagnostics (reported: each one went to on_diag) */
    size_t warnings_folded; /* warnings beyond the third of their kind: not reported one by
                               one, but in one summary line each at the end of the file */
    size_t nmessages;       /* messages kept below, at most CT_SSIM_MAX_MESSAGES */
    /* The line of every rejected record (`rejected` of them; the reader's, valid until
     * ct_ssim_close), unless memory ran out (rejected_lines_incomplete). */
    const size_t *rejected_lines;
    int rejected_lines_incomplete;
    char messages[CT_SSIM_MAX_MESSAGES][256]; /* the diag texts, in order (may be truncated) */
} ct_ssim_report;

typedef struct ct_ssim_reader ct_ssim_reader;

/* Opens `path` for reading. `opts` may be NULL (defaults) and is copied. On success the caller
 * owns *out (ct_ssim_close). CT_IO when the file cannot be opened (errno set), CT_NOMEM. */
ct_status ct_ssim_open(const char *path, const ct_ssim_options *opts, ct_ssim_reader **out);

/* Reads `len` bytes at `data` instead of a file. The bytes are not copied at once: they must
 * stay unchanged until ct_ssim_close. CT_NOMEM on failure. */
ct_status ct_ssim_open_memory(const void *data, size_t len, const ct_ssim_options *opts,
                              ct_ssim_reader **out);

/* Advances to the next accepted flight leg. CT_ROW: *leg points at it, owned by the reader
 * and valid until the next call or ct_ssim_close. CT_DONE: no more legs (*leg = NULL); the
 * end-of-file checks have run. CT_IO (read error, reported as a diagnostic) or CT_NOMEM:
 * reading stops and every later call returns the same status. Bad records never make it fail:
 * they are reported and skipped. */
ct_status ct_ssim_next(ct_ssim_reader *r, const ct_ssim_leg **leg);

/* Counters and the first messages so far. Owned by the reader. */
const ct_ssim_report *ct_ssim_get_report(const ct_ssim_reader *r);

/* Every carrier record accepted so far, in file order; *n is set to their number. Owned by the
 * reader, valid until ct_ssim_close. */
const ct_ssim_carrier *const *ct_ssim_carriers(const ct_ssim_reader *r, size_t *n);

/* Closes the file and frees the reader, its legs and carriers. NULL is allowed. */
void ct_ssim_close(ct_ssim_reader *r);

/* 1 when the leg operates on period date `day` (days since 1970): inside the period, on one of
 * its days of operation, and, for a frequency rate N > 1, in weeks 0, N, 2N, ... counted in
 * whole weeks from period_from. */
int ct_ssim_leg_operates(const ct_ssim_leg *leg, int64_t day);

/* The UTC departure and arrival instants of the leg for period date `day`, from its local
 * times and the UTC variations written in the record. Does not check that the leg operates on
 * `day`. CT_INVALID when `day` is outside +-10^8 days. */
ct_status ct_ssim_leg_utc(const ct_ssim_leg *leg, int64_t day, ct_utc *dep_out, ct_utc *arr_out);

/* Cross-checks the record's UTC variations against IANA zones (base/timeutil.h ct_tz_to_utc)
 * for period date `day`: writes the zones' UTC offsets in minutes at the local departure and
 * arrival times to *dep_offset_out / *arr_offset_out (either may be NULL). A NULL zone skips
 * that end. CT_OK when both checked ends match, CT_CONFLICT when one differs, CT_INVALID for
 * an unknown zone or a day out of range. Thread-safe. */
ct_status ct_ssim_leg_check_zones(const ct_ssim_leg *leg, int64_t day, const char *dep_zone,
                                  const char *arr_zone, int *dep_offset_out, int *arr_offset_out);

#endif
