-- What a feature tells someone other than the person who acted (a landlord told that someone
-- is interested, a candidate told the pop-up's decision, a producer offered a match): stored
-- in the same transaction as the change, sent right after the commit, rendered in the
-- recipient's language when it goes. Outside WhatsApp's window a template stands in and the
-- notice waits for the tap.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- An admin who may not be a stored user: "channel:id".
    admin_ref TEXT,
    -- The person the notice is about, whose first name or contact it may carry: it goes
    -- when they are erased.
    about_user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- What it is about ("cell:12"): notices about something deleted go with it.
    subject TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    template_sent_at TEXT,
    CHECK ((user_id IS NULL) != (admin_ref IS NULL))
);
CREATE INDEX notices_due ON notices (template_sent_at, id);
CREATE INDEX notices_user ON notices (user_id);
CREATE INDEX notices_about ON notices (about_user_id);
CREATE INDEX notices_subject ON notices (subject);
