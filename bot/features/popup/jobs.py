"""The pop-up's job: the end-of-test survey, once, to each occupant of a period that ended."""

from __future__ import annotations

from datetime import timedelta

from bot.features.popup.service import PopupService
from bot.shared.jobs import Job

EVERY = timedelta(minutes=15)


def jobs(popup: PopupService) -> list[Job]:
    """Return the job that asks the surveys due (by the service's clock and time zone)."""
    return [Job("popup_surveys", popup.survey_round, EVERY, timedelta(minutes=2))]
