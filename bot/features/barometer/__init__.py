"""The barometer: a core's top difficulties against its territory's, and "me too"."""
