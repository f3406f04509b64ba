-- Webhooks (src/webhooks/): the endpoints users and partners register, one delivery per
-- (event, endpoint) with the body as sent, and the log of every attempt. Times are
-- milliseconds since 1970 (UTC). Written in the SQL both engines accept.

CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,       -- "whe_" + 24 hex
    user_id              TEXT NOT NULL,
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL,
    event_types          TEXT NOT NULL,          -- space separated: "order.confirmed trip.*"
    secret               TEXT NOT NULL,          -- "whsec_" + base64 of 32 random bytes
    previous_secret      TEXT,                   -- after a rotation: still signs until ...
    previous_secret_until BIGINT,
    status               TEXT NOT NULL,          -- enabled, disabled
    disabled_reason      TEXT,                   -- gone, retries_exhausted, failing, (NULL)
    failing_since        BIGINT,                 -- first failure since the last success
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id, created_at);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,            -- "whd_" + 24 hex
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id        TEXT NOT NULL,               -- the outbox event (or the ping's own id)
    message_id      TEXT NOT NULL,               -- webhook-id: the same on every attempt
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,               -- the body as sent
    status          TEXT NOT NULL,               -- pending, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,  -- every attempt, replays included
    round_attempts  INTEGER NOT NULL DEFAULT 0,  -- attempts of the current schedule
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,   -- a worker is sending it until then
    last_status     INTEGER,                     -- last HTTP status (NULL: none answered)
    last_error      TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt      INTEGER NOT NULL,
    started_at   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    http_status  INTEGER,                        -- NULL: no answer (transport, time-out)
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
