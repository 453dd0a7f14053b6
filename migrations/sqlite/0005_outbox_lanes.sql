-- One road out: every message that is not a reply is a typed outbox row (the payload says what,
-- encrypted). `lane` orders a channel's messages: a ticket's (`ticket:<id>`), a person's
-- (`person:<id>`) or one address's (`to:<keyed hash>`) go out one after the other.
-- Keep in step with the other dialect's 0005_outbox_lanes.sql.
ALTER TABLE outbox ADD COLUMN lane TEXT;
UPDATE outbox SET lane = 'ticket:' || ticket_id WHERE ticket_id IS NOT NULL;
DROP INDEX outbox_pending_by_ticket;
CREATE INDEX outbox_pending_by_lane ON outbox (lane, channel, id) WHERE sent_at IS NULL AND failed_at IS NULL;
