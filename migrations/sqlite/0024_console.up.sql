-- The staff console (issue 14) lists provisioning changes across every hub by state, newest
-- first: open ones and failed ones without walking the whole history.
CREATE INDEX hub_deployments_state ON hub_deployments (state, id);
-- Its hub list is in community name order: the page is read along this index.
CREATE INDEX communities_name ON communities (name, id);
-- The support team, read by every queue and ticket page and every mail to the team: a few
-- rows among every account (a full scan took 10 ms with 100,000 accounts).
CREATE INDEX accounts_staff ON accounts (name, id) WHERE is_staff = TRUE;
