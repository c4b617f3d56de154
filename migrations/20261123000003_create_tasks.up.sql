-- The tutorial's Task model. Text limits are in characters, as VARCHAR(n) counts them.
CREATE TABLE tasks (
    id         BIGSERIAL PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      VARCHAR(50) NOT NULL,
    content    VARCHAR(50) NOT NULL,
    created_on DATE NOT NULL DEFAULT CURRENT_DATE,
    due_date   DATE NOT NULL DEFAULT CURRENT_DATE,
    created_by TEXT NOT NULL
);

-- Serves "tasks of owner X ordered by id" (listing) and owner-scoped lookups by id.
CREATE INDEX tasks_owner_id_id_idx ON tasks (owner_id, id);
