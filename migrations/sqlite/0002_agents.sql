-- Pairing the desktop agent and the bot ↔ agent link. Keep in step with ../postgres/0002_agents.sql.

-- One row per pairing code (RFC 8628-like): only the code's keyed hash is kept. An agent
-- presenting it claims it (single use) and gets a request id and a poll secret (hashed); the
-- person approves or rejects in chat; the new agent's token waits encrypted until the agent
-- fetches it once.
CREATE TABLE pairings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash       TEXT    NOT NULL UNIQUE,
    person_id       BIGINT  NOT NULL REFERENCES persons (id),
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    request_id      TEXT    UNIQUE,
    poll_hash       TEXT,
    pc_name         TEXT,
    pc_os           TEXT,
    claimed_at      BIGINT,
    decision        TEXT,
    decided_at      BIGINT,
    agent_id        TEXT,
    token_enc       BLOB
);

-- Wrong codes per source address, for the rate limit (several instances share it).
CREATE TABLE pairing_failures (
    source      TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX pairing_failures_by_source ON pairing_failures (source, at);

CREATE TABLE agents (
    id              TEXT    PRIMARY KEY,
    person_id       BIGINT  NOT NULL REFERENCES persons (id),
    token_hash      TEXT    NOT NULL UNIQUE,
    pc_name         TEXT    NOT NULL,
    pc_os           TEXT    NOT NULL,
    agent_version   TEXT,
    created_at      BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL,
    revoked_at      BIGINT,
    revoked_by      TEXT
);
CREATE INDEX agents_by_person ON agents (person_id);

-- Work for agents, in order per agent; kept until the agent acknowledged it.
CREATE TABLE agent_work (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    work_id         TEXT    NOT NULL UNIQUE,
    agent_id        TEXT    NOT NULL REFERENCES agents (id),
    ticket_id       BIGINT  REFERENCES tickets (id),
    body            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT,
    acked_at        BIGINT,
    -- set when the person was told the PC is offline (once per item)
    offline_told_at BIGINT
);
CREATE INDEX agent_work_pending ON agent_work (agent_id, seq) WHERE acked_at IS NULL;

-- Reports from agents, once each (the id is the agent's).
CREATE TABLE agent_reports (
    report_id       TEXT    PRIMARY KEY,
    agent_id        TEXT    NOT NULL REFERENCES agents (id),
    work_id         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    received_at     BIGINT  NOT NULL
);
