-- Announcements: anyone can /stop them (and /start_announcements again).
ALTER TABLE users ADD COLUMN announcements INTEGER NOT NULL DEFAULT 1
    CHECK (announcements IN (0, 1));

-- A broadcast: texts per language (French required: everyone else's fallback), an optional
-- photo, the audience's filters, and when to send.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    texts TEXT NOT NULL,
    -- A Telegram file_id, or "path:<file>" until the first upload gives one.
    photo TEXT,
    audience TEXT NOT NULL,
    send_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'paused', 'cancelled', 'done')),
    -- For a reply to the admin: the chat that asked for it (empty when made from a shell).
    report_chat TEXT NOT NULL DEFAULT '',
    event_id INTEGER,
    recipients INTEGER,
    started_at TEXT,
    finished_at TEXT,
    report_sent_at TEXT
);

CREATE INDEX broadcasts_status ON broadcasts (status, send_at);

-- One row per recipient. 'sending' marks a message handed to Telegram and not yet confirmed:
-- after a crash those (at most one batch) are sent again, every other row exactly once.
CREATE TABLE broadcast_outbox (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL DEFAULT '',
    error TEXT,
    sent_at TEXT,
    PRIMARY KEY (broadcast_id, user_id)
);

CREATE INDEX broadcast_outbox_due ON broadcast_outbox (broadcast_id, status, not_before);
