-- People, the identities they sign in with, and the short-lived state of sign-in flows.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    -- Verified address, lowercase; NULL when no provider gave one.
    email         TEXT    UNIQUE,
    is_staff      INTEGER NOT NULL DEFAULT 0,
    -- Bumped by "sign out everywhere": sessions remember the epoch they started in.
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE identities (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- OIDC issuer URL, or 'email' for magic-link sign-in (subject = the address).
    issuer       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    email        TEXT,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT    NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_account ON identities (account_id);

-- One row per sign-in attempt with a provider; deleted when the callback uses it.
CREATE TABLE oidc_attempts (
    state           TEXT    PRIMARY KEY,
    provider        TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    pkce_verifier   TEXT    NOT NULL,
    next_path       TEXT    NOT NULL,
    link_account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL
);
CREATE INDEX oidc_attempts_expires ON oidc_attempts (expires_at);

-- Magic links: only the SHA-256 of the token is stored.
CREATE TABLE magic_links (
    token_hash   TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    next_path    TEXT NOT NULL,
    requester    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);
CREATE INDEX magic_links_email ON magic_links (email, created_at);
CREATE INDEX magic_links_requester ON magic_links (requester, created_at);

-- Sessions, in the layout tower-sessions-sqlx-store expects.
CREATE TABLE tower_sessions (
    id          TEXT    PRIMARY KEY NOT NULL,
    data        BLOB    NOT NULL,
    expiry_date INTEGER NOT NULL
);
