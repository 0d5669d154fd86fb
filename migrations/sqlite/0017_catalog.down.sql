DROP TRIGGER catalog_entries_fts_update;
DROP TRIGGER catalog_entries_fts_delete;
DROP TRIGGER catalog_entries_fts_insert;
DROP TABLE catalog_entries_fts;
DROP TABLE catalog_versions;
DROP TABLE catalog_labels;
DROP TABLE catalog_entries;
