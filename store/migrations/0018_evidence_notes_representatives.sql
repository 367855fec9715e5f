-- Evidence files, case notes and representative nominations (store/paper_trail.py). All three
-- are append-only like the audit log: a file or note once recorded stays as it was, and a
-- nomination is withdrawn by a later row, never by changing the first.
CREATE TABLE evidence (
    evidence_id   bigserial PRIMARY KEY,
    case_id       text NOT NULL,
    attached_to   text NOT NULL,
    filename      text NOT NULL,
    media_type    text NOT NULL,
    size_bytes    integer NOT NULL,
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    added_by      text NOT NULL,
    added_role    text NOT NULL,
    on_behalf_of  text,
    added_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX evidence_case ON evidence (case_id, evidence_id);

CREATE TABLE case_notes (
    note_id     bigserial PRIMARY KEY,
    case_id     text NOT NULL,
    author      text NOT NULL,
    author_role text NOT NULL,
    text        text NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_notes_case ON case_notes (case_id, note_id);

-- Each row nominates (representative_id set) or withdraws (NULL) the case's representative;
-- the latest row of a case is the one in force.
CREATE TABLE case_representatives (
    nomination_id     bigserial PRIMARY KEY,
    case_id           text NOT NULL,
    representative_id text,
    by_user_id        text NOT NULL,
    at                timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_representatives_case ON case_representatives (case_id, nomination_id);
CREATE INDEX case_representatives_representative ON case_representatives (representative_id);

CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_notes_append_only BEFORE UPDATE OR DELETE ON case_notes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_notes_no_truncate BEFORE TRUNCATE ON case_notes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_representatives_append_only BEFORE UPDATE OR DELETE ON case_representatives
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_representatives_no_truncate BEFORE TRUNCATE ON case_representatives
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON evidence, case_notes, case_representatives FROM exitcases_app;

-- The staff association's representatives ("police friends") are users too.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (
    role IN ('officer', 'caseworker', 'hr_manager', 'approver', 'auditor', 'admin', 'representative')
);
