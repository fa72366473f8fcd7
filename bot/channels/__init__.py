"""Channel adapters and the channel-neutral message types they exchange with services."""
