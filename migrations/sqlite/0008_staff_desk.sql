-- The staff desk: accounts (argon2id hashes), sessions (a hash of the cookie's token), the
-- one-time setup link, the audit log (logins, failures, reveals of personal data, exports),
-- ticket assignment, internal notes (encrypted: staff may write anything about the person),
-- and the daily digest's runs (one per day across instances).
CREATE TABLE staff_accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE staff_sessions (
    token_hash   TEXT    PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES staff_accounts (id),
    csrf         TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL
);
CREATE INDEX staff_sessions_by_account ON staff_sessions (account_id);

CREATE TABLE staff_setup_tokens (
    token_hash  TEXT    PRIMARY KEY,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE staff_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    ticket_id   BIGINT,
    detail      TEXT
);
CREATE INDEX staff_audit_by_account ON staff_audit (kind, account, at);
CREATE INDEX staff_audit_by_address ON staff_audit (kind, address, at);
CREATE INDEX staff_audit_by_ticket ON staff_audit (ticket_id, id);

ALTER TABLE tickets ADD COLUMN assigned_to TEXT;

CREATE TABLE ticket_notes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets (id),
    author      TEXT    NOT NULL,
    body_enc    BLOB    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX ticket_notes_by_ticket ON ticket_notes (ticket_id, id);

CREATE TABLE digest_runs (
    day         TEXT    PRIMARY KEY,
    at          BIGINT  NOT NULL
);
