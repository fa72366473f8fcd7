-- Coaches, registered by admins: a person already onboarded, the territories they cover and
-- what they help with (idea, plan, financing, premises, legal, marketing).
CREATE TABLE coaches (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The name candidates see ("Anne, ADL Lessines"), given by the admin with the coach's say.
    name TEXT NOT NULL,
    territories TEXT NOT NULL,
    specialities TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_at TEXT
);

-- A candidate's request for coaching. Only what they agreed to share reaches a coach: their
-- first name and a way to reach them (through the bot, or their WhatsApp number), with the
-- project. A pupil's request is always relayed through the bot.
CREATE TABLE coaching_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    territory_id TEXT,
    needs TEXT NOT NULL DEFAULT '',
    availability TEXT NOT NULL DEFAULT '',
    venue_id INTEGER REFERENCES venues (id),
    first_name TEXT,
    -- 'relay' (through the bot) or 'number' (their WhatsApp number); never for a pupil.
    contact TEXT CHECK (contact IS NULL OR contact IN ('relay', 'number')),
    pupil INTEGER NOT NULL DEFAULT 0 CHECK (pupil IN (0, 1)),
    -- draft (being filled), routing (offered to coaches one at a time), accepted, unmatched
    -- (nobody left: the admins were told), cancelled (by the candidate), closed.
    status TEXT NOT NULL CHECK (
        status IN ('draft', 'routing', 'accepted', 'unmatched', 'cancelled', 'closed')
    ),
    -- The question the candidate stands at while the request is a draft.
    step TEXT NOT NULL,
    coach_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- A next appointment with the same coach: offered to them only.
    same_coach_of INTEGER,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    accepted_at TEXT,
    admins_told_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX coaching_requests_user ON coaching_requests (user_id, status);
CREATE INDEX coaching_requests_coach ON coaching_requests (coach_id, status);
CREATE INDEX coaching_requests_territory ON coaching_requests (territory_id, submitted_at);

-- Each coach a request was offered to, in turn, and what came of it.
CREATE TABLE coaching_offers (
    request_id INTEGER NOT NULL REFERENCES coaching_requests (id) ON DELETE CASCADE,
    coach_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offered_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    answered_at TEXT,
    outcome TEXT CHECK (outcome IS NULL OR outcome IN ('accepted', 'declined', 'expired')),
    PRIMARY KEY (request_id, coach_id)
);
CREATE INDEX coaching_offers_open ON coaching_offers (deadline) WHERE outcome IS NULL;

-- An appointment: up to three slots the coach proposes at a venue, the one the candidate
-- picks, reminders, and the one question afterwards.
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES coaching_requests (id) ON DELETE CASCADE,
    venue_id INTEGER NOT NULL REFERENCES venues (id),
    -- proposed (slots offered), booked, cancelled, done (the after-question was asked).
    status TEXT NOT NULL CHECK (status IN ('proposed', 'booked', 'cancelled', 'done')),
    starts_at TEXT,
    minutes INTEGER NOT NULL DEFAULT 60,
    cancelled_by TEXT,
    reminded_at TEXT,
    asked_at TEXT,
    candidate_held TEXT,
    candidate_useful TEXT,
    coach_held TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX appointments_request ON appointments (request_id, status);
CREATE INDEX appointments_due ON appointments (status, starts_at);

CREATE TABLE appointment_slots (
    appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    slot INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 3),
    starts_at TEXT NOT NULL,
    PRIMARY KEY (appointment_id, slot)
);

-- A coach's private note on a request: theirs only, erased with the request.
CREATE TABLE coach_notes (
    request_id INTEGER NOT NULL REFERENCES coaching_requests (id) ON DELETE CASCADE,
    coach_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (request_id, coach_id)
);

-- What the bot has to tell someone about a request (an offer, proposed times, a relayed
-- message…), delivered by the coaching job right after the change that made it. Rendered from
-- the request's state when sent; only a relayed message keeps its text, until it is shown.
-- Admins (known by their channel id, not always onboarded) are told by admin_ref.
CREATE TABLE coaching_notices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    admin_ref TEXT,
    request_id INTEGER NOT NULL REFERENCES coaching_requests (id) ON DELETE CASCADE,
    appointment_id INTEGER REFERENCES appointments (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Sent as a template (outside WhatsApp's window): kept until the person taps to see it.
    template_sent_at TEXT,
    CHECK ((user_id IS NULL) != (admin_ref IS NULL))
);
CREATE INDEX coaching_notices_due ON coaching_notices (template_sent_at, id);

-- What a coach or candidate is typing to: the next text goes to that request's other side
-- (relayed, not kept), or is the coach's note. No text is stored here.
CREATE TABLE coaching_typing (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL REFERENCES coaching_requests (id) ON DELETE CASCADE,
    what TEXT NOT NULL CHECK (what IN ('relay', 'note', 'name', 'slots')),
    since TEXT NOT NULL
);
