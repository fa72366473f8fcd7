"""People and their identities: aliases from either side, one window per app account."""

from __future__ import annotations

from bot.storage import Database, UserRepository
from tests.features.concerns.test_service import make_user


async def test_an_alias_is_kept_from_whichever_identity_is_known_and_never_for_strangers(
    db: Database,
) -> None:
    users = UserRepository(db)
    person = await make_user(db, "32470001")
    # Meta sends a number with a business-scoped id: the id leads to the same person.
    assert await users.add_alias("test", "32470001", "BE.77Ab")
    found = await users.get("test", "BE.77Ab")
    assert found is not None and found.id == person.id
    # Known first by the id, later with a number: the number leads to them too.
    other = await make_user(db, "BE.99Zz")
    assert await users.add_alias("test", "32470002", "BE.99Zz")
    found = await users.get("test", "32470002")
    assert found is not None and found.id == other.id
    # Nobody unknown (so without consent) is stored, and nothing twice.
    assert not await users.add_alias("test", "32470003", "BE.00Xx")
    assert await users.get("test", "BE.00Xx") is None
    assert not await users.add_alias("test", "32470001", "BE.77Ab")


async def test_the_window_is_the_persons_latest_message_by_any_identity_of_the_app(
    db: Database,
) -> None:
    users = UserRepository(db)
    await make_user(db, "32470001")
    await users.add_alias("test", "32470001", "BE.77Ab")
    assert await users.last_inbound("test", "32470001") is None
    await users.record_inbound("test", "BE.77Ab", "2026-12-01T10:00:00.000+00:00")
    assert await users.last_inbound("test", "32470001") == "2026-12-01T10:00:00.000+00:00"
    await users.record_inbound("test", "32470001", "2026-12-01T11:00:00.000+00:00")
    await users.record_inbound("test", "BE.77Ab", "2026-12-01T09:00:00.000+00:00")  # late
    assert await users.last_inbound("test", "BE.77Ab") == "2026-12-01T11:00:00.000+00:00"
    assert await users.last_inbound("test", "32479999") is None
