-- A person on the candidate entrepreneurs' path. Their main role stays in users.role (a
-- shopkeeper planning a second shop is counted as a shopkeeper everywhere); this row is the
-- project. Its words (activity, description) are never classified and are shown only to the
-- person and, when they ask for coaching, to their coach.
CREATE TABLE candidates (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Set when the person came through a school's QR code (a pupil: no age, no name asked).
    school_code TEXT REFERENCES schools (code),
    school_year TEXT CHECK (school_year IS NULL OR school_year IN ('5', '6', '7', 'other')),
    activity TEXT,
    sector_id TEXT,
    territory_id TEXT,
    core_id TEXT,
    stage TEXT CHECK (stage IS NULL OR stage IN ('idea', 'plan', 'ready')),
    description TEXT,
    -- The profile question the person stands at ('done' once answered).
    step TEXT NOT NULL,
    completed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX candidates_school ON candidates (school_code) WHERE school_code IS NOT NULL;
CREATE INDEX candidates_territory ON candidates (territory_id, created_at);

-- Teachers, registered by admins per school: they see two counts for their school, no more.
CREATE TABLE teachers (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    school_code TEXT NOT NULL REFERENCES schools (code),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (user_id, school_code)
);
