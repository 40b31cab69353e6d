"""Spot margin positions of the local exchange: the data, the fees, and their persistence.

A margin order (AddOrder with ``leverage``) opens one position per opening fill, keyed by
the fill's trade id as at Kraken (OpenPositions' keys are trade ids). The position borrows:
a long borrows the quote currency to buy the base, a short borrows the base to sell it.
Nothing of the position is in the account's balances; it holds collateral instead: its
margin (``cost / leverage``) counts against the account's free margin (TradeBalance
``mf``) until the position is closed.

* **Closing** (an opposite margin order, a ``reduce_only`` order, a conditional close or a
  liquidation): positions of the pair are closed first in, first out; the profit or loss of
  the closed volume goes into the quote balance (ledger ``margin``).
* **Settling** (``ordertype=settle-position``): the borrowed funds are paid back from the
  balance with no trade (a long pays its opening cost in the quote currency and keeps the
  base; a short delivers the base and receives the opening proceeds), ledger ``settled``.
* **Fees**: the trade fee on opening and closing volume (quote currency); an opening fee and
  every 4 hours a rollover fee, both at the rate of the borrowed currency (0.01 % for XBT,
  0.02 % for everything else, as in Kraken's published margin fee table), charged in the
  borrowed currency (Kraken: "in the currency that is provided by Kraken to you"), ledger
  ``margin`` (opening) and ``rollover``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kraken_ops.exchange.markets import Pair, find_pair

D = Decimal
ZERO = D(0)

#: seconds between two rollover fees
ROLLOVER_INTERVAL = 4 * 3600
#: opening and rollover fee (per 4 hours) by borrowed asset; every other asset: DEFAULT_MARGIN_RATE
MARGIN_RATES: dict[str, Decimal] = {"XXBT": D("0.0001")}
DEFAULT_MARGIN_RATE = D("0.0002")

SCHEMA = """
CREATE TABLE IF NOT EXISTS margin_positions (
    posid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    status TEXT NOT NULL,
    time REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS margin_positions_account ON margin_positions(account, status);
"""


def borrowed_asset(pair: Pair, side: str) -> str:
    """The asset a position borrows: the quote for a long, the base for a short."""
    return pair.quote if side == "buy" else pair.base


def margin_rate(pair: Pair, side: str) -> Decimal:
    """Opening and rollover fee rate of a position on ``pair`` opened by a ``side`` order."""
    return MARGIN_RATES.get(borrowed_asset(pair, side), DEFAULT_MARGIN_RATE)


def parse_leverage(value: Any) -> Decimal | None:
    """``2``, ``2:1`` or ``none`` (also ``1``, ``1:1``: no margin) -> the leverage or None.

    Raises ValueError for anything else."""
    if value is None:
        return None
    s = str(value).strip().lower()
    if s in ("", "none", "1", "1:1"):
        return None
    if s.endswith(":1"):
        s = s[:-2]
    if not s.isascii() or not s.isdigit() or len(s) > 3:
        raise ValueError(value)
    return D(int(s))


@dataclass
class Position:
    """One open (or closed) margin position."""

    posid: str
    account: str
    pair: Pair
    side: str                 # the opening order's side: buy = long, sell = short
    ordertxid: str
    ordertype: str
    time: float
    vol: Decimal
    cost: Decimal             # opening cost in the quote currency (vol x opening price)
    leverage: Decimal
    rate: Decimal             # rollover rate per 4 hours
    rollovertm: float
    fee: Decimal = ZERO       # trade and margin fees so far, in the quote currency
    oflags: str = ""
    vol_closed: Decimal = ZERO
    status: str = "open"
    closed_cost: Decimal = ZERO   # closing volume x closing price
    closed_fee: Decimal = ZERO
    realized: Decimal = ZERO      # profit/loss of the closed volume (before fees)
    closing_trades: list[str] = field(default_factory=list)

    # -- derived ---------------------------------------------------------------------
    @property
    def remaining(self) -> Decimal:
        return self.vol - self.vol_closed

    @property
    def open_price(self) -> Decimal:
        return self.cost / self.vol if self.vol else ZERO

    @property
    def margin(self) -> Decimal:
        """Initial margin of the opening volume (quote currency), as OpenPositions shows it."""
        return self.cost / self.leverage

    @property
    def cost_remaining(self) -> Decimal:
        return self.cost * self.remaining / self.vol if self.vol else ZERO

    @property
    def margin_remaining(self) -> Decimal:
        return self.cost_remaining / self.leverage

    def value(self, price: Decimal) -> Decimal:
        """Value of the remaining volume at ``price`` (quote currency)."""
        return self.remaining * price

    def net(self, price: Decimal) -> Decimal:
        """Unrealised profit/loss of the remaining volume at ``price`` (fees not included)."""
        diff = self.value(price) - self.cost_remaining
        return diff if self.side == "buy" else -diff

    def pnl(self, qty: Decimal, price: Decimal) -> Decimal:
        """Profit/loss of closing ``qty`` at ``price``."""
        diff = qty * (price - self.open_price)
        return diff if self.side == "buy" else -diff

    # -- Kraken shapes ---------------------------------------------------------------
    def terms(self) -> str:
        return f"{(self.rate * 100).quantize(D('0.0001'))}% per 4 hours"

    def to_kraken(self, price: Decimal | None, quote_fmt: Any) -> dict[str, Any]:
        """An OpenPositions entry; ``price`` (the valuation price) adds ``value`` and ``net``."""
        p = self.pair
        out: dict[str, Any] = {
            "ordertxid": self.ordertxid, "posstatus": self.status, "pair": p.id, "time": round(self.time, 4),
            "type": self.side, "ordertype": self.ordertype, "cost": p.fmt_cost(self.cost),
            "fee": p.fmt_cost(self.fee), "vol": p.fmt_vol(self.vol), "vol_closed": p.fmt_vol(self.vol_closed),
            "margin": p.fmt_cost(self.margin),
        }
        if price is not None:
            net = self.net(price)
            out["value"] = p.fmt_price(self.value(price))
            out["net"] = ("+" if net >= 0 else "-") + quote_fmt(abs(net))
        out.update({"terms": self.terms(), "rollovertm": str(int(self.rollovertm)), "misc": "",
                    "oflags": self.oflags})
        return out

    # -- persistence -------------------------------------------------------------------
    def to_record(self) -> str:
        return json.dumps({
            "posid": self.posid, "account": self.account, "pair": self.pair.id, "side": self.side,
            "ordertxid": self.ordertxid, "ordertype": self.ordertype, "time": self.time, "vol": str(self.vol),
            "cost": str(self.cost), "leverage": str(self.leverage), "rate": str(self.rate),
            "rollovertm": self.rollovertm, "fee": str(self.fee), "oflags": self.oflags,
            "vol_closed": str(self.vol_closed), "status": self.status, "closed_cost": str(self.closed_cost),
            "closed_fee": str(self.closed_fee), "realized": str(self.realized),
            "closing_trades": self.closing_trades,
        })

    @classmethod
    def from_record(cls, text: str) -> "Position":
        r = json.loads(text)
        pair = find_pair(r["pair"])
        assert pair is not None
        return cls(
            posid=r["posid"], account=r["account"], pair=pair, side=r["side"], ordertxid=r["ordertxid"],
            ordertype=r["ordertype"], time=r["time"], vol=D(r["vol"]), cost=D(r["cost"]),
            leverage=D(r["leverage"]), rate=D(r["rate"]), rollovertm=r["rollovertm"], fee=D(r["fee"]),
            oflags=r.get("oflags", ""), vol_closed=D(r["vol_closed"]), status=r["status"],
            closed_cost=D(r.get("closed_cost", "0")), closed_fee=D(r.get("closed_fee", "0")),
            realized=D(r.get("realized", "0")), closing_trades=list(r.get("closing_trades", [])),
        )


def consolidate(positions: list[Position], price_of: Any, with_calcs: bool, quote_fmt_of: Any) -> list[dict[str, Any]]:
    """OpenPositions with ``consolidation=market``: one entry per pair and side."""
    groups: dict[tuple[str, str], list[Position]] = {}
    for p in positions:
        groups.setdefault((p.pair.id, p.side), []).append(p)
    out = []
    for (_, side), ps in groups.items():
        pair = ps[0].pair
        vol = sum((p.vol for p in ps), ZERO)
        cost = sum((p.cost for p in ps), ZERO)
        margin = sum((p.margin for p in ps), ZERO)
        entry: dict[str, Any] = {
            "pair": pair.id, "positions": str(len(ps)), "type": side,
            "leverage": format((cost / margin).quantize(D("0.00001")), "f") if margin else "0.00000",
            "cost": pair.fmt_cost(cost), "fee": pair.fmt_cost(sum((p.fee for p in ps), ZERO)),
            "vol": pair.fmt_vol(vol), "vol_closed": pair.fmt_vol(sum((p.vol_closed for p in ps), ZERO)),
            "margin": pair.fmt_cost(margin),
        }
        if with_calcs:
            price = price_of(pair)
            net = sum((p.net(price) for p in ps), ZERO)
            entry["value"] = pair.fmt_price(sum((p.value(price) for p in ps), ZERO))
            entry["net"] = ("+" if net >= 0 else "-") + quote_fmt_of(pair)(abs(net))
        out.append(entry)
    return out
