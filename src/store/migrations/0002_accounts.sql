-- Accounts: users, sessions (refresh tokens), e-mail tokens, travellers, API keys and the
-- security event log. Times are Unix seconds (BIGINT); ids are random text ids.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,        -- lower-cased
    password_hash   TEXT NOT NULL,               -- argon2id, libsodium's encoded string
    role            TEXT NOT NULL DEFAULT 'user',-- 'user' or 'admin'
    email_verified  INTEGER NOT NULL DEFAULT 0,
    name            TEXT,
    home_airport    TEXT,
    currency        TEXT,
    cabin           TEXT,
    notify_email    INTEGER NOT NULL DEFAULT 1,
    notify_webhook  INTEGER NOT NULL DEFAULT 0,
    notify_in_app   INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family      TEXT NOT NULL,                  -- one sign-in; rotation keeps the family
    token_hash  TEXT NOT NULL UNIQUE,           -- SHA-256 of the opaque token
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,                         -- set when rotated: a second use is reuse
    revoked_at  BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,                  -- 'verify' or 'reset'
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX email_tokens_user ON email_tokens (user_id);

CREATE TABLE travellers (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    given_name       TEXT NOT NULL,
    family_name      TEXT NOT NULL,
    birth_date       TEXT NOT NULL,             -- YYYY-MM-DD
    gender           TEXT,                      -- 'F', 'M', 'X' or NULL
    document_type    TEXT,                      -- 'passport' or 'id_card'
    document_number  TEXT,
    document_country TEXT,                      -- ISO 3166-1 alpha-2
    document_expiry  TEXT,                      -- YYYY-MM-DD
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX travellers_user ON travellers (user_id);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    prefix          TEXT NOT NULL,              -- shown to the owner to recognise the key
    key_hash        TEXT NOT NULL UNIQUE,       -- SHA-256 of the secret key
    scopes          TEXT NOT NULL,              -- space separated
    rate_per_minute INTEGER NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE security_events (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,                           -- NULL when no account is known
    kind        TEXT NOT NULL,                  -- signin, signin_failed, reset_requested, ...
    subject     TEXT,                           -- the e-mail address involved, lower-cased
    ip          TEXT,
    detail      TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX security_events_user ON security_events (user_id, created_at);
CREATE INDEX security_events_subject ON security_events (kind, subject, created_at);
CREATE INDEX security_events_ip ON security_events (kind, ip, created_at);
