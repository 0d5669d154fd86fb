DROP TABLE community_plans;
