-- What became of each message a channel accepted (WhatsApp's status callbacks): sent,
-- delivered, read or failed with a code, never going backwards. `fallback` holds the template
-- form of an unprompted message, tried once when Meta fails the free-form one later (131047,
-- the service window). Kept 30 days. No recipient: the status callback names it, and a
-- /forget must leave no number behind, not even for the answer to /forget itself.
CREATE TABLE delivery_statuses (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    fallback TEXT,
    retried INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX delivery_statuses_created ON delivery_statuses (created_at);
