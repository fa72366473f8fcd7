"""One person, two channels: /link joins a Telegram and a WhatsApp account into one person."""
