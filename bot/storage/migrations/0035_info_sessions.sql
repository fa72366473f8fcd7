-- Information sessions are events of their own kind: announced to candidate entrepreneurs
-- (people with a project) of the territory first.
ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'event'
    CHECK (kind IN ('event', 'info_session'));

-- Who came to an information session: marked by the organiser from the attendee list, or by
-- the person when asked afterwards; then coaching is offered to them, once.
CREATE TABLE session_attendance (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL while asked and not answered; 1 came, 0 did not.
    attended INTEGER CHECK (attended IS NULL OR attended IN (0, 1)),
    marked_by TEXT CHECK (marked_by IS NULL OR marked_by IN ('organiser', 'self')),
    asked_at TEXT,
    marked_at TEXT,
    -- The coaching offer after attending: due (1) until sent, then when it went.
    offer_due INTEGER NOT NULL DEFAULT 0 CHECK (offer_due IN (0, 1)),
    offered_at TEXT,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX session_attendance_due ON session_attendance (offer_due) WHERE offer_due = 1;
