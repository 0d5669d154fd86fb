-- The plan each community chose (issue 12). A community without a row is on
-- `billing.default_plan`. Subscriptions (status, trial, the billing account) build on it.
CREATE TABLE community_plans (
    community_id BIGINT PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    -- The id of one of `[[billing.plans]]`.
    plan_id      TEXT   NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    changed_by   BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
