"""Onboard people in a few taps and let them change their profile; channel-neutral."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.channels.base import Button, IncomingKind, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.links import PROJECT_BUTTON_DATA, parse_school_arg
from bot.features.foodchain.links import BUY_DATA, HOME_DATA
from bot.features.reach.links import INVITE_BUTTON_DATA, Campaign, parse_start_arg
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, normalize_language
from bot.reference import Core, Reference
from bot.shared.access import unknown_command
from bot.shared.paging import page_row
from bot.shared.text import clean_text, short_echo
from bot.storage import (
    CONSENT_VERSION,
    Database,
    ProcessedEventRepository,
    Role,
    Step,
    User,
    UserRepository,
    utcnow,
)
from bot.storage.unheard import UnheardRepository

logger = logging.getLogger(__name__)

CORES_PER_PAGE = 8
SEARCH_RESULTS = 8
_NO_CORE = "-"
_PAGE = re.compile(r"[0-9]{1,4}")
# Count a person who arrived through a tagged link: (channel, core id, campaign, stage).
Arrived = Callable[[str, str, str, str], Awaitable[None]]
_SCHOOL = "s."


@dataclass(frozen=True)
class SchoolLinks:
    """A school's link: the territory of a current school, and putting a person on the path."""

    territory: Callable[[str], Awaitable[str | None]]
    # Called when a person consents through the link, or opens it later; returns what to
    # show an onboarded person (the path's next question).
    joined: Callable[[User, str], Awaitable[tuple[Reply, ...]]]


_ROLE_EMOJI = {
    Role.SHOPKEEPER: "🏪",
    Role.CUSTOMER: "🛍️",
    Role.LANDLORD: "🏠",
    Role.PUBLIC_ACTOR: "🏛️",
    Role.COACH: "🧭",
    Role.RESEARCHER: "🎓",
    Role.CANDIDATE: "🚀",
    Role.PRODUCER: "🌾",
}
_LANGUAGE_LABELS = {"fr": "🇫🇷 Français", "nl": "🇳🇱 Nederlands", "en": "🇬🇧 English"}
_EDITING_STEPS = frozenset({Step.DONE, Step.EDIT_CORE})


@dataclass(frozen=True)
class _Ctx:
    """Carry what one handling step needs: the message, the user and the language."""

    msg: IncomingMessage
    user: User | None
    lang: str

    @property
    def t(self) -> Translator:
        return Translator(self.lang)


class OnboardingService:
    """Drive onboarding and profile changes from user actions to replies."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        arrived: Arrived | None = None,
        schools: SchoolLinks | None = None,
    ) -> None:
        self._db = db
        self._ref = reference
        self._arrived = arrived
        self._schools = schools
        self._users = UserRepository(db)
        self._events = ProcessedEventRepository(db)

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Apply one user action exactly once and return what to show."""
        async with self._db.transaction():
            if not await self._events.claim(msg.event_key):
                logger.info("ignoring already processed event %s", msg.event_key)
                return Outcome(duplicate=True)
            user = await self._users.get(msg.channel, msg.user_ref)
            if user is not None and user.blocked_at is not None:
                # Someone who writes to us again has unblocked the bot.
                user = await self._users.update(user.id, blocked_at=None)
            lang = user.language if user else self._guess_language(msg)
            return await self._dispatch(_Ctx(msg, user, lang))

    async def user_language(self, channel: str, user_ref: str, hint: str | None) -> str:
        """Return the language to address someone in, stored or guessed."""
        user = await self._users.get(channel, user_ref)
        if user is not None:
            return user.language
        return normalize_language(hint) or DEFAULT_LANGUAGE

    @staticmethod
    def _guess_language(msg: IncomingMessage) -> str:
        return normalize_language(msg.language_hint) or DEFAULT_LANGUAGE

    async def _dispatch(self, ctx: _Ctx) -> Outcome:
        kind = ctx.msg.kind
        if kind is IncomingKind.EDITED:
            return Outcome()
        if kind is IncomingKind.UNSUPPORTED:
            if ctx.msg.content_type == "voice" and ctx.user is not None:
                # Counted for partners (how many voices go unheard), by territory only.
                await UnheardRepository(self._db).add(ctx.user.territory_id)
            return self._unsupported(ctx)
        if kind is IncomingKind.COMMAND:
            return await self._command(ctx)
        if kind is IncomingKind.BUTTON:
            return await self._button(ctx)
        return await self._text(ctx)

    # ---- commands -------------------------------------------------------------------------

    async def _command(self, ctx: _Ctx) -> Outcome:
        command = ctx.msg.command.lower()
        if command == "start":
            return await self._start(ctx)
        if command == "help":
            return Outcome((Reply(self._help_text(ctx)),))
        if command == "language":
            if ctx.user is None:
                return Outcome((self._privacy_notice(ctx.lang, None),))
            return Outcome((self._language_picker(ctx.t, ctx.lang, back=ctx.user.onboarded),))
        if command in ("profile", "history", "barometer"):
            # /history and /barometer of someone onboarded never get here: their flows answer.
            return await self._profile_command(ctx)
        return Outcome((unknown_command(ctx.t),))

    async def _start(self, ctx: _Ctx) -> Outcome:
        school = await self._school_link(ctx.msg.args)
        if school is not None:
            return await self._start_from_school(ctx, school)
        core, campaign = self._deep_link(ctx.msg.args)
        user = ctx.user
        if user is None:
            return Outcome((self._privacy_notice(ctx.lang, core, campaign),))
        if user.onboarded:
            if ctx.msg.text.strip().lower() == "start" and not user.announcements:
                # The word typed without a slash (WhatsApp's opt-in word) by someone who
                # stopped announcements: they come back on.
                await self._users.update(user.id, announcements=True)
                return Outcome((Reply(ctx.t("announcements.on")),))
            if user.step is Step.EDIT_CORE:
                user = await self._finish_edit(user)
            if core is not None and core.id != user.core_id:
                return Outcome((self._switch_core_offer(ctx.t, core),))
            return Outcome((Reply(ctx.t("start.welcome_back")), self._profile_view(ctx.t, user)))
        if core is None:
            return Outcome((self._prompt(ctx.t, user),))
        if user.step is Step.ROLE:
            user = await self._users.update(user.id, pending_core_id=core.id)
            return Outcome((self._prompt(ctx.t, user),))
        # Scanning a poster later in onboarding (even at the sector step) sets that core.
        user = await self._users.update(
            user.id,
            territory_id=core.territory,
            core_id=core.id,
            pending_core_id=None,
            pending_territory_id=None,
            step=Step.SECTOR,
        )
        notice = Reply(ctx.t("core.preselected", core=core.name(ctx.lang)))
        return Outcome((notice, self._prompt(ctx.t, user)))

    async def _school_link(self, args: str) -> str | None:
        """Return the code of the current school a link names, or None."""
        code = parse_school_arg(args)
        if code is None or self._schools is None:
            return None
        return code if await self._schools.territory(code) is not None else None

    async def _start_from_school(self, ctx: _Ctx, code: str) -> Outcome:
        assert self._schools is not None
        user = ctx.user
        if user is None:
            return Outcome((self._privacy_notice(ctx.lang, None, school=code),))
        if user.step is Step.EDIT_CORE:
            user = await self._finish_edit(user)
        shown = await self._schools.joined(user, code)
        if user.onboarded:
            return Outcome(shown or (self._profile_view(ctx.t, user),))
        return Outcome((self._prompt(ctx.t, user),))

    async def _profile_command(self, ctx: _Ctx) -> Outcome:
        user = ctx.user
        if user is None:
            return Outcome((self._privacy_notice(ctx.lang, None),))
        if not user.onboarded:
            return Outcome((Reply(ctx.t("profile.finish_first")), self._prompt(ctx.t, user)))
        if user.step is not Step.DONE:
            user = await self._finish_edit(user)
        return Outcome((self._profile_view(ctx.t, user),))

    def _deep_link(self, args: str) -> tuple[Core | None, str | None]:
        """Return the core a link pre-selects and the campaign it is tagged with."""
        parsed = parse_start_arg(args)
        core = self._ref.core(parsed[0]) if parsed else None
        campaign = parsed[1] if parsed and core else None
        return core, (str(campaign) if campaign else None)

    # ---- free text ------------------------------------------------------------------------

    async def _text(self, ctx: _Ctx) -> Outcome:
        user = ctx.user
        if user is None:
            return Outcome((self._privacy_notice(ctx.lang, None),))
        if user.step in (Step.CORE, Step.EDIT_CORE):
            return self._search(ctx, user)
        if user.step is Step.DONE:
            return Outcome((Reply(ctx.t("done.free_text")),))
        return Outcome((Reply(ctx.t("onboarding.use_buttons")), self._prompt(ctx.t, user)))

    def _search(self, ctx: _Ctx, user: User) -> Outcome:
        territory = user.pending_territory_id or user.territory_id
        query = clean_text(ctx.msg.text, max_chars=64)
        cores = self._ref.search_cores(territory, query, ctx.lang, limit=SEARCH_RESULTS)
        prefix = "pf" if user.step is Step.EDIT_CORE else "ob"
        if not cores:
            text = ctx.t("core.search_none", query=short_echo(ctx.msg.text) or "…")
            return Outcome((Reply(text), self._core_page(ctx.t, ctx.lang, user, 0)))
        rows = [(Button(c.name(ctx.lang), f"{prefix}:core:{c.id}"),) for c in cores]
        rows.append((Button(ctx.t("core.show_all"), f"{prefix}:cp:{territory}:0"),))
        return Outcome((Reply(ctx.t("core.search_results"), tuple(rows)),))

    def _unsupported(self, ctx: _Ctx) -> Outcome:
        replies = [Reply(ctx.t("input.text_only"))]
        if ctx.user is not None and not ctx.user.onboarded:
            replies.append(self._prompt(ctx.t, ctx.user))
        return Outcome(tuple(replies))

    # ---- buttons --------------------------------------------------------------------------

    async def _button(self, ctx: _Ctx) -> Outcome:
        parts = ctx.msg.button_data.split(":")
        if len(parts) < 2 or parts[0] not in ("ob", "pf"):
            return self._invalid(ctx)
        if parts[0] == "ob":
            return await self._onboarding_button(ctx, parts[1], parts[2:])
        return await self._profile_button(ctx, parts[1], parts[2:])

    def _invalid(self, ctx: _Ctx) -> Outcome:
        logger.warning("unrecognised button data from %s", ctx.msg.event_key)
        return Outcome(notice=ctx.t("button.invalid"))

    @staticmethod
    def _stale(ctx: _Ctx) -> Outcome:
        return Outcome(notice=ctx.t("button.stale"))

    async def _onboarding_button(self, ctx: _Ctx, action: str, args: list[str]) -> Outcome:
        user = ctx.user
        if action in ("lang", "ok", "no"):
            return await self._consent_button(ctx, action, args)
        if user is None:
            # A button from an onboarding the person never consented to, or a forgery.
            return Outcome((self._privacy_notice(ctx.lang, None),), notice=ctx.t("button.stale"))
        value = args[0] if len(args) == 1 else None
        if action == "role" and value is not None:
            return await self._pick_role(ctx, user, value)
        if action == "terr" and value is not None:
            return await self._pick_territory(ctx, user, value)
        if action == "cp" and len(args) == 2:
            return self._page(ctx, user, args[0], args[1], Step.CORE)
        if action == "core" and value is not None:
            return await self._pick_core(ctx, user, value)
        if action == "sect" and value is not None:
            return await self._pick_sector(ctx, user, value)
        return self._invalid(ctx)

    async def _consent_button(self, ctx: _Ctx, action: str, args: list[str]) -> Outcome:
        if not args or args[0] not in LANGUAGES:
            return self._invalid(ctx)
        lang = args[0]
        if len(args) == 2 and args[1].startswith(_SCHOOL):
            return await self._consent_from_school(ctx, action, lang, args[1][len(_SCHOOL) :])
        core = self._ref.core(args[1]) if len(args) > 1 and args[1] != _NO_CORE else None
        if len(args) > 1 and args[1] != _NO_CORE and core is None:
            return self._invalid(ctx)
        tagged = args[2] if len(args) > 2 and core is not None else None
        campaign = tagged if tagged in set(Campaign) else None
        t = Translator(lang)
        if ctx.user is not None:
            return Outcome(notice=Translator(ctx.lang)("button.stale"))
        if action == "lang":
            notice = self._privacy_notice(lang, core, campaign)
            return Outcome((Reply(notice.text, notice.buttons, edit=True),))
        if action == "no":
            return Outcome((Reply(t("privacy.declined"), edit=True),))
        user = await self._consented(ctx, lang, Step.ROLE, core.id if core else None, campaign)
        if core is not None and campaign is not None and self._arrived is not None:
            await self._arrived(ctx.msg.channel, core.id, campaign, "consented")
        logger.info("user %s consented", user.id)
        return Outcome(
            (Reply(t("privacy.accepted"), edit=True), self._prompt(t, user)),
        )

    async def _consented(
        self,
        ctx: _Ctx,
        lang: str,
        step: Step,
        pending_core_id: str | None,
        campaign: str | None,
    ) -> User:
        """Store the person who just accepted the notice, with that acceptance."""
        user = await self._users.create(
            channel=ctx.msg.channel,
            external_id=ctx.msg.user_ref,
            language=lang,
            consent_version=CONSENT_VERSION,
            step=step,
            pending_core_id=pending_core_id,
            pending_campaign=campaign,
        )
        return await self._users.record_consent(user.id, CONSENT_VERSION)

    async def _consent_from_school(self, ctx: _Ctx, action: str, lang: str, code: str) -> Outcome:
        """Consent through a school's link: a pupil goes straight into the candidate path."""
        t = Translator(lang)
        if ctx.user is not None:
            return Outcome(notice=Translator(ctx.lang)("button.stale"))
        schools = self._schools
        known = schools is not None and parse_school_arg(f"school_{code}") is not None
        territory = await schools.territory(code) if schools is not None and known else None
        if schools is None or territory is None:
            # The school was removed since the link was opened: a plain start.
            notice = self._privacy_notice(lang, None)
            return Outcome((Reply(notice.text, notice.buttons, edit=True),))
        if action == "lang":
            notice = self._privacy_notice(lang, None, school=code)
            return Outcome((Reply(notice.text, notice.buttons, edit=True),))
        if action == "no":
            return Outcome((Reply(t("privacy.declined"), edit=True),))
        user = await self._consented(ctx, lang, Step.CORE, None, Campaign.SCHOOL.value)
        # No role question: someone who came through a school has a project (a candidate).
        user = await self._users.update(user.id, role=Role.CANDIDATE, territory_id=territory)
        await schools.joined(user, code)
        logger.info("user %s consented through a school's link", user.id)
        return Outcome(
            (
                Reply(t("privacy.accepted"), edit=True),
                Reply(t("school.core_question")),
                self._prompt(t, user),
            )
        )

    async def _pick_role(self, ctx: _Ctx, user: User, value: str) -> Outcome:
        if value not in set(Role):
            return self._invalid(ctx)
        if user.step is not Step.ROLE:
            return self._stale(ctx)
        role = Role(value)
        pending = self._ref.core(user.pending_core_id) if user.pending_core_id else None
        if pending is not None:
            user = await self._users.update(
                user.id,
                role=role,
                territory_id=pending.territory,
                core_id=pending.id,
                pending_core_id=None,
                step=Step.SECTOR,
            )
            chosen = ctx.t("core.preselected", core=pending.name(ctx.lang))
        else:
            user = await self._users.update(user.id, role=role, step=Step.TERRITORY)
            chosen = ctx.t("role.chosen", role=self._role_label(ctx.t, role))
        return Outcome((Reply(chosen, edit=True), self._prompt(ctx.t, user)))

    async def _pick_territory(self, ctx: _Ctx, user: User, value: str) -> Outcome:
        territory = self._ref.territory(value)
        if territory is None:
            return self._invalid(ctx)
        if user.step not in (Step.TERRITORY, Step.CORE):
            return self._stale(ctx)
        user = await self._users.update(
            user.id, territory_id=territory.id, core_id=None, step=Step.CORE
        )
        page = self._core_page(ctx.t, ctx.lang, user, 0)
        return Outcome((Reply(page.text, page.buttons, edit=True),))

    def _page(self, ctx: _Ctx, user: User, territory_id: str, raw: str, step: Step) -> Outcome:
        if self._ref.territory(territory_id) is None or not _PAGE.fullmatch(raw):
            return self._invalid(ctx)
        current = user.pending_territory_id if step is Step.EDIT_CORE else user.territory_id
        if user.step is not step or current != territory_id:
            return self._stale(ctx)
        page = self._core_page(ctx.t, ctx.lang, user, int(raw))
        return Outcome((Reply(page.text, page.buttons, edit=True),))

    async def _pick_core(self, ctx: _Ctx, user: User, value: str) -> Outcome:
        core = self._ref.core(value)
        if core is None:
            return self._invalid(ctx)
        if user.step is not Step.CORE or core.territory != user.territory_id:
            return self._stale(ctx)
        user = await self._users.update(user.id, core_id=core.id, step=Step.SECTOR)
        return Outcome(
            (
                Reply(ctx.t("core.chosen", core=core.name(ctx.lang)), edit=True),
                self._prompt(ctx.t, user),
            )
        )

    async def _pick_sector(self, ctx: _Ctx, user: User, value: str) -> Outcome:
        sector = self._ref.sector(value)
        if sector is None:
            return self._invalid(ctx)
        if user.step is not Step.SECTOR:
            return self._stale(ctx)
        campaign = user.pending_campaign
        user = await self._users.update(
            user.id, sector_id=sector.id, step=Step.DONE, pending_campaign=None
        )
        if campaign and user.core_id and self._arrived is not None:
            # Counted, then forgotten: the person keeps no trace of how they came.
            await self._arrived(ctx.msg.channel, user.core_id, campaign, "onboarded")
        logger.info("user %s finished onboarding", user.id)
        if user.role is Role.CANDIDATE:
            # What follows is their project's questions, not shop difficulties or quotes.
            summary = self._summary(ctx.t, ctx.lang, user)
            done = Reply(ctx.t("onboarding.done_candidate", summary=summary))
            return Outcome(
                (Reply(ctx.t("sector.chosen", sector=sector.label(ctx.lang)), edit=True), done)
            )
        return Outcome(
            (
                Reply(ctx.t("sector.chosen", sector=sector.label(ctx.lang)), edit=True),
                Reply(
                    ctx.t("onboarding.done", summary=self._summary(ctx.t, ctx.lang, user))
                    + "\n\n"
                    + ctx.t("quotes.offer"),
                    ((Button(ctx.t("quotes.accept"), "pf:qt:on"),),),
                ),
            )
        )

    async def _profile_button(self, ctx: _Ctx, action: str, args: list[str]) -> Outcome:
        user = ctx.user
        value = args[0] if len(args) == 1 else None
        known = {
            "edit",
            "role",
            "sect",
            "lang",
            "terr",
            "cp",
            "core",
            "back",
            "setcore",
            "fu",
            "sv",
            "qt",
        }
        if action not in known:
            return self._invalid(ctx)
        if user is not None and action == "lang" and value is not None and not user.onboarded:
            return await self._switch_language_mid_onboarding(ctx, user, value)
        if user is None or not user.onboarded or user.step not in _EDITING_STEPS:
            return self._stale(ctx)
        t = ctx.t
        if action == "edit" and value in ("role", "sector", "core", "lang"):
            return Outcome((self._edit_picker(t, ctx.lang, value),))
        if action == "role" and value is not None:
            if value not in set(Role):
                return self._invalid(ctx)
            user = await self._finish_edit(user, role=Role(value))
            return self._profile_saved(t, user)
        if action == "sect" and value is not None:
            if self._ref.sector(value) is None:
                return self._invalid(ctx)
            user = await self._finish_edit(user, sector_id=value)
            return self._profile_saved(t, user)
        if action == "lang" and value is not None:
            if value not in LANGUAGES:
                return self._invalid(ctx)
            user = await self._finish_edit(user, language=value)
            return self._profile_saved(Translator(value), user)
        if action == "terr" and value is not None:
            if self._ref.territory(value) is None:
                return self._invalid(ctx)
            user = await self._users.update(
                user.id, step=Step.EDIT_CORE, pending_territory_id=value
            )
            page = self._core_page(t, ctx.lang, user, 0)
            return Outcome((Reply(page.text, page.buttons, edit=True),))
        if action == "cp" and len(args) == 2:
            return self._page(ctx, user, args[0], args[1], Step.EDIT_CORE)
        if action in ("core", "setcore") and value is not None:
            core = self._ref.core(value)
            if core is None:
                return self._invalid(ctx)
            if action == "core" and (
                user.step is not Step.EDIT_CORE or core.territory != user.pending_territory_id
            ):
                return self._stale(ctx)
            user = await self._finish_edit(user, territory_id=core.territory, core_id=core.id)
            return self._profile_saved(t, user)
        if action == "fu" and value in ("on", "off"):
            user = await self._finish_edit(user, follow_ups=value == "on")
            return self._profile_saved(t, user)
        if action == "qt" and value in ("on", "off"):
            # Off by default; saying yes is recorded with its time (what was consented, when).
            user = await self._finish_edit(
                user,
                quote_consent=value == "on",
                quote_consent_at=utcnow() if value == "on" else None,
            )
            return self._profile_saved(t, user)
        if action == "sv" and value in ("on", "off"):
            user = await self._finish_edit(user, surveys=value == "on")
            return self._profile_saved(t, user)
        if action == "back" and not args:
            if user.step is not Step.DONE:
                user = await self._finish_edit(user)
            view = self._profile_view(t, user)
            return Outcome((Reply(view.text, view.buttons, edit=True),))
        return self._invalid(ctx)

    async def _switch_language_mid_onboarding(self, ctx: _Ctx, user: User, value: str) -> Outcome:
        if value not in LANGUAGES:
            return self._invalid(ctx)
        user = await self._users.update(user.id, language=value)
        t = Translator(value)
        return Outcome(
            (Reply(t("language.changed"), edit=True), self._prompt(t, user)),
            notice=t("profile.saved"),
        )

    async def _finish_edit(self, user: User, **changes: Any) -> User:
        """Apply profile changes and leave any core-editing state behind."""
        return await self._users.update(
            user.id, step=Step.DONE, pending_territory_id=None, **changes
        )

    def _profile_saved(self, t: Translator, user: User) -> Outcome:
        view = self._profile_view(t, user)
        return Outcome((Reply(view.text, view.buttons, edit=True),), notice=t("profile.saved"))

    # ---- rendering ------------------------------------------------------------------------

    def _privacy_notice(
        self,
        lang: str,
        core: Core | None,
        campaign: str | None = None,
        *,
        school: str | None = None,
    ) -> Reply:
        t = Translator(lang)
        core_arg = core.id if core else _NO_CORE
        if core is not None and campaign is not None:
            # The link's campaign rides with the core until the person accepts.
            core_arg = f"{core_arg}:{campaign}"
        if school is not None:
            core_arg = f"{_SCHOOL}{school}"
        text = t("privacy.notice")
        if core is not None:
            text = t("start.core_from_link", core=core.name(lang)) + "\n\n" + text
        elif school is not None:
            text = t("school.from_link") + "\n\n" + text
        language_row = tuple(
            Button(("✓ " if code == lang else "") + label, f"ob:lang:{code}:{core_arg}")
            for code, label in _LANGUAGE_LABELS.items()
        )
        return Reply(
            text,
            (
                (Button(t("privacy.accept"), f"ob:ok:{lang}:{core_arg}"),),
                language_row,
                (Button(t("privacy.decline"), f"ob:no:{lang}"),),
            ),
        )

    def prompt_for(self, user: User) -> Reply:
        """Return the question for the step the user stands at, in their language."""
        return self._prompt(Translator(user.language), user)

    def _prompt(self, t: Translator, user: User) -> Reply:
        """Return the question for the step the user stands at."""
        if user.step is Step.ROLE:
            return self._role_picker(t, "ob")
        if user.step is Step.TERRITORY:
            return self._territory_picker(t, "ob")
        if user.step in (Step.CORE, Step.EDIT_CORE):
            return self._core_page(t, t.lang, user, 0)
        if user.step is Step.SECTOR:
            return self._sector_picker(t, "ob")
        return self._profile_view(t, user)

    def _role_picker(self, t: Translator, prefix: str) -> Reply:
        rows = tuple(
            (Button(self._role_label(t, role), f"{prefix}:role:{role.value}"),) for role in Role
        )
        return Reply(t("role.question"), rows + self._back_row(t, prefix))

    def _territory_picker(self, t: Translator, prefix: str) -> Reply:
        rows = tuple(
            (Button(territory.name(t.lang), f"{prefix}:terr:{territory.id}"),)
            for territory in self._ref.territories.values()
        )
        return Reply(t("territory.question"), rows + self._back_row(t, prefix))

    def _sector_picker(self, t: Translator, prefix: str) -> Reply:
        buttons = [
            Button(f"{s.emoji} {s.label(t.lang)}", f"{prefix}:sect:{s.id}")
            for s in self._ref.sectors
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(t("sector.question"), rows + self._back_row(t, prefix))

    def _language_picker(self, t: Translator, current: str, *, back: bool = True) -> Reply:
        row = tuple(
            Button(("✓ " if code == current else "") + label, f"pf:lang:{code}")
            for code, label in _LANGUAGE_LABELS.items()
        )
        return Reply(t("language.question"), (row, *self._back_row(t, "pf" if back else "ob")))

    def _edit_picker(self, t: Translator, lang: str, what: str) -> Reply:
        if what == "role":
            picker = self._role_picker(t, "pf")
        elif what == "sector":
            picker = self._sector_picker(t, "pf")
        elif what == "core":
            picker = self._territory_picker(t, "pf")
        else:
            picker = self._language_picker(t, lang)
        return Reply(picker.text, picker.buttons, edit=True)

    @staticmethod
    def _back_row(t: Translator, prefix: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(t("button.back"), "pf:back"),),) if prefix == "pf" else ()

    def _core_page(self, t: Translator, lang: str, user: User, page: int) -> Reply:
        editing = user.step is Step.EDIT_CORE
        prefix = "pf" if editing else "ob"
        territory_id = (user.pending_territory_id if editing else user.territory_id) or ""
        cores, pages = self._ref.cores_page(territory_id, page, CORES_PER_PAGE, lang)
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = [
            (Button(c.name(lang), f"{prefix}:core:{c.id}"),) for c in cores
        ]
        rows += page_row(t, page, pages, lambda n: f"{prefix}:cp:{territory_id}:{n}")
        if editing:
            rows.append((Button(t("button.back"), "pf:back"),))
        else:
            rows.append(
                tuple(
                    Button(
                        t("core.other_territory", territory=terr.name(lang)), f"ob:terr:{terr.id}"
                    )
                    for terr in self._ref.territories.values()
                    if terr.id != territory_id
                )
            )
        text = t("core.question", page=page + 1, pages=max(pages, 1))
        return Reply(text, tuple(row for row in rows if row))

    def _switch_core_offer(self, t: Translator, core: Core) -> Reply:
        return Reply(
            t("start.switch_core", core=core.name(t.lang)),
            (
                (
                    Button(t("button.yes"), f"pf:setcore:{core.id}"),
                    Button(t("button.no"), "pf:back"),
                ),
            ),
        )

    def _profile_view(self, t: Translator, user: User) -> Reply:
        text = t("profile.view", summary=self._summary(t, t.lang, user))
        rows = (
            (
                Button(t("profile.change_role"), "pf:edit:role"),
                Button(t("profile.change_core"), "pf:edit:core"),
            ),
            (
                Button(t("profile.change_sector"), "pf:edit:sector"),
                Button(t("profile.change_language"), "pf:edit:lang"),
            ),
            (
                Button(t("profile.turn_follow_ups_off"), "pf:fu:off")
                if user.follow_ups
                else Button(t("profile.turn_follow_ups_on"), "pf:fu:on"),
                Button(t("profile.turn_surveys_off"), "pf:sv:off")
                if user.surveys
                else Button(t("profile.turn_surveys_on"), "pf:sv:on"),
            ),
            (
                Button(t("quotes.withdraw"), "pf:qt:off")
                if user.quote_consent
                else Button(t("quotes.accept"), "pf:qt:on"),
            ),
            (
                Button(t("invite.button"), INVITE_BUTTON_DATA),
                Button(t("project.my"), PROJECT_BUTTON_DATA),
            ),
            (
                Button(t("food.i_produce"), HOME_DATA),
                Button(t("food.buy_button"), BUY_DATA),
            ),
        )
        return Reply(text, rows)

    def _summary(self, t: Translator, lang: str, user: User) -> str:
        core = self._ref.core(user.core_id) if user.core_id else None
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        sector = self._ref.sector(user.sector_id) if user.sector_id else None
        return t(
            "profile.summary",
            role=self._role_label(t, user.role) if user.role else "—",
            territory=territory.name(lang) if territory else "—",
            core=core.name(lang) if core else "—",
            sector=f"{sector.emoji} {sector.label(lang)}" if sector else "—",
            language=_LANGUAGE_LABELS[user.language],
            follow_ups=t("profile.follow_ups_on" if user.follow_ups else "profile.follow_ups_off"),
            surveys=t("profile.surveys_on" if user.surveys else "profile.surveys_off"),
            quotes=t("profile.surveys_on" if user.quote_consent else "profile.surveys_off"),
        )

    @staticmethod
    def _role_label(t: Translator, role: Role) -> str:
        return f"{_ROLE_EMOJI[role]} {t('role.' + role.value)}"

    def _help_text(self, ctx: _Ctx) -> str:
        if ctx.msg.channel == "whatsapp":
            # No command menu there: the typed word "menu" opens the list of actions.
            return ctx.t("help.text") + "\n\n" + ctx.t("help.menu_word")
        return ctx.t("help.text")
