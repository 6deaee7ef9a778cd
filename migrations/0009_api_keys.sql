-- 0009: API keys for the local server, besides the owner token: for tools
-- and OpenAI clients. Only a SHA-256 of each key is kept; the key itself is
-- shown once, when it is made.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- The key's first characters, to tell keys apart in a list.
    prefix        TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
) STRICT;
