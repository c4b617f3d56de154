-- Users mirror Django's auth_user, reduced to what a token-authenticated API needs.
-- `sub` is the token subject exactly as issued; the username is derived from it.
CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    username    VARCHAR(150) NOT NULL UNIQUE,
    sub         TEXT UNIQUE,
    is_active   BOOLEAN NOT NULL DEFAULT true,
    date_joined TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login  TIMESTAMPTZ
);
