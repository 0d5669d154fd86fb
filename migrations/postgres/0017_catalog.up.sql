-- The shared catalog of environments (issue 13): entries (an environment a community or
-- staff maintain) and their versions (an image each). Searched like the directory
-- (stoa_db::search): search_words written by Stoa, a generated tsvector with a GIN index.
CREATE TABLE catalog_entries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    summary         TEXT    NOT NULL DEFAULT '',
    -- Markdown, rendered sanitised.
    description     TEXT    NOT NULL DEFAULT '',
    -- NULL: maintained by staff.
    maintainer_community_id BIGINT REFERENCES communities (id) ON DELETE SET NULL,
    source_url      TEXT    NOT NULL DEFAULT '',
    docs_url        TEXT    NOT NULL DEFAULT '',
    -- public: listed for everyone once published; private: only its community sees it.
    visibility      TEXT    NOT NULL CHECK (visibility IN ('public', 'private')),
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'changes_requested',
                                                       'published', 'rejected', 'unpublished')),
    featured        BOOLEAN NOT NULL DEFAULT FALSE,
    search_words    TEXT,
    search          tsvector GENERATED ALWAYS AS
        (array_to_tsvector(array_remove(string_to_array(search_words, ' '), ''))) STORED,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX catalog_entries_name ON catalog_entries (name, id);
CREATE INDEX catalog_entries_created ON catalog_entries (created_at, id);
CREATE INDEX catalog_entries_maintainer ON catalog_entries (maintainer_community_id);
CREATE INDEX catalog_entries_search ON catalog_entries USING GIN (search);

-- Languages and tags, one row each, for filters that stay fast at 10,000 entries.
CREATE TABLE catalog_labels (
    entry_id BIGINT NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    kind     TEXT   NOT NULL CHECK (kind IN ('language', 'tag')),
    value    TEXT   NOT NULL,
    PRIMARY KEY (entry_id, kind, value)
);
CREATE INDEX catalog_labels_value ON catalog_labels (kind, value, entry_id);

CREATE TABLE catalog_versions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id        BIGINT  NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    -- As people name it: 2025.01, 4.4.2.
    version         TEXT    NOT NULL,
    -- An OCI reference with a tag or a digest (the hub editor's check).
    image           TEXT    NOT NULL,
    release_notes   TEXT    NOT NULL DEFAULT '',
    released_on     DATE    NOT NULL,
    deprecated      BOOLEAN NOT NULL DEFAULT FALSE,
    replacement_id  BIGINT  REFERENCES catalog_versions (id) ON DELETE SET NULL,
    security_notice TEXT    NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (entry_id, version)
);
