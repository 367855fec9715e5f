-- Each invitation run of a scheme as it was started (issue 17): the pages list a scheme's runs
-- and ask Temporal how far each one is. A run started twice (the same key, a double submit) is
-- one row.
CREATE TABLE scheme_invitation_runs (
    scheme      text NOT NULL,
    run_id      text NOT NULL,
    ranks       text[] NOT NULL,
    started_by  text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (scheme, run_id)
);
CREATE INDEX scheme_invitation_runs_newest ON scheme_invitation_runs (scheme, started_at DESC);
