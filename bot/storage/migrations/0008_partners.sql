-- Partner organisations (researchers, the retail agency, a local development agency,
-- coaches) and what they may see: territories, optionally only some cores.
CREATE TABLE partners (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'fr',
    -- JSON lists; an empty core list means every core of the territories.
    territories TEXT NOT NULL,
    cores TEXT NOT NULL DEFAULT '[]',
    email TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Single-use, expiring invitations. Only a hash of the token is kept: the link itself is
-- shown once, to the admin who made it.
CREATE TABLE partner_invitations (
    token_hash TEXT PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- The chats (a person or a group) bound to a partner by opening an invitation.
CREATE TABLE partner_chats (
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    bound_at TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

CREATE INDEX partner_chats_partner ON partner_chats (partner_id);
