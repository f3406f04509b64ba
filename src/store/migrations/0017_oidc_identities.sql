-- Identities at OpenID Connect providers linked to accounts (src/accounts/identities.c): one
-- row per (issuer, subject), the provider's stable name for a person. An account may have
-- several; erasure removes them with the account.

CREATE TABLE user_identities (
    issuer       TEXT NOT NULL,                 -- the provider's issuer URL (iss)
    subject      TEXT NOT NULL,                 -- its subject identifier (sub)
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,                 -- the platform's name for it, e.g. 'sandbox'
    email        TEXT,                          -- the e-mail the provider gave when linked
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
