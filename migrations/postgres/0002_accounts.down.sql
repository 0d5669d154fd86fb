DROP TABLE tower_sessions.session;
DROP SCHEMA tower_sessions;
DROP TABLE magic_links;
DROP TABLE oidc_attempts;
DROP TABLE identities;
DROP TABLE accounts;
