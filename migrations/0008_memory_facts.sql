-- 0008: facts the user asked Jarvis to remember ("remember that…"): given
-- to the model with every request until the user deletes them.
CREATE TABLE memory_facts (
    id          TEXT PRIMARY KEY NOT NULL,
    text        TEXT NOT NULL,
    -- Where it was said: chat, voice, ui or api.
    source      TEXT NOT NULL CHECK (source IN ('chat', 'voice', 'ui', 'api')),
    created_at  TEXT NOT NULL
) STRICT;

-- The same fact twice (ignoring case) is kept once.
CREATE UNIQUE INDEX memory_facts_text ON memory_facts (lower(text));
