-- 0004: where an imported conversation came from (`chatgpt:<id>`), so that
-- importing the same file again adds nothing.
ALTER TABLE conversations ADD COLUMN source TEXT;
CREATE UNIQUE INDEX conversations_by_source ON conversations (source) WHERE source IS NOT NULL;
