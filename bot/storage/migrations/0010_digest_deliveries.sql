-- One row per (partner, week, chat) digest sent: never sent twice, and a week missed while
-- the bot was down is found unsent at the next start.
CREATE TABLE digest_deliveries (
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (partner_id, week, channel, chat_id)
);
