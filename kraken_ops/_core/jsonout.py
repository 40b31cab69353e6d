"""JSON output that keeps every number exactly as Kraken sent it — the one encoder.

``json.dumps`` cannot print a :class:`~decimal.Decimal` as a number without going
through ``float``; :func:`dumps` writes the Decimal's own text instead, so
``1688666559.8974`` stays ``1688666559.8974`` and ``0.10000000`` keeps its zeros.
The CLI's JSON output, the NDJSON of streams and the raw commands all use it.
"""

from __future__ import annotations

from decimal import Decimal
from json import encoder as _encoder
from typing import Any, Mapping

_STR = {False: _encoder.encode_basestring, True: _encoder.encode_basestring_ascii}  # type: ignore[attr-defined]


def dumps(
    obj: Any,
    *,
    indent: int | None = None,
    separators: tuple[str, str] = (",", ":"),
    ensure_ascii: bool = False,
    sort_keys: bool = False,
) -> str:
    """Serialise ``obj`` to JSON, writing Decimals as exact JSON numbers.

    Compact by default (``{"a":0.10}``); ``indent`` pretty-prints; ``separators`` is
    ``(item, key)`` as for :func:`json.dumps`.

    >>> dumps({"a": Decimal("0.10"), "b": "1.0"})
    '{"a":0.10,"b":"1.0"}'
    """
    parts: list[str] = []
    _write(obj, parts, indent, 0, separators[0], separators[1], _STR[ensure_ascii], sort_keys)
    return "".join(parts)


def _write(obj: Any, out: list[str], indent: int | None, level: int, item_sep: str, key_sep: str, enc: Any, sort_keys: bool) -> None:
    if isinstance(obj, str):
        out.append(enc(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, Decimal):
        out.append(str(obj) if obj.is_finite() else enc(str(obj)))
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        finite = obj == obj and obj not in (float("inf"), float("-inf"))
        out.append(repr(obj) if finite else enc(repr(obj)))
    elif isinstance(obj, Mapping):
        if not obj:
            out.append("{}")
            return
        out.append("{")
        items = sorted(obj.items()) if sort_keys else obj.items()
        for i, (key, value) in enumerate(items):
            if i:
                out.append(item_sep)
            _newline(out, indent, level + 1)
            out.append(enc(str(key)))
            out.append(key_sep)
            _write(value, out, indent, level + 1, item_sep, key_sep, enc, sort_keys)
        _newline(out, indent, level)
        out.append("}")
    elif isinstance(obj, (list, tuple, set, frozenset)):
        if not obj:
            out.append("[]")
            return
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(item_sep)
            _newline(out, indent, level + 1)
            _write(value, out, indent, level + 1, item_sep, key_sep, enc, sort_keys)
        _newline(out, indent, level)
        out.append("]")
    elif isinstance(obj, (bytes, bytearray)):
        out.append(enc(bytes(obj).decode("utf-8", "replace")))
    elif hasattr(obj, "isoformat"):
        out.append(enc(obj.isoformat()))
    else:
        out.append(enc(str(obj)))


def _newline(out: list[str], indent: int | None, level: int) -> None:
    if indent is not None:
        out.append("\n" + " " * (indent * level))
