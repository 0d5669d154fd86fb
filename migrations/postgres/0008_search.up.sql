-- Full-text search of the directory (stoa_db::search explains the design). The words of a
-- community's name, slug and field are made by Stoa (normalised, lowercase, unaccented) and
-- stored space-separated in search_words, written in the same statement as the text they
-- come from; NULL until Stoa has indexed the row (rows from before this migration are
-- indexed by the next `stoa migrate` / `stoa serve`, which run stoa_db's backfill).
ALTER TABLE communities ADD COLUMN search_words TEXT;

-- The words as lexemes, as they are: array_to_tsvector runs no parser and no dictionary
-- (to_tsvector('simple', …) would still parse: hosts, emails and hyphenated words differ from
-- SQLite's index). Generated, so it can never disagree with search_words.
ALTER TABLE communities ADD COLUMN search tsvector
    GENERATED ALWAYS AS (array_to_tsvector(array_remove(string_to_array(search_words, ' '), ''))) STORED;
CREATE INDEX communities_search ON communities USING GIN (search);
