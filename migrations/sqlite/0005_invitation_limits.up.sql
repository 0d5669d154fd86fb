-- Mail limits, address-bound invitations, and institution admin invitations.

-- Invitation mail counted per UTC day, per community, per account and for all of Stoa. A
-- row is charged in the transaction that queues the mail (a conditional UPSERT that refuses
-- to pass the limit, so it holds with many processes) and given back if the worker ends up
-- not sending it.
CREATE TABLE mail_counts (
    -- 'community', 'account' or 'total'.
    scope    TEXT    NOT NULL CHECK (scope IN ('community', 'account', 'total')),
    -- Community or account id; 0 for 'total'.
    scope_id INTEGER NOT NULL,
    -- YYYY-MM-DD (UTC).
    day      TEXT    NOT NULL,
    sent     INTEGER NOT NULL CHECK (sent >= 0),
    PRIMARY KEY (scope, scope_id, day)
);

-- A community's daily invitation mail limit, when staff raised it above the default.
CREATE TABLE community_mail_limits (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    per_day      INTEGER NOT NULL CHECK (per_day > 0),
    set_by       INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    set_at       TEXT    NOT NULL
);

-- When the newest mail of an invitation was queued (the resend cooldown runs from it).
ALTER TABLE invitations ADD COLUMN queued_at TEXT;

-- Invitations to administer an institution: the invited person accepts (signed in with the
-- invited address), so adding an admin never tells whether an address has an account.
CREATE TABLE institution_invitations (
    id             INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    email          TEXT    NOT NULL,
    -- SHA-256 of the token in the newest mail, as for community invitations.
    token_hash     TEXT    UNIQUE,
    invited_by     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    queued_at      TEXT,
    sent_at        TEXT,
    accepted_at    TEXT,
    accepted_by    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    revoked_at     TEXT
);
CREATE UNIQUE INDEX institution_invitations_open ON institution_invitations (institution_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
