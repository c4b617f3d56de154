DROP INDEX tasks_owner_id_due_date_id_idx;
ALTER TABLE tasks DROP COLUMN completed;
