-- Announcements are mailed in batches, in account order (stoa_domain::announcements::
-- mail_batch): the last account mailed, so a batch run twice mails nobody twice.
ALTER TABLE announcements ADD COLUMN mailed_through BIGINT NOT NULL DEFAULT 0;
