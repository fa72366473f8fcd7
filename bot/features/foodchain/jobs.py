"""The food chain's job: close old suggestions, tidy drafts, and suggest new matches."""

from __future__ import annotations

from datetime import timedelta

from bot.features.foodchain.service import FoodService
from bot.shared.jobs import Job

EVERY = timedelta(minutes=10)


def jobs(food: FoodService) -> list[Job]:
    """Return the matching job (it also runs right after a validation or a new wish)."""
    return [Job("foodchain", food.run, EVERY, timedelta(minutes=1))]
