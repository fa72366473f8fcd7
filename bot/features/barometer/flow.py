"""Render /barometer (text, chart and "me too" buttons) and handle "me too" taps."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import Button, IncomingMessage, Outcome, Reply, TemplateUse
from bot.features.barometer.service import (
    SHOW_BUTTON_DATA,
    Barometer,
    BarometerService,
    MeTooStatus,
    ScopeBarometer,
    Trend,
)
from bot.features.concerns.echo import Echo
from bot.features.follow_ups.store import FollowUpAnswer
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.charts import BarChart, BarRow, Panel, draw
from bot.shared.routes import Buttons, Command, FlowRoutes
from bot.shared.routes import known as _known
from bot.storage import User
from nlp.taxonomy import FACTOR_IDS, Taxonomy

PREFIX = "bm"
_BUTTON = re.compile(r"^bm:(?:m:([0-9]{1,2})|(s))$")
ARROWS = {Trend.UP: "↑", Trend.DOWN: "↓", Trend.STABLE: "→"}


class BarometerFlow:
    """Show the barometer of a person's core and territory; count "me too" taps."""

    def __init__(
        self,
        barometer: BarometerService,
        concerns: Echo,
        reference: Reference,
        taxonomy: Taxonomy,
        anonymity_k: int,
        tz: ZoneInfo,
    ) -> None:
        self._barometer = barometer
        self._concerns = concerns
        self._ref = reference
        self._tax = taxonomy
        self._k = anonymity_k
        self._tz = tz
        # "You said, we did": notes about the person's core and territory, as text lines
        # (set by the container once the dashboard's notes exist).
        self.said: Callable[[User], Awaitable[list[str]]] | None = None

    def routes(self) -> FlowRoutes:
        """Declare /barometer and the "me too" buttons."""
        return FlowRoutes(
            "barometer",
            commands=(
                Command("barometer", lambda user, _msg, _lang: self.on_command(_known(user))),
            ),
            buttons=(Buttons(PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
        )

    async def on_command(self, user: User) -> Outcome:
        """Answer /barometer with a chart, then the figures as text with "me too" buttons."""
        t = Translator(user.language)
        barometer = await self._barometer.barometer(user)
        core_name, territory_name = self._place_names(user)
        png = await draw(self._chart(t, user, barometer))
        caption = t("barometer.caption", core=core_name, territory=territory_name)
        text = self._text(t, user, barometer)
        said = await self.said(user) if self.said is not None else []
        if said:
            # Under the figures, before the hint: what is being done about what they said.
            lines = text.text.split("\n")
            hint = len(lines) - 1
            lines[hint:hint] = [t("barometer.said_header"), *said, ""]
            text = replace(text, text="\n".join(lines))
        return Outcome((Reply(caption, image=png), text))

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Count a "me too" tap once per factor per 30 days, then show the echo."""
        t = Translator(user.language if user else "fr")
        match = _BUTTON.match(msg.button_data)
        if match is None or (match[1] is not None and int(match[1]) >= len(FACTOR_IDS)):
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        if match[2] is not None:
            return await self.on_command(user)
        factor = FACTOR_IDS[int(match[1])]
        result = await self._barometer.me_too(user, factor, msg.event_key)
        if result.status is MeTooStatus.DUPLICATE_EVENT:
            return Outcome(duplicate=True)
        if result.status is MeTooStatus.ALREADY:
            assert result.already_on is not None
            day = datetime.fromisoformat(result.already_on).astimezone(self._tz)
            return Outcome(notice=t("barometer.already", date=day.strftime("%d/%m/%Y")))
        echo = await self._concerns.echo_reply(user, (factor,))
        return Outcome((echo,), notice=t("barometer.counted"))

    def opening_notice(self, user: User, factor: str) -> Reply:
        """Tell someone who raised a factor that their core's barometer now shows it."""
        t = Translator(user.language)
        core_name, _ = self._place_names(user)
        title = self._tax.get(factor).title(t.lang)
        return Reply(
            t("barometer.opened", factor=title, core=core_name),
            # Outside WhatsApp's window: a short template whose button shows the barometer.
            template=TemplateUse(
                "barometer_opened", (core_name, title), payloads=(SHOW_BUTTON_DATA,)
            ),
        )

    def _place_names(self, user: User) -> tuple[str, str]:
        core = self._ref.core(user.core_id) if user.core_id else None
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        return (
            core.name(user.language) if core else "—",
            territory.name(user.language) if territory else "—",
        )

    def _role(self, t: Translator, user: User) -> str:
        return t("role." + user.role.value) if user.role else "—"

    def _text(self, t: Translator, user: User, barometer: Barometer) -> Reply:
        core_name, territory_name = self._place_names(user)
        lines = [t("barometer.header", role=self._role(t, user))]
        places = (
            (core_name, barometer.core),
            (territory_name, barometer.territory),
            (t("echo.everywhere"), barometer.everywhere),
        )
        for index, (name, scope) in enumerate(places):
            lines += ["", t("barometer.place", place=name)]
            if index == 0 and not scope.shown:
                # Closed until enough voices of the core: no number, not even how far it is.
                lines.append(t("barometer.core_closed"))
            else:
                lines += self._scope_lines(t, scope)
        if not any(scope.shown for _, scope in places):
            lines += ["", t("barometer.first", k=self._k)]
        outcomes = barometer.territory.outcomes
        if any(n is not None for n in outcomes.values()):
            lines += [
                "",
                t(
                    "barometer.outcomes",
                    **{a.value: self._count(t, outcomes[a]) for a in FollowUpAnswer},
                ),
            ]
        offered = barometer.me_too_factors
        lines += ["", t("barometer.me_too_hint" if offered else "barometer.write_hint")]
        buttons = tuple(
            (
                Button(
                    t("barometer.me_too_button", factor=self._tax.get(f).short_title(t.lang)),
                    f"{PREFIX}:m:{FACTOR_IDS.index(f)}",
                ),
            )
            for f in offered
        )
        return Reply("\n".join(lines), buttons)

    def _scope_lines(self, t: Translator, scope: ScopeBarometer) -> list[str]:
        shown = scope.shown
        if not shown:
            return [t("barometer.none_shown", k=self._k)]
        lines = []
        for rank, stat in enumerate(shown[:5], 1):
            assert stat.current is not None and stat.trend is not None
            if stat.trend is Trend.NEW:
                arrow = t("barometer.new", k=self._k)
            else:
                arrow = f"{ARROWS[stat.trend]} " + t("barometer.before", previous=stat.previous)
            lines.append(
                t(
                    "barometer.line",
                    rank=rank,
                    factor=self._tax.get(stat.factor).title(t.lang),
                    count=stat.current,
                    arrow=arrow,
                ).rstrip()
            )
        if len(shown) < len(scope.stats):
            lines.append(t("barometer.rest_hidden", k=self._k))
        return lines

    def _count(self, t: Translator, value: int | None) -> str:
        return t("echo.fewer", k=self._k) if value is None else str(value)

    @staticmethod
    def _chart_arrow(t: Translator, trend: Trend | None) -> str:
        if trend is None:
            return ""
        return t("barometer.chart_new") if trend is Trend.NEW else ARROWS[trend]

    def _chart(self, t: Translator, user: User, barometer: Barometer) -> BarChart:
        core_name, territory_name = self._place_names(user)
        # Both panels list the factors in the core's order, so a row reads across.
        order = [s.factor for s in barometer.core.stats]

        def panel(title: str, scope: ScopeBarometer) -> Panel:
            stats = {s.factor: s for s in scope.stats}
            return Panel(
                title,
                tuple(
                    BarRow(
                        self._tax.get(f).label.get(t.lang),
                        stats[f].current,
                        stats[f].previous,
                        self._chart_arrow(t, stats[f].trend),
                    )
                    for f in order
                ),
            )

        return BarChart(
            title=t("barometer.chart_title", role=self._role(t, user)),
            panels=(
                panel(core_name, barometer.core),
                panel(territory_name, barometer.territory),
                panel(t("echo.everywhere"), barometer.everywhere),
            ),
            current_label=t("barometer.chart_current"),
            previous_label=t("barometer.chart_previous"),
            suppressed_label=t("barometer.chart_suppressed", k=self._k),
        )
