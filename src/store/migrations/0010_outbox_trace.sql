-- Tracing (base/trace.h): the W3C traceparent of the span that added an event (NULL: none),
-- restored around the event's delivery so that the subscriber's work joins the trace.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
