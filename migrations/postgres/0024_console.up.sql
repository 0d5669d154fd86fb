-- The staff console (issue 14) lists provisioning changes across every hub by state, newest
-- first: open ones and failed ones without walking the whole history.
CREATE INDEX hub_deployments_state ON hub_deployments (state, id);
-- Its hub list is in community name order: the page is read along this index.
CREATE INDEX communities_name ON communities (name, id);
