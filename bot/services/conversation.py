"""Route each user action to the flow it belongs to: onboarding and profile, or concerns."""

from __future__ import annotations

from dataclasses import replace

from bot.channels.base import IncomingKind, IncomingMessage, Outcome, Reply
from bot.i18n import DEFAULT_LANGUAGE, normalize_language, translate
from bot.services.barometer_flow import PREFIX as BAROMETER_PREFIX
from bot.services.barometer_flow import BarometerFlow
from bot.services.broadcast_admin import COMMANDS as BROADCAST_ADMIN_COMMANDS
from bot.services.broadcast_admin import PREFIX as BROADCAST_ADMIN_PREFIX
from bot.services.broadcast_admin import BroadcastAdminFlow
from bot.services.broadcast_flow import AnnouncementsFlow
from bot.services.concern_flow import PREFIX as CONCERN_PREFIX
from bot.services.concern_flow import ConcernFlow
from bot.services.digest_flow import DigestFlow
from bot.services.event_admin import COMMANDS as EVENT_ADMIN_COMMANDS
from bot.services.event_admin import PREFIX as EVENT_ADMIN_PREFIX
from bot.services.event_admin import EventAdminFlow
from bot.services.event_flow import EventFlow
from bot.services.events import PREFIX as EVENT_PREFIX
from bot.services.follow_up_flow import PREFIX as FOLLOW_UP_PREFIX
from bot.services.follow_up_flow import FollowUpFlow
from bot.services.onboarding import OnboardingService
from bot.services.partner_admin import COMMANDS as PARTNER_ADMIN_COMMANDS
from bot.services.partner_admin import PREFIX as PARTNER_ADMIN_PREFIX
from bot.services.partner_admin import PartnerAdminFlow
from bot.services.partner_flow import PartnerFlow, is_partner_link
from bot.services.privacy import COMMANDS as PRIVACY_COMMANDS
from bot.services.privacy import PREFIX as PRIVACY_PREFIX
from bot.services.privacy import PrivacyFlow
from bot.services.survey_admin import PREFIX as SURVEY_ADMIN_PREFIX
from bot.services.survey_admin import SurveyAdminFlow
from bot.services.survey_flow import PREFIX as SURVEY_PREFIX
from bot.services.survey_flow import SurveyFlow
from bot.storage import Step, User, UserRepository

# Typed text at these steps is not an answer to the question on screen; at the core steps it
# is a search. Three words or fewer are most likely an answer typed instead of tapped.
_HOLDING_STEPS = frozenset({Step.ROLE, Step.TERRITORY, Step.SECTOR})
HOLD_MIN_WORDS = 4
ADMIN_COMMANDS = frozenset({"survey", "survey_results"})


class ConversationService:
    """Send free text of onboarded people to the concern flow, everything else to onboarding."""

    def __init__(
        self,
        users: UserRepository,
        onboarding: OnboardingService,
        concerns: ConcernFlow,
        barometer: BarometerFlow,
        follow_ups: FollowUpFlow,
        surveys: SurveyFlow,
        survey_admin: SurveyAdminFlow,
        partners: PartnerFlow,
        partner_admin: PartnerAdminFlow,
        digests: DigestFlow,
        announcements: AnnouncementsFlow,
        broadcast_admin: BroadcastAdminFlow,
        events: EventFlow,
        event_admin: EventAdminFlow,
        privacy: PrivacyFlow,
    ) -> None:
        self._privacy = privacy
        self._events = events
        self._event_admin = event_admin
        self._announcements = announcements
        self._broadcast_admin = broadcast_admin
        self._users = users
        self._onboarding = onboarding
        self._concerns = concerns
        self._barometer = barometer
        self._follow_ups = follow_ups
        self._surveys = surveys
        self._survey_admin = survey_admin
        self._partners = partners
        self._partner_admin = partner_admin
        self._digests = digests

    async def _in_group(self, msg: IncomingMessage) -> Outcome:
        """Serve a group: a partner's invitation and /digest only; nobody becomes a user."""
        lang = _language(None, msg)
        if msg.kind is IncomingKind.COMMAND and is_partner_link(msg):
            return await self._partners.on_start(msg, lang)
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() == "digest":
            return await self._digests.on_command(msg, lang)
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in ("start", "help"):
            return Outcome((Reply(translate(lang, "group.private_only")),))
        return Outcome(())

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Apply one user action and return what to show."""
        if msg.chat and msg.chat != msg.user_ref:
            return await self._in_group(msg)
        # One chat's updates are handled in order, so this read cannot race the write after it.
        user = await self._users.get(msg.channel, msg.user_ref)
        if user is not None and self._privacy.needs_consent(user):
            exempt = (
                msg.kind is IncomingKind.COMMAND and msg.command.lower() in PRIVACY_COMMANDS
            ) or msg.button_data.startswith(f"{PRIVACY_PREFIX}:")
            if not exempt:
                # A new privacy notice: accepted before anything more is stored.
                return await self._privacy.ask_again(user, msg)
        if msg.kind is IncomingKind.BUTTON:
            prefix = msg.button_data.split(":", 1)[0]
            if prefix == CONCERN_PREFIX:
                return await self._concerns.on_button(user, msg)
            if prefix == BAROMETER_PREFIX:
                return await self._barometer.on_button(user, msg)
            if prefix == FOLLOW_UP_PREFIX:
                return await self._follow_ups.on_button(user, msg)
            if prefix == SURVEY_PREFIX:
                return await self._surveys.on_button(user, msg)
            if prefix == SURVEY_ADMIN_PREFIX:
                return await self._survey_admin.on_button(msg, _language(user, msg))
            if prefix == PARTNER_ADMIN_PREFIX:
                return await self._partner_admin.on_button(msg, _language(user, msg))
            if prefix == BROADCAST_ADMIN_PREFIX:
                return await self._broadcast_admin.on_button(msg, _language(user, msg))
            if prefix == PRIVACY_PREFIX:
                return await self._privacy.on_button(user, msg, _language(user, msg))
            if prefix == EVENT_PREFIX:
                return await self._events.on_button(user, msg)
            if prefix == EVENT_ADMIN_PREFIX:
                return await self._event_admin.on_button(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and is_partner_link(msg):
            # A partner's invitation: no consent or onboarding, the chat speaks for the partner.
            return await self._partners.on_start(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() == "digest":
            # For chats bound to a partner (checked on every call), whoever is typing.
            return await self._digests.on_command(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in PARTNER_ADMIN_COMMANDS:
            return await self._partner_admin.on_command(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in PRIVACY_COMMANDS:
            # Whatever step the person is at: what is stored is theirs to see and erase.
            return await self._privacy.on_command(user, msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in EVENT_ADMIN_COMMANDS:
            return await self._event_admin.on_command(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in BROADCAST_ADMIN_COMMANDS:
            return await self._broadcast_admin.on_command(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and msg.command.lower() in ADMIN_COMMANDS:
            # Admins are known by their Telegram id (settings), onboarded or not.
            return await self._survey_admin.on_command(msg, _language(user, msg))
        if msg.kind is IncomingKind.COMMAND and user is not None and user.onboarded:
            command = msg.command.lower()
            if command == "history":
                return await self._concerns.on_history(user)
            if command == "barometer":
                return await self._barometer.on_command(user)
            if command in ("skip", "stop_survey"):
                return await self._surveys.on_command(user, msg)
            if command in ("stop", "start_announcements"):
                return await self._announcements.on_command(user, command)
        if (
            msg.kind is IncomingKind.TEXT
            and user is not None
            and user.onboarded
            and user.step is Step.DONE
            and user.blocked_at is None
        ):
            # During a survey, what is typed answers the question on screen.
            if await self._surveys.in_survey(user):
                return await self._surveys.on_text(user, msg)
            return await self._concerns.on_text(user, msg)
        if (
            msg.kind is IncomingKind.TEXT
            and user is not None
            and not user.onboarded
            and user.step in _HOLDING_STEPS
            and len(msg.text.split()) >= HOLD_MIN_WORDS
        ):
            return await self._concerns.on_held_text(user, msg, self._onboarding.prompt_for(user))
        outcome = await self._onboarding.handle(msg)
        if user is not None and not user.onboarded and not outcome.duplicate:
            after = await self._users.get(msg.channel, msg.user_ref)
            if after is not None and after.onboarded:
                held = await self._concerns.file_held(after, msg)
                if held:
                    return replace(outcome, replies=outcome.replies + held)
        return outcome


def _language(user: User | None, msg: IncomingMessage) -> str:
    """Return the person's language, or their phone's for someone not stored."""
    if user is not None:
        return user.language
    return normalize_language(msg.language_hint) or DEFAULT_LANGUAGE
