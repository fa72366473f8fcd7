"""One package per feature: its flow, use cases, jobs and the SQL of its own tables."""
