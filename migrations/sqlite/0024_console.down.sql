DROP INDEX hub_deployments_state;
