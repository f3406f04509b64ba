-- Price history: one row each time a dated leg's lowest price in a cabin changes at a
-- provider (the first observation included), written by the feed ingestion (src/ingest/),
-- one transaction per feed page. A cabin with no open class is a row with lowest_class and
-- amount_minor NULL (sold out). Times are Unix seconds (BIGINT).

CREATE TABLE price_observation (
    provider       TEXT NOT NULL,     -- e.g. 'airline-1'
    carrier        TEXT NOT NULL,     -- IATA designator
    flight_number  INTEGER NOT NULL,
    origin         TEXT NOT NULL,     -- IATA airport codes
    destination    TEXT NOT NULL,
    departure_utc  BIGINT NOT NULL,   -- the leg's scheduled departure
    cabin          TEXT NOT NULL,     -- 'economy' or 'business'
    lowest_class   TEXT,              -- booking class letter; NULL when nothing is open
    amount_minor   BIGINT,            -- one-way amount of that class, provider's minor units
    currency       TEXT NOT NULL,     -- ISO 4217, the provider's
    observed_at    BIGINT NOT NULL
);

CREATE INDEX price_observation_leg
    ON price_observation (carrier, flight_number, origin, departure_utc, cabin, observed_at);
CREATE INDEX price_observation_time ON price_observation (observed_at);
