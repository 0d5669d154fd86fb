DROP INDEX communities_search;
ALTER TABLE communities DROP COLUMN search;
ALTER TABLE communities DROP COLUMN search_words;
