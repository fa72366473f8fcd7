-- What people who finished onboarding say makes their trade hard.
CREATE TABLE concerns (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'discarded')),
    predicted TEXT NOT NULL,
    draft TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    corrected INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX concerns_user_created ON concerns (user_id, created_at);

-- One row per confirmed factor, with the reporter's place and role at confirmation time, so
-- the echo counts are index-only range scans.
CREATE TABLE concern_factors (
    concern_id INTEGER NOT NULL REFERENCES concerns (id) ON DELETE CASCADE,
    factor TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (concern_id, factor)
);

CREATE INDEX concern_factors_core ON concern_factors (core_id, role, factor, confirmed_at, user_id);
CREATE INDEX concern_factors_territory
    ON concern_factors (territory_id, role, factor, confirmed_at, user_id);
