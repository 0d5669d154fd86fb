-- Quota and change requests (issue 14): the values a community asks for beyond its bounds,
-- kept with their ticket (stoa_hubs::quota::QuotaRequest as JSON), and staff's decision.
CREATE TABLE quota_requests (
    ticket_id  BIGINT PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    requested  TEXT        NOT NULL,
    -- NULL while undecided.
    decision   TEXT CHECK (decision IN ('approved', 'declined')),
    decided_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    decided_at TIMESTAMPTZ,
    -- Why it was declined (or staff's note on approval).
    reason     TEXT        NOT NULL DEFAULT '',
    -- The revision the approval made.
    revision   INTEGER,
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
