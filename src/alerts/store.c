/* store.c: the price_alert rows (migration 0015) to and from the in-memory record.
 *
 * Every statement names its columns in one order (COLUMNS), so reading a row is one
 * function; NULL columns are ALERT_NONE in the record. The callers own the transactions.
 * Rows of date_mode 'trip' are booked trips' watches (trips.c): never read here. */
#include <stdio.h>
#include <string.h>

#include "alerts/alerts_internal.h"

#define COLUMNS                                                                                    \
    "id, origin, destination, date_mode, depart_day, return_day, month_day, round_trip, "          \
    "stay_min, stay_max, cabin, passengers, currency, max_price_minor, drop_percent, channels, "   \
    "baseline_minor, last_price_minor, last_checked_at, notified_low_minor, last_notified_at, "    \
    "created_at, updated_at, user_id"

static const char *const MODES[] = {"exact", "month", "weekends"};

static ct_status bind_opt(ct_stmt *s, int idx, int64_t v)
{
    return v == ALERT_NONE ? ct_stmt_bind_null(s, idx) : ct_stmt_bind_int64(s, idx, v);
}

static int64_t col_opt(ct_stmt *s, int col)
{
    return ct_stmt_is_null(s, col) ? ALERT_NONE : ct_stmt_int64(s, col);
}

static void channels_text(uint8_t ch, char out[40])
{
    static const char *const names[] = {"email", "in_app", "sms", "webhook"};
    out[0] = '\0';
    for (int k = 0; k < 4; k++) {
        if (ch & (1 << k)) {
            if (out[0])
                strcat(out, ",");
            strcat(out, names[k]);
        }
    }
}

static uint8_t channels_parse(const char *s)
{
    uint8_t ch = 0;
    if (s == NULL)
        return 0;
    ch |= strstr(s, "email") ? CH_EMAIL : 0;
    ch |= strstr(s, "in_app") ? CH_IN_APP : 0;
    ch |= strstr(s, "sms") ? CH_SMS : 0;
    ch |= strstr(s, "webhook") ? CH_WEBHOOK : 0;
    return ch;
}

static void copy_code(char out[4], const char *s)
{
    snprintf(out, 4, "%s", s != NULL ? s : "");
}

/* Reads the row at the statement's current position (COLUMNS order). */
static void read_row(ct_stmt *s, ct__alert *al, char *owner)
{
    memset(al, 0, sizeof(*al));
    snprintf(al->id, sizeof(al->id), "%s", ct_stmt_text(s, 0));
    copy_code(al->origin, ct_stmt_text(s, 1));
    copy_code(al->destination, ct_stmt_text(s, 2));
    const char *mode = ct_stmt_text(s, 3);
    al->mode = mode != NULL && strcmp(mode, "month") == 0      ? ALERT_MONTH
               : mode != NULL && strcmp(mode, "weekends") == 0 ? ALERT_WEEKENDS
                                                               : ALERT_EXACT;
    al->depart_day = (int32_t)col_opt(s, 4);
    al->return_day = (int32_t)col_opt(s, 5);
    al->month_day = (int32_t)col_opt(s, 6);
    al->round_trip = ct_stmt_int64(s, 7) != 0;
    al->stay_min = (int16_t)ct_stmt_int64(s, 8);
    al->stay_max = (int16_t)ct_stmt_int64(s, 9);
    const char *cabin = ct_stmt_text(s, 10);
    ct_cabin cab = CT_CABIN_ECONOMY;
    (void)ct_cabin_parse(cabin, &cab); /* stored by spec.c: one of the names */
    al->cabin = (uint8_t)cab;
    al->passengers = (uint8_t)ct_stmt_int64(s, 11);
    copy_code(al->currency, ct_stmt_text(s, 12));
    al->max_price = col_opt(s, 13);
    al->drop_percent = (int32_t)ct_stmt_int64(s, 14);
    al->channels = channels_parse(ct_stmt_text(s, 15));
    al->baseline = col_opt(s, 16);
    al->last_price = col_opt(s, 17);
    al->last_checked_at = col_opt(s, 18);
    al->notified_low = col_opt(s, 19);
    al->last_notified_at = col_opt(s, 20);
    al->created_at = ct_stmt_int64(s, 21);
    al->updated_at = ct_stmt_int64(s, 22);
    if (owner != NULL)
        snprintf(owner, 40, "%s", ct_stmt_text(s, 23) ? ct_stmt_text(s, 23) : "");
    al->live = 1;
    ct__alert_derive(al);
}

/* Binds the spec and state columns 1..22 (id first, user_id last is bound by the caller). */
static ct_status bind_fields(ct_stmt *s, const ct__alert *al)
{
    char ch[40];
    channels_text(al->channels, ch);
    ct_status rc = ct_stmt_bind_text(s, 1, al->origin);
    rc = rc ? rc : ct_stmt_bind_text(s, 2, al->destination);
    rc = rc ? rc : ct_stmt_bind_text(s, 3, MODES[al->mode]);
    rc = rc ? rc : bind_opt(s, 4, al->depart_day);
    rc = rc ? rc : bind_opt(s, 5, al->return_day);
    rc = rc ? rc : bind_opt(s, 6, al->month_day);
    rc = rc ? rc : ct_stmt_bind_int64(s, 7, al->round_trip);
    rc = rc ? rc : ct_stmt_bind_int64(s, 8, al->stay_min);
    rc = rc ? rc : ct_stmt_bind_int64(s, 9, al->stay_max);
    rc = rc ? rc : ct_stmt_bind_text(s, 10, ct__alert_cabin_name(al->cabin));
    rc = rc ? rc : ct_stmt_bind_int64(s, 11, al->passengers);
    rc = rc ? rc : ct_stmt_bind_text(s, 12, al->currency);
    rc = rc ? rc : bind_opt(s, 13, al->max_price);
    rc = rc ? rc : ct_stmt_bind_int64(s, 14, al->drop_percent);
    rc = rc ? rc : ct_stmt_bind_text(s, 15, ch);
    rc = rc ? rc : bind_opt(s, 16, al->baseline);
    rc = rc ? rc : bind_opt(s, 17, al->last_price);
    rc = rc ? rc : bind_opt(s, 18, al->last_checked_at);
    rc = rc ? rc : bind_opt(s, 19, al->notified_low);
    rc = rc ? rc : bind_opt(s, 20, al->last_notified_at);
    rc = rc ? rc : ct_stmt_bind_int64(s, 21, al->updated_at);
    return rc;
}

static ct_status run_done(ct_stmt *s, ct_status rc)
{
    if (!rc) {
        rc = ct_stmt_step(s);
        rc = rc == CT_DONE ? CT_OK : rc;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct__alert_insert(ct_store *st, const char *user_id, const ct__alert *al)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "INSERT INTO price_alert (origin, destination, date_mode, depart_day, return_day, "
        "month_day, round_trip, stay_min, stay_max, cabin, passengers, currency, "
        "max_price_minor, drop_percent, channels, baseline_minor, last_price_minor, "
        "last_checked_at, notified_low_minor, last_notified_at, updated_at, id, user_id, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &s);
    if (rc)
        return rc;
    rc = bind_fields(s, al);
    rc = rc ? rc : ct_stmt_bind_text(s, 22, al->id);
    rc = rc ? rc : ct_stmt_bind_text(s, 23, user_id);
    rc = rc ? rc : ct_stmt_bind_int64(s, 24, al->created_at);
    return run_done(s, rc);
}

ct_status ct__alert_update_row(ct_store *st, const char *user_id, const ct__alert *al)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        "UPDATE price_alert SET origin = ?, destination = ?, date_mode = ?, depart_day = ?, "
        "return_day = ?, month_day = ?, round_trip = ?, stay_min = ?, stay_max = ?, cabin = ?, "
        "passengers = ?, currency = ?, max_price_minor = ?, drop_percent = ?, channels = ?, "
        "baseline_minor = ?, last_price_minor = ?, last_checked_at = ?, notified_low_minor = ?, "
        "last_notified_at = ?, updated_at = ? WHERE id = ? AND user_id = ?",
        &s);
    if (rc)
        return rc;
    rc = bind_fields(s, al);
    rc = rc ? rc : ct_stmt_bind_text(s, 22, al->id);
    rc = rc ? rc : ct_stmt_bind_text(s, 23, user_id);
    return run_done(s, rc);
}

ct_status ct__alert_state_prepare(ct_store *st, ct_stmt **out)
{
    return ct_store_prepare(
        st,
        "UPDATE price_alert SET baseline_minor = ?, last_price_minor = ?, last_checked_at = ?, "
        "notified_low_minor = ?, last_notified_at = ? WHERE id = ?",
        out);
}

ct_status ct__alert_state_run(ct_stmt *s, const ct__alert *al)
{
    ct_status rc = bind_opt(s, 1, al->baseline);
    rc = rc ? rc : bind_opt(s, 2, al->last_price);
    rc = rc ? rc : bind_opt(s, 3, al->last_checked_at);
    rc = rc ? rc : bind_opt(s, 4, al->notified_low);
    rc = rc ? rc : bind_opt(s, 5, al->last_notified_at);
    rc = rc ? rc : ct_stmt_bind_text(s, 6, al->id);
    if (!rc) {
        rc = ct_stmt_step(s);
        rc = rc == CT_DONE ? CT_OK : rc;
    }
    ct_status rr = ct_stmt_reset(s);
    return rc ? rc : rr;
}

ct_status ct__alert_update_state(ct_store *st, const ct__alert *al)
{
    ct_stmt *s = NULL;
    ct_status rc = ct__alert_state_prepare(st, &s);
    if (rc)
        return rc;
    rc = ct__alert_state_run(s, al);
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct__alert_delete_row(ct_store *st, const char *user_id, const char *id)
{
    ct__alert al;
    ct_status rc = ct__alert_read(st, user_id, id, &al, NULL);
    if (rc)
        return rc;
    ct_stmt *s = NULL;
    rc = ct_store_prepare(st, "DELETE FROM price_alert WHERE id = ? AND user_id = ?", &s);
    if (rc)
        return rc;
    rc = ct_stmt_bind_text(s, 1, id);
    rc = rc ? rc : ct_stmt_bind_text(s, 2, user_id);
    return run_done(s, rc);
}

ct_status ct__alert_read(ct_store *st, const char *user_id, const char *id, ct__alert *al,
                         char *owner)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        user_id != NULL ? "SELECT " COLUMNS " FROM price_alert WHERE id = ? AND user_id = ?"
                          " AND date_mode <> 'trip'"
                        : "SELECT " COLUMNS
                          " FROM price_alert WHERE id = ? AND date_mode <> 'trip'",
        &s);
    if (rc)
        return rc;
    rc = ct_stmt_bind_text(s, 1, id);
    if (!rc && user_id != NULL)
        rc = ct_stmt_bind_text(s, 2, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW)
        read_row(s, al, owner);
    ct_stmt_finalize(s);
    return rc == CT_ROW ? CT_OK : rc == CT_DONE ? CT_NOT_FOUND : rc;
}

ct_status ct__alert_count_user(ct_store *st, const char *user_id, int64_t *n)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st, "SELECT COUNT(*) FROM price_alert WHERE user_id = ? AND date_mode <> 'trip'", &s);
    if (rc)
        return rc;
    rc = ct_stmt_bind_text(s, 1, user_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW) {
        *n = ct_stmt_int64(s, 0);
        rc = CT_OK;
    }
    ct_stmt_finalize(s);
    return rc;
}

ct_status ct__alert_scan(ct_store *st, const char *user_id,
                         ct_status (*fn)(const ct__alert *al, void *ctx), void *ctx)
{
    ct_stmt *s = NULL;
    ct_status rc = ct_store_prepare(
        st,
        user_id != NULL ? "SELECT " COLUMNS
                          " FROM price_alert WHERE user_id = ? AND date_mode <> 'trip'"
                          " ORDER BY created_at DESC, id"
                        : "SELECT " COLUMNS " FROM price_alert WHERE date_mode <> 'trip'",
        &s);
    if (rc)
        return rc;
    if (user_id != NULL)
        rc = ct_stmt_bind_text(s, 1, user_id);
    ct__alert al;
    while (!rc && (rc = ct_stmt_step(s)) == CT_ROW) {
        read_row(s, &al, NULL);
        rc = fn(&al, ctx);
    }
    ct_stmt_finalize(s);
    return rc == CT_DONE ? CT_OK : rc;
}
