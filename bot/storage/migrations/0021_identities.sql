-- One person, several channels: a person's other channel identities (the first one stays in
-- users.channel / users.external_id), joined with a one-time code (/link).
CREATE TABLE user_identities (
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- The one-time codes of /link, hashed, valid a few minutes.
CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
