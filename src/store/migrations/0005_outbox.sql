-- The transactional outbox (events/outbox.h). An event row is written in the transaction of
-- the change it announces; the relay copies each new event into one delivery row per
-- subscriber whose pattern matches (fanned_out marks that done), then delivers those rows in
-- order of seq within each aggregate. Consumers record what they have applied in
-- outbox_consumed, so a redelivered event has no second effect. Times are milliseconds since
-- 1970 (UTC). Written in the SQL both engines accept.

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    aggregate    TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    type         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    fanned_out   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (aggregate, aggregate_id, seq)
);

CREATE INDEX outbox_unfanned ON outbox (created_at, seq) WHERE fanned_out = 0;

CREATE TABLE outbox_delivery (
    event_id        TEXT NOT NULL REFERENCES outbox (id),
    subscriber      TEXT NOT NULL,
    aggregate       TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    PRIMARY KEY (event_id, subscriber)
);

CREATE INDEX outbox_delivery_pending ON outbox_delivery (subscriber, created_at, seq)
    WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivery_aggregate ON outbox_delivery (subscriber, aggregate, aggregate_id, seq)
    WHERE delivered_at IS NULL;

CREATE TABLE outbox_consumed (
    consumer    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    consumed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
