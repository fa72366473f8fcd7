-- When a person last wrote to the bot: WhatsApp lets a business answer freely only within 24
-- hours of that (its customer service window); outside it, only approved templates go.
ALTER TABLE users ADD COLUMN last_inbound_at TEXT;
