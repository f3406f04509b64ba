-- Separate tickets (src/booking/group.c): an order made of several provider orders. The
-- group's own row carries provider 'separate-tickets'; each part is an ordinary order row
-- with the group's id and its place in the trip.
ALTER TABLE orders ADD COLUMN parent_id TEXT;
ALTER TABLE orders ADD COLUMN part INTEGER;

CREATE INDEX orders_parent ON orders (parent_id, part);
