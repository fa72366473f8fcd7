"""Operators' WhatsApp commands: submit the message templates to Meta and show their status."""

from __future__ import annotations

from bot.channels.whatsapp.client import GraphClient, GraphError
from bot.channels.whatsapp.render import CHANNEL
from bot.channels.whatsapp.templates import TemplateBook, refresh, sync
from bot.config import ConfigError, Settings
from bot.storage.database import opened
from bot.storage.templates import TemplateStatusRepository


def _client(settings: Settings) -> GraphClient:
    if (
        settings.whatsapp_token is None
        or settings.whatsapp_phone_number_id is None
        or settings.whatsapp_business_account_id is None
    ):
        raise ConfigError(
            "templates need ECHOPPE_WHATSAPP_TOKEN, ECHOPPE_WHATSAPP_PHONE_NUMBER_ID and"
            " ECHOPPE_WHATSAPP_BUSINESS_ACCOUNT_ID"
        )
    return GraphClient(
        settings.whatsapp_api_url,
        settings.whatsapp_token.get_secret_value(),
        settings.whatsapp_phone_number_id,
    )


async def templates(settings: Settings, *, submit: bool) -> list[str]:
    """Read (and with submit, create) the templates at Meta; return one line per template."""
    book = TemplateBook.load(settings.data_dir / "whatsapp" / "templates.yaml")
    client = _client(settings)
    waba = settings.whatsapp_business_account_id or ""
    await client.open()
    try:
        async with opened(settings.database_path) as db:
            statuses = TemplateStatusRepository(db)

            async def record(
                name: str, lang: str, category: str, status: str, remote_id: str | None
            ) -> None:
                async with db.transaction():
                    await statuses.record(CHANNEL, name, lang, category, status, remote_id)

            # sync reads Meta's list as it goes; a plain listing only reads it.
            submitted = 0
            if submit:
                submitted = await sync(client, book, waba, record)
            else:
                await refresh(client, waba, record)
            rows = await statuses.all(CHANNEL)
    except GraphError as exc:
        raise ConfigError(f"Meta refused: {exc}") from None
    finally:
        await client.close()
    lines = [f"{r.name}\t{r.language}\t{r.category}\t{r.status}" for r in rows]
    if submit:
        lines.append(f"{submitted} template(s) submitted for review")
    return lines or ["no templates known yet: run `bot.py whatsapp templates sync`"]
