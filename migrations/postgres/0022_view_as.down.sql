DROP TABLE view_as_sessions;
DROP TABLE ticket_consents;
