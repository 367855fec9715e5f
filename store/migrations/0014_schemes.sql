-- The scheme as a record (issue 17): versions like policies, the newest of a name current.
-- Versions never change once stored; a case remembers which scheme it applied under.
CREATE TABLE schemes (
    name        text NOT NULL,
    version     integer NOT NULL CHECK (version > 0),
    document    jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (name, version)
);
CREATE INDEX schemes_newest ON schemes (created_at DESC);

-- Which scheme a case applied under, written by the same transaction that opens the case.
CREATE TABLE scheme_cases (
    case_id  text PRIMARY KEY REFERENCES cases (case_id),
    scheme   text NOT NULL
);
CREATE INDEX scheme_cases_scheme ON scheme_cases (scheme);

-- One invitation per officer per scheme, ever: a second invitation run invites nobody twice.
CREATE TABLE scheme_invitations (
    scheme       text NOT NULL,
    officer_id   text NOT NULL,
    run_id       text NOT NULL,
    invited_by   text NOT NULL,
    invited_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    reminded_at  timestamptz,
    PRIMARY KEY (scheme, officer_id)
);
CREATE INDEX scheme_invitations_run ON scheme_invitations (run_id);
