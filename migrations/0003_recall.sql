-- 0003: which earlier messages were recalled into the context of an answer,
-- as a JSON array of {message_id, conversation_id, conversation_title, excerpt}.
ALTER TABLE messages ADD COLUMN recalled TEXT NOT NULL DEFAULT '[]';
