-- Cluster mode (issue 17; docs/cluster.md): named leases with fencing tokens (store/lease.h:
-- provider ingestion runs on one instance at a time), and the price stream through which the
-- leaseholder's pricebook changes reach every other instance (app/cluster.h). Times are
-- milliseconds since 1970 (UTC), read from the database server's clock on PostgreSQL.

CREATE TABLE cluster_lease (
    name        TEXT PRIMARY KEY,   -- "ingest"
    holder      TEXT NOT NULL,      -- the instance: host, pid and a random part ("" never held)
    token       BIGINT NOT NULL,    -- fencing token: +1 at every acquisition, never reused
    expires_at  BIGINT NOT NULL,    -- the holder must renew before this
    acquired_at BIGINT NOT NULL
);

CREATE TABLE price_stream (
    seq         BIGINT PRIMARY KEY, -- 1, 2, ... in commit order (one writer: the leaseholder)
    token       BIGINT NOT NULL,    -- the writer's fencing token
    kind        TEXT NOT NULL,      -- 'dump': first row of a whole pricebook; 'change'
    created_at  BIGINT NOT NULL,
    records     BIGINT NOT NULL,    -- pricebook records in the body
    body        TEXT NOT NULL       -- the pricebook journal (fares/pricebook.h), base64
);

CREATE INDEX price_stream_kind ON price_stream (kind, seq);
