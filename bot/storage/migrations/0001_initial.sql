-- Users who gave consent; nothing about a person is stored before that.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl', 'en')),
    role TEXT,
    territory_id TEXT,
    core_id TEXT,
    sector_id TEXT,
    step TEXT NOT NULL,
    pending_territory_id TEXT,
    pending_core_id TEXT,
    consent_at TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    blocked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (channel, external_id)
);

CREATE INDEX users_core ON users (core_id) WHERE core_id IS NOT NULL;

-- One row per incoming update already applied, written in the same transaction as its effect.
CREATE TABLE processed_events (
    event_key TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
);

CREATE INDEX processed_events_at ON processed_events (processed_at);
