-- What the bot answers, written in the same transaction as the change it answers, and deleted
-- once sent: a crash between the two no longer loses the answer.
CREATE TABLE reply_outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    event_key TEXT NOT NULL,
    reply TEXT NOT NULL,
    image BLOB,
    document BLOB,
    created_at TEXT NOT NULL
);

CREATE INDEX reply_outbox_chat ON reply_outbox (channel, chat_id, id);
