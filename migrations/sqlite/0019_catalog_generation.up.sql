-- The generation of the catalog list (issue 13: the list fast with 10,000 entries): like
-- page_versions (0007), a counter that triggers bump in the transaction of every change to
-- a table the catalog list shows, so no code path, other process or hand-written SQL can
-- forget. Stoa keeps rendered list pages in memory under the generation they were read at
-- (stoa_domain::catalog::ListCache) and reads it before using one.
--
-- Tables: entries (names, states, visibility, featured; their search words and FTS index
-- move with them), labels (the filters and their counts), versions (cheap insurance: no
-- card shows one today), uses ("used by N hubs") and community names (the maintainer on
-- each card, and the review queue). Memberships are not here: who sees which private
-- entries is read per request, and is part of the cache key.
--
-- One row; a random start, so that a table dropped and made again cannot count back to a
-- generation a running server has pages cached for.
CREATE TABLE catalog_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, abs(random() % 1000000000000000));

CREATE TRIGGER catalog_entries_generation_insert AFTER INSERT ON catalog_entries
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_entries_generation_update AFTER UPDATE ON catalog_entries
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_entries_generation_delete AFTER DELETE ON catalog_entries
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_labels_generation_insert AFTER INSERT ON catalog_labels
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_labels_generation_update AFTER UPDATE ON catalog_labels
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_labels_generation_delete AFTER DELETE ON catalog_labels
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_versions_generation_insert AFTER INSERT ON catalog_versions
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_versions_generation_update AFTER UPDATE ON catalog_versions
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER catalog_versions_generation_delete AFTER DELETE ON catalog_versions
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER hub_catalog_uses_generation_insert AFTER INSERT ON hub_catalog_uses
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER hub_catalog_uses_generation_update AFTER UPDATE ON hub_catalog_uses
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER hub_catalog_uses_generation_delete AFTER DELETE ON hub_catalog_uses
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER communities_catalog_generation_name AFTER UPDATE OF name ON communities
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER communities_catalog_generation_delete AFTER DELETE ON communities
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
