"""The matching engine shared by Spot REST and WebSocket v2.

One order book per pair, price-time priority. The market maker's quotes and the
crowd's trades (see :mod:`kraken_ops.exchange.simulation`) live in the same books as
user orders (account ``None``), so user orders are filled by the market as it moves.

Everything money-related is :class:`~decimal.Decimal`. Business errors are raised as
:class:`KrakenError` carrying Kraken's exact error string.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

from kraken_ops.exchange import margin as mg
from kraken_ops.exchange import relprice
from kraken_ops.exchange.markets import ASSETS, MAKER_RATE, PAIRS, TAKER_RATE, Markets, Pair, find_pair
from kraken_ops.exchange.relprice import Relative
from kraken_ops.exchange.state import Account, State, new_id

D = Decimal
ZERO = D(0)

#: order types of a conditional close (``close[ordertype]``)
CLOSE_TYPES = ("market", "limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit")
TRAILING = ("trailing-stop", "trailing-stop-limit")
ORDER_TYPES = CLOSE_TYPES + TRAILING + ("settle-position",)
TRIGGERED = ("stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit") + TRAILING
LIMIT_TRIGGERED = ("stop-loss-limit", "take-profit-limit", "trailing-stop-limit")
OFLAGS = ("post", "fcib", "fciq", "nompp", "viqc")
MAX_OPEN_PER_PAIR = 80
#: reason of the rest of a reduce-only order that would flip its position (Kraken's error string)
REDUCE_ONLY_CLOSED = "Reduce only:Position is closed"


class KrakenError(Exception):
    """A business error with Kraken's exact error string."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def invalid(field_name: str) -> KrakenError:
    return KrakenError(f"EGeneral:Invalid arguments:{field_name}")


#: numbers (prices, volumes, amounts) must stay below this in absolute value. Kraken does not
#: publish a bound; ours keeps every number formattable with Decimal's 28 digits (a price of
#: 1e15 at 10 decimals, a cost of 1e15 × 1e15), so that junk like ``1e30`` or ``1e400`` is an
#: ``Invalid arguments`` error instead of a failure deep in the engine.
NUMBER_LIMIT = D(10) ** 15
#: timestamps (unix seconds, absolute or ``+relative``) must stay below this (year 5138)
TIME_LIMIT = 10.0 ** 11


class Params(dict):  # type: ignore[type-arg]
    """A request's parameters as handlers read them, checked at the boundary.

    ``get(name)`` and ``params[name]`` give text: a JSON number or boolean becomes its
    text, JSON ``null`` is absent, and a list or object is refused with
    ``EGeneral:Invalid arguments:<name>`` unless ``name`` is one of ``lists`` (the
    parameters of the endpoint that take several values, e.g. QueryOrders' ``txid``),
    whose raw values are handed over for :func:`as_list`."""

    def __init__(self, data: Any = (), lists: Iterable[str] = ()) -> None:
        super().__init__(data)
        self.lists = frozenset(lists)

    def _text(self, name: str, value: Any) -> Any:
        if value is None or isinstance(value, str) or name in self.lists:
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, Decimal, float)):
            try:
                return repr(value) if isinstance(value, float) else str(value)
            except ValueError:  # an int of more digits than Python converts
                raise invalid(name) from None
        raise invalid(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        value = super().get(name)
        return default if value is None else self._text(name, value)

    def __getitem__(self, name: str) -> Any:
        return self._text(name, super().__getitem__(name))


def as_params(params: Any, lists: Iterable[str] = ()) -> Params:
    """``params`` as :class:`Params` (a plain dict, e.g. from a WebSocket message or a batch)."""
    if isinstance(params, Params):
        return params
    if not isinstance(params, dict):
        raise KrakenError("EGeneral:Invalid arguments")
    return Params(params, lists)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    s = str(value).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no", ""):
        return False
    raise invalid(name)


def parse_decimal(value: Any, name: str, positive: bool = True) -> Decimal:
    """A finite decimal below :data:`NUMBER_LIMIT`, > 0 (``positive``) or >= 0; otherwise
    ``EGeneral:Invalid arguments:<name>``."""
    if isinstance(value, (list, dict, bool)) or value is None:
        raise invalid(name)
    try:
        d = D(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(name) from None
    if not d.is_finite() or (positive and d <= 0) or d < 0 or d >= NUMBER_LIMIT:
        raise invalid(name)
    return d


def parse_time(value: Any, now: float, name: str) -> float:
    """``0``, ``+N`` (relative seconds) or a unix timestamp, finite and below :data:`TIME_LIMIT`."""
    s = str(value).strip()
    relative = s.startswith("+")
    try:
        t = float(s[1:] if relative else s)
    except ValueError:
        raise invalid(name) from None
    if not 0 <= t < TIME_LIMIT:  # also NaN and infinities
        raise invalid(name)
    return now + t if relative else t


def parse_deadline(value: Any, now: float) -> float:
    s = str(value).strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("deadline") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    ts = dt.timestamp()
    if ts < now:
        raise KrakenError("EService:Deadline elapsed")
    if ts > now + 60:
        raise invalid("deadline")
    return ts


def ref_list(value: Any, name: str) -> list[Any]:
    """A list of order references: a list, comma-separated text or nothing."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return as_list(value)
    if isinstance(value, list):
        return value
    raise invalid(name)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value:
            out.extend(as_list(v))
        return out
    return [v.strip() for v in str(value).split(",") if v.strip()]


@dataclass
class Order:
    txid: str
    account: str | None
    pair: Pair
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None = None
    price2: Decimal | None = None
    oflags: set[str] = field(default_factory=set)
    timeinforce: str = "GTC"
    userref: int | None = None
    cl_ord_id: str | None = None
    opentm: float = 0.0
    starttm: float = 0.0
    expiretm: float = 0.0
    status: str = "open"
    vol_exec: Decimal = ZERO
    cost: Decimal = ZERO
    fee: Decimal = ZERO
    reason: str | None = None
    closetm: float | None = None
    trades: list[str] = field(default_factory=list)
    close: dict[str, str] | None = None
    triggered: bool = False
    seq: int = 0
    amended_at: float = 0.0
    display_qty: Decimal | None = None
    quote_volume: Decimal | None = None  # viqc market buys: quote to spend
    source: str = "rest"
    amends: int = 0
    leverage: Decimal | None = None  # a margin order (``leverage=2``): opens or closes positions
    reduce_only: bool = False  # only closes positions (never opens one)
    trigger: str = "last"  # the price that triggers stops: last (traded) or index
    trail: Relative | None = None  # trailing offset of trailing-stop(-limit) orders
    trail_limit: Relative | None = None  # limit offset (from the trigger price) of trailing-stop-limit
    peak: Decimal | None = None  # best reference price since a trailing stop was placed
    misc: str = ""

    # -- derived ------------------------------------------------------------
    @property
    def remaining(self) -> Decimal:
        return self.volume - self.vol_exec

    @property
    def is_margin(self) -> bool:
        """A margin order: opens or closes margin positions instead of moving balances."""
        return self.leverage is not None or self.reduce_only

    @property
    def is_user(self) -> bool:
        return self.account is not None

    @property
    def fee_in_base(self) -> bool:
        return "fcib" in self.oflags

    @property
    def resting_price(self) -> Decimal | None:
        """Price at which the order rests in the book (limit orders, triggered limits)."""
        if self.ordertype == "limit":
            return self.price
        if self.ordertype in LIMIT_TRIGGERED and self.triggered:
            return self.price2
        return None

    @property
    def avg_price(self) -> Decimal:
        return self.cost / self.vol_exec if self.vol_exec else ZERO

    def descr_order(self) -> str:
        p = self.pair
        head = f"{self.side} {p.fmt_vol(self.volume)} {p.altname} @ "
        t = self.ordertype
        lev = f" with {self.leverage}:1 leverage" if self.leverage is not None else ""
        if t == "market":
            return head + "market" + lev
        if t == "limit":
            return head + f"limit {p.fmt_price(self.price)}" + lev
        if t == "settle-position":
            return head + "settle position" + lev
        if t in TRAILING:
            assert self.trail is not None
            s = head + f"trailing stop {self.trail.text(p.fmt_price)}"
            if self.trail_limit is not None:
                s += f" -> limit {self.trail_limit.text(p.fmt_price)}"
            return s + lev
        words = "stop loss" if t.startswith("stop-loss") else "take profit"
        s = head + f"{words} {p.fmt_price(self.price)}"
        if t.endswith("-limit"):
            s += f" -> limit {p.fmt_price(self.price2)}"
        return s + lev

    def descr_close(self) -> str:
        if not self.close:
            return ""
        p = self.pair
        t = self.close["ordertype"]
        price = self.close.get("price")
        price2 = self.close.get("price2")
        if t == "limit":
            return f"close position @ limit {p.fmt_price(D(price))}"
        if t == "market":
            return "close position @ market"
        words = "stop loss" if t.startswith("stop-loss") else "take profit"
        s = f"close position @ {words} {p.fmt_price(D(price))}"
        if t.endswith("-limit") and price2:
            s += f" -> limit {p.fmt_price(D(price2))}"
        return s

    def to_kraken(self, with_trades: bool = False) -> dict[str, Any]:
        p = self.pair
        price = self.price if self.price is not None else ZERO
        price2 = self.price2 if self.price2 is not None else ZERO
        out: dict[str, Any] = {
            "refid": None,
            "userref": self.userref if self.userref is not None else 0,
        }
        if self.cl_ord_id is not None:
            out["cl_ord_id"] = self.cl_ord_id
        out.update({
            "status": self.status,
            "opentm": round(self.opentm, 4),
            "starttm": int(self.starttm) if self.starttm else 0,
            "expiretm": int(self.expiretm) if self.expiretm else 0,
            "descr": {
                "pair": p.altname,
                "type": self.side,
                "ordertype": self.ordertype,
                "price": self.trail.text(p.fmt_price) if self.trail is not None else p.fmt_price(price),
                "price2": self.trail_limit.text(p.fmt_price) if self.trail_limit is not None
                else p.fmt_price(price2),
                "leverage": f"{self.leverage}:1" if self.leverage is not None else "none",
                "order": self.descr_order(),
                "close": self.descr_close(),
            },
            "vol": p.fmt_vol(self.volume),
            "vol_exec": p.fmt_vol(self.vol_exec),
            "cost": p.fmt_cost(self.cost),
            "fee": p.fmt_cost(self.fee),
            "price": p.fmt_price(self.avg_price),
            "stopprice": p.fmt_price(self.price) if self.ordertype in TRIGGERED else "0.00000",
            "limitprice": p.fmt_price(self.price2) if self.ordertype.endswith("-limit") else (
                p.fmt_price(self.price) if self.ordertype == "limit" else "0.00000"),
            "misc": self.misc,
            "oflags": ",".join(f for f in OFLAGS if f in self.oflags) or ("fcib" if self.fee_in_base else "fciq"),
        })
        if self.is_margin:
            out["margin"] = True
        if self.reduce_only:
            out["reduce_only"] = True
        if self.trigger != "last" and self.ordertype in TRIGGERED:
            out["trigger"] = self.trigger
        if self.display_qty is not None:
            out["display_volume"] = p.fmt_vol(self.display_qty)
        if self.status in ("closed", "canceled", "expired"):
            out["reason"] = self.reason
            out["closetm"] = round(self.closetm or 0.0, 4)
        if with_trades and self.trades:
            out["trades"] = list(self.trades)
        return out

    def to_record(self) -> str:
        return json.dumps({
            "txid": self.txid, "account": self.account, "pair": self.pair.id, "side": self.side,
            "ordertype": self.ordertype, "volume": str(self.volume),
            "price": None if self.price is None else str(self.price),
            "price2": None if self.price2 is None else str(self.price2),
            "oflags": sorted(self.oflags), "timeinforce": self.timeinforce, "userref": self.userref,
            "cl_ord_id": self.cl_ord_id, "opentm": self.opentm, "starttm": self.starttm, "expiretm": self.expiretm,
            "status": self.status, "vol_exec": str(self.vol_exec), "cost": str(self.cost), "fee": str(self.fee),
            "reason": self.reason, "closetm": self.closetm, "trades": self.trades, "close": self.close,
            "triggered": self.triggered, "seq": self.seq, "amended_at": self.amended_at,
            "display_qty": None if self.display_qty is None else str(self.display_qty),
            "quote_volume": None if self.quote_volume is None else str(self.quote_volume),
            "source": self.source, "amends": self.amends,
            "leverage": None if self.leverage is None else str(self.leverage), "reduce_only": self.reduce_only,
            "trigger": self.trigger, "trail": None if self.trail is None else self.trail.raw(),
            "trail_limit": None if self.trail_limit is None else self.trail_limit.raw(),
            "peak": None if self.peak is None else str(self.peak), "misc": self.misc,
        })

    @classmethod
    def from_record(cls, text: str) -> "Order":
        r = json.loads(text)
        pair = find_pair(r["pair"])
        assert pair is not None
        dn = lambda v: None if v is None else D(v)  # noqa: E731
        return cls(
            txid=r["txid"], account=r["account"], pair=pair, side=r["side"], ordertype=r["ordertype"],
            volume=D(r["volume"]), price=dn(r["price"]), price2=dn(r["price2"]), oflags=set(r["oflags"]),
            timeinforce=r["timeinforce"], userref=r["userref"], cl_ord_id=r["cl_ord_id"], opentm=r["opentm"],
            starttm=r["starttm"], expiretm=r["expiretm"], status=r["status"], vol_exec=D(r["vol_exec"]),
            cost=D(r["cost"]), fee=D(r["fee"]), reason=r["reason"], closetm=r["closetm"], trades=r["trades"],
            close=r["close"], triggered=r["triggered"], seq=r["seq"], amended_at=r["amended_at"],
            display_qty=dn(r["display_qty"]), quote_volume=dn(r["quote_volume"]), source=r.get("source", "rest"),
            amends=r.get("amends", 0), leverage=dn(r.get("leverage")), reduce_only=bool(r.get("reduce_only")),
            trigger=r.get("trigger") or "last", trail=_stored_relative(r.get("trail")),
            trail_limit=_stored_relative(r.get("trail_limit")), peak=dn(r.get("peak")), misc=r.get("misc") or "",
        )


def _decimals(asset: str) -> int:
    """Decimals of an asset's balances (Kraken's ``decimals``)."""
    a = ASSETS.get(asset)
    return a.decimals if a is not None else 10


def _stored_relative(text: str | None) -> Relative | None:
    """A relative price as :meth:`Relative.raw` wrote it."""
    if not text:
        return None
    pct = text.endswith("%")
    return Relative(text[0], D(text[1:-1] if pct else text[1:]), pct)


@dataclass
class Fill:
    trade_id: str
    public_id: int
    price: Decimal
    qty: Decimal
    cost: Decimal
    fee: Decimal
    maker: bool
    time: float
    ledgers: list[str]


class Book:
    """Bids (best first) and asks (best first) of one pair."""

    def __init__(self) -> None:
        self.bids: list[Order] = []
        self.asks: list[Order] = []

    @staticmethod
    def _key(order: Order) -> tuple[Decimal, int]:
        price = order.resting_price
        assert price is not None
        return (-price, order.seq) if order.side == "buy" else (price, order.seq)

    def side(self, side: str) -> list[Order]:
        return self.bids if side == "buy" else self.asks

    def insert(self, order: Order) -> None:
        bisect.insort(self.side(order.side), order, key=self._key)

    def remove(self, order: Order) -> None:
        lst = self.side(order.side)
        try:
            lst.remove(order)
        except ValueError:
            pass

    def levels(self, side: str, depth: int) -> list[tuple[Decimal, Decimal, float]]:
        """Aggregated (price, qty, newest time) levels, best first."""
        out: list[tuple[Decimal, Decimal, float]] = []
        for o in self.side(side):
            price = o.resting_price
            qty = o.remaining if o.display_qty is None else min(o.display_qty, o.remaining)
            if out and out[-1][0] == price:
                p, q, t = out[-1]
                out[-1] = (p, q + qty, max(t, o.opentm))
            else:
                if len(out) == depth:
                    break
                out.append((price, qty, o.opentm))
        return out

    def best(self, side: str) -> Decimal | None:
        lst = self.side(side)
        return lst[0].resting_price if lst else None


# Trading rate counter penalties (kraken-protocol.md §1.7): (max age in s, points)
_AMEND_PENALTY = ((5, 3), (10, 2), (15, 1))
_EDIT_PENALTY = ((5, 6), (10, 5), (15, 4), (45, 2), (90, 1))
_CANCEL_PENALTY = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))
TRADE_LIMITS = {"starter": (60.0, 1.0), "intermediate": (125.0, 2.34), "pro": (180.0, 3.75)}


def _penalty(table: tuple[tuple[int, int], ...], age: float) -> int:
    for max_age, points in table:
        if age < max_age:
            return points
    return 0


class TradeCounter:
    """Per account and pair trading counter with decay."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[float, float]] = {}

    def current(self, account: Account, pair: str, now: float) -> float:
        value, at = self.values.get((account.name, pair), (0.0, now))
        decay = TRADE_LIMITS.get(account.tier, TRADE_LIMITS["pro"])[1]
        return max(0.0, value - decay * (now - at))

    def add(self, account: Account, pair: str, points: float, now: float, check: bool) -> None:
        value = self.current(account, pair, now)
        if check and value + points > TRADE_LIMITS.get(account.tier, TRADE_LIMITS["pro"])[0]:
            raise KrakenError("EOrder:Rate limit exceeded")
        self.values[(account.name, pair)] = (value + points, now)


Listener = Callable[[str, str, dict[str, Any]], None]


class Engine:
    """Order books, user orders, fills, balances and ledgers."""

    def __init__(self, db: State, markets: Markets, clock: Callable[[], float], status_ref: Any) -> None:
        self.db = db
        self.markets = markets
        self.clock = clock
        self.ctx = status_ref  # anything with a ``status`` attribute
        self.books: dict[str, Book] = {pid: Book() for pid in markets.data}
        self.orders: dict[str, Order] = {}  # open (or untriggered) user orders
        self.stops: dict[str, list[Order]] = {pid: [] for pid in markets.data}
        self.seq = itertools.count(1)
        self.counter = TradeCounter()
        self.dead_man: dict[str, float] = {}
        self.listeners: list[Listener] = []
        self.book_version: dict[str, int] = {pid: 0 for pid in markets.data}
        self._trigger_queue: list[str] = []
        #: open margin positions by position id (the opening trade's id)
        self.positions: dict[str, mg.Position] = {}
        #: accounts in a margin call: account -> pair ids whose margin_call level the account's
        #: margin level has reached (new positions on them are refused until it recovers)
        self.margin_calls: dict[str, set[str]] = {}
        self.db.conn.executescript(mg.SCHEMA)
        self._load()

    # -- persistence ------------------------------------------------------------
    def _load(self) -> None:
        for row in self.db.query("SELECT data FROM orders WHERE status IN ('open', 'pending')"):
            o = Order.from_record(row["data"])
            o.seq = next(self.seq)
            self.orders[o.txid] = o
            if o.ordertype in TRIGGERED and not o.triggered:
                self.stops[o.pair.id].append(o)
            elif o.resting_price is not None:
                self.books[o.pair.id].insert(o)
        for row in self.db.query("SELECT data FROM margin_positions WHERE status='open' ORDER BY time, rowid"):
            p = mg.Position.from_record(row["data"])
            self.positions[p.posid] = p

    def _save_position(self, p: mg.Position) -> None:
        self.db.execute("INSERT OR REPLACE INTO margin_positions(posid, account, status, time, data) VALUES(?,?,?,?,?)",
                        (p.posid, p.account, p.status, p.time, p.to_record()))
        if p.status != "open":
            self.positions.pop(p.posid, None)

    def _save(self, o: Order) -> None:
        if o.account is None:
            return
        self.db.execute(
            "INSERT OR REPLACE INTO orders(txid, account, status, opentm, closetm, userref, cl_ord_id, data)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (o.txid, o.account, o.status, o.opentm, o.closetm, o.userref, o.cl_ord_id, o.to_record()),
        )

    def _emit(self, kind: str, account: str | None, payload: dict[str, Any]) -> None:
        if account is None:
            return
        for fn in list(self.listeners):
            try:
                fn(kind, account, payload)
            except Exception:  # a broken listener must not break the engine
                pass

    # -- balances ---------------------------------------------------------------
    def holds(self, account: str) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for o in self.orders.values():
            if o.account != account:
                continue
            asset, amount = self._hold_of(o)
            if amount > 0:
                out[asset] = out.get(asset, ZERO) + amount
        return out

    def _hold_of(self, o: Order) -> tuple[str, Decimal]:
        if o.is_margin:  # margin orders hold no balance: their margin counts against free margin
            return o.pair.quote, ZERO
        if o.side == "sell":
            return o.pair.base, o.remaining
        price = o.resting_price or o.price2 or o.price or self.markets.data[o.pair.id].last
        if o.ordertype in ("stop-loss", "take-profit"):
            price = o.price or price
        rate = ZERO if o.fee_in_base else TAKER_RATE
        return o.pair.quote, o.remaining * price * (1 + rate)

    def available(self, account: str, asset: str) -> Decimal:
        return self.db.balance(account, asset) - self.holds(account).get(asset, ZERO)

    # -- parsing ------------------------------------------------------------------
    def build_order(self, account: Account, params: dict[str, Any], now: float, pair: Pair | None = None) -> Order:
        """Validate REST-style order parameters and build (not place) an order."""
        params = as_params(params, ("oflags",))
        if pair is None:
            name = params.get("pair")
            if not name:
                raise invalid("pair")
            pair = find_pair(str(name))
            if pair is None:
                raise KrakenError("EQuery:Unknown asset pair")
        side = str(params.get("type", "")).lower()
        if side not in ("buy", "sell"):
            raise invalid("type")
        ordertype = str(params.get("ordertype", "")).lower()
        if ordertype not in ORDER_TYPES:
            raise invalid("ordertype")
        if "volume" not in params:
            raise invalid("volume")
        settle = ordertype == "settle-position"
        volume = parse_decimal(params["volume"], "volume", positive=not settle)
        oflags = set(as_list(params.get("oflags")))
        if not oflags <= set(OFLAGS) or ("fcib" in oflags and "fciq" in oflags):
            raise invalid("oflags")
        if "viqc" in oflags and not (ordertype == "market" and side == "buy"):
            raise invalid("oflags")
        trigger = str(params.get("trigger") or "last").lower()
        if trigger not in ("last", "index"):
            raise invalid("trigger")
        try:
            leverage = mg.parse_leverage(params.get("leverage"))
        except ValueError:
            raise invalid("leverage") from None
        if leverage is not None and int(leverage) not in pair.leverage_levels(side):
            raise invalid("leverage")
        reduce_only = parse_bool(params.get("reduce_only"), "reduce_only")
        if (leverage is not None or reduce_only) and "viqc" in oflags:
            raise invalid("oflags")
        last = self.markets.data[pair.id].last
        price = price2 = None
        trail = trail_limit = None
        if ordertype in TRAILING:
            trail = self._offset(params.get("price"), "price", ("+",), positive=True)
            if ordertype == "trailing-stop-limit":
                trail_limit = self._offset(params.get("price2"), "price2", ("+", "-"), positive=False)
        elif ordertype not in ("market", "settle-position"):
            price = self._price(params.get("price"), "price", pair, ordertype, side, last)
            if ordertype.endswith("-limit"):
                price2 = self._price(params.get("price2"), "price2", pair, ordertype, side, last)
        tif = str(params.get("timeinforce") or "GTC").upper()
        if tif not in ("GTC", "IOC", "GTD"):
            raise invalid("timeinforce")
        expiretm = 0.0
        if params.get("expiretm") not in (None, "", "0", 0):
            expiretm = parse_time(params["expiretm"], now, "expiretm")
            if tif == "GTC":
                tif = "GTD"
        if tif == "GTD" and not expiretm:
            raise invalid("expiretm")
        starttm = 0.0
        if params.get("starttm") not in (None, "", "0", 0):
            starttm = parse_time(params["starttm"], now, "starttm")
        userref = None
        if params.get("userref") not in (None, ""):
            try:
                userref = int(str(params["userref"]))
            except ValueError:
                raise invalid("userref") from None
            if not -(2**31) <= userref < 2**31:
                raise invalid("userref")
        cl_ord_id = params.get("cl_ord_id") or None
        if cl_ord_id is not None:
            cl_ord_id = str(cl_ord_id)
            if userref is not None or len(cl_ord_id) > 36 or not cl_ord_id.isascii():
                raise invalid("cl_ord_id")
        display = None
        if params.get("displayvol") not in (None, ""):
            display = parse_decimal(params["displayvol"], "displayvol")
        close = None
        ctype = params.get("close[ordertype]")
        if ctype:
            ctype = str(ctype).lower()
            if ctype not in CLOSE_TYPES:
                raise invalid("close[ordertype]")
            close = {"ordertype": ctype}
            for k in ("price", "price2"):
                v = params.get(f"close[{k}]")
                if v not in (None, ""):  # absolute prices only: a relative one has no reference yet
                    if str(v).strip()[:1] in ("+", "-", "#") or str(v).strip().endswith("%"):
                        raise invalid(f"close[{k}]")
                    close[k] = str(parse_decimal(v, f"close[{k}]"))
            if ctype != "market" and "price" not in close:
                raise invalid("close[price]")
        quote_volume = None
        if "viqc" in oflags:
            quote_volume = volume
        o = Order(
            txid=new_id("O"), account=account.name, pair=pair, side=side, ordertype=ordertype, volume=volume,
            price=price, price2=price2, oflags=oflags, timeinforce=tif, userref=userref, cl_ord_id=cl_ord_id,
            opentm=now, starttm=starttm, expiretm=expiretm, close=close, display_qty=display,
            quote_volume=quote_volume, leverage=leverage, reduce_only=reduce_only, trigger=trigger, trail=trail,
            trail_limit=trail_limit,
        )
        if trail is not None:
            self._trail(o, self._reference(o))
        if not settle:
            self._check_business(o)
        return o

    def _price(self, value: Any, name: str, pair: Pair, ordertype: str, side: str, last: Decimal) -> Decimal:
        """An absolute price, or a relative one (``+N``, ``-N``, ``#N``, with ``%``) from ``last``."""
        if value in (None, ""):
            raise invalid(name)
        spec = relprice.parse_price(value, name, invalid, parse_decimal)
        if isinstance(spec, Decimal):
            return spec
        return relprice.checked_price(relprice.resolve(spec, last, ordertype, side), NUMBER_LIMIT, pair.round_price,
                                      lambda: KrakenError("EOrder:Invalid price"))

    @staticmethod
    def _offset(value: Any, name: str, signs: tuple[str, ...], positive: bool) -> Relative:
        """A trailing-stop offset: a relative price with one of ``signs``."""
        if value in (None, ""):
            raise invalid(name)
        spec = relprice.parse_price(value, name, invalid, parse_decimal)
        if not isinstance(spec, Relative) or spec.sign not in signs or (positive and spec.amount <= 0):
            raise invalid(name)
        return spec

    def _reference(self, o: Order) -> Decimal:
        """The price that triggers ``o``: the pair's last traded price, or its index
        (``trigger=index``: the market's reference price the market maker quotes around)."""
        data = self.markets.data[o.pair.id]
        return data.mid if o.trigger == "index" else data.last

    def _trail(self, o: Order, reference: Decimal) -> bool:
        """Move a trailing stop's peak (sell) or trough (buy) to ``reference`` if it is better,
        and its trigger (and limit) price with it; returns whether anything changed."""
        assert o.trail is not None
        if o.peak is not None and (reference <= o.peak if o.side == "sell" else reference >= o.peak):
            return False
        o.peak = reference
        error = lambda: KrakenError("EOrder:Invalid price")  # noqa: E731
        stop = relprice.trailing_stop_price(o.side, reference, o.trail)
        o.price = relprice.checked_price(stop, NUMBER_LIMIT, o.pair.round_price, error)
        if o.trail_limit is not None:
            limit = relprice.resolve(o.trail_limit, o.price, o.ordertype, o.side)
            o.price2 = relprice.checked_price(limit, NUMBER_LIMIT, o.pair.round_price, error)
        return True

    def _check_business(self, o: Order) -> None:
        p = o.pair
        if o.quote_volume is None and o.volume.as_tuple().exponent < -p.lot_decimals:
            raise invalid("volume")
        ref_price = o.price if o.ordertype == "limit" else (
            o.price2 if o.ordertype.endswith("-limit") else (o.price or self.markets.data[p.id].mid))
        if o.quote_volume is not None:
            base_vol = o.quote_volume / self.markets.data[p.id].mid
            cost = o.quote_volume
        else:
            base_vol = o.volume
            cost = o.volume * ref_price
        if base_vol < p.ordermin:
            raise KrakenError("EOrder:Order minimum not met")
        if cost < p.costmin:
            raise KrakenError("EOrder:Cost minimum not met")
        if o.ordertype in TRAILING:  # computed prices are on the tick already; offsets need not be
            return
        for value in (o.price, o.price2):
            if value is not None and value % p.tick_size != 0:
                raise KrakenError("EOrder:Tick size check failed")

    # -- placing --------------------------------------------------------------------
    def _check_status(self, action: str, o: Order | None = None) -> None:
        status = self.ctx.status
        if status == "maintenance":
            raise KrakenError("EService:Unavailable")
        if action in ("add", "amend", "edit") and status == "cancel_only":
            raise KrakenError("EService:Market in cancel_only mode")
        if action in ("add", "edit") and status == "post_only" and o is not None:
            if o.ordertype != "limit":
                raise KrakenError("EService:Market in post_only mode")
            o.oflags.add("post")

    def _check_funds(self, o: Order, account: str) -> None:
        if o.ordertype == "settle-position":
            self._settle_plan(o)
            return
        if o.is_margin:
            self._check_margin(o)
            return
        if o.side == "sell":
            need = o.volume
            asset = o.pair.base
        elif o.ordertype == "market" or (o.ordertype == "limit" and o.quote_volume is not None):
            asset = o.pair.quote
            need = o.quote_volume if o.quote_volume is not None else self._estimate_buy_cost(o)
        else:
            asset, need = self._hold_of(o)
        if self.available(account, asset) < need:
            raise KrakenError("EOrder:Insufficient funds")

    def _estimate_buy_cost(self, o: Order) -> Decimal:
        remaining = o.volume
        cost = ZERO
        for lvl_price, qty, _ in self.books[o.pair.id].levels("sell", 1000):
            take = min(qty, remaining)
            cost += take * lvl_price
            remaining -= take
            if remaining <= 0:
                break
        if remaining > 0:
            cost += remaining * self.markets.data[o.pair.id].last
        return cost * (1 + (ZERO if o.fee_in_base else TAKER_RATE))

    # -- margin -------------------------------------------------------------------------
    def value_in(self, asset: str, amount: Decimal, target: str) -> Decimal:
        """``amount`` of ``asset`` valued in ``target`` at the markets' mid prices (0 when no
        pair connects them, directly or through USD)."""
        if asset == target or not amount:
            return amount
        for p in PAIRS.values():
            if p.base == asset and p.quote == target:
                return amount * self.markets.data[p.id].mid
            if p.quote == asset and p.base == target:
                return amount / self.markets.data[p.id].mid
        if asset != "ZUSD" and target != "ZUSD":
            usd = self.value_in(asset, amount, "ZUSD")
            if usd:
                return self.value_in("ZUSD", usd, target)
        return ZERO

    def open_positions(self, account: str) -> list[mg.Position]:
        """The account's open margin positions, oldest first."""
        return [p for p in self.positions.values() if p.account == account]

    def position_price(self, pair: Pair) -> Decimal:
        """The price positions are valued (and margin levels computed) at: the last trade."""
        return self.markets.data[pair.id].last

    def margin_summary(self, account: str, target: str = "ZUSD") -> dict[str, Decimal | None]:
        """TradeBalance's figures in ``target``: ``eb`` every balance, ``tb`` the collateral
        (balances times their ``collateral_value``), ``m`` margin of open positions, ``n`` their
        unrealised P&L, ``c`` their cost basis, ``v`` their value, ``e = tb + n``, ``mf = e - m``,
        ``ml = e / m * 100`` (None without positions), ``uv`` the value of unfilled orders."""
        eb = tb = m = n = c = v = uv = ZERO
        for asset, amount in self.db.balances(account).items():
            value = self.value_in(asset, amount, target)
            eb += value
            a = ASSETS.get(asset)
            if a is not None and a.collateral_value is not None:
                tb += value * D(repr(a.collateral_value))
        for p in self.open_positions(account):
            price = self.position_price(p.pair)
            quote = p.pair.quote
            m += self.value_in(quote, p.margin_remaining, target)
            n += self.value_in(quote, p.net(price), target)
            c += self.value_in(quote, p.cost_remaining, target)
            v += self.value_in(quote, p.value(price), target)
        for o in self.orders.values():
            if o.account == account:
                price = o.resting_price or o.price or self.markets.data[o.pair.id].last
                uv += self.value_in(o.pair.quote, o.remaining * price, target)
        e = tb + n
        return {"eb": eb, "tb": tb, "m": m, "n": n, "c": c, "v": v, "e": e, "mf": e - m,
                "ml": e / m * 100 if m > 0 else None, "uv": uv}

    def _closable(self, o: Order) -> list[mg.Position]:
        """The positions an order on ``o``'s pair and side closes (the opposite side), oldest first."""
        return [p for p in self.positions.values()
                if p.account == o.account and p.pair is o.pair and p.side != o.side and p.remaining > 0]

    def _fill_cap(self, o: Order) -> Decimal:
        """How much of ``o`` may still fill: a reduce-only order no more than its positions."""
        if not o.reduce_only or o.account is None:
            return o.remaining
        return min(o.remaining, sum((p.remaining for p in self._closable(o)), ZERO))

    def _check_margin(self, o: Order) -> None:
        """A margin order may open only what the account's free margin carries."""
        assert o.account is not None
        closable = sum((p.remaining for p in self._closable(o)), ZERO)
        if o.reduce_only:
            if closable <= 0:
                raise KrakenError("EOrder:Reduce only:No position exists")
            return
        opening = o.volume - closable
        if opening <= 0:
            return
        pair = o.pair
        if pair.id in self.margin_calls.get(o.account, set()):
            raise KrakenError("EOrder:Margin level too low")
        same = sum((p.remaining for p in self.positions.values()
                    if p.account == o.account and p.pair is pair and p.side == o.side), ZERO)
        if same + opening > (pair.long_position_limit if o.side == "buy" else pair.short_position_limit):
            raise KrakenError("EOrder:Margin position size exceeded")
        assert o.leverage is not None
        summary = self.margin_summary(o.account)
        pending = sum((self._opening_margin(x) for x in self.orders.values()
                       if x.account == o.account and x.leverage is not None and not x.reduce_only), ZERO)
        if summary["mf"] - pending < self._opening_margin(o, opening):  # type: ignore[operator]
            raise KrakenError("EOrder:Margin level too low")

    def _opening_margin(self, o: Order, volume: Decimal | None = None) -> Decimal:
        """Margin (plus trade and opening fees) in USD that opening ``volume`` of ``o`` takes."""
        assert o.leverage is not None
        price = o.resting_price or o.price2 or o.price or self.markets.data[o.pair.id].last
        cost = (o.remaining if volume is None else volume) * price
        need = cost / o.leverage + cost * (TAKER_RATE + mg.margin_rate(o.pair, o.side))
        return self.value_in(o.pair.quote, need, "ZUSD")

    def _settle_plan(self, o: Order) -> list[tuple[mg.Position, Decimal]]:
        """The positions (and volumes) a settle-position order settles, first in first out;
        refuses when there is none or the balance cannot pay for them."""
        positions = self._closable(o)
        if not positions:
            raise KrakenError("EOrder:Unknown position")
        left = o.volume if o.volume > 0 else sum((p.remaining for p in positions), ZERO)
        plan: list[tuple[mg.Position, Decimal]] = []
        for p in positions:
            take = min(left, p.remaining)
            if take <= 0:
                break
            plan.append((p, take))
            left -= take
        long = positions[0].side == "buy"
        asset = o.pair.quote if long else o.pair.base
        need = sum((p.cost * take / p.vol if long else take for p, take in plan), ZERO)
        assert o.account is not None
        if self.available(o.account, asset) < need:
            raise KrakenError("EOrder:Insufficient funds")
        return plan

    def _settle_position(self, o: Order, now: float) -> None:
        """Settle positions with the balance, no trade: a long pays its opening cost (quote) and
        keeps the base it bought; a short delivers the base and receives its opening proceeds."""
        assert o.account is not None
        plan = self._settle_plan(o)
        pair = o.pair
        refid = new_id("T")
        entries = []
        with self.db.transaction():
            for p, take in plan:
                cost = p.cost * take / p.vol
                sign = 1 if p.side == "buy" else -1
                for asset, amount in ((pair.quote, -sign * cost), (pair.base, sign * take)):
                    lid, bal = self.db.credit(o.account, asset, amount, type="settled", refid=refid, now=now)
                    entries.append((lid, asset, amount, bal))
                p.vol_closed += take
                if p.remaining <= 0:
                    p.status = "closed"
                self._save_position(p)
                o.vol_exec += take
                o.cost += cost
        o.volume = o.vol_exec
        o.trades.append(refid)
        for lid, asset, amount, bal in entries:
            self._emit("ledger", o.account, {"ledger_id": lid, "ref_id": refid, "time": now, "type": "settled",
                                             "asset": asset, "amount": amount, "fee": ZERO, "balance": bal})
        self._finish(o, "closed", None, now)

    def add_order(self, account: Account, params: dict[str, Any], *, source: str = "rest",
                  pair: Pair | None = None, counter: bool = True) -> dict[str, Any]:
        """AddOrder: returns Kraken's result (``descr`` and, unless validate, ``txid``)."""
        params = as_params(params, ("oflags",))
        now = self.clock()
        o = self.build_order(account, params, now, pair)
        o.source = source
        self._check_status("add", o)
        if params.get("deadline"):
            parse_deadline(params["deadline"], now)
        validate = parse_bool(params.get("validate"), "validate")
        if sum(1 for x in self.orders.values() if x.account == account.name and x.pair is o.pair) >= MAX_OPEN_PER_PAIR:
            raise KrakenError("EOrder:Orders limit exceeded")
        self._check_funds(o, account.name)
        descr = {"order": o.descr_order()}
        if o.close:
            descr["close"] = o.descr_close()
        if validate:
            return {"descr": descr}
        if counter:
            self.counter.add(account, o.pair.id, 1, now, check=True)
        self.place(o)
        return {"descr": descr, "txid": [o.txid]}

    def place(self, o: Order) -> None:
        """Place a validated order: match it, rest it, or park it as a stop."""
        now = self.clock()
        o.seq = next(self.seq)
        o.status = "open"
        if o.is_user:
            self.orders[o.txid] = o
            self._save(o)
            self._emit("order", o.account, {"event": "new", "order": o})
        if o.ordertype == "settle-position":
            self._settle_position(o, now)
            return
        if o.ordertype in TRIGGERED:
            if self._should_trigger(o):
                self._trigger(o)
            else:
                self.stops[o.pair.id].append(o)
            self._run_triggers()
            return
        self._execute(o, now)
        self._run_triggers()

    def _execute(self, o: Order, now: float) -> None:
        book = self.books[o.pair.id]
        limit = o.resting_price
        if "post" in o.oflags and limit is not None:
            best = book.best("sell" if o.side == "buy" else "buy")
            if best is not None and ((o.side == "buy" and best <= limit) or (o.side == "sell" and best >= limit)):
                self._finish(o, "canceled", "Post only order", now)
                return
        self._match(o, limit, now)
        if o.status != "open":
            return
        if o.reduce_only and o.remaining > 0 and self._fill_cap(o) <= 0:
            # a reduce-only order never flips its position: the rest is cancelled
            self._finish(o, "canceled", REDUCE_ONLY_CLOSED, now)
            return
        if o.remaining <= 0 or (o.quote_volume is not None and o.ordertype == "market"):
            self._finish(o, "closed", None, now)
        elif limit is None:
            self._finish(o, "canceled" if o.vol_exec == 0 else "closed",
                         "Insufficient liquidity" if o.vol_exec == 0 else None, now)
        elif o.timeinforce == "IOC":
            self._finish(o, "canceled", "User requested" if o.vol_exec else "Insufficient liquidity", now)
        else:
            book.insert(o)
            self.book_version[o.pair.id] += 1

    def _match(self, taker: Order, limit: Decimal | None, now: float) -> None:
        book = self.books[taker.pair.id]
        opp = book.side("sell" if taker.side == "buy" else "buy")
        pair = taker.pair
        while opp:
            maker = opp[0]
            mp = maker.resting_price
            assert mp is not None
            if limit is not None and ((taker.side == "buy" and mp > limit) or (taker.side == "sell" and mp < limit)):
                break
            if taker.account is not None and maker.account == taker.account:
                # self-trade prevention, cancel-newest (Kraken's default)
                self._finish(taker, "canceled", "Self trade prevention", now)
                return
            if maker.reduce_only and self._fill_cap(maker) <= 0:  # its positions are closed
                opp.pop(0)
                self._finish(maker, "canceled", REDUCE_ONLY_CLOSED, now)
                continue
            if taker.reduce_only and self._fill_cap(taker) <= 0:
                break  # the rest is cancelled by _execute
            if taker.quote_volume is not None and taker.ordertype == "market":
                spent = taker.cost
                left = taker.quote_volume - spent
                qty = min(maker.remaining, pair.round_vol(left / mp))
                if qty <= 0:
                    break
            else:
                qty = min(self._fill_cap(taker), self._fill_cap(maker))
                if qty <= 0:
                    break
            self._fill(maker, taker, qty, mp, now)
            if maker.remaining <= 0:
                opp.pop(0)
                self._finish(maker, "closed", None, now)
        self.book_version[pair.id] += 1

    def _fill(self, maker: Order, taker: Order, qty: Decimal, price: Decimal, now: float) -> None:
        pair = maker.pair
        public_id = self.markets.record_trade(pair.id, price, qty, taker.side, taker.ordertype
                                              if taker.ordertype == "market" else "limit", now)
        for order, is_maker in ((maker, True), (taker, False)):
            cost = qty * price
            order.vol_exec += qty
            order.cost += cost
            if order.quote_volume is not None and order.ordertype == "market":
                order.volume = order.vol_exec
            if order.account is None:
                continue
            fill = self._settle(order, qty, price, is_maker, public_id, now)
            order.fee += fill.fee
            order.trades.append(fill.trade_id)
            self._save(order)
            self._emit("order", order.account, {"event": "trade", "order": order, "fill": fill})
        self._trigger_queue.append(pair.id)

    def _settle(self, o: Order, qty: Decimal, price: Decimal, maker: bool, public_id: int, now: float) -> Fill:
        if o.is_margin:
            return self._settle_margin(o, qty, price, maker, public_id, now)
        pair = o.pair
        rate = MAKER_RATE if maker else TAKER_RATE
        cost = qty * price
        tid = new_id("T")
        assert o.account is not None
        if o.fee_in_base:
            fee = (qty * rate).quantize(D(1).scaleb(-pair.lot_decimals))
            base_fee, quote_fee = fee, ZERO
        else:
            fee = (cost * rate).quantize(D(1).scaleb(-pair.cost_decimals))
            base_fee, quote_fee = ZERO, fee
        sign = 1 if o.side == "buy" else -1
        with self.db.transaction():
            l1, b1 = self.db.credit(o.account, pair.base, sign * qty, type="trade", refid=tid, fee=base_fee, now=now)
            l2, b2 = self.db.credit(o.account, pair.quote, -sign * cost, type="trade", refid=tid, fee=quote_fee,
                                    now=now)
            trade = {
                "ordertxid": o.txid, "postxid": new_id("T"), "pair": pair.id, "time": round(now, 4),
                "type": o.side, "ordertype": o.ordertype, "price": pair.fmt_price(price),
                "cost": pair.fmt_cost(cost), "fee": pair.fmt_cost(fee) if not o.fee_in_base else pair.fmt_vol(fee),
                "vol": pair.fmt_vol(qty), "margin": "0.00000", "leverage": "0", "misc": "",
                "trade_id": public_id, "maker": maker, "ledgers": [l1, l2],
            }
            self.db.conn.execute("INSERT INTO trades(txid, account, time, data) VALUES(?,?,?,?)",
                                 (tid, o.account, now, json.dumps(trade)))
        for lid, asset, amount, fee_, bal in ((l1, pair.base, sign * qty, base_fee, b1),
                                              (l2, pair.quote, -sign * cost, quote_fee, b2)):
            self._emit("ledger", o.account, {"ledger_id": lid, "ref_id": tid, "time": now, "type": "trade",
                                             "asset": asset, "amount": amount, "fee": fee_, "balance": bal})
        return Fill(tid, public_id, price, qty, cost, fee, maker, now, [l1, l2])

    def _settle_margin(self, o: Order, qty: Decimal, price: Decimal, maker: bool, public_id: int,
                       now: float) -> Fill:
        """A fill of a margin order: it closes the account's opposite positions on the pair first
        (first in, first out; the P&L goes into the quote balance) and opens a position with the
        rest (not a reduce-only order). Ledger ``margin`` entries carry the P&L and the fees."""
        assert o.account is not None
        pair = o.pair
        cost = qty * price
        tid = new_id("T")
        q_cost = D(1).scaleb(-pair.cost_decimals)
        fee = (cost * (MAKER_RATE if maker else TAKER_RATE)).quantize(q_cost)
        closes: list[tuple[mg.Position, Decimal]] = []
        left = qty
        for p in self._closable(o):
            if left <= 0:
                break
            c = min(left, p.remaining)
            closes.append((p, c))
            left -= c
        if o.reduce_only or o.leverage is None:  # never opens (its fills are capped to its positions)
            left = ZERO
        closed = qty - left
        close_fee = (fee * closed / qty).quantize(q_cost)
        open_fee = fee - close_fee
        entries: list[tuple[str, str, Decimal, Decimal, Decimal]] = []
        opened: mg.Position | None = None
        with self.db.transaction():
            if closes:
                pnl = ZERO
                for p, c in closes:
                    gain = p.pnl(c, price)
                    pnl += gain
                    p.vol_closed += c
                    p.closed_cost += c * price
                    p.closed_fee += close_fee * c / closed
                    p.realized += gain
                    p.closing_trades.append(tid)
                    if p.remaining <= 0:
                        p.status = "closed"
                    self._save_position(p)
                    self._record_closing(p)
                pnl = pnl.quantize(D(1).scaleb(-_decimals(pair.quote)))
                lid, bal = self.db.credit(o.account, pair.quote, pnl, type="margin", refid=tid, fee=close_fee,
                                          now=now)
                entries.append((lid, pair.quote, pnl, close_fee, bal))
            if left > 0:
                assert o.leverage is not None
                rate = mg.margin_rate(pair, o.side)
                open_cost = left * price
                fee_asset, margin_fee, in_quote = self._margin_fee(o.account, pair, o.side, open_cost, left, rate,
                                                                   price)
                fees = [(pair.quote, open_fee + (margin_fee if fee_asset == pair.quote else ZERO))]
                if fee_asset != pair.quote:
                    fees.append((fee_asset, margin_fee))
                for asset, f in fees:
                    lid, bal = self.db.credit(o.account, asset, ZERO, type="margin", refid=tid, fee=f, now=now)
                    entries.append((lid, asset, ZERO, f, bal))
                opened = mg.Position(
                    posid=tid, account=o.account, pair=pair, side=o.side, ordertxid=o.txid, ordertype=o.ordertype,
                    time=now, vol=left, cost=open_cost, leverage=o.leverage, rate=rate,
                    rollovertm=now + mg.ROLLOVER_INTERVAL, fee=open_fee + in_quote,
                    oflags=",".join(f for f in OFLAGS if f in o.oflags),
                )
                self.positions[tid] = opened
                self._save_position(opened)
            trade: dict[str, Any] = {
                "ordertxid": o.txid, "postxid": closes[0][0].posid if closes else tid, "pair": pair.id,
                "time": round(now, 4), "type": o.side, "ordertype": o.ordertype, "price": pair.fmt_price(price),
                "cost": pair.fmt_cost(cost), "fee": pair.fmt_cost(fee),
                "vol": pair.fmt_vol(qty), "margin": pair.fmt_cost(opened.margin if opened else ZERO),
                "leverage": str(o.leverage) if o.leverage is not None else "0",
                "misc": ",".join(m for m in ("closing" if closes else "", o.misc) if m),
                "trade_id": public_id, "maker": maker, "ledgers": [e[0] for e in entries],
            }
            if opened is not None:
                trade["posstatus"] = "open"
            self.db.conn.execute("INSERT INTO trades(txid, account, time, data) VALUES(?,?,?,?)",
                                 (tid, o.account, now, json.dumps(trade)))
        for lid, asset, amount, fee_, bal in entries:
            self._emit("ledger", o.account, {"ledger_id": lid, "ref_id": tid, "time": now, "type": "margin",
                                             "asset": asset, "amount": amount, "fee": fee_, "balance": bal})
        return Fill(tid, public_id, price, qty, cost, fee, maker, now, [e[0] for e in entries])

    def _margin_fee(self, account: str, pair: Pair, side: str, cost: Decimal, volume: Decimal, rate: Decimal,
                    price: Decimal) -> tuple[str, Decimal, Decimal]:
        """A margin (opening or rollover) fee at ``rate`` on ``volume`` (``cost`` in the quote
        currency): in the borrowed currency (the quote for a long, the base for a short) when the
        balance holds enough of it, else its value in the quote currency. Returns (asset, fee,
        fee in the quote currency)."""
        borrowed = mg.borrowed_asset(pair, side)
        if borrowed == pair.quote:
            fee = (cost * rate).quantize(D(1).scaleb(-_decimals(pair.quote)))
            return pair.quote, fee, fee
        fee = (volume * rate).quantize(D(1).scaleb(-_decimals(borrowed)))
        if self.db.balance(account, borrowed) >= fee:
            return borrowed, fee, fee * price
        fee = (volume * price * rate).quantize(D(1).scaleb(-_decimals(pair.quote)))
        return pair.quote, fee, fee

    def _record_closing(self, p: mg.Position) -> None:
        """Keep the opening trade's position fields (TradesHistory) in step with its position."""
        rows = self.db.conn.execute("SELECT data FROM trades WHERE txid=?", (p.posid,)).fetchall()
        if not rows:
            return
        d = json.loads(rows[0]["data"])
        pair = p.pair
        net = p.realized - p.closed_fee
        d.update({
            "posstatus": p.status, "cprice": pair.fmt_price(p.closed_cost / p.vol_closed),
            "ccost": pair.fmt_cost(p.closed_cost), "cfee": pair.fmt_cost(p.closed_fee),
            "cvol": pair.fmt_vol(p.vol_closed), "cmargin": pair.fmt_cost(p.margin * p.vol_closed / p.vol),
            "net": ("+" if net >= 0 else "-") + pair.fmt_cost(abs(net)), "trades": list(p.closing_trades),
        })
        self.db.conn.execute("UPDATE trades SET data=? WHERE txid=?", (json.dumps(d), p.posid))

    def _finish(self, o: Order, status: str, reason: str | None, now: float) -> None:
        o.status = status
        o.reason = reason
        o.closetm = now
        if o.is_user:
            self.orders.pop(o.txid, None)
            if o.ordertype in TRIGGERED and o in self.stops[o.pair.id]:
                self.stops[o.pair.id].remove(o)
            self._save(o)
            self._emit("order", o.account, {"event": status, "order": o})
            if o.close and o.vol_exec > 0:
                self._place_close(o, now)

    def _place_close(self, o: Order, now: float) -> None:
        assert o.close is not None and o.account is not None
        c = o.close
        close = Order(
            txid=new_id("O"), account=o.account, pair=o.pair, side="sell" if o.side == "buy" else "buy",
            ordertype=c["ordertype"], volume=o.vol_exec if not o.fee_in_base or o.side == "sell" or o.is_margin
            else o.vol_exec - o.fee, price=D(c["price"]) if c.get("price") else None,
            price2=D(c["price2"]) if c.get("price2") else None, opentm=now, source=o.source,
            leverage=o.leverage, trigger=o.trigger,  # a margin order's close closes its position
        )
        if close.ordertype.endswith("-limit") and close.price2 is None:
            close.price2 = close.price
        try:
            self._check_funds(close, o.account)
        except KrakenError:
            return
        self.place(close)

    # -- triggers -----------------------------------------------------------------
    def _should_trigger(self, o: Order) -> bool:
        """Whether ``o`` triggers at its reference price (last trade or index); a trailing stop
        first follows the price's peak (sell) or trough (buy)."""
        ref = self._reference(o)
        if o.trail is not None:
            if self._trail(o, ref) and o.is_user and o.status == "open":
                self._save(o)
            assert o.price is not None
            return ref <= o.price if o.side == "sell" else ref >= o.price
        assert o.price is not None
        stop = o.ordertype.startswith("stop-loss")
        if o.side == "sell":
            return ref <= o.price if stop else ref >= o.price
        return ref >= o.price if stop else ref <= o.price

    def _trigger(self, o: Order) -> None:
        o.triggered = True
        if o in self.stops[o.pair.id]:
            self.stops[o.pair.id].remove(o)
        self._save(o)
        self._execute(o, self.clock())

    def _run_triggers(self) -> None:
        guard = 0
        while self._trigger_queue and guard < 1000:
            guard += 1
            pid = self._trigger_queue.pop(0)
            for o in [s for s in self.stops[pid] if self._should_trigger(s)]:
                if o.status == "open" and not o.triggered:
                    self._trigger(o)

    # -- lookup -----------------------------------------------------------------
    def find_open(self, account: str, ref: str) -> list[Order]:
        """Open orders of ``account`` matching a txid, a userref or a cl_ord_id."""
        ref = str(ref).strip()
        if ref in self.orders and self.orders[ref].account == account:
            return [self.orders[ref]]
        out = [o for o in self.orders.values() if o.account == account and o.cl_ord_id == ref]
        if out:
            return out
        try:
            ur = int(ref)
        except ValueError:
            return []
        return [o for o in self.orders.values() if o.account == account and o.userref == ur]

    def load_order(self, account: str, txid: str) -> Order | None:
        o = self.orders.get(txid)
        if o is not None and o.account == account:
            return o
        rows = self.db.query("SELECT data FROM orders WHERE txid=? AND account=?", (txid, account))
        return Order.from_record(rows[0]["data"]) if rows else None

    # -- cancelling ---------------------------------------------------------------
    def _cancel(self, o: Order, reason: str, now: float) -> None:
        if o.resting_price is not None:
            self.books[o.pair.id].remove(o)
            self.book_version[o.pair.id] += 1
        o.close = None if o.vol_exec == 0 else o.close
        self._finish(o, "canceled", reason, now)

    def cancel_order(self, account: Account, txid: str | None = None, cl_ord_id: str | None = None,
                     counter: bool = True) -> dict[str, Any]:
        self._check_status("cancel")
        now = self.clock()
        if txid and cl_ord_id:
            raise invalid("cl_ord_id")
        ref = txid or cl_ord_id
        if not ref:
            raise invalid("txid")
        found: list[Order] = []
        for r in as_list(ref) if txid else [ref]:
            found.extend(self.find_open(account.name, r))
        if not found:
            raise KrakenError("EOrder:Unknown order")
        for o in found:
            if counter:
                self.counter.add(account, o.pair.id, _penalty(_CANCEL_PENALTY, now - (o.amended_at or o.opentm)),
                                 now, check=False)
            self._cancel(o, "User requested", now)
        return {"count": len(found)}

    def cancel_all(self, account: Account, reason: str = "User requested") -> int:
        self._check_status("cancel")
        now = self.clock()
        mine = [o for o in self.orders.values() if o.account == account.name]
        for o in mine:
            self._cancel(o, reason, now)
        return len(mine)

    def cancel_all_after(self, account: Account, timeout: Any) -> dict[str, Any]:
        try:
            seconds = int(str(timeout))
        except ValueError:
            raise invalid("timeout") from None
        if not 0 <= seconds < 86400:
            raise invalid("timeout")
        now = self.clock()
        if seconds == 0:
            self.dead_man.pop(account.name, None)
            return {"currentTime": iso_seconds(now), "triggerTime": "0"}
        self.dead_man[account.name] = now + seconds
        return {"currentTime": iso_seconds(now), "triggerTime": iso_seconds(now + seconds)}

    def cancel_batch(self, account: Account, orders: Any, cl_ord_ids: Any) -> dict[str, Any]:
        orders, cl_ord_ids = ref_list(orders, "orders"), ref_list(cl_ord_ids, "cl_ord_ids")
        self._check_status("cancel")
        now = self.clock()
        refs: list[str] = []
        for item in orders:
            if isinstance(item, dict):
                item = item.get("txid") or item.get("userref") or item.get("order_id") or ""
            refs.append(str(item))
        found: dict[str, Order] = {}
        for r in refs:
            for o in self.find_open(account.name, r):
                found[o.txid] = o
        for c in cl_ord_ids:
            for o in self.find_open(account.name, str(c)):
                found[o.txid] = o
        if len(refs) + len(list(cl_ord_ids)) > 50:
            raise invalid("orders")
        for o in found.values():
            self.counter.add(account, o.pair.id, _penalty(_CANCEL_PENALTY, now - (o.amended_at or o.opentm)), now,
                             check=False)
            self._cancel(o, "User requested", now)
        return {"count": len(found)}

    # -- batch add ----------------------------------------------------------------
    def add_order_batch(self, account: Account, pair_name: Any, orders: Any, validate: Any = False,
                        deadline: Any = None, source: str = "rest") -> dict[str, Any]:
        now = self.clock()
        if not pair_name:
            raise invalid("pair")
        pair = find_pair(str(pair_name))
        if pair is None:
            raise KrakenError("EQuery:Unknown asset pair")
        if not isinstance(orders, list) or not 2 <= len(orders) <= 15:
            raise invalid("orders")
        if deadline:
            parse_deadline(deadline, now)
        validate_b = parse_bool(validate, "validate")
        built: list[Order] = []
        for item in orders:
            if not isinstance(item, dict):
                raise invalid("orders")
            params = dict(item)
            close = params.pop("close", None)
            if isinstance(close, dict):
                for k, v in close.items():
                    params[f"close[{k}]"] = v
            o = self.build_order(account, params, now, pair)
            o.source = source
            self._check_status("add", o)
            built.append(o)
        results: list[dict[str, Any]] = []
        if validate_b:
            return {"orders": [{"descr": {"order": o.descr_order()}} for o in built]}
        self.counter.add(account, pair.id, len(built) / 2, now, check=True)
        for o in built:
            try:
                self._check_funds(o, account.name)
            except KrakenError as exc:
                results.append({"error": exc.error})
                continue
            self.place(o)
            results.append({"txid": o.txid, "descr": {"order": o.descr_order()}})
        return {"orders": results}

    # -- amend / edit ----------------------------------------------------------------
    def amend_order(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        params = as_params(params)
        now = self.clock()
        self._check_status("amend")
        txid = params.get("txid") or params.get("order_id")
        cl = params.get("cl_ord_id")
        if bool(txid) == bool(cl):
            raise invalid("txid")
        found = self.find_open(account.name, str(txid or cl))
        found = [o for o in found if (txid and o.txid == txid) or (cl and o.cl_ord_id == cl)]
        if not found:
            raise KrakenError("EOrder:Unknown order")
        o = found[0]
        qty = parse_decimal(params["order_qty"], "order_qty") if params.get("order_qty") not in (None, "") else None
        lp = parse_decimal(params["limit_price"], "limit_price") if params.get("limit_price") not in (None, "") \
            else None
        tp = parse_decimal(params["trigger_price"], "trigger_price") \
            if params.get("trigger_price") not in (None, "") else None
        dq = parse_decimal(params["display_qty"], "display_qty") if params.get("display_qty") not in (None, "") \
            else None
        if qty is None and lp is None and tp is None and dq is None:
            raise invalid("order_qty")
        if params.get("deadline"):
            parse_deadline(params["deadline"], now)
        if qty is not None and (qty <= o.vol_exec or qty.as_tuple().exponent < -o.pair.lot_decimals):
            raise invalid("order_qty")
        if qty is not None and qty < o.pair.ordermin:
            raise KrakenError("EOrder:Order minimum not met")
        for v in (lp, tp):
            if v is not None and v % o.pair.tick_size != 0:
                raise KrakenError("EOrder:Tick size check failed")
        if lp is not None and o.ordertype not in ("limit", "stop-loss-limit", "take-profit-limit"):
            raise invalid("limit_price")
        if tp is not None and (o.ordertype not in TRIGGERED or o.ordertype in TRAILING):
            raise invalid("trigger_price")  # a trailing stop's trigger price follows the market
        post_only = parse_bool(params.get("post_only"), "post_only")
        # funds for the new hold
        old_state = (o.volume, o.price, o.price2)
        new_vol = qty if qty is not None else o.volume
        new_price, new_price2 = o.price, o.price2
        if o.ordertype == "limit" and lp is not None:
            new_price = lp
        elif lp is not None:
            new_price2 = lp
        if tp is not None:
            new_price = tp
        _, old_hold = self._hold_of(o)
        o.volume, o.price, o.price2 = new_vol, new_price, new_price2
        asset, new_hold = self._hold_of(o)
        o.volume, o.price, o.price2 = old_state
        if new_hold > old_hold and self.available(account.name, asset) < new_hold - old_hold:
            raise KrakenError("EOrder:Insufficient funds")
        if post_only and o.resting_price is not None:
            rp = new_price if o.ordertype == "limit" else new_price2
            best = self.books[o.pair.id].best("sell" if o.side == "buy" else "buy")
            if best is not None and ((o.side == "buy" and best <= rp) or (o.side == "sell" and best >= rp)):
                raise KrakenError("EOrder:Post only order")
        self.counter.add(account, o.pair.id, 1 + _penalty(_AMEND_PENALTY, now - (o.amended_at or o.opentm)), now,
                         check=True)
        if o.amends == 0:
            self._record_amend(o, "original", o.opentm, None)
        resting = o.resting_price is not None and o in self.books[o.pair.id].side(o.side)
        if resting:
            self.books[o.pair.id].remove(o)
        price_changed = (new_price, new_price2) != (o.price, o.price2)
        o.volume, o.price, o.price2 = new_vol, new_price, new_price2
        if dq is not None:
            o.display_qty = dq
        if price_changed or (qty is not None and qty > old_state[0]):
            o.seq = next(self.seq)  # loses queue priority
        o.amends += 1
        o.amended_at = now
        amend_id = self._record_amend(o, "user", now, None)
        self._save(o)
        self._emit("order", o.account, {"event": "amended", "order": o})
        if resting:
            self._execute(o, now)  # may match at the new price
            self._run_triggers()
        elif o.ordertype in TRIGGERED and not o.triggered:
            if self._should_trigger(o):
                self._trigger(o)
                self._run_triggers()
        self.book_version[o.pair.id] += 1
        return {"amend_id": amend_id}

    def _record_amend(self, o: Order, kind: str, ts: float, reason: str | None) -> str:
        amend_id = new_id("T")
        entry: dict[str, Any] = {
            "amend_id": amend_id, "amend_type": kind, "order_qty": o.pair.fmt_vol(o.volume),
            "remaining_qty": o.pair.fmt_vol(o.remaining),
        }
        if o.display_qty is not None:
            entry["display_qty"] = o.pair.fmt_vol(o.display_qty)
        if o.ordertype == "limit":
            entry["limit_price"] = o.pair.fmt_price(o.price)
        elif o.ordertype.endswith("-limit"):
            entry["limit_price"] = o.pair.fmt_price(o.price2)
        if o.ordertype in TRIGGERED:
            entry["trigger_price"] = o.pair.fmt_price(o.price)
        entry["post_only"] = "post" in o.oflags
        if reason:
            entry["reason"] = reason
        entry["timestamp"] = int(ts * 1_000_000_000)
        self.db.execute("INSERT INTO amends(amend_id, txid, data) VALUES(?,?,?)", (amend_id, o.txid, json.dumps(entry)))
        return amend_id

    def order_amends(self, account: str, txid: str) -> dict[str, Any]:
        o = self.load_order(account, txid)
        if o is None:
            raise KrakenError("EOrder:Unknown order")
        rows = self.db.query("SELECT data FROM amends WHERE txid=? ORDER BY rowid", (txid,))
        amends = [json.loads(r["data"]) for r in rows]
        if not amends:
            entry = {"amend_id": new_id("T"), "amend_type": "original", "order_qty": o.pair.fmt_vol(o.volume),
                     "remaining_qty": o.pair.fmt_vol(o.remaining), "post_only": "post" in o.oflags,
                     "timestamp": int(o.opentm * 1_000_000_000)}
            if o.price is not None and o.ordertype == "limit":
                entry["limit_price"] = o.pair.fmt_price(o.price)
            amends = [entry]
        return {"amends": amends, "count": len(amends)}

    def edit_order(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        params = as_params(params, ("oflags",))
        now = self.clock()
        self._check_status("edit")
        txid = params.get("txid")
        if not txid:
            raise invalid("txid")
        if not params.get("pair"):
            raise invalid("pair")
        pair = find_pair(str(params["pair"]))
        if pair is None:
            raise KrakenError("EQuery:Unknown asset pair")
        found = self.find_open(account.name, str(txid))
        if not found or found[0].pair is not pair:
            raise KrakenError("EOrder:Unknown order")
        old = found[0]
        if old.vol_exec > 0 and old.status == "open":
            pass
        new_params: dict[str, Any] = {
            "pair": pair.id, "type": old.side, "ordertype": old.ordertype,
            "volume": params.get("volume") or str(old.volume),
            "price": params.get("price") or (old.trail.raw() if old.trail is not None
                                             else None if old.price is None else str(old.price)),
            "price2": params.get("price2") or (old.trail_limit.raw() if old.trail_limit is not None
                                               else None if old.price2 is None else str(old.price2)),
            "leverage": None if old.leverage is None else str(old.leverage),
            "reduce_only": old.reduce_only, "trigger": old.trigger,
            "oflags": params.get("oflags") if params.get("oflags") is not None else ",".join(sorted(old.oflags)),
            "timeinforce": old.timeinforce,
            "expiretm": str(old.expiretm) if old.expiretm else None,
            "userref": params.get("userref") if params.get("userref") not in (None, "") else old.userref,
            "displayvol": params.get("displayvol"),
        }
        new = self.build_order(account, new_params, now, pair)
        new.source = old.source
        if params.get("deadline"):
            parse_deadline(params["deadline"], now)
        validate = parse_bool(params.get("validate"), "validate")
        # funds: the old hold is released when the old order is cancelled
        asset, old_hold = self._hold_of(old)
        asset2, new_hold = self._hold_of(new) if new.ordertype != "market" else (asset, ZERO)
        if self.available(account.name, asset2) + (old_hold if asset2 == asset else ZERO) < new_hold:
            raise KrakenError("EOrder:Insufficient funds")
        descr = {"order": new.descr_order()}
        result: dict[str, Any] = {"status": "ok", "txid": new.txid, "originaltxid": old.txid,
                                  "volume": pair.fmt_vol(new.volume),
                                  "price": pair.fmt_price(new.price) if new.price is not None else "0",
                                  "price2": pair.fmt_price(new.price2) if new.price2 is not None else "0",
                                  "orders_cancelled": 1, "descr": descr}
        if old.userref is not None or new.userref is not None:
            result["newuserref"] = new.userref
            result["olduserref"] = old.userref
        if validate:
            result.pop("txid")
            result["orders_cancelled"] = 0
            return result
        self.counter.add(account, pair.id, 1 + _penalty(_EDIT_PENALTY, now - (old.amended_at or old.opentm)), now,
                         check=True)
        self._cancel(old, "Order replaced", now)
        self.place(new)
        return result

    # -- time-driven ---------------------------------------------------------------
    def tick(self) -> None:
        """Expire GTD orders and fire dead man's switches."""
        now = self.clock()
        for o in [o for o in self.orders.values() if o.expiretm and o.expiretm <= now]:
            if o.resting_price is not None:
                self.books[o.pair.id].remove(o)
                self.book_version[o.pair.id] += 1
            self._finish(o, "expired", "Order expired", now)
        for name, at in list(self.dead_man.items()):
            if at <= now:
                del self.dead_man[name]
                for o in [o for o in self.orders.values() if o.account == name]:
                    self._cancel(o, "Dead man's switch", now)
        self.roll_over(now)
        for account in sorted({p.account for p in self.positions.values()}):
            self.check_margin_level(account, now)

    # -- margin: rollovers, margin calls and liquidation ------------------------------
    def roll_over(self, now: float) -> None:
        """Charge every position whose rollover time has come its rollover fee (every 4 hours of
        the exchange's clock, in the borrowed currency), ledger ``rollover``."""
        for p in list(self.positions.values()):
            charged = 0
            while p.status == "open" and p.rollovertm <= now and charged < 1000:
                price = self.position_price(p.pair)
                asset, fee, in_quote = self._margin_fee(p.account, p.pair, p.side, p.cost_remaining, p.remaining,
                                                        p.rate, price)
                lid, bal = self.db.credit(p.account, asset, ZERO, type="rollover", refid=p.posid, fee=fee,
                                          now=p.rollovertm)
                p.fee += in_quote
                p.rollovertm += mg.ROLLOVER_INTERVAL
                charged += 1
                self._emit("ledger", p.account, {"ledger_id": lid, "ref_id": p.posid, "time": now,
                                                 "type": "rollover", "asset": asset, "amount": ZERO, "fee": fee,
                                                 "balance": bal})
            if charged:
                self._save_position(p)

    def check_margin_level(self, account: str, now: float) -> None:
        """Margin call and stop: when the account's margin level (TradeBalance ``ml``) is at or
        below a pair's ``margin_call``, new positions on that pair are refused; at or below its
        ``margin_stop`` the account's positions on it are closed at the market (liquidated)."""
        log = logging.getLogger("kraken_ops.exchange")
        for _ in range(len(PAIRS) + 1):  # a liquidation may lift the level above the other pairs' stops
            ml = self.margin_summary(account)["ml"]
            if ml is None:
                self.margin_calls.pop(account, None)
                return
            pairs = {p.pair.id: p.pair for p in self.open_positions(account)}
            calls = {pid for pid, pair in pairs.items() if ml <= pair.margin_call}
            for pid in sorted(calls - self.margin_calls.get(account, set())):
                log.warning("margin call: account %s, margin level %.2f%% (%s calls at %s%%)", account, ml, pid,
                            pairs[pid].margin_call)
            if calls:
                self.margin_calls[account] = calls
            else:
                self.margin_calls.pop(account, None)
            stops = [pair for pair in pairs.values() if ml <= pair.margin_stop]
            if not stops:
                return
            for pair in stops:
                log.warning("margin stop: account %s, margin level %.2f%%: closing its %s positions", account, ml,
                            pair.id)
                self.liquidate(account, pair, now)

    def liquidate(self, account: str, pair: Pair, now: float) -> None:
        """Close the account's positions on ``pair`` with reduce-only market orders (``misc``
        ``liquidated``), after cancelling its open orders on the pair."""
        for o in [o for o in self.orders.values() if o.account == account and o.pair is pair]:
            self._cancel(o, "Liquidation", now)
        for side in ("buy", "sell"):
            ps = [p for p in self.open_positions(account) if p.pair is pair and p.side == side]
            volume = sum((p.remaining for p in ps), ZERO)
            if volume <= 0:
                continue
            o = Order(txid=new_id("O"), account=account, pair=pair, side="sell" if side == "buy" else "buy",
                      ordertype="market", volume=volume, opentm=now, reduce_only=True, leverage=ps[0].leverage,
                      misc="liquidated", source="liquidation")
            self.place(o)

    # -- market maker hooks --------------------------------------------------------
    def requote(self, pair_id: str, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]) -> None:
        """Replace the market maker's quotes; new quotes that cross user orders trade."""
        now = self.clock()
        book = self.books[pair_id]
        pair = self.markets.data[pair_id].pair
        book.bids = [o for o in book.bids if o.account is not None]
        book.asks = [o for o in book.asks if o.account is not None]
        for side, levels in (("buy", bids), ("sell", asks)):
            opp = book.side("sell" if side == "buy" else "buy")
            resting: list[Order] = []
            for price, qty in levels:
                o = Order(txid="MM", account=None, pair=pair, side=side, ordertype="limit", volume=qty, price=price,
                          opentm=now)
                o.seq = next(self.seq)
                best = opp[0].resting_price if opp else None
                if best is not None and (price >= best if side == "buy" else price <= best):
                    self._execute(o, now)  # crosses a user order: trade
                else:
                    resting.append(o)
            if resting:  # one sort instead of an insort per level (100 levels a side)
                lst = book.side(side)
                lst.extend(resting)
                lst.sort(key=Book._key)
        self.book_version[pair_id] += 1
        self._trigger_queue.append(pair_id)  # the index moved: stops triggered by it, trailing stops
        self._run_triggers()

    def crowd_trade(self, pair_id: str, side: str, qty: Decimal) -> None:
        """A market order from the crowd (creates public trades, may fill users' orders)."""
        pair = self.markets.data[pair_id].pair
        o = Order(txid="CROWD", account=None, pair=pair, side=side, ordertype="market", volume=qty,
                  opentm=self.clock())
        o.seq = next(self.seq)
        self._match(o, None, o.opentm)
        self._run_triggers()
