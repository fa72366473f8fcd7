"""Serve the emulated Bot API, its file URLs and the /_emulator control API with tornado."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from typing import Any

from tornado.httputil import HTTPServerRequest
from tornado.web import Application, RequestHandler

from bot.emulator.methods import BotApiMethods
from bot.emulator.models import ApiError, FakeUser, bad_request
from bot.emulator.params import Params, UploadedFile
from bot.emulator.state import EmulatorState

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"\d+:[^/\s]+")


def unauthorized() -> ApiError:
    """Return Telegram's error for a malformed token."""
    return ApiError(401, "Unauthorized")


def _decode(raw: bytes) -> str:
    """Decode a form value as UTF-8."""
    return raw.decode("utf-8", "replace")


def request_params(request: HTTPServerRequest, received_at: float) -> Params:
    """Collect the parameters of a Bot API call from the query string and the body."""
    values: dict[str, Any] = {
        name: _decode(items[-1]) for name, items in request.query_arguments.items() if items
    }
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() == "application/json":
        if request.body.strip():
            try:
                body = json.loads(request.body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
    else:
        values.update(
            {name: _decode(items[-1]) for name, items in request.body_arguments.items() if items}
        )
    files = {
        name: UploadedFile(
            filename=parts[-1].filename,
            content_type=parts[-1].content_type,
            body=parts[-1].body,
        )
        for name, parts in request.files.items()
        if parts
    }
    return Params(values=values, files=files, received_at=received_at)


class JsonHandler(RequestHandler):
    """Answer with JSON bodies, including for errors."""

    def write_json(self, status: int, body: Any) -> None:
        """Send a JSON response with the given HTTP status."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Report unexpected errors in Telegram's error envelope."""
        reason = self._reason or "Internal Server Error"
        self.finish(json.dumps({"ok": False, "error_code": status_code, "description": reason}))

    def json_body(self) -> dict[str, Any]:
        """Return the request body decoded as a JSON object (empty body: {})."""
        if not self.request.body.strip():
            return {}
        body = json.loads(self.request.body)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body


class NotFoundHandler(JsonHandler):
    """Answer unknown paths like Telegram does."""

    def prepare(self) -> None:
        """Reject every request with 404."""
        self.write_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})


class BotApiHandler(JsonHandler):
    """Handle /bot<token>/<method> calls."""

    def initialize(self, api: BotApiMethods) -> None:
        """Bind the Bot API implementation."""
        self._api = api

    async def get(self, token: str, method: str) -> None:
        """Handle a call made with GET."""
        await self._dispatch(token, method)

    async def post(self, token: str, method: str) -> None:
        """Handle a call made with POST."""
        await self._dispatch(token, method)

    async def _dispatch(self, token: str, method: str) -> None:
        """Run the method and answer with Telegram's envelope."""
        received_at = time.monotonic()
        try:
            if not TOKEN_RE.fullmatch(token):
                raise unauthorized()
            params = request_params(self.request, received_at)
            result = await self._api.call(method, params)
        except ApiError as exc:
            logger.debug("%s -> %s %s", method, exc.error_code, exc.description)
            self.write_json(exc.error_code, exc.to_json())
            return
        except Exception:
            logger.exception("emulator failed on %s", method)
            self.write_json(
                500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            )
            return
        self.write_json(200, {"ok": True, "result": result})


class FileHandler(JsonHandler):
    """Serve /file/bot<token>/<file_path> downloads."""

    def initialize(self, state: EmulatorState) -> None:
        """Bind the emulator state."""
        self._state = state

    def get(self, token: str, file_path: str) -> None:
        """Send the bytes of a known file."""
        if not TOKEN_RE.fullmatch(token):
            self.write_json(401, unauthorized().to_json())
            return
        stored = self._state.files.by_path.get(file_path)
        if stored is None:
            self.write_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(stored.data())


class ControlUserHandler(JsonHandler):
    """Handle POST /_emulator/users/<id>/<action>: inject what a user does."""

    def initialize(self, state: EmulatorState) -> None:
        """Bind the emulator state."""
        self._state = state

    def post(self, user_id: str, action: str) -> None:
        """Run one user action and answer {"ok": true, "result": ...}."""
        try:
            body = self.json_body()
            result = self._act(int(user_id), action, body)
        except (KeyError, TypeError, ValueError) as exc:
            self.write_json(400, {"ok": False, "error_code": 400, "description": str(exc)})
            return
        self.write_json(200, {"ok": True, "result": result})

    def _user(self, user_id: int, body: dict[str, Any]) -> FakeUser:
        """Return the user, with the profile fields given in the body applied."""
        user = self._state.known_user(user_id) or FakeUser(id=user_id)
        changes = {
            key: body[key] for key in ("first_name", "language_code", "username") if key in body
        }
        return dataclasses.replace(user, **changes) if changes else user

    def _act(self, user_id: int, action: str, body: dict[str, Any]) -> Any:
        """Dispatch a control action; return its result."""
        state = self._state
        if action == "block":
            state.block(user_id)
            return True
        if action == "unblock":
            state.unblock(user_id)
            return True
        user = self._user(user_id, body)
        if action == "text":
            update_id = state.send_text(user, str(body["text"]))
        elif action == "command":
            update_id = state.send_command(user, str(body["command"]), str(body.get("args", "")))
        elif action == "press":
            update_id = state.press_button(user, int(body["message_id"]), str(body["data"]))
        elif action == "edit":
            update_id = state.edit_text(user, int(body["message_id"]), str(body["text"]))
        elif action == "photo":
            update_id = state.send_photo(user)
        elif action == "sticker":
            update_id = state.send_sticker(user)
        elif action == "voice":
            update_id = state.send_voice(user)
        elif action == "location":
            update_id = state.send_location(user)
        elif action == "contact":
            update_id = state.send_contact(user)
        elif action == "document":
            update_id = state.send_document(user)
        else:
            raise ValueError(f"unknown action {action!r}")
        return {"update_id": update_id}


class ControlMessagesHandler(JsonHandler):
    """Handle GET /_emulator/chats/<id>/messages."""

    def initialize(self, state: EmulatorState) -> None:
        """Bind the emulator state."""
        self._state = state

    def get(self, chat_id: str) -> None:
        """Return the current bot messages of a chat."""
        self.write_json(200, {"ok": True, "result": self._state.messages(int(chat_id))})


class ControlEventsHandler(JsonHandler):
    """Handle GET /_emulator/events?chat_id=&after_seq=."""

    def initialize(self, state: EmulatorState) -> None:
        """Bind the emulator state."""
        self._state = state

    def get(self) -> None:
        """Return the events after a seq, optionally for one chat."""
        try:
            chat_arg = self.get_query_argument("chat_id", "")
            chat_id = int(chat_arg) if chat_arg else None
            after_seq = int(self.get_query_argument("after_seq", "") or 0)
        except ValueError as exc:
            self.write_json(400, {"ok": False, "error_code": 400, "description": str(exc)})
            return
        events = self._state.events_after(after_seq, chat_id)
        self.write_json(200, {"ok": True, "result": [dataclasses.asdict(e) for e in events]})


def _log_request(handler: RequestHandler) -> None:
    """Log requests at debug level (tornado logs 4xx as warnings by default)."""
    logger.debug(
        "%s %s %s %.1fms",
        handler.get_status(),
        handler.request.method,
        handler.request.path,
        1000.0 * handler.request.request_time(),
    )


def make_app(state: EmulatorState, api: BotApiMethods) -> Application:
    """Build the tornado application of the emulator."""
    return Application(
        [
            (r"/bot([^/]*)/([^/]*)/?", BotApiHandler, {"api": api}),
            (r"/file/bot([^/]*)/(.+)", FileHandler, {"state": state}),
            (r"/_emulator/users/(-?\d+)/([a-z]+)", ControlUserHandler, {"state": state}),
            (r"/_emulator/chats/(-?\d+)/messages", ControlMessagesHandler, {"state": state}),
            (r"/_emulator/events", ControlEventsHandler, {"state": state}),
        ],
        default_handler_class=NotFoundHandler,
        log_function=_log_request,
        compress_response=False,
    )
