-- Hubs and their revisions (Hubs, part 1). A hub belongs to a community (one per community
-- for now; nothing here assumes it). Its settings live in immutable revisions: each save adds
-- one, nothing is edited in place, and a rollback adds a copy of an older one.

CREATE TABLE hubs (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    -- Globally unique: the hub's host name is made from it (`<slug>.hub.<domain>`). The
    -- first hub of a community takes the community's slug.
    slug             TEXT    NOT NULL UNIQUE,
    -- The newest revision's number (0: none yet). A save moves it from the number the edit
    -- started from to the next, in one conditional UPDATE: that is the optimistic lock.
    latest_revision  INTEGER NOT NULL DEFAULT 0,
    -- The revision the community asked to run (NULL: none yet), when and by whom.
    applied_revision INTEGER,
    applied_at       TEXT,
    applied_by       INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at       TEXT    NOT NULL,
    CHECK (applied_revision IS NULL OR applied_revision BETWEEN 1 AND latest_revision)
);
CREATE INDEX hubs_community ON hubs (community_id);

CREATE TABLE hub_revisions (
    hub_id      INTEGER NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number >= 1),
    -- The revision the edit started from (NULL for the first).
    base        INTEGER,
    -- Set when this revision restores an older one (its spec is a copy of that one's).
    rollback_of INTEGER,
    author_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    message     TEXT    NOT NULL,
    -- The HubSpec as JSON, carrying its own schema version (crates/stoa_hubs).
    spec        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (hub_id, number)
);
