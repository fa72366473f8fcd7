"""How one recipient's broadcast message is handed to their channel: its template, its photo."""

from __future__ import annotations

import asyncio

from bot.channels.base import Recipient, Reply, SendOutcome, SendStatus
from bot.features.broadcasts.jobs import announcement_sender
from bot.features.broadcasts.service import channel_photo
from bot.features.broadcasts.store import Audience, Broadcast, OutboxItem
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository
from tests.support import MemoryPort


def _broadcast(audience: Audience, photo: str | None = None) -> Broadcast:
    return Broadcast(
        id=7,
        created_by="admin",
        created_at="2026-12-01T10:00:00.000+00:00",
        texts={"fr": "Atelier vitrine jeudi"},
        photo=photo,
        audience=audience,
        send_at="2026-12-01T10:00:00.000+00:00",
        status="sending",
        report_chat="1",
        event_id=None,
        recipients=None,
        started_at=None,
        finished_at=None,
        report_sent_at=None,
    )


def _item(user_id: int, channel: str = "whatsapp") -> OutboxItem:
    return OutboxItem(
        broadcast_id=7,
        user_id=user_id,
        channel=channel,
        chat_id=f"3247{user_id}",
        language="fr",
        attempts=0,
    )


class _UploadingPort(MemoryPort):
    """A channel that gives an uploaded picture an id, as WhatsApp and Telegram do."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.uploads = 0

    async def send(self, to: Recipient, replies: list[Reply]) -> SendOutcome:  # type: ignore[override]
        await asyncio.sleep(0.01)  # the others queue behind the first upload meanwhile
        outcome = await super().send(to, replies)
        if any(reply.image is not None for reply in replies):
            self.uploads += 1
            return SendOutcome(SendStatus.SENT, image_ref=f"{self.channel}-media-{self.uploads}")
        return outcome


async def test_an_events_reminder_goes_as_the_utility_template_an_announcement_as_marketing(
    db: Database,
) -> None:
    port = MemoryPort("whatsapp")
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    send = announcement_sender(outbound, lambda _event, _lang: ())
    await send(_broadcast(Audience(territory_id="lessines")), _item(1), "Atelier")
    await send(_broadcast(Audience(user_ids=(2,))), _item(2), "Atelier")
    kinds = [reply.template.kind for _, reply in port.sent if reply.template]
    assert kinds == ["announcement", "event_reminder"]


async def test_a_photo_from_another_app_is_fetched_once_and_uploaded_once_per_app(
    db: Database,
) -> None:
    telegram, whatsapp = _UploadingPort("telegram"), _UploadingPort("whatsapp")
    telegram.media["AgACfile"] = b"\xff\xd8\xff photo bytes"
    outbound = Outbound(ContactService(UserRepository(db)))
    for port in (telegram, whatsapp):
        outbound.register(port)
    send = announcement_sender(outbound, lambda _event, _lang: ())
    broadcast = _broadcast(Audience(), photo=channel_photo("telegram", "AgACfile"))
    results = await asyncio.gather(
        *(send(broadcast, _item(n), "Atelier") for n in range(5)),
        send(broadcast, _item(9, "telegram"), "Atelier"),
    )
    assert whatsapp.uploads == 1 and telegram.uploads == 0
    sent_to_whatsapp = [reply for _, reply in whatsapp.sent]
    assert sent_to_whatsapp[0].image == b"\xff\xd8\xff photo bytes"
    assert {reply.image_ref for reply in sent_to_whatsapp[1:]} == {"whatsapp-media-1"}
    # On its own app the photo goes by the reference it came with.
    assert [reply.image_ref for _, reply in telegram.sent] == ["AgACfile"]
    assert [r.photo_id for r in results].count("whatsapp-media-1") == 1
