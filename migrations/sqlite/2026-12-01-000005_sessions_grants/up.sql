-- Sessions the server can end: logout, a new password and deactivation end them at once,
-- on every server process. The cookie holds a secret; only its SHA-256 is stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The staff role is granted only when a second staff member confirms.
CREATE TABLE staff_grants (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    requested_at TIMESTAMP NOT NULL
);

-- When the account joined its organisation: a supplier's quote submitted before then stays
-- sealed to it until the opening.
ALTER TABLE users ADD COLUMN joined_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE users SET joined_at = created_at;
