DROP TABLE jobs;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE join_requests;
DROP TABLE invitations;
DROP TABLE memberships;
ALTER TABLE communities DROP COLUMN join_policy, DROP COLUMN institution_id, DROP COLUMN logo_url;
DROP TABLE institution_admins;
DROP TABLE institutions;
