"""The ◀️ / ▶️ row under a list shown a page at a time."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Button
from bot.i18n import Translator


def page_row(
    t: Translator, page: int, pages: int, data: Callable[[int], str]
) -> tuple[tuple[Button, ...], ...]:
    """Return the previous/next row for a page (none when there is one page); data(n) is
    the button data that shows page n."""
    nav: list[Button] = []
    if page > 0:
        nav.append(Button("◀️ " + t("button.previous"), data(page - 1)))
    if page < pages - 1:
        nav.append(Button(t("button.next") + " ▶️", data(page + 1)))
    return (tuple(nav),) if nav else ()
