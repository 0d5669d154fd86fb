DROP TRIGGER communities_catalog_generation_delete ON communities;
DROP TRIGGER communities_catalog_generation_name ON communities;
DROP TRIGGER hub_catalog_uses_generation ON hub_catalog_uses;
DROP TRIGGER catalog_versions_generation ON catalog_versions;
DROP TRIGGER catalog_labels_generation ON catalog_labels;
DROP TRIGGER catalog_entries_generation ON catalog_entries;
DROP FUNCTION bump_catalog_generation();
DROP TABLE catalog_generation;
