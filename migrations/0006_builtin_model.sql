-- 0006: the built-in model. Providers of kind 'local' run a GGUF file on
-- this machine with the embedded llama.cpp engine; base_url holds the
-- file's absolute path. SQLite cannot alter a CHECK, so the table is rebuilt.

CREATE TABLE providers_next (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('openai', 'anthropic', 'gemini', 'local')),
    base_url    TEXT NOT NULL,
    model       TEXT NOT NULL,
    has_key     INTEGER NOT NULL CHECK (has_key IN (0, 1)),
    key_hint    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

INSERT INTO providers_next (id, name, kind, base_url, model, has_key, key_hint, created_at, updated_at)
SELECT id, name, kind, base_url, model, has_key, key_hint, created_at, updated_at FROM providers;

DROP TABLE providers;
ALTER TABLE providers_next RENAME TO providers;
