-- Phone numbers verified by a code sent by SMS (src/accounts/phone.c). The user's number
-- (E.164) is set when a code is requested and counts as verified once phone_verified_at is
-- set; a new number clears it. One pending code per user: its HMAC (keyed from the JWT
-- secret, never the code itself), its expiry, the wrong attempts so far, and what the resend
-- throttle needs (the last send and the sends of the current hour).

ALTER TABLE users ADD COLUMN phone_e164 TEXT;
ALTER TABLE users ADD COLUMN phone_verified_at BIGINT;

CREATE TABLE phone_codes (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone_e164   TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_at      BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    sends        INTEGER NOT NULL
);
