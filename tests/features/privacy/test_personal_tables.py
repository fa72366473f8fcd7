"""Every table that holds a person's rows is exported by /mydata and joined by /link.

A new feature adding a table with a `user_id` must add it to both lists (or say here why
not); /forget removes such rows through `users`' ON DELETE CASCADE, checked by the end-to-end
privacy tests.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.features.linking.store import PERSONAL_TABLES
from bot.features.privacy.store import EXPORTED
from bot.storage import Database

# Rows about a person that /link does not move one by one, and why.
NOT_MERGED = {
    "user_identities": "moved with the account it belongs to",
    "link_codes": "a pending one-time code, dropped when accounts are joined",
}
# Rows about a person that /mydata does not show, and why.
NOT_EXPORTED = {
    "link_codes": "only a hash of a code valid ten minutes",
}


async def _tables_with_user_id(tmp_path: Path) -> set[str]:
    db = Database(tmp_path / "schema.sqlite3")
    await db.connect()
    try:
        rows = await db.fetch_all(
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p"
            " WHERE m.type = 'table' AND p.name = 'user_id'"
        )
    finally:
        await db.close()
    return {str(r[0]) for r in rows}


async def test_every_table_of_a_persons_rows_is_joined_by_link(tmp_path: Path) -> None:
    tables = await _tables_with_user_id(tmp_path)
    assert tables - set(NOT_MERGED) == set(PERSONAL_TABLES)


async def test_every_table_of_a_persons_rows_is_in_mydata(tmp_path: Path) -> None:
    tables = await _tables_with_user_id(tmp_path)
    read = {t for _, sql in EXPORTED for t in re.findall(r"\b(?:FROM|JOIN) (\w+)", sql)}
    assert tables - set(NOT_EXPORTED) <= read, tables - set(NOT_EXPORTED) - read
