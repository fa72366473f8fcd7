-- The admin's report comes in the language they used to confirm the broadcast.
ALTER TABLE broadcasts ADD COLUMN report_language TEXT NOT NULL DEFAULT 'fr';

-- A broadcast an admin composed and has not confirmed yet (the preview stage).
CREATE TABLE broadcast_drafts (
    id INTEGER PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    texts TEXT NOT NULL,
    photo TEXT,
    audience TEXT NOT NULL,
    send_at TEXT,
    event_id INTEGER REFERENCES events (id) ON DELETE CASCADE
);

-- Information sessions, coaching days, the pop-up store, the yearly showcase.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    -- NULL: no limit. Beyond it, "going" answers join a waiting list.
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    territory_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    announced_at TEXT,
    reminder_broadcast_id INTEGER,
    feedback_wave_id INTEGER,
    -- Set once the reminder/feedback step is settled (done, or nobody to send it to).
    reminder_done_at TEXT,
    feedback_done_at TEXT
);

CREATE INDEX events_starts ON events (starts_at);

-- One answer per person and event. A "going" beyond capacity waits (waiting = 1), first come
-- first served; a seat freed promotes the first waiting, who is then told (notice_due = 1).
CREATE TABLE event_rsvps (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answer TEXT NOT NULL CHECK (answer IN ('going', 'maybe', 'no')),
    waiting INTEGER NOT NULL DEFAULT 0 CHECK (waiting IN (0, 1)),
    answered_at TEXT NOT NULL,
    notice_due INTEGER NOT NULL DEFAULT 0 CHECK (notice_due IN (0, 1)),
    -- Only with the person's yes: the name organisers may see on the attendee list.
    shared_name TEXT,
    PRIMARY KEY (event_id, user_id)
);

CREATE INDEX event_rsvps_waiting ON event_rsvps (event_id, waiting, answered_at);
CREATE INDEX event_rsvps_notices ON event_rsvps (notice_due) WHERE notice_due = 1;
