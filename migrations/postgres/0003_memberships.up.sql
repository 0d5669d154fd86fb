-- Institutions that pay, memberships with roles, invitations, join requests, the audit log
-- and the background job queue.

CREATE TABLE institutions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    legal_name       TEXT    NOT NULL,
    address          TEXT    NOT NULL DEFAULT '',
    -- ISO 3166-1 alpha-2, upper case.
    country          TEXT    NOT NULL,
    tax_id           TEXT    NOT NULL DEFAULT '',
    -- Billing contact addresses, one per line, lowercase.
    billing_contacts TEXT    NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX institutions_legal_name ON institutions (legal_name);

-- People who manage an institution and see the billing of every community it pays for.
CREATE TABLE institution_admins (
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (institution_id, account_id)
);
CREATE INDEX institution_admins_account ON institution_admins (account_id);

ALTER TABLE communities ADD COLUMN logo_url TEXT;
ALTER TABLE communities ADD COLUMN institution_id BIGINT REFERENCES institutions (id);
-- 'invite' (invitations only) or 'request' (signed-in people may ask to join).
ALTER TABLE communities ADD COLUMN join_policy TEXT NOT NULL DEFAULT 'invite'
    CHECK (join_policy IN ('invite', 'request'));
CREATE INDEX communities_institution ON communities (institution_id);

CREATE TABLE memberships (
    community_id  BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'member')),
    -- Courses and workshops: the membership ends by itself at this instant.
    ends_at       TIMESTAMPTZ,
    -- When the "your membership ends soon" notice was queued.
    end_notice_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (community_id, account_id),
    CHECK (role <> 'owner' OR ends_at IS NULL)
);
CREATE INDEX memberships_account ON memberships (account_id);
CREATE INDEX memberships_community_role ON memberships (community_id, role);
CREATE INDEX memberships_ends_at ON memberships (ends_at) WHERE ends_at IS NOT NULL;

CREATE TABLE invitations (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id       BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    email              TEXT    NOT NULL,
    role               TEXT    NOT NULL CHECK (role IN ('admin', 'billing', 'member')),
    membership_ends_at TIMESTAMPTZ,
    -- SHA-256 of the token in the newest mail; NULL until the first mail goes out. Sending
    -- again replaces it, so only the newest link works and no usable token is ever stored.
    token_hash         TEXT    UNIQUE,
    invited_by         BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL,
    sent_at            TIMESTAMPTZ,
    accepted_at        TIMESTAMPTZ,
    accepted_by        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    revoked_at         TIMESTAMPTZ
);
-- At most one open invitation per address and community.
CREATE UNIQUE INDEX invitations_open ON invitations (community_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_community ON invitations (community_id, created_at);

CREATE TABLE join_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message      TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'denied')),
    created_at   TIMESTAMPTZ NOT NULL,
    decided_at   TIMESTAMPTZ,
    decided_by   BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX join_requests_pending ON join_requests (community_id, account_id)
    WHERE status = 'pending';

-- Append-only: who changed what, when. No foreign keys: the record outlives what it names.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    -- NULL for Stoa itself (background tasks).
    actor_id       BIGINT,
    actor_name     TEXT    NOT NULL,
    community_id   BIGINT,
    institution_id BIGINT,
    action         TEXT    NOT NULL,
    target         TEXT    NOT NULL DEFAULT '',
    -- Short JSON objects of the changed fields.
    before_state   TEXT,
    after_state    TEXT
);
CREATE INDEX audit_log_community ON audit_log (community_id, id);
CREATE INDEX audit_log_institution ON audit_log (institution_id, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Background jobs: enqueued in the transaction that makes them necessary.
CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    -- A worker holds the job until then; after it, another may take it (crash recovery).
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    -- Set when the job gave up for good (successful jobs are deleted).
    failed_at    TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE failed_at IS NULL;
