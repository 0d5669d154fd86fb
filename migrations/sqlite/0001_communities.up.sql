-- Communities: the unit that gets a hub. Later migrations add roles, institutions, billing.
CREATE TABLE communities (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    field       TEXT    NOT NULL DEFAULT '',
    website     TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE INDEX communities_created_at ON communities (created_at);
