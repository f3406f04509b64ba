-- Price alerts (src/alerts/alerts.h, docs/alerts.md). One row per alert: what is watched
-- (route, dates, cabin, passengers, currency), the rule (max_price_minor or drop_percent),
-- the channels, and the evaluation's state (baseline_minor: the lowest price seen;
-- last_price_minor: the price at the last check; notified_low_minor / last_notified_at: the
-- last notification). Dates are days since 1970 (UTC calendar), times milliseconds since
-- 1970. date_mode: 'exact' (depart_day, return_day or NULL), 'month' (month_day = the first
-- of the month; stay_min..stay_max days for a round trip, NULL one way) or 'weekends' (the
-- month's Saturdays and Sundays one way; Friday or Saturday out and Sunday back for a round
-- trip). A user's erasure deletes their alerts (ON DELETE CASCADE). Written in the SQL both
-- engines accept.

CREATE TABLE price_alert (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    origin             TEXT NOT NULL,
    destination        TEXT NOT NULL,
    date_mode          TEXT NOT NULL,
    depart_day         BIGINT,
    return_day         BIGINT,
    month_day          BIGINT,
    round_trip         INTEGER NOT NULL DEFAULT 0,
    stay_min           INTEGER,
    stay_max           INTEGER,
    cabin              TEXT NOT NULL,
    passengers         INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    max_price_minor    BIGINT,
    drop_percent       INTEGER,
    channels           TEXT NOT NULL,
    baseline_minor     BIGINT,
    last_price_minor   BIGINT,
    last_checked_at    BIGINT,
    notified_low_minor BIGINT,
    last_notified_at   BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE INDEX price_alert_user ON price_alert (user_id, created_at);
