-- The audit log is append-only in the database itself, and tamper-evident: each event carries
-- the SHA-256 of its canonical form chained to the previous event of the same case
-- (store/audit.py and docs/audit.md say exactly how to recompute it).
ALTER TABLE audit_events
    ADD COLUMN prev_hash text,
    ADD COLUMN hash text NOT NULL;

-- Who read which case, through which endpoint: auditors answer "who looked at this officer".
CREATE TABLE access_log (
    access_id  bigserial PRIMARY KEY,
    user_id    text NOT NULL,
    role       text NOT NULL,
    case_id    text NOT NULL,
    endpoint   text NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX access_log_case ON access_log (case_id, at);
CREATE INDEX access_log_time ON access_log (at, access_id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The role the service runs as (its pool sets it on every connection): everything it needs,
-- and on the two logs nothing but INSERT and SELECT. Roles belong to the whole cluster, so it
-- may exist already (another database of the same server).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'exitcases_app') THEN
        CREATE ROLE exitcases_app NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO exitcases_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO exitcases_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO exitcases_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, access_log FROM exitcases_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM exitcases_app;
-- Tables later migrations create get the same rights; a later append-only table revokes too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO exitcases_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO exitcases_app;

-- Retention: personal data of officers whose cases closed long ago is removed (store/audit.py);
-- the row stays, with its id and rank, so the audit log's references still resolve.
ALTER TABLE officers
    ALTER COLUMN date_of_birth DROP NOT NULL,
    ALTER COLUMN annual_pay DROP NOT NULL,
    ALTER COLUMN misconduct_pending DROP NOT NULL,
    ADD COLUMN redacted_at timestamptz;
