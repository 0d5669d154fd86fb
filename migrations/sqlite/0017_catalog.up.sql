-- The shared catalog of environments (issue 13): entries (an environment a community or
-- staff maintain) and their versions (an image each). Searched like the directory
-- (stoa_db::search): search_words written by Stoa, an FTS5 index kept by triggers.
CREATE TABLE catalog_entries (
    id              INTEGER PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    summary         TEXT    NOT NULL DEFAULT '',
    -- Markdown, rendered sanitised.
    description     TEXT    NOT NULL DEFAULT '',
    -- NULL: maintained by staff.
    maintainer_community_id INTEGER REFERENCES communities (id) ON DELETE SET NULL,
    source_url      TEXT    NOT NULL DEFAULT '',
    docs_url        TEXT    NOT NULL DEFAULT '',
    -- public: listed for everyone once published; private: only its community sees it.
    visibility      TEXT    NOT NULL CHECK (visibility IN ('public', 'private')),
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'changes_requested',
                                                       'published', 'rejected', 'unpublished')),
    featured        INTEGER NOT NULL DEFAULT 0,
    search_words    TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX catalog_entries_name ON catalog_entries (name, id);
CREATE INDEX catalog_entries_created ON catalog_entries (created_at, id);
CREATE INDEX catalog_entries_maintainer ON catalog_entries (maintainer_community_id);

-- Languages and tags, one row each, for filters that stay fast at 10,000 entries.
CREATE TABLE catalog_labels (
    entry_id INTEGER NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('language', 'tag')),
    value    TEXT    NOT NULL,
    PRIMARY KEY (entry_id, kind, value)
);
CREATE INDEX catalog_labels_value ON catalog_labels (kind, value, entry_id);

CREATE TABLE catalog_versions (
    id              INTEGER PRIMARY KEY,
    entry_id        INTEGER NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    -- As people name it: 2025.01, 4.4.2.
    version         TEXT    NOT NULL,
    -- An OCI reference with a tag or a digest (the hub editor's check).
    image           TEXT    NOT NULL,
    release_notes   TEXT    NOT NULL DEFAULT '',
    released_on     TEXT    NOT NULL,
    deprecated      INTEGER NOT NULL DEFAULT 0,
    replacement_id  INTEGER REFERENCES catalog_versions (id) ON DELETE SET NULL,
    security_notice TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    UNIQUE (entry_id, version)
);

CREATE VIRTUAL TABLE catalog_entries_fts USING fts5(
    search_words,
    content = 'catalog_entries',
    content_rowid = 'id',
    tokenize = 'ascii',
    detail = 'none',
    prefix = '1 2 3'
);
CREATE TRIGGER catalog_entries_fts_insert AFTER INSERT ON catalog_entries
BEGIN
    INSERT INTO catalog_entries_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
CREATE TRIGGER catalog_entries_fts_delete AFTER DELETE ON catalog_entries
BEGIN
    INSERT INTO catalog_entries_fts (catalog_entries_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
END;
CREATE TRIGGER catalog_entries_fts_update AFTER UPDATE OF search_words ON catalog_entries
BEGIN
    INSERT INTO catalog_entries_fts (catalog_entries_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
    INSERT INTO catalog_entries_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
