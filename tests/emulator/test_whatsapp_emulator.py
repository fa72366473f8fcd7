"""Drive the WhatsApp Cloud API emulator over real HTTP, with a webhook receiver that checks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.emulator.whatsapp import SentMessage, WaUser, WhatsAppEmulator, to_html

ALICE = WaUser(wa_id="32470000001", name="Alice")
BOB = WaUser(wa_id="32470000002", name="Bob", bsuid="BE.1234567890123456")
SECRET = "wa-app-secret"
TOKEN = "wa-test-token"


class Receiver:
    """Play the bot's webhook endpoint: check the signature, record, answer as told."""

    def __init__(self, secret: str, verify_token: str) -> None:
        """Record nothing yet; answer 200 unless `answers` says otherwise."""
        self.secret = secret
        self.verify_token = verify_token
        self.answers: deque[int] = deque()
        self.posts: list[tuple[bytes, dict[str, str], int]] = []
        self.bodies: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_post("/whatsapp/webhook", self._post)
        app.router.add_get("/whatsapp/webhook", self._get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/whatsapp/webhook"

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        """Refuse a wrong signature with 401; otherwise record and answer the next status."""
        raw = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        status = self.answers.popleft() if self.answers else 200
        self.posts.append((raw, dict(request.headers), status))
        if status == 200:
            self.bodies.append(json.loads(raw))
        self._changed.set()
        self._changed = asyncio.Event()
        return web.Response(status=status)

    async def _get(self, request: web.Request) -> web.Response:
        """Answer Meta's verification handshake."""
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == (
            self.verify_token
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    def values(self) -> list[dict[str, Any]]:
        """Return the change values of every accepted POST, in order."""
        return [c["value"] for b in self.bodies for e in b["entry"] for c in e["changes"]]

    def messages(self) -> list[dict[str, Any]]:
        """Return every inbound message received."""
        return [m for v in self.values() for m in v.get("messages", [])]

    def statuses(self, wamid: str | None = None) -> list[dict[str, Any]]:
        """Return every status received (of one message when wamid is given)."""
        found = [s for v in self.values() for s in v.get("statuses", [])]
        return [s for s in found if wamid is None or s["id"] == wamid]

    async def wait(self, ready: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until ready() holds."""
        async with asyncio.timeout(seconds):
            while not ready():
                await self._changed.wait()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Serve a webhook receiver on a free port."""
    rec = Receiver(SECRET, "wa-verify")
    await rec.start()
    yield rec
    await rec.stop()


@pytest_asyncio.fixture
async def emu(receiver: Receiver) -> AsyncIterator[WhatsAppEmulator]:
    """Serve a fresh emulator whose webhooks go to the receiver, with short retries."""
    async with WhatsAppEmulator(retry_delays=(0.05, 0.05), status_delay=0.005) as emulator:
        emulator.webhook_url = receiver.url
        yield emulator


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Give an HTTP client with the right bearer token."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        yield session


async def send(
    http: aiohttp.ClientSession, emu: WhatsAppEmulator, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """POST a message to the emulator; return (HTTP status, JSON)."""
    url = f"{emu.base_url}/{emu.phone_number_id}/messages"
    async with http.post(url, json=payload) as response:
        return response.status, await response.json()


def text_to(wa_id: str, body: str) -> dict[str, Any]:
    """Build a text message payload."""
    return {"messaging_product": "whatsapp", "to": wa_id, "type": "text", "text": {"body": body}}


def buttons_to(
    wa_id: str, buttons: list[tuple[str, str]], body: str = "Choisis"
) -> dict[str, Any]:
    """Build a reply-buttons message payload."""
    return {
        "messaging_product": "whatsapp",
        "to": wa_id,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]
            },
        },
    }


def list_to(wa_id: str, rows: list[tuple[str, str, str]], button: str = "Voir") -> dict[str, Any]:
    """Build a list message payload with one section."""
    return {
        "messaging_product": "whatsapp",
        "to": wa_id,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Quel secteur ?"},
            "action": {
                "button": button,
                "sections": [
                    {
                        "title": "Secteurs",
                        "rows": [{"id": i, "title": t, "description": d} for i, t, d in rows],
                    }
                ],
            },
        },
    }


async def create_template(
    http: aiohttp.ClientSession,
    emu: WhatsAppEmulator,
    name: str = "rappel_hebdo",
    language: str = "fr",
    category: str = "UTILITY",
    body: str = "Bonjour {{1}}, votre résumé de {{2}} est prêt.",
) -> tuple[int, dict[str, Any]]:
    """Create a template through the API; return (HTTP status, JSON)."""
    payload = {
        "name": name,
        "language": language,
        "category": category,
        "components": [
            {"type": "BODY", "text": body},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Voir"},
                    {"type": "QUICK_REPLY", "text": "Plus tard"},
                ],
            },
        ],
    }
    url = f"{emu.base_url}/{emu.business_account_id}/message_templates"
    async with http.post(url, json=payload) as response:
        return response.status, await response.json()


def template_to(wa_id: str, params: list[str], name: str = "rappel_hebdo") -> dict[str, Any]:
    """Build a template message payload with body parameters and a quick reply payload."""
    return {
        "messaging_product": "whatsapp",
        "to": wa_id,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": "fr"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "digest:open"}],
                },
            ],
        },
    }


# ---------------------------------------------------------------------- webhooks


async def test_inbound_webhook_is_signed_over_the_raw_body_in_meta_shape(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    wamid = await emu.send_text(ALICE, "Bonjour, ça va ? 👋")
    raw, headers, status = receiver.posts[-1]
    assert status == 200
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    wrong = hmac.new(b"another-secret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] != f"sha256={wrong}"
    assert emu.signature(raw) == headers["X-Hub-Signature-256"]
    # Meta escapes non-ASCII characters in the signed payload.
    assert b"\\u00e7" in raw and "ç".encode() not in raw
    body = json.loads(raw)
    assert body["object"] == "whatsapp_business_account"
    entry = body["entry"][0]
    assert entry["id"] == emu.business_account_id
    change = entry["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": emu.display_number,
        "phone_number_id": emu.phone_number_id,
    }
    assert value["contacts"] == [{"profile": {"name": "Alice"}, "wa_id": ALICE.wa_id}]
    (message,) = value["messages"]
    assert message["from"] == ALICE.wa_id
    assert message["id"] == wamid and wamid.startswith("wamid.")
    assert message["type"] == "text" and message["text"] == {"body": "Bonjour, ça va ? 👋"}
    assert message["timestamp"].isdigit()
    assert "from_user_id" not in message and "context" not in message


async def test_a_business_scoped_user_id_appears_only_when_the_user_has_one(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    await emu.send_text(BOB, "hello")
    value = receiver.values()[-1]
    assert value["contacts"][0]["user_id"] == BOB.bsuid
    assert value["messages"][0]["from_user_id"] == BOB.bsuid
    await emu.send_text(ALICE, "hello")
    value = receiver.values()[-1]
    assert "user_id" not in value["contacts"][0]


async def test_webhook_not_answered_200_is_retried_until_it_is(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    receiver.answers.extend([500, 503])
    wamid = await emu.send_text(ALICE, "retry me")
    assert [p[2] for p in receiver.posts] == [500, 503, 200]
    assert emu.delivery_of(wamid).statuses == [500, 503, 200]
    assert emu.last_webhook_status == 200
    assert len(receiver.messages()) == 1


async def test_webhook_gives_up_after_the_configured_retries(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    receiver.answers.extend([500, 500, 500, 500])
    await emu.send_text(ALICE, "lost")
    assert emu.webhooks[-1].statuses == [500, 500, 500]
    assert not emu.webhooks[-1].delivered
    assert emu.last_webhook_status == 500


async def test_duplicate_webhooks_post_the_same_signed_body_twice(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    emu.duplicate_webhooks = True
    wamid = await emu.send_text(ALICE, "twice")
    assert [m["id"] for m in receiver.messages()] == [wamid, wamid]
    (raw1, h1, _), (raw2, h2, _) = receiver.posts
    assert raw1 == raw2 and h1["X-Hub-Signature-256"] == h2["X-Hub-Signature-256"]


async def test_reorder_next_delivers_held_webhooks_in_reverse(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    emu.reorder_next(3)
    first = await emu.send_text(ALICE, "un")
    second = await emu.send_text(ALICE, "deux")
    assert receiver.messages() == []
    third = await emu.send_text(ALICE, "trois")
    assert [m["id"] for m in receiver.messages()] == [third, second, first]
    fourth = await emu.send_text(ALICE, "quatre")
    assert receiver.messages()[-1]["id"] == fourth


async def test_post_raw_lets_a_test_forge_signatures(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    body = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
    assert await emu.post_raw(body, "sha256=" + "0" * 64) == 401
    assert emu.last_webhook_status == 401
    assert await emu.post_raw(body, None) == 401
    assert await emu.post_raw(body, emu.signature(body)) == 200
    assert emu.last_webhook_status == 200


async def test_verify_subscription_performs_meta_handshake(
    emu: WhatsAppEmulator, receiver: Receiver
) -> None:
    status, text = await emu.verify_subscription()
    assert status == 200 and text == emu.last_challenge and text.isdigit()
    emu.verify_token = "wrong"
    status, _ = await emu.verify_subscription()
    assert status == 403


# ---------------------------------------------------------------------- sending


async def test_accepted_text_answers_meta_json_then_sent_and_delivered(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await emu.send_text(ALICE, "salut")
    status, body = await send(http, emu, text_to(ALICE.wa_id, "Bienvenue *chez nous*"))
    assert status == 200
    wamid = body["messages"][0]["id"]
    assert body == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": ALICE.wa_id, "wa_id": ALICE.wa_id}],
        "messages": [{"id": wamid}],
    }
    await receiver.wait(lambda: len(receiver.statuses(wamid)) == 2)
    sent, delivered = receiver.statuses(wamid)
    assert (sent["status"], delivered["status"]) == ("sent", "delivered")
    assert sent["recipient_id"] == ALICE.wa_id
    assert sent["pricing"]["category"] == "service"
    (message,) = emu.messages_to(ALICE.wa_id)
    assert (message.index, message.id, message.type) == (0, wamid, "text")
    assert message.text == "Bienvenue *chez nous*"
    assert message.formatted == "Bienvenue <b>chez nous</b>"
    assert message.status == "delivered"


async def test_wait_for_message_returns_by_index_and_times_out(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    emu.set_window(ALICE.wa_id, True)
    waiter = asyncio.create_task(emu.wait_for_message(ALICE.wa_id, after=1, timeout=5))
    await send(http, emu, text_to(ALICE.wa_id, "un"))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    await send(http, emu, text_to(ALICE.wa_id, "deux"))
    second: SentMessage = await waiter
    assert (second.index, second.text) == (1, "deux")
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(ALICE.wa_id, after=2, timeout=0.05)


async def test_buttons_and_list_at_their_limits_are_accepted(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    emu.set_window(ALICE.wa_id, True)
    buttons = [(f"b{i}" + "x" * 254, f"{i}" + "t" * 19) for i in range(3)]
    status, _ = await send(http, emu, buttons_to(ALICE.wa_id, buttons, body="é" * 1024))
    assert status == 200
    rows = [(f"r{i}", f"{i}" + "r" * 23, "d" * 72) for i in range(10)]
    status, _ = await send(http, emu, list_to(ALICE.wa_id, rows, button="b" * 20))
    assert status == 200
    status, _ = await send(http, emu, text_to(ALICE.wa_id, "t" * 4096))
    assert status == 200
    first, second, _ = emu.messages_to(ALICE.wa_id)
    assert first.buttons == buttons and first.interactive_type == "button"
    assert second.rows == rows and second.list_button == "b" * 20
    assert emu.rejected == []


def _too_many_buttons() -> dict[str, Any]:
    return buttons_to(ALICE.wa_id, [(f"b{i}", f"B{i}") for i in range(4)])


def _long_button_title() -> dict[str, Any]:
    return buttons_to(ALICE.wa_id, [("ok", "t" * 21)])


def _duplicate_button_ids() -> dict[str, Any]:
    return buttons_to(ALICE.wa_id, [("same", "Oui"), ("same", "Non")])


def _long_button_id() -> dict[str, Any]:
    return buttons_to(ALICE.wa_id, [("i" * 257, "Oui")])


def _long_interactive_body() -> dict[str, Any]:
    return buttons_to(ALICE.wa_id, [("ok", "OK")], body="x" * 1025)


def _too_many_rows() -> dict[str, Any]:
    return list_to(ALICE.wa_id, [(f"r{i}", f"Row {i}", "") for i in range(11)])


def _long_row_title() -> dict[str, Any]:
    return list_to(ALICE.wa_id, [("r", "t" * 25, "")])


def _long_row_description() -> dict[str, Any]:
    return list_to(ALICE.wa_id, [("r", "Row", "d" * 73)])


def _long_list_button() -> dict[str, Any]:
    return list_to(ALICE.wa_id, [("r", "Row", "")], button="b" * 21)


def _long_text() -> dict[str, Any]:
    return text_to(ALICE.wa_id, "t" * 4097)


def _long_header() -> dict[str, Any]:
    payload = buttons_to(ALICE.wa_id, [("ok", "OK")])
    payload["interactive"]["header"] = {"type": "text", "text": "h" * 61}
    return payload


def _no_product() -> dict[str, Any]:
    payload = text_to(ALICE.wa_id, "hi")
    del payload["messaging_product"]
    return payload


@pytest.mark.parametrize(
    ("build", "code", "field"),
    [
        (_too_many_buttons, 131009, "buttons count"),
        (_long_button_title, 131009, "Button title length"),
        (_duplicate_button_ids, 131009, "button id"),
        (_long_button_id, 100, "interactive['action']['buttons'][0]['reply']['id']"),
        (_long_interactive_body, 100, "interactive['body']['text']"),
        (_too_many_rows, 131009, "row count"),
        (_long_row_title, 131009, "Row title length"),
        (_long_row_description, 131009, "Row description length"),
        (_long_list_button, 100, "interactive['action']['button']"),
        (_long_text, 100, "text['body']"),
        (_long_header, 100, "interactive['header']['text']"),
        (_no_product, 100, "messaging_product"),
    ],
)
async def test_each_limit_is_refused_with_meta_error_json(
    emu: WhatsAppEmulator,
    http: aiohttp.ClientSession,
    build: Callable[[], dict[str, Any]],
    code: int,
    field: str,
) -> None:
    emu.set_window(ALICE.wa_id, True)
    payload = build()
    status, body = await send(http, emu, payload)
    assert status == 400
    error = body["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert field in error["error_data"]["details"]
    assert error["fbtrace_id"]
    assert emu.messages_to(ALICE.wa_id) == []
    (rejected,) = emu.rejected
    assert rejected["payload"] == payload and rejected["error"]["code"] == code
    assert rejected["path"].endswith(f"/{emu.phone_number_id}/messages")


async def test_a_bad_or_missing_token_gets_401_oauth_190(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{emu.base_url}/{emu.phone_number_id}/messages"
    for headers in ({"Authorization": "Bearer nope"}, {}):
        async with (
            aiohttp.ClientSession(headers=headers) as other,
            other.post(url, json=text_to(ALICE.wa_id, "hi")) as response,
        ):
            assert response.status == 401
            error = (await response.json())["error"]
        assert error["code"] == 190 and error["type"] == "OAuthException"
    assert len(emu.rejected) == 2
    status, _ = await send(http, emu, text_to(ALICE.wa_id, "hi"))
    assert status == 200


async def test_closed_window_accepts_then_fails_with_131047(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    status, body = await send(http, emu, text_to(ALICE.wa_id, "never wrote"))
    assert status == 200
    wamid = body["messages"][0]["id"]
    await receiver.wait(lambda: bool(receiver.statuses(wamid)))
    (failed,) = receiver.statuses(wamid)
    assert failed["status"] == "failed"
    (error,) = failed["errors"]
    assert error["code"] == 131047 and error["title"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]
    message = emu.message(wamid)
    assert message.failed and message.error_code == 131047
    with pytest.raises(ValueError, match="never saw"):
        await emu.tap_button(ALICE, wamid, "x")


async def test_window_follows_the_clock_and_reopens_when_the_user_writes(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    now = [1_800_000_000.0]
    emu.clock = lambda: now[0]
    await emu.send_text(ALICE, "coucou")
    now[0] += 24 * 3600 - 1
    _, body = await send(http, emu, text_to(ALICE.wa_id, "still open"))
    open_entry = await emu.wait_for_status(body["messages"][0]["id"], "delivered", timeout=2)
    assert open_entry["recipient_id"] == ALICE.wa_id
    now[0] += 2
    assert not emu.window_open(ALICE.wa_id)
    _, body = await send(http, emu, text_to(ALICE.wa_id, "too late"))
    failed = await emu.wait_for_status(body["messages"][0]["id"], "failed", timeout=2)
    assert failed["errors"][0]["code"] == 131047
    await emu.send_text(ALICE, "re")
    _, body = await send(http, emu, text_to(ALICE.wa_id, "open again"))
    await emu.wait_for_status(body["messages"][0]["id"], "delivered", timeout=2)


async def test_fail_next_synchronously_or_in_a_status(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    emu.set_window(ALICE.wa_id, True)
    emu.fail_next(ALICE.wa_id, 131026, http=False)
    emu.fail_next(ALICE.wa_id, 131000, http=True)
    status, body = await send(http, emu, text_to(ALICE.wa_id, "a"))
    assert status == 200
    failed = await emu.wait_for_status(body["messages"][0]["id"], "failed", timeout=2)
    assert failed["errors"][0]["code"] == 131026
    status, body = await send(http, emu, text_to(ALICE.wa_id, "b"))
    assert status == 400 and body["error"]["code"] == 131000
    status, body = await send(http, emu, text_to(ALICE.wa_id, "c"))
    assert status == 200
    await emu.wait_for_status(body["messages"][0]["id"], "delivered", timeout=2)


async def test_rate_limit_refuses_sends_beyond_the_throughput(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    emu.set_window(ALICE.wa_id, True)
    emu.rate_limit(2)
    results = [await send(http, emu, text_to(ALICE.wa_id, str(i))) for i in range(3)]
    assert [s for s, _ in results] == [200, 200, 400]
    assert results[2][1]["error"]["code"] == 130429
    emu.rate_limit(None)
    status, _ = await send(http, emu, text_to(ALICE.wa_id, "free"))
    assert status == 200


# ---------------------------------------------------------------------- user taps


async def test_taps_and_picks_carry_context_and_looked_up_titles(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await emu.send_text(ALICE, "menu")
    _, body = await send(http, emu, buttons_to(ALICE.wa_id, [("yes", "Oui"), ("no", "Non")]))
    buttons_id = body["messages"][0]["id"]
    await emu.tap_button(ALICE, buttons_id, "no")
    tapped = receiver.messages()[-1]
    assert tapped["context"] == {"from": emu.display_number, "id": buttons_id}
    assert tapped["type"] == "interactive"
    assert tapped["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "no", "title": "Non"},
    }
    _, body = await send(http, emu, list_to(ALICE.wa_id, [("food", "Alimentation", "Épiceries")]))
    list_id = body["messages"][0]["id"]
    await emu.pick_row(ALICE, list_id, "food")
    picked = receiver.messages()[-1]
    assert picked["context"]["id"] == list_id
    assert picked["interactive"]["list_reply"] == {
        "id": "food",
        "title": "Alimentation",
        "description": "Épiceries",
    }
    with pytest.raises(ValueError):
        await emu.tap_button(ALICE, buttons_id, "maybe")
    with pytest.raises(ValueError):
        await emu.pick_row(ALICE, buttons_id, "food")
    with pytest.raises(ValueError):
        await emu.tap_button(BOB, buttons_id, "yes")


@pytest.mark.parametrize(
    "kind", ["image", "audio", "video", "document", "sticker", "location", "contacts"]
)
async def test_send_media_builds_each_kind(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession, kind: str
) -> None:
    await emu.send_media(ALICE, kind)
    message = receiver.messages()[-1]
    assert message["type"] == kind and kind in message
    if kind in ("image", "audio", "video", "document", "sticker"):
        media_id = message[kind]["id"]
        async with http.get(f"{emu.base_url}/{media_id}") as response:
            info = await response.json()
        async with http.get(info["url"]) as response:
            assert await response.read() == emu.media(media_id)
        assert info["mime_type"] == message[kind]["mime_type"]
    if kind == "audio":
        assert message["audio"]["voice"] is True
    assert emu.window_open(ALICE.wa_id)


async def test_send_media_reaction_and_unsupported(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await emu.send_text(ALICE, "hi")
    _, body = await send(http, emu, text_to(ALICE.wa_id, "hello"))
    await emu.send_media(ALICE, "reaction")
    reaction = receiver.messages()[-1]["reaction"]
    assert reaction["message_id"] == body["messages"][0]["id"]
    await emu.send_media(ALICE, "unsupported")
    unsupported = receiver.messages()[-1]
    assert unsupported["type"] == "unsupported"
    assert unsupported["errors"][0]["code"] == 131051
    with pytest.raises(ValueError):
        await emu.send_media(ALICE, "hologram")


async def test_mark_as_read_needs_a_real_inbound_id(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    wamid = await emu.send_text(ALICE, "lu ?")
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    status, body = await send(http, emu, read)
    assert (status, body) == (200, {"success": True})
    assert emu.read_receipts == [wamid]
    status, body = await send(http, emu, {**read, "message_id": "wamid.nope"})
    assert status == 400


# ---------------------------------------------------------------------- media


async def upload(
    http: aiohttp.ClientSession, emu: WhatsAppEmulator, data: bytes, mime: str, name: str
) -> tuple[int, dict[str, Any]]:
    """Upload a file through the multipart media endpoint."""
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", mime)
    form.add_field("file", data, filename=name, content_type=mime)
    async with http.post(f"{emu.base_url}/{emu.phone_number_id}/media", data=form) as response:
        return response.status, await response.json()


async def test_media_upload_metadata_download_and_send(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    status, body = await upload(http, emu, png, "image/png", "chart.png")
    assert status == 200
    media_id = body["id"]
    assert emu.media(media_id) == png
    async with http.get(f"{emu.base_url}/{media_id}") as response:
        info = await response.json()
    assert info["mime_type"] == "image/png"
    assert info["file_size"] == len(png)
    assert info["sha256"] == hashlib.sha256(png).hexdigest()
    assert info["id"] == media_id and info["messaging_product"] == "whatsapp"
    async with http.get(info["url"]) as response:
        assert response.status == 200
        assert await response.read() == png
    async with aiohttp.ClientSession() as anonymous, anonymous.get(info["url"]) as response:
        assert response.status == 401
    emu.set_window(ALICE.wa_id, True)
    image = {
        "messaging_product": "whatsapp",
        "to": ALICE.wa_id,
        "type": "image",
        "image": {"id": media_id, "caption": "Le _baromètre_"},
    }
    status, body = await send(http, emu, image)
    assert status == 200
    (message,) = emu.messages_to(ALICE.wa_id)
    assert (message.type, message.media_id, message.text) == ("image", media_id, "Le _baromètre_")
    assert message.formatted == "Le <i>baromètre</i>"
    status, body = await send(http, emu, {**image, "image": {"id": "999"}})
    assert status == 400 and "image['id']" in body["error"]["message"]


async def test_media_upload_refuses_types_meta_does_not_take(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await upload(http, emu, b"BEGIN:VCALENDAR\r\n", "text/calendar", "e.ics")
    assert status == 400
    assert body["error"]["code"] == 100
    assert "text/calendar" in body["error"]["message"]
    status, body = await upload(http, emu, b"%PDF-1.4\n", "application/pdf", "digest.pdf")
    assert status == 200
    emu.set_window(ALICE.wa_id, True)
    document = {
        "messaging_product": "whatsapp",
        "to": ALICE.wa_id,
        "type": "document",
        "document": {"id": body["id"], "filename": "digest.pdf", "caption": "Résumé"},
    }
    status, _ = await send(http, emu, document)
    assert status == 200
    assert emu.messages_to(ALICE.wa_id)[0].filename == "digest.pdf"


# ---------------------------------------------------------------------- templates


async def test_template_create_list_approve_and_duplicate(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await create_template(http, emu)
    assert status == 200
    assert body["status"] == "PENDING" and body["category"] == "UTILITY" and body["id"]
    status, duplicate = await create_template(http, emu)
    assert status == 400
    assert duplicate["error"]["code"] == 100
    assert duplicate["error"]["error_subcode"] == 2388024
    status, other_language = await create_template(http, emu, language="nl")
    assert status == 200
    url = f"{emu.base_url}/{emu.business_account_id}/message_templates"
    async with http.get(url) as response:
        listing = await response.json()
    assert {(t["name"], t["language"], t["status"]) for t in listing["data"]} == {
        ("rappel_hebdo", "fr", "PENDING"),
        ("rappel_hebdo", "nl", "PENDING"),
    }
    assert "paging" in listing
    fr = next(t for t in listing["data"] if t["language"] == "fr")
    assert fr["id"] == body["id"] and fr["category"] == "UTILITY"
    assert fr["components"][0] == {
        "type": "BODY",
        "text": "Bonjour {{1}}, votre résumé de {{2}} est prêt.",
    }
    emu.approve_template("rappel_hebdo", language="fr")
    async with http.get(url, params={"status": "APPROVED"}) as response:
        approved = (await response.json())["data"]
    assert [(t["language"], t["status"]) for t in approved] == [("fr", "APPROVED")]
    assert emu.templates["rappel_hebdo"].translations["nl"].status == "PENDING"
    assert emu.templates["rappel_hebdo"].status == "MIXED"
    emu.approve_template("rappel_hebdo")
    assert emu.templates["rappel_hebdo"].status == "APPROVED"
    assert other_language["id"] != body["id"]


@pytest.mark.parametrize(
    ("name", "category", "text"),
    [
        ("Bad Name", "UTILITY", "Bonjour"),
        ("ok_name", "PROMO", "Bonjour"),
        ("ok_name", "UTILITY", "{{1}} vous écrit"),
        ("ok_name", "UTILITY", "Bonjour {{1}} et {{3}}, merci."),
    ],
)
async def test_template_creation_refuses_what_meta_refuses(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession, name: str, category: str, text: str
) -> None:
    status, body = await create_template(http, emu, name=name, category=category, body=text)
    assert status == 400
    assert body["error"]["code"] == 100
    assert emu.templates == {}


async def test_template_send_works_with_the_window_closed(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await create_template(http, emu)
    status, body = await send(http, emu, template_to(ALICE.wa_id, ["Alice", "la semaine"]))
    assert status == 400 and body["error"]["code"] == 132001
    emu.approve_template("rappel_hebdo")
    assert not emu.window_open(ALICE.wa_id)
    status, body = await send(http, emu, template_to(ALICE.wa_id, ["Alice", "la semaine"]))
    assert status == 200
    assert body["messages"][0]["message_status"] == "accepted"
    wamid = body["messages"][0]["id"]
    delivered = await emu.wait_for_status(wamid, "delivered", timeout=2)
    assert delivered["pricing"]["category"] == "utility"
    (message,) = emu.messages_to(ALICE.wa_id)
    assert message.type == "template"
    assert message.text == "Bonjour Alice, votre résumé de la semaine est prêt."
    assert message.buttons == [("digest:open", "Voir"), ("Plus tard", "Plus tard")]
    reply_id = await emu.tap_template_button(ALICE, wamid, "digest:open")
    reply = receiver.messages()[-1]
    assert reply["id"] == reply_id and reply["type"] == "button"
    assert reply["button"] == {"payload": "digest:open", "text": "Voir"}
    assert reply["context"] == {"from": emu.display_number, "id": wamid}
    assert emu.window_open(ALICE.wa_id)


@pytest.mark.parametrize(
    ("params", "code"),
    [(["Alice"], 132000), (["Alice", "la", "semaine"], 132000), (["Alice", "a\nb"], 132018)],
)
async def test_template_parameters_must_match(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession, params: list[str], code: int
) -> None:
    await create_template(http, emu)
    emu.approve_template("rappel_hebdo")
    status, body = await send(http, emu, template_to(ALICE.wa_id, params))
    assert status == 400 and body["error"]["code"] == code
    payload = template_to(ALICE.wa_id, ["Alice", "la semaine"])
    payload["template"]["language"]["code"] = "nl"
    status, body = await send(http, emu, payload)
    assert status == 400 and body["error"]["code"] == 132001


async def test_stop_preference_webhook_then_marketing_fails_with_131050(
    emu: WhatsAppEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await emu.send_stop_preference(ALICE)
    body = receiver.bodies[-1]
    change = body["entry"][0]["changes"][0]
    assert change["field"] == "user_preferences"
    (preference,) = change["value"]["user_preferences"]
    assert preference["wa_id"] == ALICE.wa_id
    assert preference["category"] == "marketing_messages" and preference["value"] == "stop"
    assert change["value"]["contacts"][0]["wa_id"] == ALICE.wa_id
    await create_template(http, emu, name="promo", category="MARKETING")
    await create_template(http, emu, name="service")
    emu.approve_template("promo")
    emu.approve_template("service")
    _, marketing = await send(http, emu, template_to(ALICE.wa_id, ["A", "B"], name="promo"))
    failed = await emu.wait_for_status(marketing["messages"][0]["id"], "failed", timeout=2)
    assert failed["errors"][0]["code"] == 131050
    _, utility = await send(http, emu, template_to(ALICE.wa_id, ["A", "B"], name="service"))
    await emu.wait_for_status(utility["messages"][0]["id"], "delivered", timeout=2)


# ---------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*gras*", "<b>gras</b>"),
        (
            "du *gras*, puis _italique_ et ~barré~.",
            "du <b>gras</b>, puis <i>italique</i> et <s>barré</s>.",
        ),
        ("*_les deux_*", "<b><i>les deux</i></b>"),
        ("```a *b* c```", "<code>a *b* c</code>"),
        ("*\u200dpas gras*", "*\u200dpas gras*"),
        ("*pas gras\u200d*", "*pas gras\u200d*"),
        ("* pas gras*", "* pas gras*"),
        ("*pas gras *", "*pas gras *"),
        ("2*3*4", "2*3*4"),
        ("snake_case_name", "snake_case_name"),
        ("*pas\ngras*", "*pas\ngras*"),
        ("**", "**"),
        ("*gras*s", "*gras*s"),
    ],
)
def test_to_html_follows_whatsapp_rules(text: str, html: str) -> None:
    assert to_html(text) == html


async def test_formatted_renders_bold_but_not_a_zwj_neutralised_marker(
    emu: WhatsAppEmulator, http: aiohttp.ClientSession
) -> None:
    emu.set_window(ALICE.wa_id, True)
    await send(http, emu, text_to(ALICE.wa_id, "Votre *commerce* : *\u200dBio*\u200d"))
    (message,) = emu.messages_to(ALICE.wa_id)
    assert message.formatted == "Votre <b>commerce</b> : *\u200dBio*\u200d"
