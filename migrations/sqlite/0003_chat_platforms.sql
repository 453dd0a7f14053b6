-- Telegram, Discord and the staff chat. Keep in step with the other dialect's 0003_chat_platforms.sql.

-- One-time links to the built-in web form, where a person on Telegram or Discord gives the
-- TC Kimlik No and birth date (kept off the foreign chat server). Only the token's keyed hash is
-- kept; a link is used once and expires.
CREATE TABLE form_links (
    token_hash  TEXT    PRIMARY KEY,
    person_id   BIGINT  NOT NULL REFERENCES persons (id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX form_links_by_person ON form_links (person_id);

-- Messages the bot posted in a staff chat about a ticket: a staff member's reply to one of them
-- reaches that ticket's person.
CREATE TABLE staff_posts (
    transport   TEXT    NOT NULL,
    chat_id     TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets (id),
    at          BIGINT  NOT NULL,
    PRIMARY KEY (transport, chat_id, message_id)
);
CREATE INDEX staff_posts_by_ticket ON staff_posts (ticket_id);
