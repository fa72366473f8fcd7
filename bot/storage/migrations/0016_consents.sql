-- Every acceptance of the privacy notice, with its version and time (the users row keeps the
-- latest). A new version of the notice is asked for again before anything more is stored.
CREATE TABLE consents (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, version)
);

INSERT INTO consents (user_id, version, accepted_at)
SELECT id, consent_version, consent_at FROM users;
