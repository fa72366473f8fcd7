-- Where a concern came from: a typed message, or a "me too" tap on the barometer (no text).
ALTER TABLE concerns ADD COLUMN source TEXT NOT NULL DEFAULT 'message'
    CHECK (source IN ('message', 'me_too'));

-- Whether the person wants the three-week follow-up questions.
ALTER TABLE users ADD COLUMN follow_ups INTEGER NOT NULL DEFAULT 1 CHECK (follow_ups IN (0, 1));

-- concern_factors becomes one row per *voice* on a factor: 'raised' when a concern is
-- confirmed, 'still_there' or 'worse' when its follow-up says the problem persists. Every echo
-- and barometer count is "distinct people with a voice in the window", so a follow-up feeds
-- the trends without any other query changing. SQLite cannot change a primary key in place.
CREATE TABLE concern_factors_v5 (
    concern_id INTEGER NOT NULL REFERENCES concerns (id) ON DELETE CASCADE,
    factor TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'raised' CHECK (kind IN ('raised', 'still_there', 'worse')),
    user_id INTEGER NOT NULL,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    -- When the voice was given: the confirmation, or the follow-up answer.
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (concern_id, factor, kind)
);

INSERT INTO concern_factors_v5 (concern_id, factor, user_id, core_id, territory_id, role,
    confirmed_at)
SELECT concern_id, factor, user_id, core_id, territory_id, role, confirmed_at
FROM concern_factors;

DROP TABLE concern_factors;

ALTER TABLE concern_factors_v5 RENAME TO concern_factors;

CREATE INDEX concern_factors_core ON concern_factors (core_id, role, factor, confirmed_at, user_id);
CREATE INDEX concern_factors_territory
    ON concern_factors (territory_id, role, factor, confirmed_at, user_id);
-- "Has this person already raised this factor lately?" (me too) and their own share of a count.
CREATE INDEX concern_factors_user ON concern_factors (user_id, factor, confirmed_at);

-- One follow-up question per concern, three weeks after it (fewer when one is already due on
-- the same factors). Place and role are copied so outcomes can be counted per core.
CREATE TABLE follow_ups (
    concern_id INTEGER PRIMARY KEY REFERENCES concerns (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    due_at TEXT NOT NULL,
    sent_at TEXT,
    -- Why it will never be sent: the person turned follow-ups off, or blocked the bot.
    skipped TEXT CHECK (skipped IN ('off', 'blocked')),
    answer TEXT CHECK (answer IN ('solved', 'still_there', 'worse')),
    answered_at TEXT
);

CREATE INDEX follow_ups_due ON follow_ups (due_at) WHERE sent_at IS NULL AND skipped IS NULL;
CREATE INDEX follow_ups_user ON follow_ups (user_id, sent_at);
CREATE INDEX follow_ups_core_answers ON follow_ups (core_id, role, answered_at)
    WHERE answer IS NOT NULL;
CREATE INDEX follow_ups_territory_answers ON follow_ups (territory_id, role, answered_at)
    WHERE answer IS NOT NULL;
