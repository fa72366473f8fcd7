-- The first answer to a message may offer one other reading of it in one tap (the model
-- hesitated between two factors): the factor set that button confirms, as a JSON list, or NULL.
ALTER TABLE concerns ADD COLUMN alternative TEXT;
