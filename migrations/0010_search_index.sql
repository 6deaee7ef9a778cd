-- 0010: full-text search moves from FTS5 to a tantivy index beside the
-- database (`<database>-search/`), which ranks top hits with block-max WAND
-- and so stays fast when a query holds a very common word. SQLite stays the
-- source of truth. New messages are found by rowid (above the highest one
-- the index holds); deletes and edits, which are rare, are logged here in
-- the writing transaction, so the indexer can redo exactly those rows and a
-- killed process loses nothing from the index.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

-- AUTOINCREMENT: numbers are never reused, so "applied up to N" is exact.
CREATE TABLE search_changes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_rowid  INTEGER NOT NULL
);

CREATE TRIGGER search_changes_delete AFTER DELETE ON messages BEGIN
    INSERT INTO search_changes (message_rowid) VALUES (old.rowid);
END;
CREATE TRIGGER search_changes_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO search_changes (message_rowid) VALUES (new.rowid);
END;
