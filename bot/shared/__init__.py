"""What the features share below them: small helpers, the access gate, charts."""
