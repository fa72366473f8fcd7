-- A follow-up can now be skipped because a question sent about the same factor covered it:
-- every concern gets its own row (so deleting one concern never loses another's question),
-- and the "one question per problem" rule is applied when sending. CHECK constraints cannot
-- change in place, so the (small) table is rebuilt.
CREATE TABLE follow_ups_v6 (
    concern_id INTEGER PRIMARY KEY REFERENCES concerns (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    due_at TEXT NOT NULL,
    sent_at TEXT,
    -- Why it will never be sent: turned off, bot blocked, or covered by another question.
    skipped TEXT CHECK (skipped IN ('off', 'blocked', 'covered')),
    answer TEXT CHECK (answer IN ('solved', 'still_there', 'worse')),
    answered_at TEXT
);

INSERT INTO follow_ups_v6 SELECT concern_id, user_id, core_id, territory_id, role, due_at,
    sent_at, skipped, answer, answered_at FROM follow_ups;

DROP TABLE follow_ups;

ALTER TABLE follow_ups_v6 RENAME TO follow_ups;

CREATE INDEX follow_ups_due ON follow_ups (due_at) WHERE sent_at IS NULL AND skipped IS NULL;
CREATE INDEX follow_ups_user ON follow_ups (user_id, sent_at);
CREATE INDEX follow_ups_core_answers ON follow_ups (core_id, role, answered_at)
    WHERE answer IS NOT NULL;
CREATE INDEX follow_ups_territory_answers ON follow_ups (territory_id, role, answered_at)
    WHERE answer IS NOT NULL;
