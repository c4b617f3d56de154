-- The shared user every token maps to when AUTH0_USER_MAPPING=shared, as the original
-- tutorial did. It has no subject and no password: it can only be reached through a token.
INSERT INTO users (id, username, sub, is_active) VALUES (1, 'auth0user', NULL, true);
-- Rows created later must not collide with the explicit id above.
SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST((SELECT max(id) FROM users), 1));
