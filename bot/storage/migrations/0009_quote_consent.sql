-- Whether the person accepted that short extracts of their messages (scrubbed of names, phone
-- numbers and e-mail) may be quoted anonymously to partners; off unless they say yes.
ALTER TABLE users ADD COLUMN quote_consent INTEGER NOT NULL DEFAULT 0
    CHECK (quote_consent IN (0, 1));
ALTER TABLE users ADD COLUMN quote_consent_at TEXT;
