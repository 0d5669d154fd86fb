DROP TABLE community_logos;
DROP INDEX communities_created_by;
ALTER TABLE communities DROP COLUMN created_by;
