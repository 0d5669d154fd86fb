-- The members list in its order straight from an index: owners, admins, billing, members,
-- each by name (case-insensitive), then account id. The name lives in accounts, so an index
-- on memberships could not deliver that order; the list sorted every member of a community
-- for every page (9,000 rows for a large course). memberships now carries the member's
-- lowercased name, kept in step by triggers (from any write path, old releases included),
-- and the role's rank as a generated column.
--
-- lower() is SQLite's, which folds ASCII only, as the old ORDER BY LOWER(a.name) did;
-- PostgreSQL's folds all of Unicode, so names starting with a non-ASCII capital may sit
-- differently between the engines (both sort bytewise: the column is COLLATE "C" there).
ALTER TABLE memberships ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN role_rank INTEGER GENERATED ALWAYS AS
    (CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'billing' THEN 2 ELSE 3 END) VIRTUAL;
UPDATE memberships SET name_key = (SELECT lower(name) FROM accounts WHERE id = memberships.account_id);
CREATE INDEX memberships_list ON memberships (community_id, role_rank, name_key, account_id);

CREATE TRIGGER memberships_name_key_insert AFTER INSERT ON memberships
BEGIN
    UPDATE memberships SET name_key = (SELECT lower(name) FROM accounts WHERE id = new.account_id)
        WHERE community_id = new.community_id AND account_id = new.account_id;
END;
CREATE TRIGGER memberships_name_key_rename AFTER UPDATE OF name ON accounts
BEGIN
    UPDATE memberships SET name_key = lower(new.name) WHERE account_id = new.id;
END;
