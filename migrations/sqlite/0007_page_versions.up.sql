-- The version of what anonymous visitors see: every change to a table that feeds a cached
-- page (server/src/page_cache.rs) bumps it in the same transaction, by trigger, so no code
-- path, other process or hand-written SQL can forget. Each request reads it before
-- answering from the cache; a different value means the cached pages are stale.
--
-- One row. It starts at a random value rather than 0 so that a table dropped and made again
-- (migrating down and up while a server runs) cannot count back to a version a server has
-- pages cached for.
CREATE TABLE page_versions (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO page_versions (id, version) VALUES (1, abs(random() % 1000000000000000));

-- The anonymous pages cached are the home page, the directory and a community's page: they
-- show communities and their logos, nothing else from the database.
CREATE TRIGGER communities_page_version_insert AFTER INSERT ON communities
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER communities_page_version_update AFTER UPDATE ON communities
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER communities_page_version_delete AFTER DELETE ON communities
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER community_logos_page_version_insert AFTER INSERT ON community_logos
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER community_logos_page_version_update AFTER UPDATE ON community_logos
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER community_logos_page_version_delete AFTER DELETE ON community_logos
BEGIN UPDATE page_versions SET version = version + 1 WHERE id = 1; END;
