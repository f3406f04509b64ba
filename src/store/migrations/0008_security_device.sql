-- The security log names the device of each event: the request's User-Agent, kept raw (the
-- readable device, "Chrome on Linux", is derived from it when the log is read).

ALTER TABLE security_events ADD COLUMN user_agent TEXT;
