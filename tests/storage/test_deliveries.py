"""Delivery statuses move forward only, whatever order the callbacks come in."""

from __future__ import annotations

from bot.storage import Database
from bot.storage.deliveries import DeliveryStatusRepository


async def test_a_status_never_goes_backwards(db: Database) -> None:
    repo = DeliveryStatusRepository(db)
    await repo.accepted("whatsapp", "wamid.1", fallback='{"type": "template"}')
    assert await repo.moved("whatsapp", "wamid.1", "delivered", None) is not None
    # A late "sent" does not undo "delivered".
    assert await repo.moved("whatsapp", "wamid.1", "sent", None) is None
    assert await repo.status("whatsapp", "wamid.1") == "delivered"
    read = await repo.moved("whatsapp", "wamid.1", "read", None)
    assert read is not None and read.fallback == '{"type": "template"}'
    assert await repo.moved("whatsapp", "wamid.1", "bogus", None) is None
    assert await repo.status("whatsapp", "wamid.1") == "read"


async def test_a_status_before_its_send_is_recorded_and_counted(db: Database) -> None:
    repo = DeliveryStatusRepository(db)
    early = await repo.moved("whatsapp", "wamid.2", "failed", 131026)
    assert early is not None and early.error_code == 131026 and not early.retried
    await repo.accepted("whatsapp", "wamid.2")
    await repo.accepted("whatsapp", "wamid.3")
    assert await repo.counts("whatsapp", ["wamid.2", "wamid.3", "x"]) == {
        "failed": 1,
        "accepted": 1,
    }
    await repo.mark_retried("whatsapp", "wamid.2")
    again = await repo.moved("whatsapp", "wamid.2", "failed", 131047)
    assert again is None  # failed is final
