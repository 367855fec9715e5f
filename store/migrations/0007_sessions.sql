-- Browser sessions (api/sessions.py): a cookie carries the session id, only its hash is kept.
CREATE TABLE sessions (
    session_hash  text PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Revoking a user ends their sessions at once, whatever revoked them.
CREATE FUNCTION end_revoked_users_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sessions WHERE user_id = NEW.user_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_revoked_end_sessions AFTER UPDATE OF revoked_at ON users
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION end_revoked_users_sessions();
