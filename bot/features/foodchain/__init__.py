"""The local food chain: producers' profiles, buyers' wishes, matches made with consent."""
