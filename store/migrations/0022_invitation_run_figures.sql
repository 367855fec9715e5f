-- A run's figures, kept in PostgreSQL (issue 17): the workflow records them when inviting ends
-- and again after the reminders, so a run Temporal has dropped (past the namespace's retention)
-- still shows what it did. NULL until the workflow records them (runs started before this, and
-- runs still inviting or that failed before the end).
ALTER TABLE scheme_invitation_runs
    ADD COLUMN state         text CHECK (state IN ('running', 'completed', 'failed')),
    ADD COLUMN status        text,
    ADD COLUMN total         integer,
    ADD COLUMN processed     integer,
    ADD COLUMN invited       integer,
    ADD COLUMN skipped       integer,
    ADD COLUMN not_eligible  integer,
    ADD COLUMN failed        integer,
    ADD COLUMN reminder_day  date,
    ADD COLUMN reminded      integer,
    ADD COLUMN finished_at   timestamptz,
    -- Whether the run's start is in the audit log: the scheme's audit chain holds one event per
    -- run that has it (verify checks the count). Runs recorded before this have none.
    ADD COLUMN audited       boolean NOT NULL DEFAULT false;

-- How many events each audit chain should hold, for verify to see a cut-off tail: a case's
-- chain one per transition (its version), a scheme's chain (case_id 'scheme:' || name) one per
-- audited invitation run.
CREATE VIEW audit_chain_lengths AS
    SELECT case_id, version FROM cases
    UNION ALL
    SELECT 'scheme:' || scheme, count(*)::integer FROM scheme_invitation_runs
    WHERE audited GROUP BY scheme;
