DROP TABLE announcement_reads;
DROP TABLE announcement_targets;
DROP TABLE announcements;
