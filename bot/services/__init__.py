"""Channel-neutral use cases; nothing here imports telegram."""
