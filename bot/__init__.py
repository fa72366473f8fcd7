"""Échoppe: an echo chamber for independent shopkeepers."""
