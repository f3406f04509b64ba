-- Accounts hardening: a per-user token version that every access token carries (bumped on a
-- password change or reset and on a role change, so older access tokens die at once), and an
-- index for the sign-in throttle's per (account, address) counts.

ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

CREATE INDEX security_events_subject_ip ON security_events (subject, ip, created_at);
