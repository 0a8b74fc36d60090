-- A user's calendar subscription: a secret URL whose SHA-256 alone is stored; renewing or
-- revoking it ends the old URL at once.
CREATE TABLE calendar_feeds (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
