-- What a coaching request is about when it starts from an opportunity ("cell:12",
-- "need:butcher", "popup:3", "producer:5"): the coach sees its description, never who.
ALTER TABLE coaching_requests ADD COLUMN context TEXT;
