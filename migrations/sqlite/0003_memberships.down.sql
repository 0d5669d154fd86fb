DROP TABLE jobs;
DROP TABLE audit_log;
DROP TABLE join_requests;
DROP TABLE invitations;
DROP TABLE memberships;
DROP INDEX communities_institution;
-- SQLite cannot drop a column that carries a foreign key: rebuild the table.
CREATE TABLE communities_0002 (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    field       TEXT    NOT NULL DEFAULT '',
    website     TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
INSERT INTO communities_0002 (id, slug, name, description, field, website, created_at, updated_at)
    SELECT id, slug, name, description, field, website, created_at, updated_at FROM communities;
DROP TABLE communities;
ALTER TABLE communities_0002 RENAME TO communities;
CREATE INDEX communities_created_at ON communities (created_at);
DROP TABLE institution_admins;
DROP TABLE institutions;
