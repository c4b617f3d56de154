DROP TRIGGER users_notify_changed ON users;
DROP FUNCTION notify_user_changed();
