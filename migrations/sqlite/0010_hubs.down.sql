DROP TABLE hub_revisions;
DROP TABLE hubs;
