"""/mycells: a landlord offers an empty cell; /cells: people browse them and ask about one."""

from __future__ import annotations

import re

import phonenumbers

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.cells.photos import MAX_PHOTOS, PhotoFetcher
from bot.features.cells.render import BROWSE_DATA, CellCards, interest_message, local_day
from bot.features.cells.service import (
    OFFERERS,
    PHOTO_STEPS,
    SIZES,
    TEXT_FIELDS,
    CellError,
    CellService,
)
from bot.features.cells.store import Cell
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.paging import page_row
from bot.shared.routes import (
    Buttons,
    Command,
    FlowRoutes,
    Photo,
    Text,
    TextStage,
    is_talking,
    known,
)
from bot.storage import Database, User

PREFIX = "ce"
MINE_DATA = "ce:mine"
_BUTTON = re.compile(
    r"^ce:([a-z]{1,6})(?::([0-9]{1,12}))?(?::([a-z0-9_\-]{1,40}))?(?::([0-9]{1,3}))?$"
)
CORES_PER_PAGE = 8
CELLS_PER_PAGE = 3
MAX_LISTED_MINE = 10
# What can be changed from the summary, in the form's order.
EDITS = ("core", "street", "number", "surface", "front", "rent", "available", "photos", "contact")


class CellFlow:
    """The landlord's form and list; browsing; "I'm interested" with explicit consent."""

    def __init__(
        self,
        db: Database,
        cells: CellService,
        cards: CellCards,
        photos: PhotoFetcher,
        candidates: CandidateService,
        reference: Reference,
    ) -> None:
        self._db = db
        self._cells = cells
        self._cards = cards
        self._photos = photos
        self._candidates = candidates
        self._ref = reference

    def routes(self) -> FlowRoutes:
        """Declare /mycells, /cells, the cells' buttons, typed answers and photos."""
        return FlowRoutes(
            "cells",
            commands=(
                Command("mycells", lambda user, _m, lang: self._mine(known(user), lang)),
                Command("cells", lambda user, _m, lang: self._areas(known(user), lang)),
            ),
            buttons=(Buttons(PREFIX, self.on_button),),
            texts=(Text(TextStage.CELL, self.takes_text, self.on_text),),
            photos=(Photo(self.takes_photo, self.on_photo),),
        )

    # ---- what the person types or sends ----------------------------------------------------

    async def takes_text(self, user: User, _msg: IncomingMessage) -> bool:
        """Take the words of someone asked a cell's question, a first name or a contact."""
        if not is_talking(user):
            return False
        what = await self._cells.expecting(user.id)
        return what is not None and (
            what.removeprefix("edit:") in TEXT_FIELDS or what in ("name", "contact")
        )

    async def takes_photo(self, user: User, _msg: IncomingMessage) -> bool:
        """Take the pictures of a landlord asked for their cell's photos."""
        what = await self._cells.expecting(user.id) if is_talking(user) else None
        return what is not None and what.removeprefix("edit:") in PHOTO_STEPS

    async def on_text(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Store a typed answer and ask the next question."""
        person, t = known(user), Translator(lang)
        what = await self._cells.expecting(person.id) or ""
        try:
            async with self._db.transaction():
                if what == "name":
                    cell = await self._cells.interest_name(person, msg.text)
                    return Outcome((self._contact_choice(t, person, cell),))
                if what == "contact":
                    cell = await self._cells.typed_contact(person, msg.text)
                    return Outcome((await self._preview(t, person, cell),))
                field = what.removeprefix("edit:")
                cell = await self._cells.answer(person, field, msg.text)
                return Outcome(await self._after(t, person, cell, field, what.startswith("edit:")))
        except CellError as exc:
            return Outcome((Reply(t(str(exc), **exc.params)),))

    async def on_photo(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Keep a picture's reference; it is downloaded and cleaned right after."""
        person, t = known(user), Translator(lang)
        try:
            async with self._db.transaction():
                cell, count = await self._cells.add_photo(person, msg.channel, msg.image_ref)
                await self._photos.kick()
        except CellError as exc:
            return Outcome((Reply(t(str(exc), **exc.params)),))
        buttons = ((Button(t("cells.photos_done"), f"{PREFIX}:pdone:{cell.id}"),),)
        return Outcome((Reply(t("cells.photo_kept", n=count, max=MAX_PHOTOS), buttons),))

    # ---- the form ---------------------------------------------------------------------------

    async def _after(
        self, t: Translator, user: User, cell: Cell, field: str, editing: bool
    ) -> tuple[Reply, ...]:
        """Ask what follows an answer: the next question, or the summary."""
        if field == "number" and cell.number:
            return (await self._question(t, user, cell, "show_number", editing),)
        if field == "contact" and cell.contact == "phone" and not cell.phone:
            return (await self._question(t, user, cell, "phone", editing),)
        if field == "available" and not editing:
            return (await self._question(t, user, cell, "photos", editing),)
        missing = None if editing else await self._cells.missing(cell)
        if missing is None:
            missing = await self._cells.missing(cell)
        if missing is None:
            await self._cells.repo.stop_typing(user.id)
            return (await self._summary(t, cell),)
        return (await self._question(t, user, cell, missing, False),)

    async def _question(
        self, t: Translator, user: User, cell: Cell, what: str, editing: bool
    ) -> Reply:
        """Ask one question of the form (and take the next words as its answer)."""
        typed = f"edit:{what}" if editing else what
        if what in TEXT_FIELDS or what == "photos":
            await self._cells.ask(user, cell, typed)
        else:
            await self._cells.repo.stop_typing(user.id)
        c = cell.id
        if what == "core":
            return self._cores(t, cell, 0)
        if what == "number":
            return Reply(
                t("cells.ask_number"), ((Button(t("cells.no_number"), f"{PREFIX}:nonum:{c}"),),)
            )
        if what == "show_number":
            return Reply(
                t("cells.ask_show_number", number=cell.number),
                (
                    (Button(t("cells.show_yes"), f"{PREFIX}:shw:{c}:1"),),
                    (Button(t("cells.show_no"), f"{PREFIX}:shw:{c}:0"),),
                ),
            )
        if what == "available":
            return Reply(
                t("cells.ask_available"), ((Button(t("cells.now"), f"{PREFIX}:now:{c}"),),)
            )
        if what == "photos":
            return Reply(
                t("cells.ask_photos", max=MAX_PHOTOS),
                ((Button(t("cells.photos_done"), f"{PREFIX}:pdone:{c}"),),),
            )
        if what == "contact":
            return Reply(
                t("cells.ask_contact"),
                (
                    (Button(t("cells.contact_bot"), f"{PREFIX}:cbot:{c}"),),
                    (Button(t("cells.contact_phone"), f"{PREFIX}:cph:{c}"),),
                ),
            )
        return Reply(t(f"cells.ask_{what}"))

    def _cores(self, t: Translator, cell: Cell, page: int) -> Reply:
        cores, pages = self._ref.cores_page(cell.territory_id, page, CORES_PER_PAGE, t.lang)
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = [
            (Button(c.name(t.lang)[:20], f"{PREFIX}:pc:{cell.id}:{c.id}"),) for c in cores
        ]
        rows += page_row(t, page, pages, lambda n: f"{PREFIX}:core:{cell.id}:x:{n}")
        return Reply(t("cells.ask_core"), tuple(rows))

    async def _summary(self, t: Translator, cell: Cell) -> Reply:
        photos, failed = await self._cells.repo.photo_count(cell.id)
        text = t("cells.summary", card=self._cards.card(t, cell, full=True), photos=photos)
        if failed:
            text += "\n" + t("cells.photos_failed", n=failed)
        c = cell.id
        return Reply(
            text,
            (
                (Button(t("cells.send"), f"{PREFIX}:send:{c}"),),
                (
                    Button(t("cells.change"), f"{PREFIX}:edit:{c}"),
                    Button(t("cells.delete"), f"{PREFIX}:del:{c}"),
                ),
            ),
        )

    def _edits(self, t: Translator, cell: Cell) -> Reply:
        buttons = [Button(t(f"cells.field_{f}"), f"{PREFIX}:ef:{cell.id}:{f}") for f in EDITS]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        back = f"{PREFIX}:sum:{cell.id}" if cell.status == "draft" else MINE_DATA
        rows.append((Button(t("cells.back"), back),))
        return Reply(t("cells.what_change"), tuple(rows))

    # ---- the landlord's list ------------------------------------------------------------------

    async def _mine(self, user: User, lang: str) -> Outcome:
        t = Translator(lang)
        cells = (await self._cells.repo.of_user(user.id))[:MAX_LISTED_MINE]
        replies = [self._mine_line(t, cell) for cell in cells]
        if user.role in OFFERERS:
            replies.append(
                Reply(
                    t("cells.mine_intro" if cells else "cells.mine_none"),
                    ((Button(t("cells.new"), f"{PREFIX}:new"),),),
                )
            )
        elif not cells:
            replies.append(Reply(t("cells.not_offerer")))
        return Outcome(tuple(replies))

    def _mine_line(self, t: Translator, cell: Cell) -> Reply:
        c = cell.id
        state = t(
            f"cells.state_{cell.status}",
            until=local_day(cell.expires_at, self._cards.tz),
            reason=t(f"cells.reason_{cell.reason or 'other'}"),
        )
        text = f"{self._cards.place(t, cell, full=True)}\n{state}"
        rows: list[tuple[Button, ...]] = []
        if cell.status == "draft":
            rows.append((Button(t("cells.continue"), f"{PREFIX}:sum:{c}"),))
        if cell.status in ("validated", "expired"):
            rows.append((Button(t("cells.free_button"), f"{PREFIX}:free:{c}"),))
            rows.append((Button(t("cells.let_button"), f"{PREFIX}:let:{c}"),))
        if cell.status in ("pending", "validated", "refused", "expired"):
            rows.append((Button(t("cells.change"), f"{PREFIX}:edit:{c}"),))
        if cell.status in ("pending", "validated"):
            rows.append((Button(t("cells.withdraw"), f"{PREFIX}:wd:{c}"),))
        rows.append((Button(t("cells.delete"), f"{PREFIX}:del:{c}"),))
        return Reply(text, tuple(rows))

    # ---- browsing -----------------------------------------------------------------------------

    async def _areas(self, user: User, lang: str) -> Outcome:
        t = Translator(lang)
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        if territory is None:
            return Outcome((Reply(t("cells.no_place")),))
        counts = await self._cells.repo.listed_cores(territory.id)
        total = sum(counts.values())
        if not total:
            return Outcome((Reply(t("cells.none_listed", territory=territory.name(lang))),))
        rows: list[tuple[Button, ...]] = [
            (Button(t("cells.all_areas", n=total), f"{PREFIX}:bs:0:-"),)
        ]
        for core_id, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            core = self._ref.core(core_id)
            if core is not None:
                rows.append((Button(_counted(core.name(lang), n), f"{PREFIX}:bs:0:{core.id}"),))
        return Outcome(
            (Reply(t("cells.browse", territory=territory.name(lang)), tuple(rows[:10])),)
        )

    def _sizes(self, t: Translator, core: str) -> Reply:
        rows = tuple(
            (Button(t(f"cells.size_{name}"), f"{PREFIX}:b:{i}:{core}:0"),)
            for i, (name, _lo, _hi) in enumerate(SIZES)
        )
        return Reply(t("cells.which_size"), rows)

    async def _browse(self, user: User, t: Translator, size: int, core: str, page: int) -> Outcome:
        if user.territory_id is None:
            return Outcome((Reply(t("cells.no_place")),))
        core_id = None if core == "-" else core
        found = await self._cells.browse(user.territory_id, core_id, size)
        if not found:
            return Outcome(
                (Reply(t("cells.none_fit"), ((Button(t("cells.search"), BROWSE_DATA),),)),)
            )
        pages = (len(found) + CELLS_PER_PAGE - 1) // CELLS_PER_PAGE
        page = max(0, min(page, pages - 1))
        replies: list[Reply] = []
        for cell in found[page * CELLS_PER_PAGE : (page + 1) * CELLS_PER_PAGE]:
            replies.append(await self._listing(t, user, cell))
        nav = page_row(t, page, pages, lambda n: f"{PREFIX}:b:{size}:{core}:{n}")
        replies.append(
            Reply(
                t("cells.found", n=len(found), page=page + 1, pages=pages),
                (*nav, (Button(t("cells.search"), BROWSE_DATA),)),
            )
        )
        return Outcome(tuple(replies))

    async def _listing(self, t: Translator, user: User, cell: Cell) -> Reply:
        photos = await self._cells.repo.photos(cell.id, limit=MAX_PHOTOS)
        rows: list[tuple[Button, ...]] = []
        if cell.user_id != user.id:
            rows.append((Button(t("cells.interested"), f"{PREFIX}:i:{cell.id}"),))
        if len(photos) > 1:
            rows.append(
                (Button(t("cells.photos_button", n=len(photos)), f"{PREFIX}:ph:{cell.id}"),)
            )
        text = self._cards.card(t, cell)
        return Reply(text, tuple(rows), image=photos[0] if photos else None)

    # ---- "I'm interested" ---------------------------------------------------------------------

    def _contact_choice(self, t: Translator, user: User, cell: Cell) -> Reply:
        rows: list[tuple[Button, ...]] = []
        if user.channel == "whatsapp":
            rows.append((Button(t("cells.my_whatsapp"), f"{PREFIX}:wa:{cell.id}"),))
        rows.append((Button(t("cells.type_contact"), f"{PREFIX}:ty:{cell.id}"),))
        rows.append((Button(t("cells.cancel"), f"{PREFIX}:no:{cell.id}"),))
        return Reply(t("cells.which_contact"), tuple(rows))

    async def _preview(self, t: Translator, user: User, cell: Cell) -> Reply:
        interest = await self._cells.repo.interest(cell.id, user.id)
        if interest is None:
            raise CellError("button.stale")
        # Shown in the person's language: exactly what will be said, name and contact included.
        landlord = interest_message(t, self._cards, cell, interest.first_name, interest.contact)
        return Reply(
            t("cells.preview", message=landlord.text),
            (
                (Button(t("cells.agree_send"), f"{PREFIX}:ok:{cell.id}"),),
                (Button(t("cells.cancel"), f"{PREFIX}:no:{cell.id}"),),
            ),
        )

    # ---- taps ---------------------------------------------------------------------------------

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap of the form, the list, browsing or an interest."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        action, number, value, page = match[1], match[2], match[3] or "", match[4]
        try:
            async with self._db.transaction():
                return await self._tap(user, t, action, int(number or 0), value, int(page or 0))
        except CellError as exc:
            return Outcome(notice=t(str(exc), **exc.params))

    async def _tap(
        self, user: User, t: Translator, action: str, c: int, value: str, page: int
    ) -> Outcome:
        cells = self._cells
        if action == "mine":
            return await self._mine(user, t.lang)
        if action == "find":
            return await self._areas(user, t.lang)
        if action == "new":
            cell = await cells.start(user)
            missing = await cells.missing(cell)
            if missing is None:
                return Outcome((await self._summary(t, cell),))
            return Outcome(
                (Reply(t("cells.intro")), await self._question(t, user, cell, missing, False))
            )
        if action == "bs":
            return Outcome((self._sizes(t, value or "-"),))
        if action == "b":
            return await self._browse(user, t, c, value or "-", page)
        if action == "ph":
            shown = await cells.repo.get(c)
            if shown is None or (shown.status != "validated" and shown.user_id != user.id):
                raise CellError("cells.gone")
            photos = await cells.repo.photos(shown.id, limit=MAX_PHOTOS)
            return Outcome(
                tuple(Reply(f"{i + 1}/{len(photos)}", image=p) for i, p in enumerate(photos))
            )
        if action == "i":
            return await self._interested(user, t, c)
        if action == "wa":
            if user.channel != "whatsapp":
                raise CellError("button.invalid")
            number = phonenumbers.parse("+" + user.external_id.lstrip("+"))
            contact = phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            cell = await cells.interest_contact(user, c, contact)
            return Outcome((Reply(*_edit_parts(await self._preview(t, user, cell))),))
        if action == "ty":
            cell = await cells.listed(c)
            interest = await cells.repo.interest(cell.id, user.id)
            if interest is None or interest.status != "draft":
                raise CellError("button.stale")
            await cells.repo.expect(user.id, cell.id, "contact")
            return Outcome((Reply(t("cells.ask_contact_typed")),))
        if action == "ok":
            await cells.send_interest(user, c)
            return Outcome(
                (
                    Reply(t("cells.interest_sent"), edit=True),
                    Reply(
                        t("cells.what_next"),
                        ((Button(t("cells.ask_coach"), COACH_BUTTON_DATA),),),
                    ),
                )
            )
        if action == "no":
            await cells.cancel_interest(user, c)
            return Outcome((Reply(t("cells.interest_cancelled"), edit=True),))
        return await self._landlord_tap(user, t, action, c, value, page)

    async def _interested(self, user: User, t: Translator, cell_id: int) -> Outcome:
        candidate = await self._candidates.get(user.id)
        if candidate is not None and candidate.pupil:
            # A pupil's contact never goes to a stranger: a coach can visit with them.
            return Outcome(
                (Reply(t("cells.pupil"), ((Button(t("cells.ask_coach"), COACH_BUTTON_DATA),),)),)
            )
        cell = await self._cells.interested(user, cell_id)
        return Outcome((Reply(t("cells.ask_name", place=self._cards.place(t, cell))),))

    async def _landlord_tap(
        self, user: User, t: Translator, action: str, c: int, value: str, page: int
    ) -> Outcome:
        cells = self._cells
        if action == "core":
            cell = await cells.own(user, c, "draft")
            return Outcome((Reply(*_edit_parts(self._cores(t, cell, page))),))
        if action in ("pc", "nonum", "shw", "now", "cbot"):
            field = {
                "pc": "core",
                "nonum": "number",
                "shw": "show_number",
                "now": "available",
                "cbot": "contact",
            }[action]
            typing = await cells.repo.typing(user.id)
            editing = typing is not None and typing.what.startswith("edit:")
            editing = editing or (await cells.own(user, c, "draft")).submitted_at is not None
            cell = await cells.choose(user, c, field, value or "bot")
            replies = await self._after(t, user, cell, field, editing)
            return Outcome((Reply(*_edit_parts(replies[0])), *replies[1:]))
        if action == "cph":
            cell = await cells.own(user, c, "draft")
            return Outcome((await self._question(t, user, cell, "phone", False),))
        if action == "pdone":
            cell = await cells.own(user, c, "draft")
            return Outcome(await self._after(t, user, cell, "photos", False))
        if action == "sum":
            cell = await cells.own(user, c, "draft")
            await cells.repo.stop_typing(user.id)
            return Outcome((await self._summary(t, cell),))
        if action == "edit":
            # Only a change takes a listed cell off the board (the menu alone does not).
            cell = await cells.own(user, c, "draft", "pending", "validated", "refused", "expired")
            return Outcome((self._edits(t, cell),))
        if action == "ef" and value in EDITS:
            cell = await cells.edit(user, c)
            return Outcome((await self._question(t, user, cell, value, True),))
        if action == "send":
            cell = await cells.submit(user, c)
            return Outcome(
                (Reply(t("cells.submitted", place=self._cards.place(t, cell)), edit=True),)
            )
        if action == "free":
            cell = await cells.still_free(user, c)
            until = local_day(cell.expires_at, self._cards.tz)
            return Outcome((Reply(t("cells.kept", until=until), edit=True),))
        if action in ("let", "wd"):
            cell = await cells.close(user, c, "let" if action == "let" else "withdrawn")
            return Outcome((Reply(t(f"cells.closed_{cell.status}"), edit=True),))
        if action == "del":
            cell = await cells.own(user, c)
            return Outcome(
                (
                    Reply(
                        t("cells.delete_sure", place=self._cards.place(t, cell, full=True)),
                        (
                            (Button(t("cells.delete_yes"), f"{PREFIX}:delok:{c}"),),
                            (Button(t("cells.back"), MINE_DATA),),
                        ),
                    ),
                )
            )
        if action == "delok":
            await cells.delete(user, c)
            await cells.repo.stop_typing(user.id)
            return Outcome((Reply(t("cells.deleted"), edit=True),))
        return Outcome(notice=t("button.invalid"))


def _counted(name: str, n: int) -> str:
    """Return "name (n)" within a button's 20 characters (WhatsApp's limit)."""
    suffix = f" ({n})"
    if len(name) + len(suffix) > 20:
        name = name[: 19 - len(suffix)] + "…"
    return name + suffix


def _edit_parts(reply: Reply) -> tuple[str, tuple[tuple[Button, ...], ...], bool]:
    """Return a reply's text and buttons to replace the message tapped."""
    return reply.text, reply.buttons, True
