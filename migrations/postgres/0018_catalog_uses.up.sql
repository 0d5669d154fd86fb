-- Which catalog versions hubs run (issue 13), kept from each hub's applied revision: the
-- catalog's "used by N hubs", its communities, and who hears of a deprecation all read it.
CREATE TABLE hub_catalog_uses (
    hub_id      BIGINT NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    -- The environment's slug within the hub.
    environment TEXT   NOT NULL,
    entry_id    BIGINT NOT NULL REFERENCES catalog_entries (id) ON DELETE CASCADE,
    version_id  BIGINT NOT NULL REFERENCES catalog_versions (id) ON DELETE CASCADE,
    PRIMARY KEY (hub_id, environment)
);
CREATE INDEX hub_catalog_uses_entry ON hub_catalog_uses (entry_id, hub_id);
CREATE INDEX hub_catalog_uses_version ON hub_catalog_uses (version_id, hub_id);

-- A notice about a version (deprecation, security) mailed to a hub's admins: once per hub.
CREATE TABLE catalog_notices_sent (
    version_id BIGINT      NOT NULL REFERENCES catalog_versions (id) ON DELETE CASCADE,
    hub_id     BIGINT      NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    kind       TEXT        NOT NULL CHECK (kind IN ('deprecated', 'security')),
    sent_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version_id, hub_id, kind)
);

-- Whether a catalog entry's page may name this community among those using it (off until
-- the community's admins say so).
ALTER TABLE communities ADD COLUMN listed_in_catalog BOOLEAN NOT NULL DEFAULT FALSE;

-- What staff said when they last reviewed an entry a community submitted (shown to that
-- community with the entry's state).
ALTER TABLE catalog_entries ADD COLUMN review_message TEXT NOT NULL DEFAULT '';
