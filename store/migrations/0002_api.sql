-- Idempotency keys for writes that create things. The same user, route and key with the same
-- body get the first response back; a different body under the same key is refused.
CREATE TABLE idempotency_keys (
    user_id        text NOT NULL,
    scope          text NOT NULL,
    key            text NOT NULL,
    request_hash   text NOT NULL,
    status_code    integer,
    -- json, not jsonb: a replay answers with the very bytes (key order included) first sent.
    response       json,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at   timestamptz,
    PRIMARY KEY (user_id, scope, key),
    CHECK ((status_code IS NULL) = (response IS NULL))
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

-- Regulation records: the legal basis that switches the efficiency-retirement branch on for a
-- period. One row per (legal reference, version); rows are never updated.
CREATE TABLE regulations (
    legal_reference  text NOT NULL,
    version          text NOT NULL,
    effective_from   date NOT NULL,
    effective_to     date,
    parameters       jsonb NOT NULL,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (legal_reference, version),
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
CREATE INDEX regulations_effective ON regulations (effective_from, effective_to);

-- Listings: newest first within a state, and the audit log of one case in order.
CREATE INDEX cases_kind_listing ON cases (kind, created_at, case_id);
CREATE INDEX cases_officer_listing ON cases (officer_id, created_at, case_id);
CREATE INDEX tasks_assignee ON tasks (assignee_role, assignee_tier, due_at);
