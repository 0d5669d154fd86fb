-- The members list in its order straight from an index: owners, admins, billing, members,
-- each by name (case-insensitive), then account id. The name lives in accounts, so an index
-- on memberships could not deliver that order; the list sorted every member of a community
-- for every page (9,000 rows for a large course). memberships now carries the member's
-- lowercased name, kept in step by triggers (from any write path, old releases included),
-- and the role's rank as a generated column.
--
-- COLLATE "C": bytewise order, as SQLite's, whatever the database's locale. lower() folds
-- all of Unicode here and only ASCII on SQLite (as the old ORDER BY LOWER(a.name) did), so
-- names starting with a non-ASCII capital may sit differently between the engines.
ALTER TABLE memberships ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN role_rank SMALLINT GENERATED ALWAYS AS
    (CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'billing' THEN 2 ELSE 3 END) STORED;
UPDATE memberships m SET name_key = lower(a.name) FROM accounts a WHERE a.id = m.account_id;
CREATE INDEX memberships_list ON memberships (community_id, role_rank, name_key, account_id);

CREATE FUNCTION memberships_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := (SELECT lower(name) FROM accounts WHERE id = NEW.account_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER memberships_name_key BEFORE INSERT OR UPDATE OF account_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_name_key();

CREATE FUNCTION accounts_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE memberships SET name_key = lower(NEW.name) WHERE account_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_name_key AFTER UPDATE OF name ON accounts
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION accounts_name_key();
