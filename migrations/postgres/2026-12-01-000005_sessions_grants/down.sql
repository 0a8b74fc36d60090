ALTER TABLE users DROP COLUMN joined_at;
DROP TABLE staff_grants;
DROP TABLE sessions;
