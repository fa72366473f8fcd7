"""The Telegram channel: updates in, one outbound port out (python-telegram-bot)."""
