-- Buyers whom staff made administrators of their member: they manage its delivery sites and
-- its buyers' accounts, and nothing of any other organisation.
CREATE TABLE member_admins (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    granted_by BIGINT NOT NULL REFERENCES users(id),
    granted_at TIMESTAMP NOT NULL
);
