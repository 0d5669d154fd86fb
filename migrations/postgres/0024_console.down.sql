DROP INDEX hub_deployments_state;
DROP INDEX communities_name;
DROP INDEX accounts_staff;
