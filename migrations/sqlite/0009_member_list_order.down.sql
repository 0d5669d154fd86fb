DROP TRIGGER memberships_name_key_rename;
DROP TRIGGER memberships_name_key_insert;
DROP INDEX memberships_list;
ALTER TABLE memberships DROP COLUMN role_rank;
ALTER TABLE memberships DROP COLUMN name_key;
