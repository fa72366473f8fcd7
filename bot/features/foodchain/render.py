"""How the local food chain shows things: labels, a profile's summary, and its notices."""

from __future__ import annotations

from bot.channels.base import Button, Reply
from bot.features.foodchain.links import HOME_DATA
from bot.features.foodchain.service import ALL_YEAR, FoodService, months_of
from bot.features.foodchain.store import Match, Producer, Wish
from bot.features.notices.service import Notices
from bot.features.notices.store import Notice
from bot.i18n import Translator
from bot.reference import Reference
from bot.storage import UserRepository

PRODUCT_EMOJI = {
    "vegetables": "🥕",
    "fruit": "🍎",
    "meat": "🥩",
    "dairy": "🥛",
    "cheese": "🧀",
    "eggs": "🥚",
    "bread_flour": "🌾",
    "beer": "🍺",
    "honey": "🍯",
    "other": "🧺",
}
KIND_EMOJI = {
    "farmer": "🚜",
    "market_gardener": "🥬",
    "brewer": "🍺",
    "dairy": "🐄",
    "other": "🧺",
}
BUYER_EMOJI = {"shop": "🏪", "restaurant": "🍽️", "caterer": "🧑‍🍳"}
ADMIN_LIST_DATA = "fa:list"


def product_label(t: Translator, product: str) -> str:
    """Return a product category with its emoji."""
    name = t(f"food.product_{product}")
    return f"{PRODUCT_EMOJI.get(product, '🧺')} {name}"


def kind_label(t: Translator, kind: str) -> str:
    """Return a kind of producer with its emoji."""
    name = t(f"food.kind_{kind}")
    return f"{KIND_EMOJI.get(kind, '🧺')} {name}"


def buyer_label(t: Translator, kind: str) -> str:
    """Return a kind of buyer with its emoji."""
    name = t(f"food.buyer_{kind}")
    return f"{BUYER_EMOJI.get(kind, '🏪')} {name}"


def volume_label(t: Translator, volume: str | None) -> str:
    """Return a volume in words."""
    return t(f"food.volume_{volume}") if volume else "—"


def refusal_label(t: Translator, reason: str) -> str:
    """Return why a profile was refused, in words."""
    return t(f"food.refusal_{reason}")


def delivery_label(t: Translator, way: str) -> str:
    """Return a way of delivering in words."""
    return t(f"food.delivery_{way}")


def months_text(t: Translator, mask: int) -> str:
    """Return months as runs ("nov–feb", "mar–may, sep"), or "all year"."""
    if mask & ALL_YEAR == ALL_YEAR:
        return t("food.all_year")
    chosen = set(months_of(mask))
    if not chosen:
        return "—"
    names = t("food.month_names").split(",")
    runs = []
    for start in sorted(chosen):
        if ((start - 2) % 12) + 1 in chosen:
            continue  # not the first month of its run
        end = start
        while (end % 12) + 1 in chosen:
            end = (end % 12) + 1
        first, last = names[start - 1].strip(), names[end - 1].strip()
        runs.append(first if start == end else f"{first}–{last}")
    return ", ".join(runs)


def place(reference: Reference, t: Translator, core_id: str | None) -> str:
    """Return a core's name, or a dash."""
    core = reference.core(core_id) if core_id else None
    return core.name(t.lang) if core else "—"


def producer_summary(reference: Reference, t: Translator, producer: Producer) -> str:
    """Return a profile's business information (what a buyer may see once it is validated)."""
    products = [
        t(
            "food.product_line",
            product=product_label(t, p.product),
            months=months_text(t, p.months),
            volume=volume_label(t, p.volume),
        )
        for p in sorted(producer.products, key=lambda p: list(PRODUCT_EMOJI).index(p.product))
    ]
    return t(
        "food.summary",
        name=producer.business_name or "—",
        kind=kind_label(t, producer.kind) if producer.kind else "—",
        village=place(reference, t, producer.core_id),
        products="\n".join(products) or "—",
        delivery=", ".join(delivery_label(t, w) for w in producer.delivers) or "—",
    )


def wish_line(t: Translator, wish: Wish) -> str:
    """Return one wish in words."""
    return t(
        "food.product_line",
        product=product_label(t, wish.product),
        months=months_text(t, wish.months),
        volume=volume_label(t, wish.volume),
    )


class FoodRenderer:
    """Render the food chain's notices when they go, in the recipient's language."""

    def __init__(self, food: FoodService, reference: Reference, users: UserRepository) -> None:
        self._food = food
        self._ref = reference
        self._users = users

    def register(self, notices: Notices) -> None:
        """Say how each kind of notice is shown."""
        notices.register("food_pending", self._pending, "food.what_profile")
        notices.register("food_validated", self._validated, "food.what_profile")
        notices.register("food_refused", self._refused, "food.what_profile")
        notices.register("food_offer_buyer", self._offer_buyer, "food.what_match")
        notices.register("food_offer_producer", self._offer_producer, "food.what_match")
        notices.register("food_connected", self._connected, "food.what_match")
        notices.register("food_closed", self._closed, "food.what_match")
        notices.register("food_relay", self._relayed, "food.what_message")

    async def _pending(self, notice: Notice, t: Translator) -> Reply | None:
        producer = await self._food.producer(notice.subject_id)
        if producer is None or producer.status != "pending":
            return None
        return Reply(
            t("food.admin_new", village=place(self._ref, t, producer.core_id)),
            ((Button(t("food.admin_see"), ADMIN_LIST_DATA),),),
        )

    async def _validated(self, notice: Notice, t: Translator) -> Reply | None:
        producer = await self._food.producer(notice.subject_id)
        if producer is None or producer.status != "validated":
            return None
        return Reply(t("food.validated"), ((Button(t("food.my_profile"), HOME_DATA),),))

    async def _refused(self, notice: Notice, t: Translator) -> Reply | None:
        producer = await self._food.producer(notice.subject_id)
        if producer is None or producer.status != "refused":
            return None
        reason = refusal_label(t, str(notice.params.get("reason", "incomplete")))
        return Reply(t("food.refused", reason=reason), ((Button(t("food.edit"), "fc:edit"),),))

    async def _open_match(self, notice: Notice, side: str) -> Match | None:
        match = await self._food.repo.match(notice.subject_id)
        if match is None or match.status != "proposed" or match.answer(side) is not None:
            return None
        return match

    @staticmethod
    def _answer_buttons(t: Translator, match: Match) -> tuple[tuple[Button, ...], ...]:
        return (
            (
                Button(t("food.accept"), f"fc:y:{match.id}"),
                Button(t("food.decline"), f"fc:n:{match.id}"),
            ),
        )

    async def _offer_buyer(self, notice: Notice, t: Translator) -> Reply | None:
        match = await self._open_match(notice, "buyer")
        producer = None if match is None else await self._food.producer(match.producer_id)
        if match is None or producer is None or producer.status != "validated":
            return None
        offered = producer.product(match.product)
        text = t(
            "food.offer_buyer",
            name=producer.business_name or t("food.no_business_name"),
            kind=kind_label(t, producer.kind or "other"),
            village=place(self._ref, t, producer.core_id),
            product=product_label(t, match.product),
            months=months_text(t, offered.months if offered else 0),
            volume=volume_label(t, offered.volume if offered else None),
            delivery=", ".join(delivery_label(t, w) for w in producer.delivers) or "—",
        )
        return Reply(text, self._answer_buttons(t, match))

    async def _offer_producer(self, notice: Notice, t: Translator) -> Reply | None:
        match = await self._open_match(notice, "producer")
        if match is None:
            return None
        wish = next(
            (w for w in await self._food.wishes(match.buyer_id) if w.product == match.product),
            None,
        )
        if wish is None:
            return None
        text = t(
            "food.offer_producer",
            buyer=t(f"food.a_buyer_{wish.buyer_kind}"),
            village=place(self._ref, t, wish.core_id),
            product=product_label(t, match.product),
            months=months_text(t, wish.months),
            volume=volume_label(t, wish.volume),
        )
        return Reply(text, self._answer_buttons(t, match))

    async def contact_of(self, t: Translator, match: Match, side: str) -> str:
        """Return how one side agreed to be reached, in words."""
        kind = getattr(match, f"{side}_contact_kind")
        if kind == "typed":
            return str(getattr(match, f"{side}_contact") or "—")
        if kind == "number":
            user = await self._users.get_by_id(getattr(match, f"{side}_id"))
            if user is not None and user.channel == "whatsapp":
                return "+" + user.external_id
        return t("food.contact_relay")

    async def _connected(self, notice: Notice, t: Translator) -> Reply | None:
        match = await self._food.repo.match(notice.subject_id)
        if match is None or match.status != "accepted" or notice.user_id is None:
            return None
        side = match.side(notice.user_id)
        if side is None:
            return None
        other = "buyer" if side == "producer" else "producer"
        business = ""
        if other == "producer":
            producer = await self._food.producer(match.producer_id)
            business = (producer.business_name or "") if producer else ""
        text = t(
            "food.connected",
            product=product_label(t, match.product),
            name=getattr(match, f"{other}_first_name") or "—",
            business=business or "—",
            contact=await self.contact_of(t, match, other),
        )
        return Reply(text, ((Button(t("food.write"), f"fc:w:{match.id}"),),))

    async def _closed(self, notice: Notice, t: Translator) -> Reply | None:
        match = await self._food.repo.match(notice.subject_id)
        if match is None:
            return None
        return Reply(t("food.closed", product=product_label(t, match.product)))

    async def _relayed(self, notice: Notice, t: Translator) -> Reply | None:
        match = await self._food.repo.match(notice.subject_id)
        if match is None or match.status != "accepted":
            return None
        sender = str(notice.params.get("from", ""))
        name = getattr(match, f"{sender}_first_name", None) if sender else None
        return Reply(
            t("food.relayed", sender=name or "—", text=str(notice.params.get("text", ""))),
            ((Button(t("food.reply"), f"fc:w:{match.id}"),),),
        )
