DROP TABLE institution_invitations;
ALTER TABLE invitations DROP COLUMN queued_at;
DROP TABLE community_mail_limits;
DROP TABLE mail_counts;
