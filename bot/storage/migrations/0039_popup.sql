-- The pop-up store: a place where candidates test their activity for a period, the
-- applications for a space, and the survey at the end of the test.
CREATE TABLE popups (
    id INTEGER PRIMARY KEY,
    territory_id TEXT NOT NULL,
    core_id TEXT,
    place TEXT NOT NULL,
    spaces INTEGER NOT NULL CHECK (spaces > 0),
    conditions TEXT NOT NULL DEFAULT '',
    fee TEXT NOT NULL DEFAULT '',
    -- The admin who defined it ("channel:id").
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX popups_territory ON popups (territory_id, closed_at);

-- A test period: local dates, first and last day included.
CREATE TABLE popup_periods (
    id INTEGER PRIMARY KEY,
    popup_id INTEGER NOT NULL REFERENCES popups (id) ON DELETE CASCADE,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX popup_periods_popup ON popup_periods (popup_id, starts_on);

-- An application for a space in a period: business information, shown to admins only.
-- 'draft' while its questions are answered; then pending, and an admin's decision.
CREATE TABLE popup_applications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period_id INTEGER NOT NULL REFERENCES popup_periods (id) ON DELETE CASCADE,
    -- The applicant's words (emptied after the retention period).
    activity TEXT,
    sector_id TEXT,
    to_test TEXT,
    needs TEXT,
    -- The question on screen while a draft: activity, sector, to_test, needs, summary.
    step TEXT NOT NULL DEFAULT 'activity',
    -- When that question was asked: typed answers are taken for an hour.
    step_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (
        status IN ('draft', 'pending', 'accepted', 'waitlisted', 'declined', 'withdrawn')
    ),
    -- Why it was waitlisted or declined: "preset:<code>" or the admin's words.
    reason TEXT,
    decided_by TEXT,
    decided_at TEXT,
    -- Whether the occupant agreed that their activity be announced to customers (default no).
    announce_consent INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    updated_at TEXT NOT NULL
);
-- One open application per period and person.
CREATE UNIQUE INDEX popup_applications_open ON popup_applications (user_id, period_id)
    WHERE status IN ('draft', 'pending', 'accepted', 'waitlisted');
CREATE INDEX popup_applications_period ON popup_applications (period_id, status);
CREATE INDEX popup_applications_user ON popup_applications (user_id);

-- The end-of-test survey of an accepted application, asked once.
CREATE TABLE popup_surveys (
    application_id INTEGER PRIMARY KEY
        REFERENCES popup_applications (id) ON DELETE CASCADE,
    -- settle, learned, cell, done
    step TEXT NOT NULL DEFAULT 'settle',
    step_at TEXT NOT NULL,
    would_settle TEXT CHECK (would_settle IN ('yes', 'maybe', 'no')),
    -- The candidate's words (emptied after the retention period); never shown to a coach.
    learned TEXT,
    cell_wish TEXT,
    asked_at TEXT NOT NULL,
    answered_at TEXT
);

-- An admin (a stored person) about to type why an application is declined, for an hour.
CREATE TABLE popup_prompts (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES popup_applications (id) ON DELETE CASCADE,
    since TEXT NOT NULL
);
