-- eimza schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: the same tables,
-- columns and indexes; only types and identity columns differ.
-- Times are milliseconds since the Unix epoch (UTC). Personal data columns: *_enc are
-- XChaCha20-Poly1305 ciphertexts, *_hash keyed HMAC-SHA256 lookups (see bot/src/vault.rs).

CREATE TABLE institutions (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    config      TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE persons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    transport   TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (transport, user_id)
);

CREATE TABLE conversations (
    person_id   BIGINT  PRIMARY KEY REFERENCES persons (id),
    version     BIGINT  NOT NULL,
    state_enc   BLOB    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE ticket_counters (
    year        BIGINT  PRIMARY KEY,
    last        BIGINT  NOT NULL
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT    NOT NULL UNIQUE,
    person_id       BIGINT  NOT NULL REFERENCES persons (id),
    institution_id  BIGINT  NOT NULL REFERENCES institutions (id),
    state           TEXT    NOT NULL,
    -- the TC Kimlik No's lookup hash while the ticket is open, NULL once closed:
    -- at most one open ticket per TC Kimlik No.
    open_key        TEXT    UNIQUE,
    tckn_hash       TEXT,
    tckn_enc        BLOB,
    birth_enc       BLOB,
    name            TEXT,
    name_fold       TEXT,
    title           TEXT,
    email           TEXT,
    consent_at      BIGINT,
    lang            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    closed_at       BIGINT,
    purged_at       BIGINT
);
CREATE INDEX tickets_by_person ON tickets (person_id, id);
CREATE INDEX tickets_by_state ON tickets (state, updated_at);
CREATE INDEX tickets_by_tckn ON tickets (tckn_hash);
CREATE INDEX tickets_to_purge ON tickets (closed_at) WHERE purged_at IS NULL;

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets (id),
    at          BIGINT  NOT NULL,
    actor_kind  TEXT    NOT NULL,
    actor_id    TEXT,
    event       TEXT    NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    note        TEXT
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

CREATE TABLE processed_updates (
    transport   TEXT    NOT NULL,
    update_id   TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (transport, update_id)
);

CREATE TABLE webchat_sessions (
    id          TEXT    PRIMARY KEY,
    token_hash  TEXT    NOT NULL,
    person_id   BIGINT  NOT NULL REFERENCES persons (id),
    created_at  BIGINT  NOT NULL
);

CREATE TABLE webchat_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT  NOT NULL REFERENCES persons (id),
    at          BIGINT  NOT NULL,
    direction   TEXT    NOT NULL,
    body_enc    BLOB    NOT NULL
);
CREATE INDEX webchat_messages_by_person ON webchat_messages (person_id, id);

-- Messages to deliver (e-mail now; staff chat next): written in the same transaction as the
-- state change that causes them, claimed and delivered by a worker, retried with backoff.
-- `kind` names what to say (a ticket notice, an e-mail code), `payload_enc` holds its details.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key        TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    ticket_id       BIGINT  REFERENCES tickets (id),
    message_id      TEXT    NOT NULL,
    payload_enc     BLOB,
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    claimed_until   BIGINT,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_pending_by_ticket ON outbox (ticket_id, channel, id) WHERE sent_at IS NULL AND failed_at IS NULL;

-- The roster the support desk imports (and, later, certificates the agent reads): who holds a
-- certificate and the Istanbul calendar day it expires (days since 1970-01-01).
CREATE TABLE roster (
    tckn_hash   TEXT    PRIMARY KEY,
    tckn_enc    BLOB    NOT NULL,
    name        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    expires_day BIGINT  NOT NULL,
    source      TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX roster_by_expiry ON roster (expires_day);

-- Each expiry reminder (person, certificate, days before) is sent at most once, ever.
CREATE TABLE reminders_sent (
    tckn_hash   TEXT    NOT NULL,
    expires_day BIGINT  NOT NULL,
    offset_days BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL,
    PRIMARY KEY (tckn_hash, expires_day, offset_days)
);

-- People who asked (List-Unsubscribe) not to get expiry reminders.
CREATE TABLE reminder_optouts (
    tckn_hash   TEXT    PRIMARY KEY,
    at          BIGINT  NOT NULL
);
