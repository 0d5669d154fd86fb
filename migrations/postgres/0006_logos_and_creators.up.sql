-- Who signed up each community (for the daily cap on new communities per account), and
-- community logos uploaded to Stoa (served from Stoa's origin instead of third-party URLs).
-- Expand only: communities.logo_url stays until no running release reads it.

ALTER TABLE communities ADD COLUMN created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
-- Communities signed up before this column existed: their creator is in the audit log.
UPDATE communities SET created_by = (
    SELECT l.actor_id FROM audit_log l
    WHERE l.community_id = communities.id AND l.action = 'community.created'
    ORDER BY l.id LIMIT 1
);
CREATE INDEX communities_created_by ON communities (created_by, created_at);

CREATE TABLE community_logos (
    community_id BIGINT      PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    -- Sniffed from the bytes, never taken from the upload; no SVG (it can carry script).
    content_type TEXT        NOT NULL
        CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
    bytes        BYTEA       NOT NULL,
    -- Hex SHA-256 prefix of the bytes: in the logo's URL and its ETag, so a new logo gets a
    -- new URL and an old one can be cached forever.
    version      TEXT        NOT NULL,
    width        INTEGER     NOT NULL,
    height       INTEGER     NOT NULL,
    updated_by   BIGINT      REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (octet_length(bytes) <= 262144)
);
