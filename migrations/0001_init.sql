-- 0001: the foundation schema. Released migrations are never edited.

-- One row per profile database: its id namespaces keychain entries so that
-- two profiles (or two data dirs) never share secrets by accident.
CREATE TABLE profile (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- AI providers. The API key lives in the SecretStore, never here; only a
-- short hint (its last characters) is kept so the UI can show a masked key.
CREATE TABLE providers (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('openai', 'anthropic', 'gemini')),
    base_url    TEXT NOT NULL,
    model       TEXT NOT NULL,
    has_key     INTEGER NOT NULL CHECK (has_key IN (0, 1)),
    key_hint    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Validated settings documents, one JSON value per key.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
