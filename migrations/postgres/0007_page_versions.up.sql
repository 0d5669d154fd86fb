-- The version of what anonymous visitors see: every change to a table that feeds a cached
-- page (server/src/page_cache.rs) bumps it in the same transaction, by trigger, so no code
-- path, other process or hand-written SQL can forget. Each request reads it before
-- answering from the cache; a different value means the cached pages are stale.
--
-- One row, updated in the writing transaction: the new value becomes visible exactly when
-- the change does (a sequence would not: nextval is not rolled back nor hidden until
-- commit). It starts at a random value rather than 0 so that a table dropped and made again
-- (migrating down and up while a server runs) cannot count back to a version a server has
-- pages cached for.
CREATE TABLE page_versions (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT   NOT NULL
);
INSERT INTO page_versions (id, version) VALUES (1, floor(random() * 1e15)::BIGINT);

CREATE FUNCTION bump_page_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE page_versions SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

-- The anonymous pages cached are the home page, the directory and a community's page: they
-- show communities and their logos, nothing else from the database. Once per statement:
-- a bulk insert bumps once.
CREATE TRIGGER communities_page_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON communities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_page_version();
CREATE TRIGGER community_logos_page_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON community_logos
    FOR EACH STATEMENT EXECUTE FUNCTION bump_page_version();
