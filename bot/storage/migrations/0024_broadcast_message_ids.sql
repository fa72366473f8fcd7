-- The channel's id of each announcement sent (WhatsApp's wamid), to count in the admin's
-- report how many were delivered and read, not only accepted.
ALTER TABLE broadcast_outbox ADD COLUMN message_id TEXT;
