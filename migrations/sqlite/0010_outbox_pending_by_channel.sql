-- A channel's pending messages in the order they are claimed. The claim (`ORDER BY id LIMIT n`)
-- went through the whole outbox, sent rows and all, in id order (SQLite preferred that to
-- sorting the pending rows of `outbox_due`): its cost grew with every message ever sent, and
-- it ran while holding the turn to write. `outbox_due` served only that claim.
DROP INDEX outbox_due;
CREATE INDEX outbox_pending_by_channel ON outbox (channel, id) WHERE sent_at IS NULL AND failed_at IS NULL;
