DELETE FROM users WHERE id = 1 AND username = 'auth0user';
