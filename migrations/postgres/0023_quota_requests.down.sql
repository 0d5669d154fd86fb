DROP TABLE quota_requests;
