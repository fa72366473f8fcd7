"""Export what people confirmed or corrected as training examples (JSON Lines)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.features.concerns.store import ConcernRepository
from bot.storage import Database
from nlp.anonymize import anonymize


async def export_corrections(db: Database, output: Path, *, only_corrected: bool) -> int:
    """Write confirmed concerns in the training format, personal data scrubbed; return count."""
    concerns = await ConcernRepository(db).confirmed(only_corrected=only_corrected)
    lines = [
        json.dumps(
            {
                "id": f"field-{c.id}",
                "lang": c.lang,
                "text": anonymize(c.text),
                "labels": sorted(c.draft),
            },
            ensure_ascii=False,
        )
        for c in concerns
    ]

    def write() -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    await asyncio.to_thread(write)
    return len(lines)
