-- What people miss in their centre or village, mapped onto sectors and confirmed in one tap.
-- Their words are kept for them (and /history-like views), never shown to anyone else; the
-- needs board counts distinct people per sector.
CREATE TABLE needs (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text TEXT,
    -- Comma-separated sector ids (data/sectors.yaml, needs included): proposed, then confirmed.
    sectors TEXT NOT NULL,
    core_id TEXT NOT NULL,
    territory_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    created_at TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX needs_board ON needs (territory_id, status, confirmed_at);
CREATE INDEX needs_user ON needs (user_id, status);

-- Someone asked "what do you miss?": their next words (within the hour) are the answer.
CREATE TABLE need_prompts (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    since TEXT NOT NULL
);
