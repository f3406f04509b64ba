-- Notifications (notify/hub.h). notification_preference: a user's choice per kind of message
-- ('booking', 'price_alert', 'account_security', 'trip') and channel ('email', 'in_app', 'sms');
-- a missing row is the default (e-mail and in-app on, SMS off). notification: the in-app
-- inbox, one row per notification delivered on that channel, newest first by created_at
-- (milliseconds since 1970, UTC); read_at NULL while unread. Both go with the user (erasure).
-- Which channel of which event was delivered is recorded in outbox_consumed (consumer
-- 'notify.<subscriber>.<channel>'), in the transaction of the delivery.

CREATE TABLE notification_preference (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, channel)
);

CREATE TABLE notification (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    event_id   TEXT,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);

CREATE INDEX notification_by_user ON notification (user_id, created_at, id);
CREATE INDEX notification_unread ON notification (user_id) WHERE read_at IS NULL;
