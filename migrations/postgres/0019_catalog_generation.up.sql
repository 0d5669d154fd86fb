-- The generation of the catalog list (issue 13: the list fast with 10,000 entries): like
-- page_versions (0007), a counter that triggers bump in the transaction of every change to
-- a table the catalog list shows, so no code path, other process or hand-written SQL can
-- forget. Stoa keeps rendered list pages in memory under the generation they were read at
-- (stoa_domain::catalog::ListCache) and reads it before using one.
--
-- Tables: entries (names, states, visibility, featured; their search words move with
-- them), labels (the filters and their counts), versions (cheap insurance: no card shows
-- one today), uses ("used by N hubs") and community names (the maintainer on each card,
-- and the review queue). Memberships are not here: who sees which private entries is read
-- per request, and is part of the cache key.
--
-- One row, updated in the writing transaction: the new value is visible exactly when the
-- change is. Writers of these tables queue on its row lock until they commit; catalog
-- writes are rare (imports, publishing, reviews, applied hub revisions), so that is cheap.
-- A random start, so that a table dropped and made again cannot count back to a generation
-- a running server has pages cached for.
CREATE TABLE catalog_generation (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT   NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, floor(random() * 1e15)::BIGINT);

CREATE FUNCTION bump_catalog_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

-- Once per statement: an import's bulk writes bump once each.
CREATE TRIGGER catalog_entries_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_entries
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_labels_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_labels
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_versions_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER hub_catalog_uses_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hub_catalog_uses
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER communities_catalog_generation_name
    AFTER UPDATE OF name ON communities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER communities_catalog_generation_delete
    AFTER DELETE OR TRUNCATE ON communities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
