DROP TABLE hub_active_days;
