-- Replies to a person's message that the bot has not yet delivered (Telegram sends them later, at
-- the chat's pace). Saved in the same statement as the conversation they answer, cleared once
-- the platform confirms them, sent again after a crash. Encrypted like the conversation.
-- Keep in step with the other dialect's 0004_unsent_replies.sql.
ALTER TABLE conversations ADD COLUMN unsent_enc BLOB;
CREATE INDEX conversations_unsent ON conversations (person_id) WHERE unsent_enc IS NOT NULL;
