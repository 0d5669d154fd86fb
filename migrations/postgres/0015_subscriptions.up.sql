-- Where each community stands with paying (issue 12), and the invoices staff record by hand
-- (bank transfer, PO) when no payment provider is configured. The worker moves a standing
-- forward as its dates pass (stoa_domain::billing::sweep): a community that has no row yet
-- gets one, trialing for `billing.trial_days` from then, whether it existed before billing
-- started or was created since.
CREATE TABLE subscriptions (
    community_id   BIGINT PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    status         TEXT   NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    -- trialing: when the trial ends.
    trial_ends_at  TIMESTAMPTZ,
    -- active: the end of the period paid for.
    paid_until     TIMESTAMPTZ,
    -- past_due: since when, and when hub changes pause (the hub keeps running).
    past_due_since TIMESTAMPTZ,
    changes_paused_from TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (status, trial_ends_at, paid_until);

CREATE TABLE invoices (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id   BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    -- The number printed on the invoice; unique across Stoa.
    number         TEXT   NOT NULL UNIQUE,
    description    TEXT   NOT NULL,
    -- In the minor unit of `currency`.
    amount         BIGINT NOT NULL CHECK (amount > 0),
    currency       TEXT   NOT NULL,
    po_number      TEXT   NOT NULL DEFAULT '',
    issued_on      DATE   NOT NULL,
    due_on         DATE   NOT NULL,
    status         TEXT   NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    paid_on        DATE,
    payment_reference TEXT NOT NULL DEFAULT '',
    -- 'manual': recorded by staff.
    source         TEXT   NOT NULL DEFAULT 'manual' CHECK (source IN ('manual')),
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX invoices_community ON invoices (community_id, issued_on);
