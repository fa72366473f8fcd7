-- Who did what as an admin or a partner, and every refused attempt (who, what, when).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'partner', 'cli', 'none')),
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    allowed INTEGER NOT NULL CHECK (allowed IN (0, 1))
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor);
