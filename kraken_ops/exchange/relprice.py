"""Kraken's relative prices (AddOrder ``price``/``price2``) and trailing-stop offsets.

AddOrder's ``price`` and ``price2`` may be written relative to the last traded price
(Kraken's AddOrder documentation, "Relative Prices"):

* ``+N`` adds N to the last traded price, ``-N`` subtracts it;
* ``#N`` adds or subtracts N, whichever keeps the order on its own side of the market
  (below the market for a buy limit, above it for a buy stop-loss ...);
* a ``%`` suffix makes N a percentage of the last traded price (``+2%``).

Trailing stops *must* use the relative form: ``price`` of ``trailing-stop`` and
``trailing-stop-limit`` is the trailing offset (``+N`` or ``+N%``) from the peak (sell) or
trough (buy) of the reference price, and ``price2`` of ``trailing-stop-limit`` is the limit
offset (``+N``/``-N``, or with ``%``) from the price at which the order triggers.

The result of a relative price is rounded to the pair's tick size; one at or below zero (or
too large to handle) is ``EOrder:Invalid price``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

D = Decimal
HUNDRED = D(100)


@dataclass(frozen=True)
class Relative:
    """A relative price: ``sign`` is ``+``, ``-`` or ``#``; ``amount`` an absolute offset in the
    quote currency or, with ``pct``, a percentage."""

    sign: str
    amount: Decimal
    pct: bool = False

    def offset(self, reference: Decimal) -> Decimal:
        """The offset in the quote currency from ``reference`` (always >= 0)."""
        return reference * self.amount / HUNDRED if self.pct else self.amount

    def text(self, fmt_price: Any) -> str:
        """As Kraken shows it in an order's ``descr`` (``+50.0``, ``+2.0000%``)."""
        if self.pct:
            return f"{self.sign}{self.amount.quantize(D('0.0001'))}%"
        return self.sign + fmt_price(self.amount)

    def raw(self) -> str:
        """The parameter text that gives this offset again (EditOrder re-sends it)."""
        return f"{self.sign}{self.amount}{'%' if self.pct else ''}"


def parse_price(value: Any, name: str, invalid: Any, parse_decimal: Any) -> Decimal | Relative:
    """``value`` as an absolute price (a Decimal) or a :class:`Relative`.

    ``invalid(name)`` builds the error for text that is neither; ``parse_decimal(text, name,
    positive)`` parses the number part (so the engine's bounds apply)."""
    if isinstance(value, (list, dict, bool)) or value is None:
        raise invalid(name)
    s = str(value).strip()
    if s and s[0] in "+-#":
        body = s[1:]
        pct = body.endswith("%")
        if pct:
            body = body[:-1]
        if not body or body[0] in "+-":
            raise invalid(name)
        return Relative(s[0], parse_decimal(body, name, False), pct)
    if s.endswith("%"):  # a percentage needs a direction
        raise invalid(name)
    return parse_decimal(s, name, True)


def natural_sign(ordertype: str, side: str) -> int:
    """The direction ``#`` takes: the side of the market on which the order waits.

    A buy limit waits below the market, a buy stop-loss above it, a buy take-profit
    below it; sells the other way round."""
    below = ordertype.startswith("limit") or ordertype.startswith("take-profit")
    if ordertype.startswith("stop-loss"):
        below = False
    sign = -1 if below else 1
    return sign if side == "buy" else -sign


def resolve(rel: Relative, reference: Decimal, ordertype: str, side: str) -> Decimal:
    """The absolute price ``rel`` stands for, before rounding."""
    offset = rel.offset(reference)
    if rel.sign == "+":
        return reference + offset
    if rel.sign == "-":
        return reference - offset
    return reference + natural_sign(ordertype, side) * offset


def checked_price(value: Decimal, limit: Decimal, round_price: Any, error: Any) -> Decimal:
    """``value`` rounded to the tick size; ``error()`` when it is not a usable price."""
    try:
        if not value.is_finite() or value >= limit:
            raise error()
        rounded = round_price(value)
    except (InvalidOperation, ArithmeticError):
        raise error() from None
    if rounded <= 0:
        raise error()
    return rounded


def trailing_stop_price(side: str, extreme: Decimal, offset: Relative) -> Decimal:
    """The trigger price of a trailing stop: ``offset`` below the peak (sell) or above the
    trough (buy) of the reference price."""
    distance = offset.offset(extreme)
    return extreme - distance if side == "sell" else extreme + distance
