-- One nudge, a week after onboarding, for someone who has not said anything yet: when it went
-- (never twice), and whether the person wants it at all.
ALTER TABLE users ADD COLUMN nudged_at TEXT;
ALTER TABLE users ADD COLUMN nudges INTEGER NOT NULL DEFAULT 1 CHECK (nudges IN (0, 1));
