-- Hubs, part 2: real hubs behind a provisioning backend, changes that are never lost.

-- The job queue, extended for provisioning.
-- `queue`: jobs of one queue run one at a time, oldest first (`hub:<id>`: one hub's changes
-- never overlap or overtake each other). `runner`: only the Stoa process of that name may
-- claim the job (a local hub lives on the machine whose process owns it); NULL: any.
-- `idempotency_key`: enqueueing the same key twice keeps one job. `locked_by`: the worker
-- holding the lease, so a worker whose lease ran out (and was taken over) cannot complete
-- or fail a job that is now another's.
ALTER TABLE jobs ADD COLUMN queue TEXT;
ALTER TABLE jobs ADD COLUMN runner TEXT;
ALTER TABLE jobs ADD COLUMN idempotency_key TEXT;
ALTER TABLE jobs ADD COLUMN locked_by TEXT;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key);
CREATE INDEX jobs_queue ON jobs (queue, id) WHERE queue IS NOT NULL;

-- Where a hub runs, once created by its backend.
ALTER TABLE hubs ADD COLUMN backend TEXT;
-- The Stoa process that owns the hub (local backend); NULL: any.
ALTER TABLE hubs ADD COLUMN runner TEXT;
-- The address people open; fixed at creation.
ALTER TABLE hubs ADD COLUMN url TEXT;
-- Whether the hub should run: 'running' or 'stopped' (NULL: never deployed).
ALTER TABLE hubs ADD COLUMN desired_state TEXT CHECK (desired_state IN ('running', 'stopped'));
-- The newest revision the backend has run successfully.
ALTER TABLE hubs ADD COLUMN deployed_revision INTEGER;

-- One row per requested change (apply a revision, start, stop): its state now. Kept as
-- history; the jobs that carried them out are purged.
CREATE TABLE hub_deployments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hub_id       BIGINT  NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    action       TEXT    NOT NULL CHECK (action IN ('apply', 'start', 'stop')),
    revision     INTEGER,
    state        TEXT    NOT NULL CHECK (state IN ('requested', 'validated', 'deploying',
                     'deployed', 'healthy', 'stopped', 'failed', 'superseded', 'cancelled')),
    -- The backend's last word, in words (failed: why; deploying: the retry it waits for).
    message      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    requested_by BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX hub_deployments_hub ON hub_deployments (hub_id, id);

-- The timeline of each change: one row per state it reached, with when.
CREATE TABLE hub_deployment_steps (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id BIGINT  NOT NULL REFERENCES hub_deployments (id) ON DELETE CASCADE,
    state         TEXT    NOT NULL,
    message       TEXT,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX hub_deployment_steps_deployment ON hub_deployment_steps (deployment_id);

-- What hubs report (a server started) and what a periodic read of their API found; billing
-- counts monthly active users on these.
CREATE TABLE hub_usage_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hub_id       BIGINT  NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    hub_username TEXT    NOT NULL,
    event        TEXT    NOT NULL CHECK (event IN ('server_start', 'active')),
    server_name  TEXT    NOT NULL DEFAULT '',
    at           TIMESTAMPTZ NOT NULL,
    -- 'hook' (the hub told Stoa) or 'poll' (Stoa read the hub's API).
    source       TEXT    NOT NULL CHECK (source IN ('hook', 'poll')),
    received_at  TIMESTAMPTZ NOT NULL,
    -- One event per person, server and moment, however often it is reported.
    UNIQUE (hub_id, hub_username, event, server_name, at)
);
CREATE INDEX hub_usage_events_at ON hub_usage_events (hub_id, at);
