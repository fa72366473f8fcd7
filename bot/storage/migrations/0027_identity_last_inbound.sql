-- WhatsApp's service window belongs to each app account: a person's linked identities (their
-- other app, or the business-scoped user id Meta gives a WhatsApp user) keep their own time.
ALTER TABLE user_identities ADD COLUMN last_inbound_at TEXT;
