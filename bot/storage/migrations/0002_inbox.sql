-- Updates of consented users, kept from the moment they arrive until they are applied, so a
-- crash between Telegram's delivery and the state change loses nothing.
CREATE TABLE inbox (
    event_key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE INDEX inbox_received_at ON inbox (received_at);
