-- 0011: semantic recall. An OpenAI-compatible provider may name an
-- embedding model; messages are then embedded in the background and recalled
-- by meaning as well as by words.
ALTER TABLE providers ADD COLUMN embedding_model TEXT;

-- One vector per message (unit length, little-endian f32), for the model
-- that made it. `id` only grows, so new vectors are found by it.
CREATE TABLE message_embeddings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL
) STRICT;
