-- Whether the person wants survey invitations.
ALTER TABLE users ADD COLUMN surveys INTEGER NOT NULL DEFAULT 1 CHECK (surveys IN (0, 1));

-- One launch of a survey to an audience. Invitations are spread over [send_from, send_until].
CREATE TABLE survey_waves (
    id INTEGER PRIMARY KEY,
    survey_id TEXT NOT NULL,
    territory_id TEXT,
    core_id TEXT,
    role TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    send_from TEXT NOT NULL,
    send_until TEXT NOT NULL,
    remind_after_s INTEGER NOT NULL,
    closes_at TEXT NOT NULL,
    closed_at TEXT
);

-- Who is invited to a wave, when the invitation goes out, and the one reminder.
CREATE TABLE survey_invitations (
    wave_id INTEGER NOT NULL REFERENCES survey_waves (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    send_at TEXT NOT NULL,
    sent_at TEXT,
    reminded_at TEXT,
    results_sent_at TEXT,
    skipped TEXT CHECK (skipped IN ('off', 'blocked')),
    PRIMARY KEY (wave_id, user_id)
);

CREATE INDEX survey_invitations_due ON survey_invitations (send_at)
    WHERE sent_at IS NULL AND skipped IS NULL;
CREATE INDEX survey_invitations_user ON survey_invitations (user_id);

-- One person's way through a wave's survey: where they are and what is being picked.
CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL REFERENCES survey_waves (id) ON DELETE CASCADE,
    survey_id TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'stopped')),
    -- The question on screen (NULL once finished or stopped).
    position TEXT,
    -- Work in progress on the question on screen (ticked options, a text being confirmed).
    draft TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (wave_id, user_id)
);

CREATE INDEX survey_responses_active ON survey_responses (user_id) WHERE status = 'active';
CREATE INDEX survey_responses_wave ON survey_responses (wave_id, status);

-- One answer per question; value is JSON (a string, a number, a list), NULL when skipped.
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value TEXT,
    text TEXT,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);
