-- A partner's digest of a finished week, computed once and kept: a retry, a second chat, the
-- e-mail and /digest all show the same figures, never a recount that could be subtracted.
CREATE TABLE digest_snapshots (
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    figures TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (partner_id, week)
);
