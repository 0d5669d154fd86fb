DROP TRIGGER accounts_name_key ON accounts;
DROP FUNCTION accounts_name_key();
DROP TRIGGER memberships_name_key ON memberships;
DROP FUNCTION memberships_name_key();
DROP INDEX memberships_list;
ALTER TABLE memberships DROP COLUMN role_rank;
ALTER TABLE memberships DROP COLUMN name_key;
