-- Request counters of the rate limiter that guards every unauthenticated endpoint. Kept in
-- the database, not in memory, so the limit holds across every Stoa process sharing it.
-- One row per (route class, client key, fixed window); housekeeping deletes old windows.
CREATE TABLE rate_limits (
    class        TEXT    NOT NULL,
    -- SHA-256 of the client key (IPv4 address or IPv6 /64): addresses are not stored.
    client       TEXT    NOT NULL,
    -- Start of the window, in seconds since the Unix epoch.
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (class, client, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);

-- The email sign-in limits count per (address, client) pair.
CREATE INDEX magic_links_email_requester ON magic_links (email, requester, created_at);
