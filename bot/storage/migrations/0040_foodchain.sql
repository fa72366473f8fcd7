-- The local food chain: producers' profiles (business information, shown only once an admin
-- validated them), what shops, restaurants and caterers would buy locally, and the matches
-- the bot suggested to both sides (each at most once, ever).
CREATE TABLE producers (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    business_name TEXT,
    kind TEXT CHECK (kind IN ('farmer', 'market_gardener', 'brewer', 'dairy', 'other')),
    territory_id TEXT,
    -- Their village or area (a core of the territory).
    core_id TEXT,
    -- Comma-separated: pickup, delivery, market.
    delivers TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'pending', 'validated', 'refused', 'withdrawn')),
    -- The question the producer stands at while filling it in, and the product it is about.
    step TEXT NOT NULL DEFAULT 'kind',
    current_product TEXT,
    -- Why an admin refused it (a key from a fixed list, never free text).
    refusal TEXT,
    validated_by TEXT,
    validated_at TEXT,
    submitted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX producers_territory ON producers (territory_id, status);
CREATE INDEX producers_status ON producers (status, submitted_at);

CREATE TABLE producer_products (
    user_id INTEGER NOT NULL
        REFERENCES producers (user_id) ON DELETE CASCADE ON UPDATE CASCADE,
    product TEXT NOT NULL,
    -- Bit 0 is January, bit 11 December; 4095 is all year; 0 while not answered yet.
    months INTEGER NOT NULL DEFAULT 0,
    volume TEXT CHECK (volume IN ('small', 'medium', 'large')),
    PRIMARY KEY (user_id, product)
);

CREATE TABLE buyer_wishes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    buyer_kind TEXT NOT NULL CHECK (buyer_kind IN ('shop', 'restaurant', 'caterer')),
    product TEXT NOT NULL,
    months INTEGER NOT NULL DEFAULT 0,
    volume TEXT CHECK (volume IN ('small', 'medium', 'large')),
    territory_id TEXT NOT NULL,
    core_id TEXT NOT NULL,
    -- A draft is being answered (months, volume); only active wishes are matched.
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active')),
    created_at TEXT NOT NULL,
    UNIQUE (user_id, product)
);
CREATE INDEX buyer_wishes_match ON buyer_wishes (territory_id, product, status);

CREATE TABLE food_matches (
    id INTEGER PRIMARY KEY,
    producer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    buyer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    territory_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'proposed'
        CHECK (status IN ('proposed', 'accepted', 'declined', 'expired')),
    producer_answer TEXT CHECK (producer_answer IN ('accepted', 'declined')),
    buyer_answer TEXT CHECK (buyer_answer IN ('accepted', 'declined')),
    -- What each side agreed to give the other once both accept: a first name, and how to
    -- reach them (their WhatsApp number, a phone or e-mail they typed, or through the bot).
    producer_first_name TEXT,
    producer_contact_kind TEXT CHECK (producer_contact_kind IN ('number', 'typed', 'relay')),
    producer_contact TEXT,
    buyer_first_name TEXT,
    buyer_contact_kind TEXT CHECK (buyer_contact_kind IN ('number', 'typed', 'relay')),
    buyer_contact TEXT,
    proposed_at TEXT NOT NULL,
    connected_at TEXT,
    closed_at TEXT,
    -- Each suggestion at most once, ever: a declined one is never proposed again.
    UNIQUE (producer_id, buyer_id, product)
);
CREATE INDEX food_matches_buyer ON food_matches (buyer_id, status);
CREATE INDEX food_matches_report ON food_matches (territory_id, proposed_at);

-- Someone's next words answer a question about a match (a first name, a contact, a message
-- to pass on): no text here, only what for and since when.
CREATE TABLE food_typing (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    match_id INTEGER NOT NULL REFERENCES food_matches (id) ON DELETE CASCADE,
    what TEXT NOT NULL CHECK (what IN ('first_name', 'contact', 'write')),
    since TEXT NOT NULL
);
