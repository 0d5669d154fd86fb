-- Stripe (issue 12): who pays as a Stripe customer, what Stripe said about subscriptions and
-- invoices, each webhook event once, and the usage fee added to each month's invoice once.

-- A billing account: a community's own, or the institution's that pays for it (then every
-- community it pays for is billed on that one customer).
CREATE TABLE billing_accounts (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id       BIGINT UNIQUE REFERENCES communities (id) ON DELETE CASCADE,
    institution_id     BIGINT UNIQUE REFERENCES institutions (id) ON DELETE CASCADE,
    stripe_customer_id TEXT    UNIQUE,
    created_at         TIMESTAMPTZ NOT NULL,
    CHECK ((community_id IS NULL) <> (institution_id IS NULL))
);

-- Standings kept by Stripe: its subscription, and the time (Stripe's clock, Unix seconds) of
-- the event the row reflects, so an older event delivered late never overwrites a newer one.
ALTER TABLE subscriptions ADD COLUMN provider TEXT NOT NULL DEFAULT 'manual'
    CHECK (provider IN ('manual', 'stripe'));
ALTER TABLE subscriptions ADD COLUMN stripe_subscription_id TEXT;
ALTER TABLE subscriptions ADD COLUMN stripe_customer_id TEXT;
-- When the Stripe subscription started: usage is charged from the month it started in.
ALTER TABLE subscriptions ADD COLUMN stripe_started_at TIMESTAMPTZ;
ALTER TABLE subscriptions ADD COLUMN stripe_state_at BIGINT;
CREATE UNIQUE INDEX subscriptions_stripe ON subscriptions (stripe_subscription_id);

-- Invoices Stripe made, as its events described them (newest event wins).
CREATE TABLE stripe_invoices (
    stripe_invoice_id TEXT    PRIMARY KEY,
    community_id      BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    number            TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL,
    amount_due        BIGINT NOT NULL,
    currency          TEXT    NOT NULL,
    due_on            DATE,
    created_on        DATE    NOT NULL,
    pdf_url           TEXT    NOT NULL DEFAULT '',
    hosted_url        TEXT    NOT NULL DEFAULT '',
    state_at          BIGINT  NOT NULL
);
CREATE INDEX stripe_invoices_community ON stripe_invoices (community_id, created_on);

-- Every webhook event received (signature checked): the id makes a delivery repeated by
-- Stripe a no-op; a job applies it and sets processed_at in the same transaction.
CREATE TABLE stripe_events (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    created      BIGINT NOT NULL,
    payload      TEXT    NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ,
    outcome      TEXT    NOT NULL DEFAULT ''
);

-- The usage fee of each closed month, added to the Stripe customer's next invoice once.
CREATE TABLE usage_charges (
    community_id   BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    month          TEXT    NOT NULL,
    active_users   BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    currency       TEXT    NOT NULL,
    stripe_item_id TEXT,
    charged_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (community_id, month)
);
