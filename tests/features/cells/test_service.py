"""Empty cells: the landlord's answers, validation, the one question before expiry, interest."""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.channels.base import SendOutcome, SendStatus
from bot.features.cells.photos import MAX_BYTES, MAX_SIDE, PhotoFetcher, PhotoRefused, clean_photo
from bot.features.cells.render import CellCards, CellNotices
from bot.features.cells.service import CellError, CellService, parse_contact, parse_rent
from bot.features.notices.service import Notices
from bot.features.privacy.store import ErasureRepository
from bot.reference import Reference
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user
from tests.support import MemoryPort

TZ = ZoneInfo("Europe/Brussels")
# New Year's Eve, late in Brussels (already past 23:00 local): nothing below reads today.
NOW = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
ADMIN = "test:admin1"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _jpeg_with_gps(width: int = 4000, height: int = 3000) -> bytes:
    """Return a camera-like JPEG: big, with EXIF naming a place, a camera and a rotation."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0112] = 6  # rotated: the picture is upright only once turned
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (50.0, 42.0, 30.0)
    gps[3], gps[4] = "E", (3.0, 50.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_a_photo_loses_its_metadata_and_size_but_keeps_its_orientation() -> None:
    raw = _jpeg_with_gps()
    assert b"PhoneMaker" in raw
    clean = clean_photo(raw)
    assert b"PhoneMaker" not in clean
    with Image.open(io.BytesIO(clean)) as kept:
        assert kept.format == "JPEG"
        assert not kept.getexif()
        assert "exif" not in kept.info and "icc_profile" not in kept.info
        # 4000x3000 turned upright is 3000x4000: portrait, the longest side brought down.
        assert kept.height == MAX_SIDE and kept.width == 960
    assert len(clean) <= MAX_BYTES


def test_what_is_no_picture_or_too_big_is_refused() -> None:
    with pytest.raises(PhotoRefused):
        clean_photo(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(PhotoRefused):
        clean_photo(b"x" * (10 * 1024 * 1024 + 1))
    # A tiny file that unpacks into a huge picture is refused before it is decoded.
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(PhotoRefused):
        clean_photo(bomb.getvalue())


def test_rents_and_contacts_are_read_the_way_people_write_them() -> None:
    assert parse_rent("900") == (900, 900)
    assert parse_rent("800-1000 €") == (800, 1000)
    assert parse_rent("1.200 à 1.500") == (1200, 1500)
    assert parse_rent("1500 tot 1200") == (1200, 1500)
    for bad in ("cheap", "10", "900-", "-5"):
        with pytest.raises(CellError):
            parse_rent(bad)
    assert parse_contact("0470 12 34 56") == "+32 470 12 34 56"
    assert parse_contact("marie@example.be") == "marie@example.be"
    with pytest.raises(CellError, match=r"cells.contact_bad"):
        parse_contact("call me maybe")


# Chats whose sends fail for now (a landlord out of reach): their notices wait.
UNREACHABLE: set[str] = set()


@pytest.fixture
def port() -> MemoryPort:
    UNREACHABLE.clear()
    return MemoryPort(
        "test",
        fail=lambda to, _r: (
            SendOutcome(SendStatus.FAILED, reason="down") if to.chat_id in UNREACHABLE else None
        ),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def cells(db: Database, reference: Reference, port: MemoryPort, clock: Clock) -> CellService:
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    notices = Notices(db, UserRepository(db), outbound)
    service = CellService(db, reference, notices, (ADMIN,), TZ, clock)
    CellNotices(service.repo, CellCards(reference, TZ)).register(notices)
    return service


async def _listed(cells: CellService, landlord: User, surface: int = 80) -> int:
    """Fill the form for a cell in Lessines' centre and have it validated."""
    cell = await cells.start(landlord)
    await cells.choose(landlord, cell.id, "core", "les_centre")
    for what, text in (
        ("street", "Grand-Rue"),
        ("number", "12A"),
        ("surface", f"{surface} m²"),
        ("front", "4,5"),
        ("rent", "800-1000"),
        ("available", "01/03"),
    ):
        await cells.ask(landlord, cell, what)
        await cells.answer(landlord, what, text)
    await cells.choose(landlord, cell.id, "contact", "bot")
    await cells.submit(landlord, cell.id)
    await cells.validate(ADMIN, cell.id)
    return cell.id


async def test_only_landlords_and_public_actors_offer_cells(
    db: Database, cells: CellService
) -> None:
    customer = await make_user(db, "c1", core="les_ogy", role=Role.CUSTOMER)
    with pytest.raises(CellError, match=r"cells.not_offerer"):
        await cells.start(customer)
    assert await db.fetch_all("SELECT id FROM cells") == []
    actor = await make_user(db, "p1", core="les_centre", role=Role.PUBLIC_ACTOR)
    first = await cells.start(actor)
    # The draft left is resumed, not doubled.
    assert (await cells.start(actor)).id == first.id


async def test_a_bad_answer_is_refused_and_changes_nothing(
    db: Database, cells: CellService
) -> None:
    landlord = await make_user(db, "l1", core="les_centre", role=Role.LANDLORD)
    cell = await cells.start(landlord)
    for what, text, key in (
        ("surface", "huge", "cells.surface_bad"),
        ("surface", "2", "cells.surface_bad"),
        ("front", "0", "cells.front_bad"),
        ("number", "twelve", "cells.number_bad"),
        # 29 February 2027 does not exist.
        ("available", "29/02/2027", "cells.date_bad"),
        ("available", "01/01/2030", "cells.date_far"),
    ):
        await cells.ask(landlord, cell, what)
        with pytest.raises(CellError, match=key):
            await cells.answer(landlord, what, text)
    stored = await cells.repo.get(cell.id)
    assert stored == cell
    # An answer to a question not asked is stale.
    with pytest.raises(CellError, match=r"button.stale"):
        await cells.answer(landlord, "street", "Grand-Rue")
    # Incomplete: it cannot be sent.
    with pytest.raises(CellError, match=r"cells.incomplete"):
        await cells.submit(landlord, cell.id)


async def test_a_day_without_a_year_is_the_next_one(cells: CellService) -> None:
    # 31 December 23:30 in Brussels: "01/03" is March next year, a past day means now.
    assert cells.today() == date(2026, 12, 31)
    assert cells.parse_day("01/03") == date(2027, 3, 1)
    assert cells.parse_day("15/06/2020") == date(2026, 12, 31)
    assert cells.parse_day("2028-02-29") == date(2028, 2, 29)


async def test_a_cell_is_shown_after_validation_asked_about_once_then_taken_down(
    db: Database, cells: CellService, port: MemoryPort, clock: Clock
) -> None:
    landlord = await make_user(db, "l2", core="les_centre", role=Role.LANDLORD)
    cell = await cells.start(landlord)
    await cells.choose(landlord, cell.id, "core", "les_centre")
    for what, text in (
        ("street", "Grand-Rue"),
        ("number", "12A"),
        ("surface", "85"),
        ("front", "4.5"),
        ("rent", "900"),
    ):
        await cells.ask(landlord, cell, what)
        await cells.answer(landlord, what, text)
    await cells.choose(landlord, cell.id, "available", "")
    await cells.choose(landlord, cell.id, "contact", "bot")
    await cells.submit(landlord, cell.id)
    # Pending: nobody browsing sees it; the admin is told.
    assert await cells.browse("lessines", None, 0) == []
    assert [r.text.splitlines()[0] for _to, r in port.sent] == [
        "🏪 Une cellule vide attend votre validation :"
    ]
    assert "12A" in port.sent[0][1].text  # admins see the number to check the listing
    port.sent.clear()
    await cells.validate(ADMIN, cell.id)
    assert "Grand-Rue" in port.sent[0][1].text
    listed = await cells.browse("lessines", "les_centre", 2)  # 50 to 100 m²
    assert [c.id for c in listed] == [cell.id]
    assert await cells.browse("lessines", None, 1) == []  # under 50 m²
    port.sent.clear()
    # Fifty-three days on, the landlord is asked once; a second round asks nothing more.
    clock.now = NOW + timedelta(days=53, minutes=1)
    assert (await cells.run_due()).asked == 1
    assert (await cells.run_due()).asked == 0
    assert len(port.sent) == 1 and "toujours libre" in port.sent[0][1].text
    # Nobody answers: on day 60 it comes down.
    clock.now = NOW + timedelta(days=60, minutes=1)
    assert (await cells.run_due()).expired == 1
    assert await cells.browse("lessines", None, 0) == []
    # "Still free" puts it back for another 60 days, and it is asked about again before then.
    again = await cells.still_free(landlord, cell.id)
    assert again.status == "validated" and again.asked_at is None
    assert again.expires_at is not None
    assert datetime.fromisoformat(again.expires_at) == clock.now + timedelta(days=60)


async def test_interest_passes_only_what_the_person_agreed_to(
    db: Database, cells: CellService, port: MemoryPort
) -> None:
    landlord = await make_user(db, "l3", core="les_centre", role=Role.LANDLORD)
    cell_id = await _listed(cells, landlord)
    port.sent.clear()
    candidate = await make_user(db, "k1", core="les_ogy", role=Role.CANDIDATE)
    with pytest.raises(CellError, match=r"cells.own"):
        await cells.interested(landlord, cell_id)
    await cells.interested(candidate, cell_id)
    for bad in ("", "R2D2", "x" * 41):
        with pytest.raises(CellError, match=r"cells.name_bad"):
            await cells.interest_name(candidate, bad)
    await cells.interest_name(candidate, "Marie")
    # Without a contact nothing can go.
    with pytest.raises(CellError, match=r"button.stale"):
        await cells.send_interest(candidate, cell_id)
    await cells.interest_contact(candidate, cell_id, "+32 470 12 34 56")
    assert port.sent == []
    await cells.send_interest(candidate, cell_id)
    ((to, told),) = port.sent
    assert to.chat_id == landlord.external_id
    assert "Marie" in told.text and "+32 470 12 34 56" in told.text
    with pytest.raises(CellError, match=r"cells.already_sent"):
        await cells.interested(candidate, cell_id)


async def test_forget_takes_the_cells_photos_and_waiting_interest_away(
    db: Database, cells: CellService, port: MemoryPort
) -> None:
    landlord = await make_user(db, "l4", core="les_centre", role=Role.LANDLORD)
    cell_id = await _listed(cells, landlord)
    cell = await cells.repo.get(cell_id)
    assert cell is not None
    await cells.edit(landlord, cell_id)
    await cells.ask(landlord, cell, "photos")
    await cells.add_photo(landlord, "test", "pic-1")
    port.media["pic-1"] = _jpeg_with_gps(800, 600)
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    assert await PhotoFetcher(db, outbound).fetch() == 1
    assert len(await cells.repo.photos(cell_id)) == 1
    candidate = await make_user(db, "k2", core="les_ogy", role=Role.CANDIDATE)
    await cells.submit(landlord, cell_id)
    await cells.validate(ADMIN, cell_id)
    await cells.interested(candidate, cell_id)
    await cells.interest_name(candidate, "Marie")
    await cells.interest_contact(candidate, cell_id, "marie@example.be")
    UNREACHABLE.add(landlord.external_id)
    await cells.send_interest(candidate, cell_id)
    # The candidate forgets before the notice went: their name and contact go with them.
    erasure = ErasureRepository(db)
    exported = await erasure.export(candidate.id)
    assert exported["interest_in_cells"][0]["first_name"] == "Marie"
    assert exported["notices_about_me"][0]["kind"] == "cell.interest"
    await erasure.erase(candidate.id, candidate.channel, candidate.external_id)
    assert await db.fetch_all("SELECT id FROM notices WHERE kind = 'cell.interest'") == []
    assert await db.fetch_all("SELECT id FROM cell_interest") == []
    # The landlord's /mydata has the picture itself; /forget takes cell and photo away.
    mine = await erasure.export(landlord.id)
    assert mine["empty_cells"][0]["street"] == "Grand-Rue"
    picture = base64.b64decode(mine["empty_cell_photos"][0]["image"])
    assert Image.open(io.BytesIO(picture)).format == "JPEG"
    await erasure.erase(landlord.id, landlord.channel, landlord.external_id)
    for table in ("cells", "cell_photos", "notices"):
        assert await db.fetch_all(f"SELECT * FROM {table}") == [], table
