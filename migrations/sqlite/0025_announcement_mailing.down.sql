ALTER TABLE announcements DROP COLUMN mailed_through;
