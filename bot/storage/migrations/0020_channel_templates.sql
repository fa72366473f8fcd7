-- Message templates a channel needs approved before use (WhatsApp): their review status as
-- last read from the platform, per name and language.
CREATE TABLE channel_templates (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    remote_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, name, language)
);
