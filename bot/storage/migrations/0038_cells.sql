-- Empty shop cells that landlords and public actors offer: business information, shown to
-- others only once an admin validated it, and only while the landlord says it is free.
CREATE TABLE cells (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (
        status IN ('draft', 'pending', 'validated', 'refused', 'expired', 'withdrawn', 'let')
    ),
    territory_id TEXT NOT NULL,
    core_id TEXT,
    street TEXT,
    -- The house number is shown only when the landlord agreed (show_number = 1).
    number TEXT,
    show_number INTEGER NOT NULL DEFAULT 0,
    surface_m2 INTEGER,
    front_m REAL,
    rent_min INTEGER,
    rent_max INTEGER,
    available_from TEXT,
    -- 'bot': interested people's consented details reach the landlord through the bot;
    -- 'phone': the listing shows the phone number the landlord gave for it.
    contact TEXT CHECK (contact IN ('bot', 'phone')),
    phone TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    validated_at TEXT,
    validated_by TEXT,
    -- Listed until then unless the landlord says it is still free (asked once, before).
    expires_at TEXT,
    asked_at TEXT,
    closed_at TEXT
);
CREATE INDEX cells_listed ON cells (territory_id, status, core_id);
CREATE INDEX cells_user ON cells (user_id, status);
CREATE INDEX cells_due ON cells (status, expires_at);

-- Photos, downloaded from the channel when sent (its ids expire), stripped of their metadata
-- and resized; deleted with their cell.
CREATE TABLE cell_photos (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    -- The channel's id for the picture, emptied once it is downloaded.
    ref TEXT,
    image BLOB,
    bytes INTEGER,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX cell_photos_cell ON cell_photos (cell_id, status);
CREATE INDEX cell_photos_pending ON cell_photos (status, id);

-- "I'm interested": the first name and contact a person agreed to pass to the landlord.
CREATE TABLE cell_interest (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_name TEXT,
    contact TEXT,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent')),
    created_at TEXT NOT NULL,
    consented_at TEXT,
    UNIQUE (cell_id, user_id)
);
CREATE INDEX cell_interest_user ON cell_interest (user_id);

-- What a person's next words (or pictures) answer: a field of their cell, or their first name
-- or contact for an interest.
CREATE TABLE cell_typing (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    cell_id INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    what TEXT NOT NULL,
    since TEXT NOT NULL
);
