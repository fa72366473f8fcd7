"""What a dashboard view shows, independent of HTML or CSV: filters, sections, tables."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

# A table cell: text, a number, or None for a count hidden by the gate (fewer than k).
Cell = str | int | float | None

# A cell of text starting with one of these is read as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


@dataclass(frozen=True)
class Column:
    """A column of a table: its stable key (the CSV header) and its label on screen."""

    key: str
    label: str
    numeric: bool = False
    # Computed from other cells (a change): None means "cannot be computed", not "hidden".
    derived: bool = False


@dataclass(frozen=True)
class Table:
    """One table of a view, shown on the page and downloadable as CSV exactly as shown."""

    key: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Cells to link on the page (row index, column index) -> href; the CSV keeps the text.
    links: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def all_hidden(self) -> bool:
        """Tell whether every count in the table is hidden (only small groups)."""
        counts = [
            cell
            for row in self.rows
            for cell, column in zip(row, self.columns, strict=True)
            if column.numeric and not column.derived
        ]
        return bool(counts) and all(cell is None for cell in counts)


@dataclass(frozen=True)
class Section:
    """A part of a view: a heading, an optional chart (inline SVG) and its data table."""

    key: str
    title: str
    table: Table | None = None
    chart: Markup | None = None
    intro: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    """One choice of a filter."""

    value: str
    label: str


@dataclass(frozen=True)
class Filter:
    """A filter of a view, kept in the URL so that every view is a permalink."""

    name: str
    label: str
    options: tuple[Option, ...]
    selected: str


@dataclass(frozen=True)
class ViewPage:
    """A whole view: its title, filters and sections."""

    view: str
    title: str
    filters: tuple[Filter, ...]
    sections: tuple[Section, ...]
    intro: str = ""

    def table(self, key: str) -> Table | None:
        """Return one of the view's tables by key."""
        for section in self.sections:
            if section.table is not None and section.table.key == key:
                return section.table
        return None


def safe_text(value: str) -> str:
    """Return text a spreadsheet shows as text, never runs (a leading quote before formulas)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(table: Table, columns_from: Sequence[Column] | None = None) -> bytes:
    """Write a table as CSV (UTF-8 with BOM for spreadsheets): hidden counts stay empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in (columns_from or table.columns)])
    for row in table.rows:
        cells: list[str] = []
        for cell in row:
            if cell is None:
                cells.append("")
            elif isinstance(cell, bool):
                cells.append(str(int(cell)))
            elif isinstance(cell, int | float):
                # Numbers are written by us, never text from people: "-3" is a number here.
                cells.append(str(cell))
            else:
                cells.append(safe_text(cell))
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
