-- Communities: the unit that gets a hub. Later migrations add roles, institutions, billing.
CREATE TABLE communities (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT        NOT NULL UNIQUE,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL DEFAULT '',
    field       TEXT        NOT NULL DEFAULT '',
    website     TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX communities_created_at ON communities (created_at);
