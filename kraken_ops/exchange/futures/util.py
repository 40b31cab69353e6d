"""Small helpers shared by the Futures REST, history and WebSocket code.

* ``dumps`` writes JSON with :class:`~decimal.Decimal` values as their exact text (no float
  round trip), because Kraken Futures sends most numbers as JSON numbers.
* ``iso_ms`` formats Kraken Futures' ``serverTime`` (``2022-06-28T14:48:58.711Z``).
"""

from __future__ import annotations

import json
import time as _time
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web


def dec_text(d: Decimal) -> str:
    """Plain (non-exponent) text of a Decimal without superfluous trailing zeros."""
    if d.is_nan() or d.is_infinite():
        raise ValueError("non-finite Decimal cannot be written to JSON")
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _encode(obj: Any, out: list[str]) -> None:
    if isinstance(obj, Decimal):
        out.append(dec_text(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(k)))
            out.append(":")
            _encode(v, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _encode(v, out)
        out.append("]")
    else:
        out.append(json.dumps(obj))


def dumps(obj: Any) -> str:
    """JSON text of ``obj``; Decimals are written as exact JSON numbers."""
    out: list[str] = []
    _encode(obj, out)
    return "".join(out)


def iso_ms(ts: float) -> str:
    """``2022-06-28T14:48:58.711Z`` for a unix time in seconds."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_s(ts: float) -> str:
    """``2023-03-24T17:41:56Z`` for a unix time in seconds."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Unix seconds of an ISO-8601 timestamp (``Z`` or offset); ValueError when it is not one
    (or one the platform cannot convert, like year 1 in local time)."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except (OverflowError, OSError) as exc:
        raise ValueError(str(exc)) from None


#: request numbers (sizes, prices, amounts) must stay below this in absolute value; Kraken
#: publishes no bound, ours keeps every number within Decimal's 28 digits in the engine
#: (``1e30 % tick_size`` would fail), so junk like ``1e30`` or ``1e400`` is refused
NUMBER_LIMIT = Decimal(10) ** 15


def to_dec(value: Any) -> Decimal | None:
    """Decimal of a request value, or None when it is missing or not a finite number below
    :data:`NUMBER_LIMIT` in absolute value (callers answer invalidSize, invalidPrice...)."""
    if value is None or value == "" or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or abs(d) >= NUMBER_LIMIT:
        return None
    return d


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(payload), status=status, content_type="application/json")


def success(now: float, **payload: Any) -> web.Response:
    """``{"result":"success", ..., "serverTime":"...Z"}``."""
    body: dict[str, Any] = {"result": "success"}
    body.update(payload)
    body["serverTime"] = iso_ms(now)
    return json_response(body)


def error(now: float, code: str, status: int = 200) -> web.Response:
    """``{"result":"error","serverTime":"...Z","error":code}`` (HTTP 200, as Kraken answers)."""
    return json_response({"result": "error", "serverTime": iso_ms(now), "error": code}, status=status)


def wall_ms() -> int:
    return int(_time.time() * 1000)
