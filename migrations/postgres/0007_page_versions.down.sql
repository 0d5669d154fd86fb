DROP TRIGGER community_logos_page_version ON community_logos;
DROP TRIGGER communities_page_version ON communities;
DROP FUNCTION bump_page_version();
DROP TABLE page_versions;
