-- The schools the programme works with (a QR code per school brings pupils into the candidate
-- path), and the public venues where coaching appointments take place. Registered by the
-- programme's staff; no person in either.
CREATE TABLE schools (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    territory_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);

CREATE TABLE venues (
    id INTEGER PRIMARY KEY,
    territory_id TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX venues_territory ON venues (territory_id) WHERE removed_at IS NULL;
