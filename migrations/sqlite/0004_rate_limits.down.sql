DROP INDEX magic_links_email_requester;
DROP TABLE rate_limits;
