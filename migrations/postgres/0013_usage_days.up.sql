-- Usage kept per day (issue 12): who started a server on which hub on which day (UTC). A
-- community's monthly active users are the different people in its hubs' rows of the month
-- (stoa_billing's crate docs define it); the daily chart counts rows per day. Written with
-- each server_start event (stoa_db::usage::record), and filled here from the events so far.
CREATE TABLE hub_active_days (
    hub_id       BIGINT NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    -- The UTC date of the start.
    day          DATE   NOT NULL,
    hub_username TEXT   NOT NULL,
    PRIMARY KEY (hub_id, day, hub_username)
);
INSERT INTO hub_active_days (hub_id, day, hub_username)
    SELECT DISTINCT hub_id, (at AT TIME ZONE 'UTC')::date, hub_username
    FROM hub_usage_events WHERE event = 'server_start';
