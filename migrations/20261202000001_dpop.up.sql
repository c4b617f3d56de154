-- DPoP proofs already accepted, shared by every instance so that a proof replayed to
-- another one is refused. Only a hash of the proof's key and jti is kept, until the
-- proof could no longer be accepted anyway.
CREATE TABLE dpop_seen_proofs (
    id bytea PRIMARY KEY CHECK (length(id) = 32),
    expires_at timestamptz NOT NULL
);
CREATE INDEX dpop_seen_proofs_expires_at ON dpop_seen_proofs (expires_at);

-- The key every instance signs its DPoP nonces with, so each accepts the others'.
CREATE TABLE dpop_nonce_key (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    key bytea NOT NULL CHECK (length(key) >= 32)
);
-- 2 x 122 random bits from pg_strong_random (gen_random_uuid, built in since 13).
INSERT INTO dpop_nonce_key (key)
SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
