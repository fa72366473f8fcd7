"""WhatsApp message templates: the data file, Meta's review, and template messages to send."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.channels.whatsapp.client import GraphClient
from bot.i18n import LANGUAGES

CATEGORIES = ("UTILITY", "MARKETING")
MAX_QUICK_REPLY = 25
MAX_QUICK_REPLIES = 10
MAX_PARAM = 300
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
_SPACES = re.compile(r"[ \t]{2,}")


class TemplateFileError(Exception):
    """Raised when the templates file is wrong; the message names the entry."""


@dataclass(frozen=True)
class TemplateSpec:
    """One template: what it stands for, its Meta name and category, its texts."""

    kind: str
    name: str
    category: str
    params: tuple[str, ...]
    body: Mapping[str, str]
    buttons: Mapping[str, tuple[str, ...]]

    def creation(self, lang: str) -> dict[str, Any]:
        """Return the Graph API body that submits this template in one language."""
        components: list[dict[str, Any]] = [{"type": "BODY", "text": self.body[lang]}]
        if self.params:
            components[0]["example"] = {"body_text": [[f"({p})" for p in self.params]]}
        labels = self.buttons.get(lang, ())
        if labels:
            components.append(
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": label} for label in labels],
                }
            )
        return {
            "name": self.name,
            "language": lang,
            "category": self.category,
            "components": components,
        }

    def message(self, lang: str, params: Sequence[str], payloads: Sequence[str]) -> dict[str, Any]:
        """Return a template message: its blanks filled, its quick replies leading back."""
        components: list[dict[str, Any]] = []
        if self.params:
            filled = [flatten(p) for p in params][: len(self.params)]
            filled += ["-"] * (len(self.params) - len(filled))
            components.append(
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in filled]}
            )
        for index, payload in enumerate(payloads[: len(self.buttons.get(lang, ()))]):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload}],
                }
            )
        template: dict[str, Any] = {"name": self.name, "language": {"code": lang}}
        if components:
            template["components"] = components
        return {"type": "template", "template": template}


def flatten(text: str) -> str:
    """Make a text fit a template parameter: one line, no runs of spaces, not too long."""
    one_line = " · ".join(part.strip() for part in text.splitlines() if part.strip())
    tidy = _SPACES.sub(" ", one_line.replace("\t", " ")).strip() or "-"
    return tidy if len(tidy) <= MAX_PARAM else tidy[: MAX_PARAM - 1].rstrip() + "…"


class TemplateBook:
    """The templates of data/whatsapp/templates.yaml, by the kind of message they stand for."""

    def __init__(self, specs: Sequence[TemplateSpec]) -> None:
        self._by_kind = {spec.kind: spec for spec in specs}

    @property
    def specs(self) -> list[TemplateSpec]:
        """Return every template."""
        return list(self._by_kind.values())

    def get(self, kind: str) -> TemplateSpec | None:
        """Return the template standing for a kind of message, or None."""
        return self._by_kind.get(kind)

    @classmethod
    def load(cls, path: Path) -> TemplateBook:
        """Read and check the templates file."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise TemplateFileError(f"{path}: expected a mapping of kinds to templates")
        specs: list[TemplateSpec] = []
        names: set[str] = set()
        for kind, raw in data.items():
            spec = _spec(str(kind), raw)
            if spec.name in names:
                raise TemplateFileError(f"{path}: template name {spec.name} used twice")
            names.add(spec.name)
            specs.append(spec)
        return cls(specs)


def _spec(kind: str, raw: Any) -> TemplateSpec:
    def fail(why: str) -> TemplateFileError:
        return TemplateFileError(f"template {kind}: {why}")

    if not isinstance(raw, dict):
        raise fail("expected a mapping")
    name, category = str(raw.get("name", "")), str(raw.get("category", ""))
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        raise fail("name must be lower-case letters, digits and underscores")
    if category not in CATEGORIES:
        raise fail(f"category must be one of {', '.join(CATEGORIES)}")
    params = tuple(str(p) for p in raw.get("params") or ())
    body = {str(k): str(v) for k, v in (raw.get("body") or {}).items()}
    buttons = {str(k): tuple(str(b) for b in v) for k, v in (raw.get("buttons") or {}).items()}
    for lang in LANGUAGES:
        text = body.get(lang)
        if not text:
            raise fail(f"no body in {lang}")
        if "\n" in text:
            raise fail(f"the {lang} body is on several lines")
        # Meta refuses a body that starts or ends with a blank (error 2388299).
        if re.match(r"^\s*\{\{\d+\}\}", text) or re.search(r"\{\{\d+\}\}\s*$", text):
            raise fail(f"the {lang} body starts or ends with a blank")
        numbers = sorted({int(n) for n in _PLACEHOLDER.findall(text)})
        if numbers != list(range(1, len(params) + 1)):
            raise fail(f"the {lang} body must use {{{{1}}}}..{{{{{len(params)}}}}} once each")
        labels = buttons.get(lang, ())
        if len(labels) > MAX_QUICK_REPLIES or any(len(b) > MAX_QUICK_REPLY for b in labels):
            raise fail(f"the {lang} buttons are too many or too long")
    counts = {len(buttons.get(lang, ())) for lang in LANGUAGES}
    if len(counts) > 1:
        raise fail("every language needs the same number of buttons")
    return TemplateSpec(kind, name, category, params, body, buttons)


RecordStatus = Callable[[str, str, str, str, str | None], Awaitable[None]]


async def sync(client: GraphClient, book: TemplateBook, waba_id: str, record: RecordStatus) -> int:
    """Record every template Meta has, then submit those it lacks; return how many went."""
    listed = await _listed(client, waba_id)
    await _record_listed(listed, record)
    known = {(str(item.get("name")), str(item.get("language"))) for item in listed}
    submitted = 0
    for spec in book.specs:
        for lang in LANGUAGES:
            if (spec.name, lang) in known:
                continue
            answer = await client.post(f"{waba_id}/message_templates", spec.creation(lang))
            submitted += 1
            await record(
                spec.name,
                lang,
                str(answer.get("category") or spec.category),
                str(answer.get("status", "PENDING")),
                str(answer["id"]) if answer.get("id") else None,
            )
    return submitted


async def refresh(client: GraphClient, waba_id: str, record: RecordStatus) -> int:
    """Record the status of every template Meta has; return how many."""
    listed = await _listed(client, waba_id)
    await _record_listed(listed, record)
    return len(listed)


async def _record_listed(listed: list[dict[str, Any]], record: RecordStatus) -> None:
    for item in listed:
        await record(
            str(item.get("name")),
            str(item.get("language")),
            str(item.get("category", "")),
            str(item.get("status", "")),
            str(item["id"]) if item.get("id") else None,
        )


async def _listed(client: GraphClient, waba_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"{waba_id}/message_templates?limit=250")
    data = answer.get("data") or []
    return [item for item in data if isinstance(item, dict)]
