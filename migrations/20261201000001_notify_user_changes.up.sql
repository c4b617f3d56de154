-- Every instance caches the users it has mapped. When a user is deactivated, renamed or
-- deleted, by `todo-api users ...`, by psql or by anything else, tell every instance
-- listening on `todo_api_user_changed` which subject to forget. The payload is the
-- subject ('' for the shared `auth0user`, which has none). `last_login` writes, which
-- every instance makes, notify nobody.
CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR OLD.is_active IS DISTINCT FROM NEW.is_active
       OR OLD.username IS DISTINCT FROM NEW.username
       OR OLD.sub IS DISTINCT FROM NEW.sub THEN
        PERFORM pg_notify('todo_api_user_changed', coalesce(OLD.sub, ''));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_changed
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
