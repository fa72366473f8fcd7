"""Broadcasts: announcements through an outbox, /stop and /start_announcements."""
