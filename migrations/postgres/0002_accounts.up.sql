-- People, the identities they sign in with, and the short-lived state of sign-in flows.
CREATE TABLE accounts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT        NOT NULL,
    -- Verified address, lowercase; NULL when no provider gave one.
    email         TEXT        UNIQUE,
    is_staff      BOOLEAN     NOT NULL DEFAULT FALSE,
    -- Bumped by "sign out everywhere": sessions remember the epoch they started in.
    session_epoch BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE identities (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- OIDC issuer URL, or 'email' for magic-link sign-in (subject = the address).
    issuer       TEXT        NOT NULL,
    subject      TEXT        NOT NULL,
    provider     TEXT        NOT NULL,
    email        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_account ON identities (account_id);

-- One row per sign-in attempt with a provider; deleted when the callback uses it.
CREATE TABLE oidc_attempts (
    state           TEXT        PRIMARY KEY,
    provider        TEXT        NOT NULL,
    nonce           TEXT        NOT NULL,
    pkce_verifier   TEXT        NOT NULL,
    next_path       TEXT        NOT NULL,
    link_account_id BIGINT      REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_attempts_expires ON oidc_attempts (expires_at);

-- Magic links: only the SHA-256 of the token is stored.
CREATE TABLE magic_links (
    token_hash TEXT        PRIMARY KEY,
    email      TEXT        NOT NULL,
    next_path  TEXT        NOT NULL,
    requester  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX magic_links_email ON magic_links (email, created_at);
CREATE INDEX magic_links_requester ON magic_links (requester, created_at);

-- Sessions, in the layout tower-sessions-sqlx-store expects.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE tower_sessions.session (
    id          TEXT        PRIMARY KEY NOT NULL,
    data        BYTEA       NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
