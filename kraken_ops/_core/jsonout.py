"""JSON output that keeps every number exactly as Kraken sent it.

``json.dumps`` cannot print a :class:`~decimal.Decimal` as a number without going
through ``float``; :func:`dumps` writes the Decimal's own text instead, so
``1688666559.8974`` stays ``1688666559.8974`` and ``0.10000000`` keeps its zeros.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def dumps(obj: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """Serialise ``obj`` to JSON, writing Decimals as exact JSON numbers."""
    parts: list[str] = []
    _write(obj, parts, indent, 0, sort_keys)
    return "".join(parts)


def _write(obj: Any, out: list[str], indent: int | None, level: int, sort_keys: bool) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(_str(obj))
    elif isinstance(obj, Decimal):
        out.append(_decimal(obj))
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        out.append(json.dumps(obj))
    elif isinstance(obj, dict):
        items = sorted(obj.items()) if sort_keys else obj.items()
        if not obj:
            out.append("{}")
            return
        out.append("{")
        first = True
        for key, value in items:
            if not first:
                out.append(",")
            first = False
            _newline(out, indent, level + 1)
            out.append(_str(str(key)))
            out.append(": " if indent is not None else ":")
            _write(value, out, indent, level + 1, sort_keys)
        _newline(out, indent, level)
        out.append("}")
    elif isinstance(obj, (list, tuple, set, frozenset)):
        if not obj:
            out.append("[]")
            return
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _newline(out, indent, level + 1)
            _write(value, out, indent, level + 1, sort_keys)
        _newline(out, indent, level)
        out.append("]")
    elif hasattr(obj, "isoformat"):
        out.append(_str(obj.isoformat()))
    else:
        out.append(_str(str(obj)))


def _newline(out: list[str], indent: int | None, level: int) -> None:
    if indent is not None:
        out.append("\n" + " " * (indent * level))


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return _str(str(value))
    text = str(value)
    return text
