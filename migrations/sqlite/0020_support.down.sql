DROP TABLE ticket_messages;
DROP TRIGGER tickets_fts_update;
DROP TRIGGER tickets_fts_delete;
DROP TRIGGER tickets_fts_insert;
DROP TABLE tickets_fts;
DROP TABLE tickets;
