"""The SET part of an UPDATE, from named values, refusing any column not allowed."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def set_clause(values: Mapping[str, Any], allowed: Collection[str]) -> tuple[str, tuple[Any, ...]]:
    """Return "a = ?, b = ?" and its values; a column outside `allowed` is a bug (ValueError)."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)}")
    names = sorted(values)
    return ", ".join(f"{name} = ?" for name in names), tuple(values[name] for name in names)
