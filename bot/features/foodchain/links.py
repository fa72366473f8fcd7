"""The food chain's entry buttons, for other features' screens (the profile)."""

from __future__ import annotations

# "🌾 I produce": the producer's profile (started if there is none).
HOME_DATA = "fc:home"
# "🛒 I buy local": what the person would buy locally.
BUY_DATA = "fc:buy"
