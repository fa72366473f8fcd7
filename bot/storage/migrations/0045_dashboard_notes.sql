-- "You said, we did": what a partner or an admin says is being done about a factor in a core
-- or a territory of their scope. Shown under that factor in the dashboard and in /barometer,
-- and sent once, as a broadcast, to the people who raised that factor there in the 90 days
-- before it was published (announcement opt-outs and WhatsApp's templates as for any
-- broadcast). A public statement of an organisation: it names no shopkeeper.
CREATE TABLE dashboard_notes (
    id INTEGER PRIMARY KEY,
    partner_id INTEGER REFERENCES partners (id) ON DELETE SET NULL,
    -- An admin who wrote it ("channel:id", "cli"); emptied if that admin asks to be forgotten.
    admin_ref TEXT,
    -- Who signs it, as people read it: the partner's name, or Échoppe for admins.
    author TEXT NOT NULL,
    factor TEXT NOT NULL,
    -- 'territory:<id>' or 'core:<id>'.
    place TEXT NOT NULL,
    -- {"fr": ..., "nl": ..., "en": ...}; French is everyone's fallback.
    texts TEXT NOT NULL,
    published_at TEXT NOT NULL,
    -- The broadcast that carried it to the people concerned (once).
    broadcast_id INTEGER,
    recipients INTEGER NOT NULL DEFAULT 0,
    withdrawn_at TEXT
);
CREATE INDEX dashboard_notes_place ON dashboard_notes (place, factor, published_at);
