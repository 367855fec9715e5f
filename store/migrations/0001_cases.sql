-- Users and their bearer tokens (stored only as SHA-256 hashes).
CREATE TABLE users (
    user_id      text PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('officer', 'caseworker', 'hr_manager', 'approver', 'auditor', 'admin')),
    tier         text CHECK (tier IN ('hr', 'finance', 'executive')),
    officer_id   text,
    email        text,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CHECK ((role = 'approver') = (tier IS NOT NULL)),
    CHECK ((role = 'officer') = (officer_id IS NOT NULL))
);

-- The officer roster: personal data, read by activities and never copied into logs.
CREATE TABLE officers (
    officer_id          text PRIMARY KEY,
    name                text NOT NULL,
    rank                text NOT NULL,
    date_of_birth       date NOT NULL,
    service_start       date NOT NULL,
    annual_pay          numeric(12, 2) NOT NULL CHECK (annual_pay > 0),
    pension_scheme      text NOT NULL CHECK (pension_scheme IN ('1987', '2006', '2015')),
    misconduct_pending  boolean NOT NULL,
    sex                 text,
    ethnicity           text,
    disability          text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Scheme policy versions; the newest is current and applies to new cases.
CREATE TABLE policies (
    version     text PRIMARY KEY,
    document    jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Read model of each case, written only by the workflow's activities.
CREATE TABLE cases (
    case_id         text PRIMARY KEY,
    kind            text NOT NULL,
    officer_id      text NOT NULL,
    rank            text NOT NULL,
    state           text NOT NULL,
    is_open         boolean NOT NULL,
    policy_version  text NOT NULL,
    version         integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    due_at          timestamptz,
    leaving_date    date,
    view            jsonb NOT NULL
);
CREATE INDEX cases_officer ON cases (officer_id) WHERE is_open;
CREATE INDEX cases_state ON cases (state, created_at, case_id);
CREATE INDEX cases_listing ON cases (created_at, case_id);

-- Open work, replaced whenever the case moves.
CREATE TABLE tasks (
    case_id           text NOT NULL REFERENCES cases (case_id),
    kind              text NOT NULL,
    assignee_role     text NOT NULL,
    assignee_tier     text,
    assignee_user_id  text,
    opened_at         timestamptz NOT NULL,
    remind_at         timestamptz,
    due_at            timestamptz,
    reminded          boolean NOT NULL DEFAULT false,
    escalated         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX tasks_due ON tasks (due_at);

-- One event per transition; (case_id, seq) makes a retried write land once.
CREATE TABLE audit_events (
    event_id       bigserial PRIMARY KEY,
    case_id        text NOT NULL,
    seq            integer NOT NULL,
    action         text NOT NULL,
    actor_user_id  text NOT NULL,
    actor_role     text NOT NULL,
    on_behalf_of   text,
    from_state     text,
    to_state       text NOT NULL,
    reason         text,
    details        jsonb NOT NULL DEFAULT '{}',
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (case_id, seq)
);
CREATE INDEX audit_events_time ON audit_events (occurred_at, event_id);

-- Outbox of notifications, delivered by the notifier; `key` makes retries land once.
CREATE TABLE notifications (
    notification_id  bigserial PRIMARY KEY,
    key              text NOT NULL UNIQUE,
    case_id          text NOT NULL,
    recipient_role   text,
    recipient_tier   text,
    recipient_user_id text,
    recipient_officer_id text,
    template         text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at          timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text
);
CREATE INDEX notifications_pending ON notifications (notification_id) WHERE sent_at IS NULL;

-- Hand-offs to payroll and pensions: one instruction of each kind per case, ever.
CREATE TABLE exit_instructions (
    case_id       text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('payroll', 'pension')),
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at  timestamptz,
    PRIMARY KEY (case_id, kind)
);
