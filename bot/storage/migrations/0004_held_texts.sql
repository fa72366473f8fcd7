-- Messages written by people who consented but have not finished onboarding yet: kept until
-- onboarding is done, then filed as concerns.
CREATE TABLE held_texts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX held_texts_user ON held_texts (user_id, id);
