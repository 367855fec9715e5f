-- Letters (issue 16). Template sets are versioned like policies: the newest applies to new
-- cases, and each case keeps the version it started with. Rows are never changed.
CREATE TABLE letter_templates (
    version     text PRIMARY KEY,
    templates   jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Every letter a case produced, as the PDF sent. One per (case, occasion, audit seq): a retried
-- activity finds the letter already stored and returns it. Append-only, like the audit log.
CREATE TABLE documents (
    case_id           text NOT NULL,
    document_id       text NOT NULL,
    kind              text NOT NULL,
    seq               integer NOT NULL,
    template_version  text NOT NULL,
    media_type        text NOT NULL,
    sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content           bytea NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (case_id, document_id),
    UNIQUE (case_id, kind, seq)
);

CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER letter_templates_append_only BEFORE UPDATE OR DELETE ON letter_templates
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER letter_templates_no_truncate BEFORE TRUNCATE ON letter_templates
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON documents, letter_templates FROM exitcases_app;

-- A notice about a letter names it: the notifier links to it, or attaches it (a setting).
ALTER TABLE notifications ADD COLUMN document_id text;
