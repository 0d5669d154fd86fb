-- Full-text search of the directory (stoa_db::search explains the design). The words of a
-- community's name, slug and field are made by Stoa (normalised, lowercase, unaccented) and
-- stored space-separated in search_words, written in the same statement as the text they
-- come from; NULL until Stoa has indexed the row (rows from before this migration are
-- indexed by the next `stoa migrate` / `stoa serve`, which run stoa_db's backfill).
ALTER TABLE communities ADD COLUMN search_words TEXT;

-- External content: the index stores no copy of the text. The `ascii` tokenizer splits only
-- at ASCII non-alphanumerics, which in search_words are exactly the separating spaces.
-- detail=none: only "which rows hold this word" is kept, all a prefix AND query needs.
-- prefix='1 2 3': one- to three-letter prefixes are read from their own index instead of
-- merging the lists of every word that starts with them.
CREATE VIRTUAL TABLE communities_fts USING fts5(
    search_words,
    content = 'communities',
    content_rowid = 'id',
    tokenize = 'ascii',
    detail = 'none',
    prefix = '1 2 3'
);

-- Kept in step by triggers, so no write path can forget it. FTS5's 'delete' must be given
-- the values that were indexed: the old ones.
CREATE TRIGGER communities_fts_insert AFTER INSERT ON communities
BEGIN
    INSERT INTO communities_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
CREATE TRIGGER communities_fts_delete AFTER DELETE ON communities
BEGIN
    INSERT INTO communities_fts (communities_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
END;
CREATE TRIGGER communities_fts_update AFTER UPDATE OF search_words ON communities
BEGIN
    INSERT INTO communities_fts (communities_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
    INSERT INTO communities_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
