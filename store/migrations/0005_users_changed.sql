-- Every change to users (a revocation, a new role) is announced, so that API processes which
-- remember checked tokens forget them at once (api/token_cache.py).
CREATE FUNCTION notify_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('exitcases_users', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_users_changed();
