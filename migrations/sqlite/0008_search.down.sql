DROP TRIGGER communities_fts_update;
DROP TRIGGER communities_fts_delete;
DROP TRIGGER communities_fts_insert;
DROP TABLE communities_fts;
ALTER TABLE communities DROP COLUMN search_words;
