DROP TABLE catalog_versions;
DROP TABLE catalog_labels;
DROP TABLE catalog_entries;
