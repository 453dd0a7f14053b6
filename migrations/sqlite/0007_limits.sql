-- Verification e-mails per target address (keyed hash), for the limits per address and overall.
CREATE TABLE mail_limits (
    address_hash TEXT   NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX mail_limits_by_address ON mail_limits (address_hash, at);
CREATE INDEX mail_limits_by_time ON mail_limits (at);
-- Wrong pairing codes from all addresses together are counted by time.
CREATE INDEX pairing_failures_by_time ON pairing_failures (at);
-- The data key's check value: a constant sealed with the key at first start; a start with
-- another key is refused instead of silently writing data nobody can read.
CREATE TABLE key_check (
    id     BIGINT PRIMARY KEY,
    sealed BLOB   NOT NULL
);
