"""Request descriptions and wire encoding shared by every client.

An endpoint method never talks to the network itself: it builds a :class:`Call`
(method, path, parameters, post-processing) and hands it to ``self._call``. The
sync client executes it at once; the async client returns a coroutine that does.
``Call.then`` post-processes the parsed result and may return another ``Call``
to continue (e.g. ``create_order(truncate=True)`` first reads AssetPairs), so a
multi-step method is still written once for both clients. ``Call.on_error`` does
the same for a failure: it may return the ``Call`` to send instead (a lookup after
a lost answer, :mod:`kraken_ops._core.outcome`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import urlencode


@dataclass(slots=True)
class Call:
    """One HTTP request to Kraken, described but not sent."""

    method: str
    path: str
    params: dict[str, Any] | None = None  # spot: query (GET) or body (POST); futures: post_params
    query: dict[str, Any] | None = None  # futures: query_params
    auth: bool = False
    do_json: bool = False  # spot: JSON body instead of form encoding
    return_raw: bool = False  # hand back the transport's response object (streams it)
    query_str: str | None = None  # appended verbatim to the URL's query
    timeout: float | None = None
    extra_params: dict[str, Any] | str | None = None
    cost: int | None = None  # rate-limit weight; None = derived from the path
    then: Callable[[Any], Any] | None = None  # post-processing; may return another Call
    headers: dict[str, str] = field(default_factory=dict)
    # If sending fails, on_error(exc) returns the Call to continue with (whose chain gives the
    # final result, this call's ``then`` is not applied to it) or the final result, or raises;
    # used to find out what became of a write whose answer was lost.
    on_error: Callable[[BaseException], Any] | None = None
    delay: float = 0.0  # seconds to wait before sending (a lookup that gives Kraken time)
    # spot: the otp of a key with 2FA for this call (a string or a callable returning the code);
    # None: the client's. Set from a method's ``otp=`` (see _core/otp.py); a chain's next Call inherits it.
    otp: Any = None


def and_then(step: Any, after: Callable[[Any], Any]) -> Any:
    """``step`` (a value or a :class:`Call` chain) followed by ``after`` on its final value.

    >>> and_then(2, lambda x: x + 1)
    3
    """
    if not isinstance(step, Call):
        return after(step)
    inner = step.then
    step.then = (lambda result: and_then(inner(result), after)) if inner is not None else after
    failed = step.on_error
    if failed is not None:
        step.on_error = lambda exc: and_then(failed(exc), after)
    return step


def params(**kwargs: Any) -> dict[str, Any]:
    """Build a parameter dict, dropping ``None`` values (Kraken's "not given")."""
    return {k: v for k, v in kwargs.items() if v is not None}


def merge_extra(base: dict[str, Any] | None, extra: dict[str, Any] | str | None) -> dict[str, Any]:
    """Merge ``extra_params`` (a dict or a JSON object string) over ``base``."""
    merged: dict[str, Any] = dict(base or {})
    if extra:
        if isinstance(extra, str):
            extra = json.loads(extra, parse_float=Decimal)
        if not isinstance(extra, dict):
            raise TypeError("extra_params must be a dict or a JSON object")
        merged.update(extra)
    return {k: v for k, v in merged.items() if v is not None}


def wire_value(value: Any, *, join_lists: bool = True) -> Any:
    """The text Kraken expects for one form value; numbers go on the wire unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        # shortest text that round-trips (what the caller typed), in plain notation:
        # Kraken rejects exponents such as "1e-05"
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [wire_value(v) for v in value]
        return ",".join(items) if join_lists else items
    if isinstance(value, dict):
        return json.dumps(value, default=_json_default)
    return str(value)


def form_encode(data: dict[str, Any], *, join_lists: bool = True) -> str:
    """``application/x-www-form-urlencoded`` text in insertion order.

    Spot joins lists with commas (``txid=A,B``); Futures repeats the key
    (``orderIds=A&orderIds=B``), selected with ``join_lists=False``.
    """
    return urlencode([(k, wire_value(v, join_lists=join_lists)) for k, v in data.items()], doseq=not join_lists)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_encode(data: dict[str, Any]) -> str:
    """JSON body with Decimals as strings (Kraken accepts numeric strings everywhere)."""
    return json.dumps(data, default=_json_default)


def parse_json(raw: bytes | str) -> Any:
    """Parse a Kraken JSON body keeping every non-integer number exact (Decimal)."""
    return json.loads(raw, parse_float=Decimal)
