-- Support tickets (issue 14): a community's members open them about its hub; staff answer
-- in public or in internal notes; each carries its SLA clocks (stoa_support::SlaClock).
-- Searched like the directory (stoa_db::search): search_words written by Stoa, a generated
-- tsvector with a GIN index.
CREATE TABLE tickets (
    id                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id               BIGINT  NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    -- The hub it is about, if any; its state when the ticket was opened is in hub_state.
    hub_id                     BIGINT  REFERENCES hubs (id) ON DELETE SET NULL,
    opened_by                  BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
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
    assignee_id                BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    -- The plan whose targets apply (the community's when the ticket was opened).
    plan                       TEXT    NOT NULL,
    first_response_target_secs BIGINT  NOT NULL,
    first_response_due_at      TIMESTAMPTZ NOT NULL,
    first_responded_at         TIMESTAMPTZ,
    resolution_target_secs     BIGINT  NOT NULL,
    resolution_spent_secs      BIGINT  NOT NULL DEFAULT 0,
    -- NULL while the resolution clock is paused (pending, resolved, closed).
    resolution_running_since   TIMESTAMPTZ,
    resolution_due_at          TIMESTAMPTZ,
    -- When a breach was found and the assignee told (once per clock).
    first_response_breached_at TIMESTAMPTZ,
    resolution_breached_at     TIMESTAMPTZ,
    resolved_at                TIMESTAMPTZ,
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL,
    search_words               TEXT,
    search                     tsvector GENERATED ALWAYS AS
        (array_to_tsvector(array_remove(string_to_array(search_words, ' '), ''))) STORED
);
CREATE INDEX tickets_community ON tickets (community_id, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
-- The breach sweep reads only clocks that may still breach.
CREATE INDEX tickets_first_response_due ON tickets (first_response_due_at)
    WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND resolution_breached_at IS NULL;
CREATE INDEX tickets_search ON tickets USING GIN (search);

-- Replies and internal notes, oldest first.
CREATE TABLE ticket_messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id  BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    -- Written by the support team.
    by_staff   BOOLEAN NOT NULL DEFAULT FALSE,
    -- An internal note: staff only, never on a member's page, answer or mail.
    internal   BOOLEAN NOT NULL DEFAULT FALSE,
    -- Markdown, rendered sanitised.
    body       TEXT    NOT NULL,
    -- The status the ticket moved to with this message, if it moved.
    status_to  TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (NOT internal OR by_staff)
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
