-- Booking (src/booking/): live offers as the providers gave them, orders and their saga state,
-- cancellation quotes and the request idempotency keys of POST /api/v1/orders. Times are Unix
-- seconds (BIGINT), amounts integer minor units of the row's currency.

CREATE TABLE offers (
    id                 TEXT PRIMARY KEY,           -- "off_" + 24 hex
    provider           TEXT NOT NULL,              -- the provider's internal name
    provider_offer_id  TEXT NOT NULL,
    itinerary_id       TEXT NOT NULL,
    expires_at         BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    total_minor        BIGINT NOT NULL,
    fee_minor          BIGINT NOT NULL,
    passengers         INTEGER NOT NULL,
    searched_minor     BIGINT,                     -- the search answer's price, when given
    searched_currency  TEXT,
    body               TEXT NOT NULL,              -- the normalised offer (JSON)
    created_at         BIGINT NOT NULL
);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,           -- "ord_" + 24 hex
    user_id            TEXT,                       -- NULL: a guest's order
    offer_id           TEXT NOT NULL REFERENCES offers (id),
    provider           TEXT NOT NULL,
    status             TEXT NOT NULL,              -- pending, held, requires_action, authorized,
                                                   -- ticketed, confirmed, failed, cancelled
    reason             TEXT,                       -- failed: why (card_declined, sold_out, ...)
    provider_order_id  TEXT,                       -- also the booking reference shown
    hold_until         BIGINT,
    currency           TEXT NOT NULL,
    total_minor        BIGINT NOT NULL,            -- the order's price (the hold's)
    payment_id         TEXT,
    tickets            TEXT,                       -- JSON array of e-ticket numbers
    passengers         TEXT NOT NULL,              -- JSON array as given (validated)
    last_name          TEXT NOT NULL,              -- first passenger's family name, lower case
    contact_email      TEXT NOT NULL,
    contact_phone      TEXT,
    refund_minor       BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE INDEX orders_user ON orders (user_id, created_at);
CREATE INDEX orders_status ON orders (status, updated_at);
CREATE INDEX orders_reference ON orders (provider_order_id);

CREATE TABLE cancellations (
    id            TEXT PRIMARY KEY,                -- "can_" + 24 hex
    order_id      TEXT NOT NULL REFERENCES orders (id),
    refund_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    status        TEXT NOT NULL,                   -- quoted, confirmed
    created_at    BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    scope         TEXT NOT NULL,                   -- "user:<id>" or "guest"
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,                   -- SHA-256 of the canonical body
    order_id      TEXT,
    http_status   INTEGER,                         -- NULL while the request runs
    response      TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
