"""Send due survey invitations and closed waves' results, through the one way out."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import Recipient
from bot.features.surveys.definitions import Survey
from bot.features.surveys.flow import SurveyFlow
from bot.features.surveys.results import WaveResults
from bot.features.surveys.waves import SendInvitation, SendResults, WaveService
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound, delivery_of
from bot.shared.sending import Delivery
from bot.storage import User

INVITATIONS_EVERY = timedelta(seconds=30)
RESULTS_EVERY = timedelta(minutes=5)


def invitation_sender(flow: SurveyFlow, outbound: Outbound) -> SendInvitation:
    """Return how an invitation (or its reminder) goes to one person."""

    async def send(user: User, survey: Survey, wave_id: int, reminder: bool) -> Delivery:
        reply = flow.invitation(Translator(user.language), survey, wave_id, reminder=reminder)
        return delivery_of(await outbound.send(Recipient(user.channel, user.external_id), [reply]))

    return send


def results_sender(
    flow: SurveyFlow, reference: Reference, anonymity_k: int, outbound: Outbound
) -> SendResults:
    """Return how a closed wave's results go to one respondent."""

    async def send(user: User, results: WaveResults) -> Delivery:
        reply = flow.results_for(user, results, reference, anonymity_k)
        return delivery_of(await outbound.send(Recipient(user.channel, user.external_id), [reply]))

    return send


def jobs(
    waves: WaveService,
    flow: SurveyFlow,
    reference: Reference,
    anonymity_k: int,
    outbound: Outbound,
) -> list[Job]:
    """Return the survey jobs; planned invitations and closings are stored, so none is lost."""
    invite = invitation_sender(flow, outbound)
    give_back = results_sender(flow, reference, anonymity_k, outbound)
    return [
        # A wave launched while the bot was down goes out at the next start, spread as planned.
        Job(
            "survey_invitations",
            lambda: waves.send_due(invite),
            INVITATIONS_EVERY,
            timedelta(seconds=10),
        ),
        # Closing and sending are both recorded: a restart carries on where it stopped.
        Job(
            "survey_results",
            lambda: waves.close_due(give_back),
            RESULTS_EVERY,
            timedelta(seconds=20),
        ),
    ]
