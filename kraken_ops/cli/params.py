"""Small helpers for command options: exact decimals, comma lists, input files."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from typing import Any

import typer


def decimal_text(value: str | None) -> str | None:
    """Option callback: accept a plain decimal number and keep its text exactly (never a float)."""
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a decimal number") from None
    if not number.is_finite() or number < 0:
        raise typer.BadParameter(f"{value!r} must be a non-negative decimal number")
    return value


def csv_list(values: list[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (repeated options and comma lists both work)."""
    if not values:
        return None
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out or None


def one_or_many(values: list[str] | None) -> str | list[str] | None:
    """A single value as itself, several as a list (SDK parameters accept both)."""
    items = csv_list(values)
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def read_text(path: str) -> str:
    """The text of ``path``, ``-`` meaning standard input."""
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def parse_json_or_ndjson(text: str) -> Any:
    """A JSON document, or NDJSON (one value a line) as a list; numbers stay exact."""
    import json

    from kraken_ops.cli.output import iter_ndjson

    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return list(iter_ndjson(text))
