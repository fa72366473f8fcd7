"""The local food chain as people see it: /produce, /buylocal, and answering a suggestion.

A producer's words are their profile's, never a shop difficulty: someone whose main role is
producer has their unprompted text answered with their profile's buttons, and nothing stored;
a shopkeeper who also produces keeps writing concerns as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.foodchain.links import BUY_DATA, HOME_DATA
from bot.features.foodchain.render import (
    FoodRenderer,
    buyer_label,
    delivery_label,
    kind_label,
    months_text,
    place,
    producer_summary,
    product_label,
    volume_label,
    wish_line,
)
from bot.features.foodchain.service import (
    BUYER_KINDS,
    DELIVERY,
    KINDS,
    MAX_BUSINESS_NAME,
    MAX_RELAYED,
    PRODUCTS,
    SEASONS,
    TYPE_WITHIN,
    VOLUMES,
    FoodError,
    FoodService,
    mask_of,
)
from bot.features.foodchain.store import Producer, Wish
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.paging import page_row
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking, known
from bot.storage import Database, Role, User

PREFIX = "fc"
CORES_PER_PAGE = 8
_ID = re.compile(r"[0-9]{1,12}")
# Brussels core ids run to 30 characters and more.
_WORD = re.compile(r"[a-z0-9_]{1,40}")


def _rows(buttons: list[Button], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def _ticked(label: str, on: bool) -> str:
    return f"✅ {label}" if on else label


def months_picker(
    t: Translator, mask: int, mode: str, data: Callable[[str, str], str], done: str
) -> tuple[tuple[Button, ...], ...]:
    """Return the month buttons: by season (with all year), or month by month."""
    if mode == "m":
        names = t("food.month_names").split(",")
        months = [
            Button(_ticked(names[m - 1].strip(), bool(mask & (1 << (m - 1)))), data("m", str(m)))
            for m in range(1, 13)
        ]
        rows = _rows(months, 4)
        switch = Button(t("food.by_season"), data("s", "-"))
    else:
        seasons = [
            Button(
                _ticked(t(f"food.season_{s}"), mask & mask_of(SEASONS[s]) == mask_of(SEASONS[s])),
                data("s", s),
            )
            for s in SEASONS
        ]
        rows = _rows(seasons)
        switch = Button(t("food.by_month"), data("m", "-"))
    return (
        *rows,
        (Button(_ticked(t("food.all_year"), mask == 0xFFF), data(mode, "all")), switch),
        (Button(t("food.done"), done),),
    )


class FoodFlow:
    """Ask a producer's and a buyer's questions, and take answers to suggestions."""

    def __init__(
        self, db: Database, food: FoodService, reference: Reference, render: FoodRenderer
    ) -> None:
        self._db = db
        self._food = food
        self._ref = reference
        self._render = render

    def routes(self) -> FlowRoutes:
        """Declare /produce, /buylocal, the food chain's buttons and its typed answers."""
        return FlowRoutes(
            "foodchain",
            commands=(
                Command("produce", self.on_produce),
                Command("buylocal", self.on_buylocal),
            ),
            buttons=(Buttons(PREFIX, self.on_button),),
            texts=(
                Text(TextStage.FOOD, self.takes_text, self.on_text),
                # After a project's questions: a producer with a project answers them first.
                Text(TextStage.PRODUCER, self.takes_producer_words, self.on_text),
            ),
            after_onboarding=self.after_onboarding,
        )

    # ---- entry points ---------------------------------------------------------------------

    async def on_produce(self, user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /produce: the profile, or its next question."""
        async with self._db.transaction():
            return Outcome(await self._producer_home(known(user), Translator(lang)))

    async def on_buylocal(self, user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /buylocal: what the person would buy locally."""
        async with self._db.transaction():
            return Outcome((await self._buyer_home(known(user), Translator(lang)),))

    async def after_onboarding(self, user: User, _msg: IncomingMessage) -> tuple[Reply, ...]:
        """Go on to the profile's questions for someone who just onboarded as a producer."""
        if user.role is not Role.PRODUCER:
            return ()
        async with self._db.transaction():
            return await self._producer_home(user, Translator(user.language))

    async def takes_text(self, user: User, _msg: IncomingMessage) -> bool:
        """Take awaited words (a name, a contact, a message, the business name)."""
        if not is_talking(user):
            return False
        if await self._food.expected(user.id) is not None:
            return True
        return await self._naming(user.id)

    async def takes_producer_words(self, user: User, _msg: IncomingMessage) -> bool:
        """Take any other words of a main-role producer (answered, not kept)."""
        return is_talking(user) and user.role is Role.PRODUCER

    async def _naming(self, user_id: int) -> bool:
        producer = await self._food.producer(user_id)
        if producer is None or (producer.status, producer.step) != ("draft", "name"):
            return False
        # An abandoned profile must not swallow the person's words for ever.
        return producer.updated_at >= self._food.stamp_ago(TYPE_WITHIN)

    async def on_text(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take typed words for a suggestion or the profile, in one transaction."""
        person = known(user)
        t = Translator(lang)
        try:
            async with self._db.transaction():
                return await self._typed(person, msg.text, t)
        except FoodError as exc:
            return Outcome((Reply(_say(t, exc)),))

    async def _typed(self, user: User, text: str, t: Translator) -> Outcome:
        expected = await self._food.expected(user.id)
        if expected is not None:
            match_id, what = expected
            if what == "first_name":
                await self._food.give_first_name(user.id, match_id, text)
                return Outcome((self._contact_question(t, user, match_id),))
            if what == "contact":
                match = await self._food.give_contact(user.id, match_id, text)
                return Outcome((self._said_yes(t, match.status),))
            await self._food.relay(user.id, match_id, text)
            return Outcome((Reply(t("food.relay_sent")),))
        if await self._naming(user.id):
            producer = await self._food.set_name(user.id, text)
            return Outcome((self._question(t, producer),))
        # A main-role producer's words: not a shop difficulty, and not kept.
        return Outcome(
            (
                Reply(
                    t("food.text_not_kept"),
                    (
                        (
                            Button(t("food.my_profile"), HOME_DATA),
                            Button(t("food.buy_button"), BUY_DATA),
                        ),
                    ),
                ),
            )
        )

    # ---- buttons --------------------------------------------------------------------------

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap on one of the food chain's buttons, in one transaction."""
        t = Translator(lang)
        parts = msg.button_data.split(":")
        if len(parts) < 2 or not all(_WORD.fullmatch(p) or p == "-" for p in parts[1:]):
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        try:
            async with self._db.transaction():
                replies = await self._tap(user, t, parts[1], parts[2:])
        except FoodError as exc:
            return Outcome(notice=_say(t, exc))
        if replies is None:
            return Outcome(notice=t("button.invalid"))
        return Outcome(replies)

    async def _tap(
        self, user: User, t: Translator, action: str, args: list[str]
    ) -> tuple[Reply, ...] | None:
        if action in ("buy", "bk", "ba", "bp", "bm", "bd", "bv", "bx"):
            return await self._buyer_tap(user, t, action, args)
        if action in ("y", "n", "k", "w"):
            return await self._match_tap(user, t, action, args)
        return await self._producer_tap(user, t, action, args)

    async def _producer_tap(
        self, user: User, t: Translator, action: str, args: list[str]
    ) -> tuple[Reply, ...] | None:
        uid = user.id
        food = self._food
        one = args[0] if len(args) == 1 else None
        if action == "home" and not args:
            return await self._producer_home(user, t)
        if action == "edit" and not args:
            producer = await food.edit(uid)
        elif action == "wd" and not args:
            return (
                Reply(
                    t("food.withdraw_confirm"),
                    (
                        (
                            Button(t("food.withdraw_yes"), "fc:wdy"),
                            Button(t("button.no"), HOME_DATA),
                        ),
                    ),
                ),
            )
        elif action == "wdy" and not args:
            await food.withdraw(uid)
            return (Reply(t("food.withdrawn"), edit=True),)
        elif action == "pk" and one is not None:
            producer = await food.set_kind(uid, one)
        elif action == "pp" and one is not None:
            producer = await food.toggle_product(uid, one)
        elif action == "pn" and not args:
            producer = await food.products_done(uid)
        elif action == "pm" and len(args) == 3:
            product, mode, value = args
            producer = (
                await food.producer_at(uid, "months")
                if value == "-"
                else await food.toggle_month(uid, product, value)
            )
            if producer.current_product != product:
                raise FoodError("button.stale")
            return (self._edited(self._months_question(t, producer, mode)),)
        elif action == "pd" and one is not None:
            producer = await food.months_done(uid, one)
        elif action == "pv" and len(args) == 2:
            producer = await food.set_volume(uid, args[0], args[1])
        elif action == "pl" and one is not None:
            producer = await food.toggle_delivery(uid, one)
        elif action == "pz" and not args:
            producer = await food.delivery_done(uid)
        elif action == "pc" and one is not None:
            producer = await food.set_village(uid, None if one == "ok" else one)
        elif action == "pq" and one is not None and _ID.fullmatch(one):
            producer = await food.producer_at(uid, "village")
            return (self._edited(self._village_page(t, producer, int(one))),)
        elif action == "ps" and not args:
            producer = await food.set_name(uid, None)
        elif action == "send" and not args:
            await food.submit(uid)
            return (Reply(t("food.submitted"), edit=True),)
        else:
            return None
        return (self._edited(self._question(t, producer)),)

    async def _buyer_tap(
        self, user: User, t: Translator, action: str, args: list[str]
    ) -> tuple[Reply, ...] | None:
        food = self._food
        if action == "buy" and not args:
            return (await self._buyer_home(user, t),)
        if action == "bk" and not args:
            return (self._edited(self._buyer_kind_question(t)),)
        if action == "bk" and len(args) == 1:
            if await food.buyer_kind(user.id) is None:
                if args[0] not in BUYER_KINDS:
                    raise FoodError("button.invalid")
                return (self._edited(self._product_picker(t, args[0])),)
            await food.set_buyer_kind(user.id, args[0])
            return (self._edited(await self._buyer_home(user, t)),)
        if action == "ba" and not args:
            kind = await food.buyer_kind(user.id)
            if kind is None:
                return (self._edited(self._buyer_kind_question(t)),)
            return (self._edited(self._product_picker(t, kind)),)
        if action == "bp" and len(args) == 2:
            wish = await food.add_wish(user, args[0], args[1])
            return (self._edited(self._wish_months(t, wish, "s")),)
        if action == "bm" and len(args) == 3 and _ID.fullmatch(args[0]):
            wish_id, mode, value = int(args[0]), args[1], args[2]
            wish = (
                await food.wish_months_done(user.id, wish_id, check=False)
                if value == "-"
                else await food.toggle_wish_month(user.id, wish_id, value)
            )
            return (self._edited(self._wish_months(t, wish, mode)),)
        if action == "bd" and len(args) == 1 and _ID.fullmatch(args[0]):
            wish = await food.wish_months_done(user.id, int(args[0]))
            return (self._edited(self._wish_volume(t, wish)),)
        if action == "bv" and len(args) == 2 and _ID.fullmatch(args[0]):
            await food.set_wish_volume(user.id, int(args[0]), args[1])
            home = await self._buyer_home(user, t)
            return (self._edited(Reply(t("food.wish_saved") + "\n\n" + home.text, home.buttons)),)
        if action == "bx" and len(args) == 1 and _ID.fullmatch(args[0]):
            await food.remove_wish(user.id, int(args[0]))
            return (self._edited(await self._buyer_home(user, t)),)
        return None

    async def _match_tap(
        self, user: User, t: Translator, action: str, args: list[str]
    ) -> tuple[Reply, ...] | None:
        if not args or not _ID.fullmatch(args[0]):
            return None
        match_id = int(args[0])
        if action == "y" and len(args) == 1:
            await self._food.accept(user.id, match_id)
            return (Reply(t("food.q_first_name")),)
        if action == "n" and len(args) == 1:
            await self._food.decline(user.id, match_id)
            return (Reply(t("food.declined"), edit=True),)
        if action == "k" and len(args) == 2:
            match = await self._food.choose_contact(user, match_id, args[1])
            if match is None:
                return (Reply(t("food.q_contact_typed")),)
            return (self._edited(self._said_yes(t, match.status)),)
        if action == "w" and len(args) == 1:
            await self._food.start_writing(user.id, match_id)
            return (Reply(t("food.q_write", max=MAX_RELAYED)),)
        return None

    # ---- the producer's screens -----------------------------------------------------------

    async def _producer_home(self, user: User, t: Translator) -> tuple[Reply, ...]:
        producer = await self._food.producer(user.id)
        if producer is None:
            producer = await self._food.start(user)
            return (Reply(t("food.intro")), self._question(t, producer))
        if producer.status == "draft":
            return (self._question(t, producer),)
        summary = producer_summary(self._ref, t, producer)
        rows: list[tuple[Button, ...]] = [(Button(t("food.edit"), "fc:edit"),)]
        if producer.status != "withdrawn":
            rows.append((Button(t("food.withdraw"), "fc:wd"),))
        status = t(f"food.status_{producer.status}")
        return (Reply(t("food.profile", status=status, summary=summary), tuple(rows)),)

    def _question(self, t: Translator, producer: Producer) -> Reply:
        step = producer.step
        if step == "kind":
            return Reply(
                t("food.q_kind"),
                tuple((Button(kind_label(t, k), f"fc:pk:{k}"),) for k in KINDS),
            )
        if step == "products":
            chosen = {p.product for p in producer.products}
            buttons = [
                Button(_ticked(product_label(t, p), p in chosen), f"fc:pp:{p}") for p in PRODUCTS
            ]
            return Reply(
                t("food.q_products"), (*_rows(buttons), (Button(t("food.next"), "fc:pn"),))
            )
        if step == "months":
            return self._months_question(t, producer, "s")
        if step == "volume" and producer.current_product:
            product = producer.current_product
            return Reply(
                t("food.q_volume", product=product_label(t, product)),
                tuple((Button(volume_label(t, v), f"fc:pv:{product}:{v}"),) for v in VOLUMES),
            )
        if step == "delivery":
            buttons = [
                Button(_ticked(delivery_label(t, w), w in producer.delivers), f"fc:pl:{w}")
                for w in DELIVERY
            ]
            return Reply(
                t("food.q_delivery"), (*_rows(buttons, 1), (Button(t("food.next"), "fc:pz"),))
            )
        if step == "village":
            if producer.core_id is None:
                return self._village_page(t, producer, 0)
            return Reply(
                t("food.q_village", village=place(self._ref, t, producer.core_id)),
                (
                    (
                        Button(t("button.yes"), "fc:pc:ok"),
                        Button(t("food.other_village"), "fc:pq:0"),
                    ),
                ),
            )
        if step == "name":
            text = t("food.q_name", max=MAX_BUSINESS_NAME)
            if producer.business_name:
                text += "\n" + t("food.name_now", name=producer.business_name)
            return Reply(text, ((Button(t("food.skip"), "fc:ps"),),))
        summary = producer_summary(self._ref, t, producer)
        return Reply(
            t("food.review", summary=summary),
            (
                (Button(t("food.send"), "fc:send"),),
                (Button(t("food.start_over"), "fc:edit"),),
            ),
        )

    def _months_question(self, t: Translator, producer: Producer, mode: str) -> Reply:
        product = producer.current_product or ""
        offered = producer.product(product)
        mask = offered.months if offered else 0
        return Reply(
            t(
                "food.q_months",
                product=product_label(t, product),
                months=months_text(t, mask),
            ),
            months_picker(
                t,
                mask,
                "m" if mode == "m" else "s",
                lambda m, v: f"fc:pm:{product}:{m}:{v}",
                f"fc:pd:{product}",
            ),
        )

    def _village_page(self, t: Translator, producer: Producer, page: int) -> Reply:
        territory = producer.territory_id or ""
        cores, pages = self._ref.cores_page(territory, page, CORES_PER_PAGE, t.lang)
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = [
            (Button(c.name(t.lang)[:20], f"fc:pc:{c.id}"),) for c in cores
        ]
        rows += page_row(t, page, pages, lambda n: f"fc:pq:{n}")
        return Reply(t("food.q_village_pick", page=page + 1, pages=max(pages, 1)), tuple(rows))

    # ---- the buyer's screens --------------------------------------------------------------

    async def _buyer_home(self, user: User, t: Translator) -> Reply:
        wishes = await self._food.wishes(user.id)
        if not wishes:
            return self._buyer_kind_question(t)
        lines = [
            wish_line(t, w) + ("" if w.status == "active" else " " + t("food.unfinished"))
            for w in wishes
        ]
        rows: list[tuple[Button, ...]] = [(Button(t("food.add_product"), "fc:ba"),)]
        rows += _rows(
            [Button(f"🗑 {product_label(t, w.product)}"[:20], f"fc:bx:{w.id}") for w in wishes]
        )
        rows.append((Button(t("food.change_kind"), "fc:bk"),))
        text = t(
            "food.wishes",
            buyer=buyer_label(t, wishes[0].buyer_kind),
            village=place(self._ref, t, wishes[0].core_id),
            wishes="\n".join(lines),
        )
        return Reply(text, tuple(rows))

    @staticmethod
    def _buyer_kind_question(t: Translator) -> Reply:
        return Reply(
            t("food.q_buyer_kind"),
            tuple((Button(buyer_label(t, k), f"fc:bk:{k}"),) for k in BUYER_KINDS),
        )

    @staticmethod
    def _product_picker(t: Translator, kind: str) -> Reply:
        buttons = [Button(product_label(t, p), f"fc:bp:{kind}:{p}") for p in PRODUCTS]
        return Reply(t("food.q_wish_product"), _rows(buttons))

    @staticmethod
    def _wish_months(t: Translator, wish: Wish, mode: str) -> Reply:
        return Reply(
            t(
                "food.q_wish_months",
                product=product_label(t, wish.product),
                months=months_text(t, wish.months),
            ),
            months_picker(
                t,
                wish.months,
                "m" if mode == "m" else "s",
                lambda m, v: f"fc:bm:{wish.id}:{m}:{v}",
                f"fc:bd:{wish.id}",
            ),
        )

    @staticmethod
    def _wish_volume(t: Translator, wish: Wish) -> Reply:
        return Reply(
            t("food.q_wish_volume", product=product_label(t, wish.product)),
            tuple((Button(volume_label(t, v), f"fc:bv:{wish.id}:{v}"),) for v in VOLUMES),
        )

    # ---- answering a suggestion -----------------------------------------------------------

    @staticmethod
    def _contact_question(t: Translator, user: User, match_id: int) -> Reply:
        rows: list[tuple[Button, ...]] = []
        if user.channel == "whatsapp":
            rows.append((Button(t("food.contact_number"), f"fc:k:{match_id}:number"),))
        rows.append((Button(t("food.contact_typed"), f"fc:k:{match_id}:typed"),))
        rows.append((Button(t("food.contact_bot"), f"fc:k:{match_id}:relay"),))
        return Reply(t("food.q_contact"), tuple(rows))

    @staticmethod
    def _said_yes(t: Translator, status: str) -> Reply:
        return Reply(t("food.both_yes" if status == "accepted" else "food.yes_waiting"))

    @staticmethod
    def _edited(reply: Reply) -> Reply:
        return Reply(reply.text, reply.buttons, edit=True)


def _say(t: Translator, exc: FoodError) -> str:
    """Return the polite answer to a refused input, with the limit it names."""
    key = str(exc)
    return t(key, max=MAX_BUSINESS_NAME if key.startswith("food.name") else MAX_RELAYED)
