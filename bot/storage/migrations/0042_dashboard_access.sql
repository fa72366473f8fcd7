-- The dashboard's passwordless access. A sign-in link is a random token sent to a bound
-- partner chat, a partner's registered e-mail address or an admin; only its SHA-256 is kept,
-- so a copy of the database opens nothing. A link is valid 15 minutes and used once.
CREATE TABLE dashboard_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    partner_id INTEGER REFERENCES partners (id) ON DELETE CASCADE,
    -- An admin ("channel:id", or "cli" for an operator at the shell).
    admin_ref TEXT,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    CHECK ((partner_id IS NULL) != (admin_ref IS NULL))
);
CREATE INDEX dashboard_links_partner ON dashboard_links (partner_id);
CREATE INDEX dashboard_links_admin ON dashboard_links (admin_ref);

-- A signed-in browser: the cookie holds a random token, the row its SHA-256. Idle sessions
-- end after 14 days; logout ends one; revoking the partner ends them all (checked on every
-- request against partners.revoked_at, and marked ended here).
CREATE TABLE dashboard_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    partner_id INTEGER REFERENCES partners (id) ON DELETE CASCADE,
    admin_ref TEXT,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    ended_at TEXT,
    CHECK ((partner_id IS NULL) != (admin_ref IS NULL))
);
CREATE INDEX dashboard_sessions_partner ON dashboard_sessions (partner_id);
CREATE INDEX dashboard_sessions_admin ON dashboard_sessions (admin_ref);
