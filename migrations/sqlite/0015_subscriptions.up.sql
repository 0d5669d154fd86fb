-- Where each community stands with paying (issue 12), and the invoices staff record by hand
-- (bank transfer, PO) when no payment provider is configured. The worker moves a standing
-- forward as its dates pass (stoa_domain::billing::sweep): a community that has no row yet
-- gets one, trialing for `billing.trial_days` from then, whether it existed before billing
-- started or was created since.
CREATE TABLE subscriptions (
    community_id   INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    status         TEXT    NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    -- trialing: when the trial ends.
    trial_ends_at  TEXT,
    -- active: the end of the period paid for.
    paid_until     TEXT,
    -- past_due: since when, and when hub changes pause (the hub keeps running).
    past_due_since TEXT,
    changes_paused_from TEXT,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (status, trial_ends_at, paid_until);

CREATE TABLE invoices (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    -- The number printed on the invoice; unique across Stoa.
    number         TEXT    NOT NULL UNIQUE,
    description    TEXT    NOT NULL,
    -- In the minor unit of `currency`.
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT    NOT NULL,
    po_number      TEXT    NOT NULL DEFAULT '',
    issued_on      TEXT    NOT NULL,
    due_on         TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    paid_on        TEXT,
    payment_reference TEXT NOT NULL DEFAULT '',
    -- 'manual': recorded by staff.
    source         TEXT    NOT NULL DEFAULT 'manual' CHECK (source IN ('manual')),
    created_at     TEXT    NOT NULL,
    created_by     INTEGER REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX invoices_community ON invoices (community_id, issued_on);
