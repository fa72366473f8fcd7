-- A note is published once however often its form is sent (a double click, a reload): the
-- preview carries a one-time value, stored with the note, unique.
ALTER TABLE dashboard_notes ADD COLUMN nonce TEXT;
CREATE UNIQUE INDEX dashboard_notes_nonce ON dashboard_notes (nonce);
