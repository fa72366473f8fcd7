"""The dashboard's web routes: sign-in, sign-out, the views, their CSV, the data dictionary."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

import jinja2
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import URL
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from bot.features.dashboard.access import COOKIE, IDLE_LIMIT, DashboardAccess, LinkState, Viewer
from bot.features.dashboard.notes import MAX_CHARS, NoteError, NoteService
from bot.features.dashboard.pages import ViewPage, to_csv
from bot.features.dashboard.security import SecurityHeaders, origin_of
from bot.i18n import LANGUAGES, Translator
from nlp.taxonomy import FACTOR_IDS, taxonomy

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
EMAIL_MAX = 254


class NotFound(Exception):
    """The asked page does not exist for this viewer (another scope answers the same)."""


@dataclass(frozen=True)
class ViewContext:
    """What a view is built from: who asks, in which language, with which filters."""

    viewer: Viewer
    lang: str
    params: Mapping[str, str]

    @property
    def t(self) -> Translator:
        """Return the translator of the page's language."""
        return Translator(self.lang)


class View(Protocol):
    """A dashboard view: its URL name, who may see it, and how it is built."""

    name: str
    admin_only: bool

    def title(self, t: Translator) -> str:
        """Return the view's name in the navigation."""
        ...

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the view; raise NotFound for anything outside the viewer's scope."""
        ...


class Dictionary(Protocol):
    """The data dictionary: every column of every table, defined."""

    def entries(
        self, t: Translator, viewer: Viewer
    ) -> Sequence[tuple[str, str, str, Sequence[tuple[str, str, str]]]]:
        """Return (view title, anchor, table key, [(column key, label, definition)])."""
        ...


def _language(request: Request, fallback: str | None) -> str:
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    if fallback in LANGUAGES:
        return str(fallback)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "fr"


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


class DashboardWeb:
    """Serve the dashboard under /dashboard."""

    def __init__(
        self,
        access: DashboardAccess,
        views: Sequence[View],
        dictionary: Dictionary,
        public_url: str | None,
        anonymity_k: int,
        notes: NoteService | None = None,
    ) -> None:
        self._notes = notes
        self._k = anonymity_k
        self._access = access
        self._views = {view.name: view for view in views}
        self._dictionary = dictionary
        self._public_origin = origin_of(public_url)
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot", "templates/dashboard"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._limits = MovingWindowRateLimiter(MemoryStorage())
        self._per_ip_signin = RateLimitItemPerMinute(10)
        self._per_ip_email = RateLimitItemPerHour(10)
        self._per_address = RateLimitItemPerHour(3)
        self._mailing: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        """Return the dashboard mounted at /dashboard, behind its security headers."""
        inner: list[BaseRoute] = [
            Route("/", self.home, methods=["GET"]),
            Route("/signin/{token}", self.continue_page, methods=["GET"]),
            Route("/signin", self.sign_in, methods=["POST"]),
            Route("/email", self.email_link, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/dictionary", self.dictionary, methods=["GET"]),
            Route("/notes", self.notes_page, methods=["GET"]),
            Route("/notes/preview", self.note_preview, methods=["POST"]),
            Route("/notes/publish", self.note_publish, methods=["POST"]),
            Route("/notes/edit", self.note_edit, methods=["POST"]),
            Route("/notes/{note_id:int}/withdraw", self.note_withdraw, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
        for name in self._views:
            inner.append(Route(f"/{name}.csv", self.view_csv, methods=["GET"]))
            inner.append(Route(f"/{name}", self.view_html, methods=["GET"]))
        inner.append(Route("/{rest:path}", self.unknown, methods=["GET", "POST"]))
        return [
            # Outside the mount (and its headers): only a redirect into it, never a page.
            Route("/dashboard", self.into_mount, methods=["GET"]),
            Mount(
                "/dashboard",
                routes=inner,
                middleware=[
                    Middleware(
                        SecurityHeaders, refused=self._refused, public_origin=self._public_origin
                    )
                ],
            ),
        ]

    # ------------------------------------------------------------------ rendering

    def _render(
        self,
        template: str,
        request: Request,
        lang: str,
        viewer: Viewer | None,
        status: int = 200,
        **params: Any,
    ) -> HTMLResponse:
        t = Translator(lang)
        nav = (
            [
                (view.name, view.title(t))
                for view in self._views.values()
                if viewer.is_admin or not view.admin_only
            ]
            if viewer is not None
            else []
        )
        html = self._env.get_template(template).render(
            t=t,
            k=self._k,
            lang=lang,
            viewer=viewer,
            nav=nav,
            notes_nav=viewer is not None and self._notes is not None,
            path=request.url.path,
            languages=[(code, self._switch(request.url, code)) for code in LANGUAGES],
            **params,
        )
        return HTMLResponse(html, status_code=status)

    @staticmethod
    def _switch(url: URL, lang: str) -> str:
        query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"] + [("lang", lang)]
        return f"{url.path}?{urlencode(query)}"

    def _message(
        self,
        request: Request,
        lang: str,
        viewer: Viewer | None,
        title: str,
        text: str,
        status: int,
        form: bool = False,
    ) -> HTMLResponse:
        return self._render(
            "message.html", request, lang, viewer, status, title=title, text=text, form=form
        )

    def _refused(self, scope: Scope) -> ASGIApp:
        async def refused(scope: Scope, receive: Any, send: Any) -> None:
            request = Request(scope, receive)
            lang = _language(request, None)
            t = Translator(lang)
            response = self._message(
                request, lang, None, t("dash.refused.title"), t("dash.refused.text"), 403
            )
            await response(scope, receive, send)

        return refused

    async def _viewer(self, request: Request) -> Viewer | None:
        return await self._access.viewer(request.cookies.get(COOKIE))

    # ------------------------------------------------------------------ sign-in

    async def into_mount(self, request: Request) -> Response:
        """Send /dashboard to /dashboard/, where every answer carries the security headers."""
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/dashboard/{query}", status_code=307)

    async def home(self, request: Request) -> Response:
        """Show the sign-in page, or go to the overview when signed in."""
        viewer = await self._viewer(request)
        lang = _language(request, viewer.lang if viewer else None)
        if viewer is not None and self._views:
            first = next(iter(self._views))
            return RedirectResponse(f"/dashboard/{first}?lang={lang}", status_code=303)
        return self._render("signin.html", request, lang, None, sent=False)

    async def continue_page(self, request: Request) -> Response:
        """Show "Continue" for a sign-in link; opening the link alone uses nothing."""
        token = str(request.path_params["token"])
        state = await self._access.peek(token)
        lang = _language(request, None)
        t = Translator(lang)
        if state is not LinkState.VALID:
            return self._message(
                request,
                lang,
                None,
                t("dash.link.title"),
                t(f"dash.link.{state.value}"),
                400,
                form=True,
            )
        return self._render("continue.html", request, lang, None, token=token)

    async def sign_in(self, request: Request) -> Response:
        """Use a link (the POST of the Continue page) and start a session."""
        client = _client(request)
        lang = _language(request, None)
        t = Translator(lang)
        if not await self._limits.hit(self._per_ip_signin, "signin", client):
            return self._message(
                request, lang, None, t("dash.slow.title"), t("dash.slow.text"), 429
            )
        form = await request.form()
        token = str(form.get("token", ""))
        state, session, link_lang = await self._access.sign_in(token, client)
        if session is None:
            return self._message(
                request,
                lang,
                None,
                t("dash.link.title"),
                t(f"dash.link.{state.value}"),
                400,
                form=True,
            )
        response = RedirectResponse(f"/dashboard/?lang={link_lang}", status_code=303)
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(IDLE_LIMIT.total_seconds()),
            path="/dashboard",
            httponly=True,
            samesite="strict",
            secure=self._access.secure_cookie,
        )
        return response

    async def email_link(self, request: Request) -> Response:
        """Mail a link to a registered partner address; answer the same for any address."""
        client = _client(request)
        lang = _language(request, None)
        t = Translator(lang)
        form = await request.form()
        address = str(form.get("email", "")).strip()[:EMAIL_MAX]
        if "@" not in address:
            return self._render(
                "signin.html", request, lang, None, 400, sent=False, error=t("dash.email.bad")
            )
        if not await self._limits.hit(self._per_ip_email, "email", client):
            return self._message(
                request, lang, None, t("dash.slow.title"), t("dash.slow.text"), 429
            )
        # Over the limit for this address: nothing is sent, and the answer stays the same, so
        # nobody can tell a registered address from the limit either.
        if await self._limits.hit(self._per_address, "address", address.casefold()):
            # After the answer: a registered address must not take longer to answer (the link
            # stored, the mail sent) than an unknown one.
            task = asyncio.create_task(self._access.by_email(address, lang, client))
            self._mailing.add(task)
            task.add_done_callback(self._mailing.discard)
        return self._render("signin.html", request, lang, None, sent=True)

    async def settled(self) -> None:
        """Wait for the links being mailed (tests, and a clean stop)."""
        while self._mailing:
            await asyncio.gather(*self._mailing, return_exceptions=True)

    async def logout(self, request: Request) -> Response:
        """End the session and forget the cookie."""
        viewer = await self._viewer(request)
        lang = _language(request, viewer.lang if viewer else None)
        if viewer is not None:
            await self._access.sign_out(viewer)
        response = RedirectResponse(f"/dashboard/?lang={lang}", status_code=303)
        response.delete_cookie(COOKIE, path="/dashboard")
        return response

    async def unknown(self, request: Request) -> Response:
        """Answer a page that does not exist (or not for this viewer)."""
        viewer = await self._viewer(request)
        return self._not_found(request, viewer)

    def _not_found(self, request: Request, viewer: Viewer | None) -> Response:
        lang = _language(request, viewer.lang if viewer else None)
        t = Translator(lang)
        return self._message(
            request, lang, viewer, t("dash.missing.title"), t("dash.missing.text"), 404
        )

    # ------------------------------------------------------------------ views

    async def _view_for(
        self, request: Request, suffix: str
    ) -> tuple[Viewer | None, View | None, str]:
        viewer = await self._viewer(request)
        name = request.url.path.removeprefix("/dashboard/").removesuffix(suffix)
        view = self._views.get(name)
        lang = _language(request, viewer.lang if viewer else None)
        if viewer is not None and view is not None and view.admin_only and not viewer.is_admin:
            view = None
        return viewer, view, lang

    def _signin_first(self, request: Request, lang: str) -> Response:
        # SameSite=Strict: a permalink opened from another site arrives without the cookie;
        # following this same-site link brings it.
        return self._render(
            "signin.html", request, lang, None, 401, sent=False, again=str(request.url)
        )

    async def view_html(self, request: Request) -> Response:
        """Render a view as a page."""
        viewer, view, lang = await self._view_for(request, "")
        if viewer is None:
            return self._signin_first(request, lang)
        if view is None:
            return self._not_found(request, viewer)
        await self._access.set_language(viewer, lang)
        ctx = ViewContext(viewer, lang, dict(request.query_params))
        try:
            page = await view.page(ctx)
        except NotFound:
            return self._not_found(request, viewer)
        query = urlencode(sorted(request.query_params.items()))
        return self._render(
            "view.html", request, lang, viewer, page=page, query=query, view_name=view.name
        )

    async def view_csv(self, request: Request) -> Response:
        """Send one table of a view as CSV, exactly as the page shows it."""
        viewer, view, lang = await self._view_for(request, ".csv")
        if viewer is None:
            return self._signin_first(request, lang)
        if view is None:
            return self._not_found(request, viewer)
        ctx = ViewContext(viewer, lang, dict(request.query_params))
        try:
            page = await view.page(ctx)
        except NotFound:
            return self._not_found(request, viewer)
        key = request.query_params.get("table", "")
        table = page.table(key)
        if table is None:
            return self._not_found(request, viewer)
        await self._access.record_export(viewer, f"{view.name}/{key}", str(request.url.query))
        name = f"echoppe-{view.name.replace('/', '-')}-{key}.csv"
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    async def dictionary(self, request: Request) -> Response:
        """Define every column of every table (the data dictionary)."""
        viewer = await self._viewer(request)
        lang = _language(request, viewer.lang if viewer else None)
        if viewer is None:
            return self._signin_first(request, lang)
        return self._render(
            "dictionary.html",
            request,
            lang,
            viewer,
            entries=self._dictionary.entries(Translator(lang), viewer),
        )

    # ------------------------------------------------------------------ "you said, we did"

    async def notes_page(self, request: Request) -> Response:
        """Show the form to write a note, and the notes of the viewer's scope."""
        asked = await self._note_asker(request)
        if isinstance(asked, Response):
            return asked
        viewer, lang, _ = asked
        published = request.query_params.get("published") == "1"
        return await self._notes_form(request, viewer, lang, {}, None, 200, published)

    async def _notes_form(
        self,
        request: Request,
        viewer: Viewer,
        lang: str,
        values: Mapping[str, str],
        error: str | None,
        status: int,
        published: bool = False,
    ) -> Response:
        assert self._notes is not None
        t = Translator(lang)
        places = self._notes.places(viewer)
        notes = await self._notes.shown(places)
        return self._render(
            "notes.html",
            request,
            lang,
            viewer,
            status,
            places=[(p, self._notes.place_name(p, lang)) for p in places],
            factors=_factor_choices(lang),
            values=values,
            error=t(error) if error else None,
            published=published,
            notes=[
                (
                    n,
                    _factor_title(n.factor, lang),
                    self._notes.place_name(n.place, lang),
                    self._notes.day(n),
                )
                for n in notes
            ],
            max_chars=MAX_CHARS,
        )

    async def _note_asker(
        self, request: Request
    ) -> tuple[Viewer, str, NoteService] | Response:
        """Return who asks, in which language, and the notes; or the answer for a stranger."""
        viewer = await self._viewer(request)
        lang = _language(request, viewer.lang if viewer else None)
        if viewer is None:
            return self._signin_first(request, lang)
        if self._notes is None:
            return self._not_found(request, viewer)
        return viewer, lang, self._notes

    async def _note_form(self, request: Request) -> dict[str, str]:
        form = await request.form()
        keys = ("factor", "place", "text_fr", "text_nl", "text_en", "nonce")
        return {key: str(form.get(key, ""))[: MAX_CHARS * 2] for key in keys}

    async def note_preview(self, request: Request) -> Response:
        """Show the note exactly as people will get it, and how many, before publishing."""
        asked = await self._note_asker(request)
        if isinstance(asked, Response):
            return asked
        viewer, lang, notes = asked
        values = await self._note_form(request)
        texts = {code: values[f"text_{code}"] for code in LANGUAGES}
        try:
            draft = await notes.check(viewer, values["factor"], values["place"], texts)
        except NoteError as exc:
            return await self._notes_form(request, viewer, lang, values, str(exc), 400)
        author = viewer.partner.name if viewer.partner is not None else "Échoppe"
        return self._render(
            "note_preview.html",
            request,
            lang,
            viewer,
            # A fresh one-time value: the publish button below goes once.
            values={**values, "nonce": secrets.token_urlsafe(16)},
            messages=[(code, notes.message(draft, author, code)) for code in LANGUAGES],
            # "k or more", never a number: two previews (a territory, then each of its cores,
            # or the same one a minute later) would otherwise subtract.
            enough=draft.recipients >= self._k,
        )

    async def note_publish(self, request: Request) -> Response:
        """Publish a previewed note: shown at once, sent once."""
        asked = await self._note_asker(request)
        if isinstance(asked, Response):
            return asked
        viewer, lang, notes = asked
        values = await self._note_form(request)
        texts = {code: values[f"text_{code}"] for code in LANGUAGES}
        if not values["nonce"]:
            return await self._notes_form(request, viewer, lang, values, None, 200)
        try:
            await notes.publish(viewer, values["factor"], values["place"], texts, values["nonce"])
        except NoteError as exc:
            return await self._notes_form(request, viewer, lang, values, str(exc), 400)
        return RedirectResponse(f"/dashboard/notes?lang={lang}&published=1", status_code=303)

    async def note_edit(self, request: Request) -> Response:
        """Go back from the preview to the form, with what was written."""
        asked = await self._note_asker(request)
        if isinstance(asked, Response):
            return asked
        viewer, lang, _ = asked
        values = await self._note_form(request)
        return await self._notes_form(request, viewer, lang, values, None, 200)

    async def note_withdraw(self, request: Request) -> Response:
        """Withdraw a note of the viewer's scope."""
        asked = await self._note_asker(request)
        if isinstance(asked, Response):
            return asked
        viewer, lang, notes = asked
        note_id = int(request.path_params["note_id"])
        # SQLite's integers are 64-bit: a bigger id is no note.
        if not 0 < note_id < 2**63 or not await notes.withdraw(viewer, note_id):
            return self._not_found(request, viewer)
        return RedirectResponse(f"/dashboard/notes?lang={lang}", status_code=303)


def _factor_choices(lang: str) -> list[tuple[str, str]]:
    return [(f, _factor_title(f, lang)) for f in FACTOR_IDS]


def _factor_title(factor: str, lang: str) -> str:
    return taxonomy().get(factor).title(lang)
