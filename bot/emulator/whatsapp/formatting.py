"""Apply WhatsApp's inline formatting (*bold*, _italic_, ~strike~, ```code```) as HTML tags.

WhatsApp's help centre only says "place the marker on both sides of the text"; the client's
further rules, which this module follows, are the ones users observe:

- an opening marker starts the text or follows a character that is not a letter or digit,
  and is followed by a visible character (not a space, not a zero-width joiner or space);
- a closing marker follows a visible character and ends the text or precedes a character
  that is not a letter or digit;
- bold, italic and strikethrough stay on one line; monospace (three backticks) may span lines
  and its content is not formatted further;
- markers nest (*_both_*); the first valid closing marker ends a span.
"""

from __future__ import annotations

_TAGS = {"*": "b", "_": "i", "~": "s"}
_CODE = "```"
# Characters that, between a marker and the word, keep the marker from formatting.
_INVISIBLE = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})


def _blank(ch: str) -> bool:
    """Return True for whitespace and zero-width characters."""
    return ch.isspace() or ch in _INVISIBLE


def _can_open(text: str, i: int) -> bool:
    """Return True if the marker at i may open a span."""
    if i > 0 and text[i - 1].isalnum():
        return False
    if i + 1 >= len(text):
        return False
    nxt = text[i + 1]
    return not _blank(nxt) and nxt != text[i]


def _closing(text: str, i: int) -> int | None:
    """Return the index of the marker closing the span opened at i, or None."""
    marker = text[i]
    for j in range(i + 2, len(text)):
        ch = text[j]
        if ch == "\n":
            return None
        if ch != marker or _blank(text[j - 1]):
            continue
        if j + 1 < len(text) and text[j + 1].isalnum():
            continue
        return j
    return None


def to_html(text: str) -> str:
    """Return text as a WhatsApp reader sees it, formatting rendered as <b>, <i>, <s>, <code>."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(_CODE, i):
            end = text.find(_CODE, i + len(_CODE))
            if end > i + len(_CODE):
                out.append(f"<code>{text[i + len(_CODE) : end]}</code>")
                i = end + len(_CODE)
                continue
        ch = text[i]
        if ch in _TAGS and _can_open(text, i):
            end_index = _closing(text, i)
            if end_index is not None:
                tag = _TAGS[ch]
                out.append(f"<{tag}>{to_html(text[i + 1 : end_index])}</{tag}>")
                i = end_index + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)
