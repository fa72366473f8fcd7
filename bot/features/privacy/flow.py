"""Give people what is stored about them (/mydata) and erase it on request (/forget)."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.privacy.store import ErasureRepository
from bot.i18n import Translator
from bot.shared.routes import Access, Buttons, Command, ConsentGate, FlowRoutes
from bot.storage import CONSENT_VERSION, Database, ProcessedEventRepository, User, UserRepository

logger = logging.getLogger(__name__)

PREFIX = "fg"
CONSENT_PREFIX = "pv"
COMMANDS = frozenset({"mydata", "forget", "privacy"})


class PrivacyFlow:
    """Export a person's data as JSON; erase it all after an explicit confirmation."""

    def __init__(self, db: Database, on_erased: Callable[[], None] = lambda: None) -> None:
        self._db = db
        self._repo = ErasureRepository(db)
        self._events = ProcessedEventRepository(db)
        self._users = UserRepository(db)
        # Shared counts (the barometer's) must not keep holding an erased person.
        self._on_erased = on_erased

    def routes(self) -> FlowRoutes:
        """Declare /privacy, /mydata, /forget and the erase buttons, open at every step."""
        return FlowRoutes(
            "privacy",
            commands=tuple(
                Command(name, self.on_command, Access.ANYONE, before_consent=True)
                for name in sorted(COMMANDS)
            ),
            buttons=(Buttons(PREFIX, self.on_button, Access.ANYONE, before_consent=True),),
        )

    def gate(self) -> ConsentGate:
        """Return the consent gate the router puts before everything else."""
        return ConsentGate(self.needs_consent, self.ask_again)

    async def on_command(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /mydata (a JSON file) and /forget (asks to confirm)."""
        t = Translator(user.language if user else lang)
        if msg.command.lower() == "privacy":
            return Outcome((await self._notice(t, user),))
        if user is None:
            return Outcome((Reply(t("privacy.nothing_stored")),))
        if msg.command.lower() == "mydata":
            data = await self._repo.export(user.id)
            content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
            return Outcome(
                (Reply(t("privacy.mydata"), document=("echoppe-mydata.json", content)),)
            )
        nonce = secrets.token_hex(6)
        buttons = (
            (
                Button(t("privacy.forget_yes"), f"{PREFIX}:yes:{nonce}"),
                Button(t("privacy.forget_no"), f"{PREFIX}:no"),
            ),
        )
        return Outcome((Reply(t("privacy.forget_confirm"), buttons),))

    async def _notice(self, t: Translator, user: User | None) -> Reply:
        text = t("privacy.notice") + "\n\n" + t("privacy.version", version=CONSENT_VERSION)
        if user is not None:
            for version, at in await self._users.consents(user.id):
                text += "\n" + t("privacy.accepted_on", version=version, date=at[:10])
        return Reply(text)

    @staticmethod
    def needs_consent(user: User) -> bool:
        """Tell whether the person accepted an older notice than the current one."""
        return user.consent_version != CONSENT_VERSION

    async def ask_again(self, user: User, msg: IncomingMessage) -> Outcome:
        """Hold everything until the new notice is accepted; store nothing meanwhile."""
        t = Translator(user.language)
        if msg.button_data.startswith(f"{CONSENT_PREFIX}:"):
            async with self._db.transaction():
                if not await self._events.claim(msg.event_key):
                    return Outcome(duplicate=True)
                if msg.button_data == f"{CONSENT_PREFIX}:ok:{CONSENT_VERSION}":
                    await self._users.record_consent(user.id, CONSENT_VERSION)
                    logger.info("user %d accepted notice %s", user.id, CONSENT_VERSION)
                    return Outcome((Reply(t("privacy.reaccepted"), edit=True),))
            return Outcome((Reply(t("privacy.redeclined"), edit=True),))
        async with self._db.transaction():
            # The update's kept copy goes: nothing of it is stored before consent.
            await self._events.claim(msg.event_key)
        buttons = (
            (Button(t("privacy.accept"), f"{CONSENT_PREFIX}:ok:{CONSENT_VERSION}"),),
            (Button(t("privacy.decline"), f"{CONSENT_PREFIX}:no"),),
        )
        text = t("privacy.updated", version=CONSENT_VERSION) + "\n\n" + t("privacy.notice")
        return Outcome((Reply(text, buttons),))

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Erase everything on "yes" (once), or leave it all on "no"."""
        t = Translator(user.language if user else lang)
        parts = msg.button_data.split(":")
        if parts[1:2] == ["no"]:
            return Outcome((Reply(t("privacy.forget_cancelled"), edit=True),))
        if user is None or len(parts) != 3 or parts[1] != "yes":
            # Erased already (a second tap), or a forged button.
            return Outcome((Reply(t("privacy.nothing_stored"), edit=True),))
        async with self._db.transaction():
            if not await self._events.claim(f"forget:{parts[2]}"):
                return Outcome(duplicate=True)
            await self._events.claim(msg.event_key)
            await self._repo.erase(user.id, user.channel, user.external_id)
        # Folding the log in cannot happen inside a transaction: after it, and after the
        # answer (stored meanwhile) is gone too.
        await self._db.after_unit(self._repo.flush)
        self._on_erased()
        logger.info("a person erased their data")
        return Outcome((Reply(t("privacy.forgotten"), edit=True),))
