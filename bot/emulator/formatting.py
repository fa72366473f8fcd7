"""Parse Telegram's HTML parse mode into plain text and entities, and count UTF-16 units."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]{0,31});")
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_:-]+")

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"})


class EntityParseError(ValueError):
    """Raised when a text cannot be parsed in the requested parse mode."""


@dataclass
class ParsedText:
    """Hold the plain text and the message entities Telegram would store."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, as Telegram counts."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(source: str, index: int) -> tuple[str, int]:
    """Decode the HTML entity starting at index; return the character and the next index."""
    match = _ENTITY_RE.match(source, index)
    if match is None:
        raise EntityParseError(f'Unescaped "&" at byte offset {_byte_offset(source, index)}')
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise EntityParseError(
                f"Invalid character entity at byte offset {_byte_offset(source, index)}"
            )
        return chr(code), match.end()
    char = _NAMED_ENTITIES.get(body.lower())
    if char is None:
        raise EntityParseError(
            f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(source, index)}'
        )
    return char, match.end()


def _parse_attributes(source: str, index: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Parse attributes up to the closing '>'; return them and the index after '>'."""
    attrs: dict[str, str] = {}
    size = len(source)
    while True:
        while index < size and source[index].isspace():
            index += 1
        if index >= size:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
            )
        if source[index] == ">":
            return attrs, index + 1
        if source[index] == "/" and source.startswith("/>", index):
            return attrs, index + 2
        match = _ATTR_NAME_RE.match(source, index)
        if match is None:
            raise EntityParseError(
                f"Empty attribute name in the tag at byte offset {_byte_offset(source, tag_start)}"
            )
        name = match.group(0).lower()
        index = match.end()
        while index < size and source[index].isspace():
            index += 1
        if index >= size or source[index] != "=":
            attrs[name] = ""
            continue
        index += 1
        while index < size and source[index].isspace():
            index += 1
        if index >= size:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
            )
        quote = source[index]
        chars: list[str] = []
        if quote in ("'", '"'):
            index += 1
            while index < size and source[index] != quote:
                if source[index] == "&":
                    char, index = _decode_entity(source, index)
                    chars.append(char)
                else:
                    chars.append(source[index])
                    index += 1
            if index >= size:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}"
                )
            index += 1
        else:
            while index < size and not source[index].isspace() and source[index] != ">":
                if source[index] == "&":
                    char, index = _decode_entity(source, index)
                    chars.append(char)
                else:
                    chars.append(source[index])
                    index += 1
        attrs[name] = "".join(chars)


def _entity_for(tag: _OpenTag, length: int) -> dict[str, Any] | None:
    """Build the entity a closed tag produces, or None if it produces none."""
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": tag.offset, "length": length}
    if tag.name in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[tag.name]
        if tag.name == "pre" and tag.language:
            entity["language"] = tag.language
    elif tag.name == "span":
        entity["type"] = "spoiler"
    elif tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return None
        entity["type"] = "text_link"
        entity["url"] = href
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    else:  # pragma: no cover - every supported tag is handled above
        return None
    return entity


def _open_tag(source: str, index: int, stack: list[_OpenTag], offset: int) -> int:
    """Parse a start tag at index, push it on the stack and return the index after it."""
    size = len(source)
    end = index + 1
    while end < size and not source[end].isspace() and source[end] not in "/>":
        end += 1
    name = source[index + 1 : end].lower()
    if name not in SUPPORTED_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, index)}'
        )
    attrs, after = _parse_attributes(source, end, index)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError('Tag "tg-emoji" must have a numeric attribute "emoji-id"')
    stack.append(_OpenTag(name=name, attrs=attrs, offset=offset))
    return after


def _close_tag(
    source: str, index: int, stack: list[_OpenTag], offset: int, entities: list[dict[str, Any]]
) -> int:
    """Parse an end tag at index, pop the matching open tag and return the index after it."""
    end = source.find(">", index)
    if end == -1:
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(source, index)}")
    name = source[index + 2 : end].strip().lower()
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(source, index)}")
    top = stack[-1]
    if name != top.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(source, index)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    stack.pop()
    parent = stack[-1] if stack else None
    language = top.attrs.get("class", "")
    if top.name == "code" and parent is not None and parent.name == "pre":
        # <pre><code class="language-x"> is a pre entity with a language, not a code entity.
        if language.startswith("language-"):
            parent.language = language.removeprefix("language-")
        return end + 1
    entity = _entity_for(top, offset - top.offset)
    if entity is not None:
        entities.append(entity)
    return end + 1


def parse_html(source: str) -> ParsedText:
    """Parse text in Telegram's HTML style; raise EntityParseError like Telegram would."""
    chars: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    offset = 0
    index = 0
    size = len(source)
    while index < size:
        char = source[index]
        if char == "&":
            decoded, index = _decode_entity(source, index)
            chars.append(decoded)
            offset += utf16_len(decoded)
        elif char == "<":
            if source.startswith("</", index):
                index = _close_tag(source, index, stack, offset, entities)
            else:
                index = _open_tag(source, index, stack, offset)
        else:
            chars.append(char)
            offset += 2 if ord(char) > 0xFFFF else 1
            index += 1
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return ParsedText(text="".join(chars), entities=entities)


def parse_text(text: str, parse_mode: str | None) -> ParsedText:
    """Parse text according to a Bot API parse_mode (None: plain text)."""
    if not parse_mode:
        return ParsedText(text=text)
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        # Markdown is accepted as is: the emulator does not interpret it.
        return ParsedText(text=text)
    raise ValueError(parse_mode)
