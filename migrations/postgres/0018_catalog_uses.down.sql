ALTER TABLE catalog_entries DROP COLUMN review_message;
ALTER TABLE communities DROP COLUMN listed_in_catalog;
DROP TABLE catalog_notices_sent;
DROP TABLE hub_catalog_uses;
