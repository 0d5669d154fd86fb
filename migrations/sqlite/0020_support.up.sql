-- Support tickets (issue 14): a community's members open them about its hub; staff answer
-- in public or in internal notes; each carries its SLA clocks (stoa_support::SlaClock).
-- Searched like the directory (stoa_db::search): search_words written by Stoa, FTS5 here.
CREATE TABLE tickets (
    id                         INTEGER PRIMARY KEY,
    community_id               INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    -- The hub it is about, if any; its state when the ticket was opened is in hub_state.
    hub_id                     INTEGER REFERENCES hubs (id) ON DELETE SET NULL,
    opened_by                  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    kind                       TEXT    NOT NULL CHECK (kind IN ('incident', 'change_request',
                                   'guidance', 'feature_request', 'quota')),
    impact                     TEXT    NOT NULL CHECK (impact IN ('low', 'medium', 'high', 'critical')),
    status                     TEXT    NOT NULL CHECK (status IN ('new', 'open', 'pending',
                                   'resolved', 'closed')),
    title                      TEXT    NOT NULL,
    -- Markdown, rendered sanitised.
    body                       TEXT    NOT NULL,
    -- JSON: the hub's revision, health and last change when the ticket was opened.
    hub_state                  TEXT    NOT NULL DEFAULT '',
    assignee_id                INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    -- The plan whose targets apply (the community's when the ticket was opened).
    plan                       TEXT    NOT NULL,
    first_response_target_secs INTEGER NOT NULL,
    first_response_due_at      TEXT    NOT NULL,
    first_responded_at         TEXT,
    resolution_target_secs     INTEGER NOT NULL,
    resolution_spent_secs      INTEGER NOT NULL DEFAULT 0,
    -- NULL while the resolution clock is paused (pending, resolved, closed).
    resolution_running_since   TEXT,
    resolution_due_at          TEXT,
    -- When a breach was found and the assignee told (once per clock).
    first_response_breached_at TEXT,
    resolution_breached_at     TEXT,
    resolved_at                TEXT,
    created_at                 TEXT    NOT NULL,
    updated_at                 TEXT    NOT NULL,
    search_words               TEXT
);
CREATE INDEX tickets_community ON tickets (community_id, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
-- The breach sweep reads only clocks that may still breach.
CREATE INDEX tickets_first_response_due ON tickets (first_response_due_at)
    WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND resolution_breached_at IS NULL;

CREATE VIRTUAL TABLE tickets_fts USING fts5(
    search_words,
    content = 'tickets',
    content_rowid = 'id',
    tokenize = 'ascii',
    detail = 'none',
    prefix = '1 2 3'
);
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO tickets_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF search_words ON tickets
BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, search_words)
        VALUES ('delete', old.id, old.search_words);
    INSERT INTO tickets_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;

-- Replies and internal notes, oldest first.
CREATE TABLE ticket_messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    -- Written by the support team.
    by_staff   INTEGER NOT NULL DEFAULT 0,
    -- An internal note: staff only, never on a member's page, answer or mail.
    internal   INTEGER NOT NULL DEFAULT 0,
    -- Markdown, rendered sanitised.
    body       TEXT    NOT NULL,
    -- The status the ticket moved to with this message, if it moved.
    status_to  TEXT,
    created_at TEXT    NOT NULL,
    CHECK (internal = 0 OR by_staff = 1)
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
