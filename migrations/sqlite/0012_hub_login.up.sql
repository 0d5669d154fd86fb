-- Stoa as the OpenID Connect provider of its hubs (hub login): each hub is a client, people
-- log in to it with their Stoa account. Codes and tokens are stored only as SHA-256 hashes;
-- the client secrets and signing keys Stoa must read back are encrypted with the server's
-- `secret_key` (XChaCha20-Poly1305, `stoa_auth::secretbox`).

-- The username a person has on every hub: given at their first hub login and never changed
-- (hubs key home folders by it). `hub_subject` is the ID token's `sub`: random, so it says
-- nothing about the account (ids are sequential) and survives any renumbering.
ALTER TABLE accounts ADD COLUMN hub_username TEXT;
ALTER TABLE accounts ADD COLUMN hub_subject TEXT;
CREATE UNIQUE INDEX accounts_hub_username ON accounts (hub_username);
CREATE UNIQUE INDEX accounts_hub_subject ON accounts (hub_subject);

-- Every hub username ever given, so none is reused, even after its account is deleted (a new
-- person must not inherit someone's home folder on a hub).
CREATE TABLE hub_usernames (
    username   TEXT    PRIMARY KEY,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL
);

-- One OAuth client per hub.
CREATE TABLE oauth_clients (
    id                        INTEGER PRIMARY KEY,
    hub_id                    INTEGER NOT NULL UNIQUE REFERENCES hubs (id) ON DELETE CASCADE,
    -- `hub-<hub slug>`.
    client_id                 TEXT    NOT NULL UNIQUE,
    -- Encrypted (Stoa writes it into the hub's configuration, so it must be readable back).
    secret_sealed             TEXT    NOT NULL,
    -- Hex SHA-256 of the secret, compared in constant time when the hub authenticates.
    secret_hash               TEXT    NOT NULL,
    -- JSON arrays of exact URIs.
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL,
    created_at                TEXT    NOT NULL,
    updated_at                TEXT    NOT NULL
);

-- A login to one hub by one person: what codes and refresh tokens are issued under. Revoking
-- it (end-session, refresh-token reuse, a used code presented again) ends every token of it.
CREATE TABLE oauth_grants (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    revoked_at TEXT
);
CREATE INDEX oauth_grants_account ON oauth_grants (account_id, client_id);

-- Authorization codes: single use, 60 seconds. Kept after use (until purged) so that a code
-- presented twice revokes what the first use got (RFC 6749 §4.1.2).
CREATE TABLE oauth_codes (
    code_hash      TEXT    PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    -- PKCE S256 challenge (base64url, no padding).
    code_challenge TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    used_at        TEXT,
    -- The grant its use created.
    grant_id       INTEGER REFERENCES oauth_grants (id) ON DELETE CASCADE
);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- Opaque bearer tokens for userinfo: one hour.
CREATE TABLE oauth_access_tokens (
    token_hash TEXT    PRIMARY KEY,
    grant_id   INTEGER NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens (grant_id);
CREATE INDEX oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

-- Refresh tokens rotate: each use gives a new one and marks the old one used; an old one
-- presented again revokes the grant (it was copied).
CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT    PRIMARY KEY,
    grant_id   INTEGER NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- ID-token signing keys (RSA, PKCS#1 PEM, encrypted). The newest unretired key signs; the
-- key set publishes it and keys retired recently, so rotation never breaks a login.
CREATE TABLE oauth_signing_keys (
    kid         TEXT    PRIMARY KEY,
    key_sealed  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    retired_at  TEXT
);
