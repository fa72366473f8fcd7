"""/missing: say what is missing here, confirm in one tap, see the needs board (/needs)."""

from __future__ import annotations

import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.needs.service import BOARD_DAYS, NeedError, NeedService
from bot.features.needs.store import Need
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.paging import page_row
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking, known
from bot.storage import Database, Role, User

PREFIX = "nd"
START_DATA = "nd:start"
_BUTTON = re.compile(r"^nd:(start|board|y|c|x|s|w|p)(?::([0-9]{1,12}))?(?::([a-z0-9_]{1,40}))?$")
CORES_PER_PAGE = 8


class NeedsFlow:
    """Take what someone misses, confirm it, and show the board."""

    def __init__(self, db: Database, needs: NeedService, reference: Reference) -> None:
        self._db = db
        self._needs = needs
        self._ref = reference

    def routes(self) -> FlowRoutes:
        """Declare /missing, /needs, the needs' buttons and the prompted text."""
        return FlowRoutes(
            "needs",
            commands=(
                Command("missing", self.on_missing),
                Command("needs", lambda user, _msg, lang: self._board(known(user), lang)),
            ),
            buttons=(Buttons(PREFIX, self.on_button),),
            texts=(Text(TextStage.NEED, self.takes_text, self.on_text),),
            after_onboarding=self.after_onboarding,
        )

    async def after_onboarding(self, user: User, _msg: IncomingMessage) -> tuple[Reply, ...]:
        """Ask a customer, once onboarded, what they miss here."""
        if user.role is not Role.CUSTOMER:
            return ()
        return (self._invitation(Translator(user.language), user),)

    def _invitation(self, t: Translator, user: User) -> Reply:
        core = self._ref.core(user.core_id) if user.core_id else None
        return Reply(
            t("needs.invitation", core=core.name(t.lang) if core else "—"),
            ((Button(t("needs.button"), START_DATA),),),
        )

    async def takes_text(self, user: User, _msg: IncomingMessage) -> bool:
        """Take the words of someone just asked what they miss."""
        return is_talking(user) and await self._needs.prompted(user.id)

    async def on_missing(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /missing: with words, match them; without, ask."""
        person = known(user)
        t = Translator(lang)
        if not msg.args.strip():
            async with self._db.transaction():
                await self._needs.repo.prompt(person.id)
            return Outcome((self._ask(t, person),))
        return await self._propose(person, msg.args, t)

    async def on_text(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take the words that answer "what do you miss?"."""
        return await self._propose(known(user), msg.text, Translator(lang))

    def _ask(self, t: Translator, user: User) -> Reply:
        core = self._ref.core(user.core_id) if user.core_id else None
        return Reply(t("needs.question", core=core.name(t.lang) if core else "—"))

    async def _propose(self, user: User, text: str, t: Translator) -> Outcome:
        try:
            async with self._db.transaction():
                need = await self._needs.propose(user, text)
        except NeedError as exc:
            return Outcome((Reply(t(str(exc))),))
        return Outcome((self._confirmation(t, need),))

    def _label(self, t: Translator, sector_id: str) -> str:
        sector = self._ref.need(sector_id)
        return f"{sector.emoji} {sector.label(t.lang)}" if sector else sector_id

    def _confirmation(self, t: Translator, need: Need) -> Reply:
        core = self._ref.core(need.core_id)
        return Reply(
            t(
                "needs.confirm",
                sectors=", ".join(self._label(t, s) for s in need.sectors),
                core=core.name(t.lang) if core else "—",
            ),
            (
                (
                    Button(t("needs.yes"), f"{PREFIX}:y:{need.id}"),
                    Button(t("needs.change"), f"{PREFIX}:c:{need.id}"),
                ),
                (
                    Button(t("needs.elsewhere"), f"{PREFIX}:w:{need.id}:0"),
                    Button(t("needs.cancel"), f"{PREFIX}:x:{need.id}"),
                ),
            ),
        )

    def _places(self, t: Translator, need: Need, page: int) -> Reply:
        """Return the areas of the need's territory, a page at a time."""
        cores, pages = self._ref.cores_page(need.territory_id, page, CORES_PER_PAGE, t.lang)
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = [
            (Button(c.name(t.lang)[:20], f"{PREFIX}:p:{need.id}:{c.id}"),) for c in cores
        ]
        rows += page_row(t, page, pages, lambda n: f"{PREFIX}:w:{need.id}:{n}")
        return Reply(t("needs.where", page=page + 1, pages=max(pages, 1)), tuple(rows))

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap: ask, confirm, change, cancel, or show the board."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        action, need_id, sector = match[1], match[2], match[3]
        if action == "start":
            async with self._db.transaction():
                await self._needs.repo.prompt(user.id)
            return Outcome((self._ask(t, user),))
        if action == "board":
            return await self._board(user, lang)
        if need_id is None:
            return Outcome(notice=t("button.invalid"))
        try:
            async with self._db.transaction():
                if action == "y":
                    need = await self._needs.confirm(user, int(need_id))
                elif action == "s" and sector is not None:
                    need = await self._needs.confirm(user, int(need_id), sector)
                elif action == "x":
                    await self._needs.cancel(user, int(need_id))
                    return Outcome((Reply(t("needs.cancelled"), edit=True),))
                elif action == "c":
                    return Outcome((self._picker(t, int(need_id)),))
                elif action == "w" and sector is not None and sector.isdigit():
                    pending = await self._needs.repo.get(int(need_id))
                    if pending is None or pending.user_id != user.id:
                        return Outcome(notice=t("button.stale"))
                    places = self._places(t, pending, int(sector))
                    return Outcome((Reply(places.text, places.buttons, edit=True),))
                elif action == "p" and sector is not None:
                    moved = await self._needs.move(user, int(need_id), sector)
                    asked = self._confirmation(t, moved)
                    return Outcome((Reply(asked.text, asked.buttons, edit=True),))
                else:
                    return Outcome(notice=t("button.invalid"))
        except NeedError as exc:
            return Outcome(notice=t(str(exc)))
        thanks = t("needs.thanks", sectors=", ".join(self._label(t, s) for s in need.sectors))
        board = await self._board(user, lang)
        return Outcome((Reply(thanks, edit=True), *board.replies))

    def _picker(self, t: Translator, need_id: int) -> Reply:
        buttons = [
            Button(f"{s.emoji} {s.label(t.lang)}"[:20], f"{PREFIX}:s:{need_id}:{s.id}")
            for s in self._ref.needs
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(t("needs.pick"), rows)

    async def _board(self, user: User, lang: str) -> Outcome:
        t = Translator(lang)
        core = self._ref.core(user.core_id) if user.core_id else None
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        if core is None or territory is None:
            return Outcome((Reply(t("needs.no_place")),))
        lines = await self._needs.board(territory.id, core.id)
        hidden = t("needs.hidden")
        rows = [
            t(
                "needs.board_line",
                sector=self._label(t, line.sector_id),
                core=core.name(lang),
                core_n=hidden if line.core is None else line.core,
                territory=territory.name(lang),
                territory_n=hidden if line.territory is None else line.territory,
            )
            for line in lines
        ]
        text = t("needs.board", core=core.name(lang), days=BOARD_DAYS)
        text += "\n" + ("\n".join(rows) if rows else t("needs.board_empty", k=self._needs.k))
        return Outcome((Reply(text, ((Button(t("needs.button"), START_DATA),),)),))
