-- "View as" (issue 14): staff see Stoa's pages as a member sees them, to reproduce what the
-- member reports on a ticket; only with that member's consent recorded on the ticket,
-- read-only, for a limited time, each session kept here (and in the audit log).
CREATE TABLE ticket_consents (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    granted_at TEXT    NOT NULL,
    -- Withdrawn: no new session starts (one running ends at its time).
    revoked_at TEXT,
    PRIMARY KEY (ticket_id, account_id)
);

CREATE TABLE view_as_sessions (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    staff_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    started_at TEXT    NOT NULL,
    ends_at    TEXT    NOT NULL,
    -- Stopped by the staff member before ends_at.
    ended_at   TEXT,
    CHECK (staff_id <> member_id)
);
-- Every request of a staff member looks for their running session.
CREATE INDEX view_as_sessions_staff ON view_as_sessions (staff_id, ends_at) WHERE ended_at IS NULL;
