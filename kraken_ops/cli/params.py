"""Option values: Kraken's number grammar, comma lists, input files.

Kraken reads numbers as plain ASCII decimals (``0.01``, ``25000``): no exponent,
no digit separators, no other digits than 0-9 (Python's ``Decimal`` and ``int``
happily take ``1_000``, ``1e3`` and full-width ``０.０１``; Kraken does not). The
parsers here accept exactly what Kraken accepts, keep the text as typed, and the
callbacks turn anything else into one line on stderr and exit code 2 before a
request is built:

* :func:`parse_decimal` -- volumes, sizes, amounts: ``DIGITS[.DIGITS]``;
* :func:`parse_price` -- AddOrder/EditOrder prices: a decimal, or Kraken's relative
  forms ``+N``, ``-N``, ``#N`` (offset from the market price) and ``N%`` combined with
  a prefix (AmendOrder takes ``+``/``-`` only);
* :func:`parse_time` -- ``starttm``/``expiretm``: ``0``, ``+SECONDS`` or a unix time
  that fits Kraken's 32-bit times;
* :func:`parse_integer` -- integer options (``--userref``, ``--offset`` ...), used by the
  option coercion of :mod:`kraken_ops.cli.coercion`;
* :func:`parse_profile_name` -- ``--profile``: never empty;
* :func:`parse_tag_name` -- ``--group`` and ``--tag``: the profile name rules.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from typing import Any, NoReturn

import typer

_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_RELATIVE = re.compile(r"([+\-#]?)([0-9]+(?:\.[0-9]+)?)(%?)\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
MAX_TIME = 2**32 - 1  # Kraken's times are 32-bit unsigned seconds (year 2106)
MAX_DIGITS = 30  # longer numbers are typing accidents, and overflow Kraken's fields


def parse_decimal(text: str) -> str:
    """``text`` if it is a plain non-negative decimal as Kraken reads it; ``ValueError`` otherwise.

    >>> parse_decimal("0.01")
    '0.01'
    >>> parse_decimal("1_000")
    Traceback (most recent call last):
    ValueError: is not a plain decimal number (digits 0-9 and one '.', e.g. 0.01)
    """
    if not (text.isascii() and _DECIMAL.match(text)) or len(text) > MAX_DIGITS:
        raise ValueError("is not a plain decimal number (digits 0-9 and one '.', e.g. 0.01)")
    return text


def parse_price(text: str, *, prefixes: str = "+-#") -> str:
    """A price: a plain decimal, or a relative price (``+N``, ``-N``, ``#N``, with ``%`` after a prefix).

    >>> parse_price("25000.5"), parse_price("+100"), parse_price("-1.5%"), parse_price("#2%")
    ('25000.5', '+100', '-1.5%', '#2%')
    """
    match = _RELATIVE.match(text) if text.isascii() and len(text) <= MAX_DIGITS else None
    if match is None or (match.group(1) and match.group(1) not in prefixes) or (match.group(3) and not match.group(1)):
        forms = ", ".join(f"{p}N" for p in prefixes)
        raise ValueError(f"is not a price (a plain decimal such as 25000.5, or relative: {forms}, with an optional % after a prefix)")
    return text


def parse_amend_price(text: str) -> str:
    """A price for AmendOrder: a plain decimal, or ``+N``/``-N`` (with an optional ``%``)."""
    return parse_price(text, prefixes="+-")


def parse_time(text: str) -> str:
    """``starttm``/``expiretm``: ``0`` (now), ``+SECONDS`` (from now) or a unix time, as Kraken reads them.

    >>> parse_time("0"), parse_time("+3600"), parse_time("1700000000")
    ('0', '+3600', '1700000000')
    """
    body = text[1:] if text.startswith("+") else text
    if not (body.isascii() and body.isdigit()) or len(body) > 10 or int(body) > MAX_TIME:
        raise ValueError(f"is not a time: 0 (now), +SECONDS or a unix time up to {MAX_TIME}")
    return text


def parse_integer(text: str, *, lowest: int = -(2**63), highest: int = 2**63 - 1) -> int:
    """An integer written with ASCII digits only (an optional leading ``-``), within bounds.

    >>> parse_integer("42")
    42
    """
    if not (text.isascii() and _INTEGER.match(text)) or len(text) > 20:
        raise ValueError("is not an integer (digits 0-9 only)")
    value = int(text)
    if not lowest <= value <= highest:
        raise ValueError(f"is out of range ({lowest} to {highest})")
    return value


def parse_float(text: str) -> float:
    """A non-negative number of seconds (``--timeout``): ``DIGITS[.DIGITS]``."""
    if not (text.isascii() and _FLOAT.match(text)) or len(text) > MAX_DIGITS:
        raise ValueError("is not a plain decimal number (digits 0-9 and one '.', e.g. 2.5)")
    return float(text)


def parse_profile_name(text: str) -> str:
    """A profile name given on the command line: never empty or blank."""
    if not text.strip():
        raise ValueError("is empty: name a profile (kraken-ops profile list shows them)")
    return text


def parse_tag_name(text: str) -> str:
    """A tag given on the command line (``--group``, ``--tag``): the profile name rules."""
    from kraken_ops.profiles.config import _TAG_RE

    if not _TAG_RE.match(text):
        raise ValueError("is not a tag: use letters, digits, '_', '-' and '.', starting with a letter or digit (at most 64)")
    return text


def usage_error(param: Any, value: Any, reason: str) -> NoReturn:
    """One line on stderr (``error: --volume '1_000' is not ...``) and exit code 2."""
    from kraken_ops.cli.output import say

    name = _option_name(param)
    say(f"error: {name} {value!r} {reason}", sys.stderr)
    raise typer.Exit(2)


def _option_name(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", None) or [] if o.startswith("--")]
    if opts:
        return opts[0]
    name = getattr(param, "name", None) or "value"
    return str(name).upper()


def _checked(parse: Any) -> Any:
    """An option callback applying ``parse`` to the value (or to each value of a list)."""

    def callback(ctx: Any, param: Any, value: Any) -> Any:
        if value is None:
            return None
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            try:
                parse(item)
            except ValueError as exc:
                usage_error(param, item, str(exc))
        return value

    callback.__name__ = getattr(parse, "__name__", "callback")
    return callback


decimal_text = _checked(parse_decimal)  # option callback: volumes, sizes, amounts
price_text = _checked(parse_price)  # option callback: AddOrder/EditOrder prices
amend_price_text = _checked(parse_amend_price)  # option callback: AmendOrder prices
time_text = _checked(parse_time)  # option callback: --start, --expire
profile_name = _checked(parse_profile_name)  # option callback: --profile
tag_name = _checked(parse_tag_name)  # option callback: --group, --tag


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
