-- Reference data: countries, currencies, metropolitan areas, airports, airlines.
-- Written in the SQL both engines accept (see store.h).

CREATE TABLE countries (
    code        TEXT PRIMARY KEY,          -- ISO 3166-1 alpha-2
    name        TEXT NOT NULL,
    continent   TEXT NOT NULL
);

CREATE TABLE currencies (
    code        TEXT PRIMARY KEY,          -- ISO 4217 alphabetic
    numeric     TEXT NOT NULL,             -- ISO 4217 numeric, 3 digits
    name        TEXT NOT NULL,
    minor_units INTEGER                    -- NULL where ISO says N.A.
);

CREATE TABLE metro_areas (
    code        TEXT PRIMARY KEY,          -- IATA metropolitan area (city) code
    name        TEXT NOT NULL,
    country     TEXT NOT NULL
);

CREATE TABLE airports (
    iata        TEXT PRIMARY KEY,
    icao        TEXT,
    name        TEXT NOT NULL,
    city        TEXT,
    country     TEXT NOT NULL,
    region      TEXT,
    continent   TEXT,
    latitude    DOUBLE PRECISION NOT NULL,
    longitude   DOUBLE PRECISION NOT NULL,
    elevation_ft INTEGER,
    size        TEXT NOT NULL,             -- 'large' or 'medium'
    tz          TEXT NOT NULL,             -- IANA zone name
    tz_source   TEXT NOT NULL,             -- 'iata', 'icao', 'nearest' or 'country' (refdata/import.c)
    metro       TEXT                       -- metro_areas.code, when part of one
);
CREATE INDEX airports_metro ON airports (metro);
CREATE INDEX airports_country ON airports (country);

CREATE TABLE airlines (
    id          BIGINT PRIMARY KEY,        -- OpenFlights airline id
    iata        TEXT,
    icao        TEXT,
    name        TEXT NOT NULL,
    callsign    TEXT,
    country     TEXT,
    active      INTEGER NOT NULL
);
CREATE INDEX airlines_iata ON airlines (iata);

CREATE TABLE refdata_imports (
    id          BIGINT PRIMARY KEY,
    imported_at TEXT NOT NULL,
    summary     TEXT NOT NULL
);
