-- Route price history (src/history/): the cheapest price of a route for a departure date and
-- cabin, in a currency, as observed over time. The route is the pair of codes as searched
-- (airports or metro areas: LON-NYC and LHR-JFK are different routes), connections included.
-- Searches and calendars record what they computed; rows are buckets of observation time:
-- span 3600 (an hour, the first 30 days) or 86400 (a day, after downsampling), each keeping
-- the lowest price seen in it (an upsert keeping the minimum). observed_at is the bucket's
-- start in Unix seconds, departure_day days since 1970. Rows older than the retention limit
-- are deleted (serve's --history-retention-days).

CREATE TABLE route_price (
    origin         TEXT NOT NULL,     -- IATA airport or metro code, as searched
    destination    TEXT NOT NULL,
    departure_day  INTEGER NOT NULL,  -- days since 1970 (local departure date)
    cabin          TEXT NOT NULL,     -- 'economy' or 'business'
    currency       TEXT NOT NULL,     -- ISO 4217: the answer's currency
    span           INTEGER NOT NULL,  -- 3600 or 86400
    observed_at    BIGINT NOT NULL,   -- start of the bucket, Unix seconds
    price_minor    BIGINT NOT NULL,   -- cheapest for one adult, minor units of currency
    PRIMARY KEY (origin, destination, departure_day, cabin, currency, span, observed_at)
);

CREATE INDEX route_price_time ON route_price (observed_at);
