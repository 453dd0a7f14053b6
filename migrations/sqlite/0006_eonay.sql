-- The renewal's second half: e-Onay attestations, the staff steps, the form approval.
-- Keep in step with the other dialect's 0006_eonay.sql.

-- The nonces handed out for e-Onay attestations: only a keyed hash; single use; bound to a
-- ticket, its person and the PC that asked.
CREATE TABLE eonay_challenges (
    nonce_hash  TEXT    PRIMARY KEY,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets (id),
    person_id   BIGINT  NOT NULL REFERENCES persons (id),
    agent_id    TEXT    NOT NULL REFERENCES agents (id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX eonay_challenges_by_ticket ON eonay_challenges (ticket_id);

-- A history row's non-personal detail: a certificate's serial and issuer, why an attestation
-- was refused, a cancellation's reason.
ALTER TABLE ticket_events ADD COLUMN detail TEXT;

-- The renewal-form approval reminders: how many went out, and when the person was last told
-- (the form e-mail notice, or the last reminder); the next is due two working days after.
ALTER TABLE tickets ADD COLUMN approval_reminders BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN approval_notified_at BIGINT;
CREATE INDEX tickets_approval_notified ON tickets (approval_notified_at) WHERE approval_notified_at IS NOT NULL;

-- The certificate of a roster row was renewed (its ticket completed): no more expiry reminders
-- for it, until a new expiry date is learned.
ALTER TABLE roster ADD COLUMN renewed_at BIGINT;
