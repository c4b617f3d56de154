-- Done or not: the app ticks tasks off. A constant default rewrites no row.
ALTER TABLE tasks ADD COLUMN completed boolean NOT NULL DEFAULT false;

-- Serves ?ordering=due_date and ?ordering=-due_date of one owner's tasks (id breaks ties).
CREATE INDEX tasks_owner_id_due_date_id_idx ON tasks (owner_id, due_date, id);
