"""Route each user action to the flow it belongs to: onboarding and profile, or concerns."""

from __future__ import annotations

from bot.channels.base import IncomingKind, IncomingMessage, Outcome
from bot.services.concern_flow import PREFIX as CONCERN_PREFIX
from bot.services.concern_flow import ConcernFlow
from bot.services.onboarding import OnboardingService
from bot.storage import Step, UserRepository


class ConversationService:
    """Send free text of onboarded people to the concern flow, everything else to onboarding."""

    def __init__(
        self, users: UserRepository, onboarding: OnboardingService, concerns: ConcernFlow
    ) -> None:
        self._users = users
        self._onboarding = onboarding
        self._concerns = concerns

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Apply one user action and return what to show."""
        # One chat's updates are handled in order, so this read cannot race the write after it.
        user = await self._users.get(msg.channel, msg.user_ref)
        if msg.kind is IncomingKind.BUTTON and msg.button_data.startswith(CONCERN_PREFIX + ":"):
            return await self._concerns.on_button(user, msg)
        if (
            msg.kind is IncomingKind.TEXT
            and user is not None
            and user.onboarded
            and user.step is Step.DONE
            and user.blocked_at is None
        ):
            return await self._concerns.on_text(user, msg)
        return await self._onboarding.handle(msg)
