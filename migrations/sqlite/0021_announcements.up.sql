-- Announcements (issue 14): staff tell every community, or chosen ones, something within a
-- time window; shown to signed-in members on every page (optionally mailed). Required ones
-- are acknowledged, and staff see who did; dismissible ones are dismissed, per person.
CREATE TABLE announcements (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    -- Markdown, rendered sanitised.
    body            TEXT    NOT NULL DEFAULT '',
    severity        TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    -- Acknowledged (and recorded) rather than dismissed.
    required        INTEGER NOT NULL DEFAULT 0,
    -- Every community's members; else those of announcement_targets.
    everyone        INTEGER NOT NULL DEFAULT 0,
    mailed          INTEGER NOT NULL DEFAULT 0,
    starts_at       TEXT    NOT NULL,
    ends_at         TEXT    NOT NULL,
    created_by      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      TEXT    NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX announcements_window ON announcements (ends_at, starts_at);

CREATE TABLE announcement_targets (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    community_id    INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, community_id)
);
CREATE INDEX announcement_targets_community ON announcement_targets (community_id, announcement_id);

-- Who dismissed or acknowledged which, once.
CREATE TABLE announcement_reads (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    acknowledged    INTEGER NOT NULL DEFAULT 0,
    read_at         TEXT    NOT NULL,
    PRIMARY KEY (announcement_id, account_id)
);
