"""The Futures matching engine, market maker, wallets, positions and margin.

One :class:`FuturesEngine` per running exchange. It keeps open orders, positions and the
public market in memory and writes every change through to SQLite tables prefixed
``fut_`` (orders, positions, wallets, fills, account log, history events, preferences),
so a restart keeps accounts, balances, orders and history.

Market model: the mark price of each instrument follows the Spot index
(``ctx.index_price(base)``) times a small seeded premium; a market maker quotes ten levels a
side around it and other "traders" print trades, so book, ticker and trades move. User
orders match against the market maker's quotes and against other accounts' resting orders
(price-time priority, users ahead of the market maker at a level). Resting user orders that
the quotes move through are filled as makers at their limit price. Stops and take-profits
trigger on the mark, index or last price.

Listeners (WebSocket connections) receive ``(kind, key, payload)`` events:
``("book", symbol, delta)``, ``("trade", symbol, trade)``, ``("tick", symbol, None)``,
``("order", account, update)``, ``("fill", account, fill)``, ``("position", account, None)``,
``("balance", account, None)``, ``("log", account, entry)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Any, Callable, Iterable

from kraken_ops.exchange.futures.instruments import (
    FEE_TIERS,
    FLEX_ASSETS,
    INSTRUMENTS,
    WALLETS,
    Instrument,
    normalize_asset,
)
from kraken_ops.exchange.futures.util import iso_ms

D = Decimal
ZERO = D(0)
Q8 = D("1e-8")
Q10 = D("1e-10")

SCHEMA = """
CREATE TABLE IF NOT EXISTS fut_wallets (
    account TEXT NOT NULL, wallet TEXT NOT NULL, asset TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (account, wallet, asset));
CREATE TABLE IF NOT EXISTS fut_orders (
    order_id TEXT PRIMARY KEY, account TEXT NOT NULL, symbol TEXT NOT NULL, status TEXT NOT NULL,
    cli_ord_id TEXT, received INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fut_orders_account ON fut_orders(account, status);
CREATE TABLE IF NOT EXISTS fut_positions (
    account TEXT NOT NULL, symbol TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account, symbol));
CREATE TABLE IF NOT EXISTS fut_fills (
    fill_id TEXT PRIMARY KEY, account TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fut_fills_account ON fut_fills(account, time);
CREATE TABLE IF NOT EXISTS fut_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, time INTEGER NOT NULL,
    info TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fut_log_account ON fut_log(account, time);
CREATE TABLE IF NOT EXISTS fut_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, kind TEXT NOT NULL,
    symbol TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fut_events_q ON fut_events(account, kind, time);
CREATE TABLE IF NOT EXISTS fut_prefs (
    account TEXT NOT NULL, kind TEXT NOT NULL, symbol TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (account, kind, symbol));
"""

PUBLIC = "*"  # account column of public (market) history events
#: seconds between two funding payments of perpetual contracts (Kraken: every hour)
FUNDING_INTERVAL = 3600.0


def account_uid(name: str) -> str:
    """Stable UUID of an account (Kraken identifies futures accounts by uid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kraken-ops-futures:" + name))


def q(d: Decimal, step: Decimal = Q8) -> Decimal:
    return d.quantize(step, rounding=ROUND_HALF_EVEN)


def round_to(value: Decimal, step: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    return (value / step).quantize(D(1), rounding=rounding) * step


def _dec_fields(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in obj.items()}


# ---------------------------------------------------------------------------------------
# data
@dataclass
class Order:
    order_id: str
    account: str
    symbol: str
    side: str                     # buy | sell
    order_type: str               # lmt | post | ioc | mkt | stp | take_profit
    size: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trigger_signal: str = "mark"  # mark | index | last
    reduce_only: bool = False
    cli_ord_id: str | None = None
    filled: Decimal = ZERO
    received: int = 0             # ms
    last_update: int = 0          # ms
    status: str = "untouched"     # untouched | partiallyFilled | filled | cancelled | rejected
    triggered: bool = False
    reason: str = ""
    liquidation: bool = False     # placed by the exchange to liquidate the account's position

    @property
    def unfilled(self) -> Decimal:
        return self.size - self.filled

    @property
    def is_trigger(self) -> bool:
        return self.order_type in ("stp", "take_profit") and not self.triggered

    @property
    def is_open(self) -> bool:
        return self.status in ("untouched", "partiallyFilled")

    @property
    def direction(self) -> int:
        return 1 if self.side == "buy" else -1

    def to_json(self) -> str:
        return json.dumps(_dec_fields(asdict(self)))

    @classmethod
    def from_json(cls, text: str) -> "Order":
        raw = json.loads(text)
        for k in ("size", "limit_price", "stop_price", "filled"):
            if raw.get(k) is not None:
                raw[k] = D(raw[k])
        return cls(**raw)

    # -- Kraken shapes ---------------------------------------------------------------
    def kraken_type(self) -> str:
        return self.order_type

    def event_order(self) -> dict[str, Any]:
        """The ``order`` object inside sendStatus/cancelStatus orderEvents."""
        return {
            "orderId": self.order_id,
            "cliOrdId": self.cli_ord_id,
            "type": "lmt" if self.order_type in ("lmt", "post", "stp", "take_profit") and self.limit_price
            is not None else self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.size,
            "filled": self.filled,
            "limitPrice": self.limit_price,
            "reduceOnly": self.reduce_only,
            "timestamp": iso_ms(self.received / 1000),
            "lastUpdateTimestamp": iso_ms(self.last_update / 1000),
        }

    def event_trigger(self) -> dict[str, Any]:
        """The ``orderTrigger`` object of a stop / take-profit."""
        above = (self.order_type == "stp") == (self.side == "buy")
        return {
            "uid": self.order_id,
            "clientId": self.cli_ord_id,
            "type": "lmt" if self.limit_price is not None else "mkt",
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.size,
            "limitPrice": self.limit_price,
            "triggerPrice": self.stop_price,
            "triggerSide": "trigger_above" if above else "trigger_below",
            "triggerSignal": {"mark": "mark_price", "index": "spot_price", "last": "last_price"}[self.trigger_signal],
            "reduceOnly": self.reduce_only,
            "timestamp": iso_ms(self.received / 1000),
            "lastUpdateTimestamp": iso_ms(self.last_update / 1000),
            "limitPriceOffset": None,
            "startTime": None,
        }

    def open_order(self) -> dict[str, Any]:
        """An element of GET /openorders."""
        out: dict[str, Any] = {
            "order_id": self.order_id,
            "symbol": self.symbol,
            "side": self.side,
            "orderType": {"stp": "stop", "take_profit": "take_profit"}.get(self.order_type, "lmt")
            if self.is_trigger else "lmt",
            "unfilledSize": self.unfilled,
            "receivedTime": iso_ms(self.received / 1000),
            "status": self.status,
            "filledSize": self.filled,
            "reduceOnly": self.reduce_only,
            "lastUpdateTime": iso_ms(self.last_update / 1000),
        }
        if self.limit_price is not None:
            out["limitPrice"] = self.limit_price
        if self.stop_price is not None:
            out["stopPrice"] = self.stop_price
            out["triggerSignal"] = {"mark": "mark_price", "index": "spot_price", "last": "last_price"}[
                self.trigger_signal]
        if self.cli_ord_id:
            out["cliOrdId"] = self.cli_ord_id
        return out

    def ws_order(self) -> dict[str, Any]:
        """An order in the ``open_orders`` WebSocket feed."""
        return {
            "instrument": self.symbol,
            "time": self.received,
            "last_update_time": self.last_update,
            "qty": self.size,
            "filled": self.filled,
            "limit_price": self.limit_price if self.limit_price is not None else ZERO,
            "stop_price": self.stop_price if self.stop_price is not None else ZERO,
            "type": {"stp": "stop", "take_profit": "take_profit"}.get(self.order_type, "limit")
            if self.is_trigger else "limit",
            "order_id": self.order_id,
            "cli_ord_id": self.cli_ord_id,
            "direction": 0 if self.side == "buy" else 1,
            "reduce_only": self.reduce_only,
            "triggerSignal": {"mark": "mark_price", "index": "spot_price", "last": "last_price"}[self.trigger_signal]
            if self.stop_price is not None else None,
        }

    def history_order(self, uid_account: str) -> dict[str, Any]:
        """The ``order`` object of history v2 events."""
        return {
            "uid": self.order_id,
            "accountUid": uid_account,
            "tradeable": self.symbol,
            "direction": "Buy" if self.side == "buy" else "Sell",
            "quantity": str(self.size),
            "filled": str(self.filled),
            "timestamp": self.received,
            "limitPrice": str(self.limit_price) if self.limit_price is not None else None,
            "orderType": {"lmt": "Limit", "post": "Post", "ioc": "IoC", "mkt": "Market", "stp": "Limit",
                          "take_profit": "Limit"}[self.order_type],
            "clientId": self.cli_ord_id or "",
            "reduceOnly": self.reduce_only,
            "lastUpdateTimestamp": self.last_update,
        }


@dataclass
class Position:
    account: str
    symbol: str
    size: Decimal = ZERO          # signed: >0 long
    entry: Decimal = ZERO
    fill_time: int = 0            # ms of the last fill that opened or increased it
    realized: Decimal = ZERO

    def to_json(self) -> str:
        return json.dumps(_dec_fields(asdict(self)))

    @classmethod
    def from_json(cls, text: str) -> "Position":
        raw = json.loads(text)
        for k in ("size", "entry", "realized"):
            raw[k] = D(raw[k])
        return cls(**raw)


@dataclass
class Market:
    inst: Instrument
    index: Decimal
    mark: Decimal
    last: Decimal
    premium: float = 0.0
    last_size: Decimal = ZERO
    last_time: int = 0
    bids: list[list[Decimal]] = field(default_factory=list)  # market maker [price, qty], best first
    asks: list[list[Decimal]] = field(default_factory=list)
    trades: deque = field(default_factory=lambda: deque(maxlen=1000))  # public trade dicts
    book_seq: int = 0
    trade_seq: int = 0
    published: dict[str, dict[Decimal, Decimal]] = field(default_factory=lambda: {"buy": {}, "sell": {}})
    open24h: Decimal = ZERO
    day_volume: deque = field(default_factory=deque)  # (ms, qty, quote)
    #: the absolute funding rate (what one long contract pays per funding interval, in the
    #: collateral currency; the ticker's ``fundingRate``) and the relative one (of the position's value)
    funding_rate: Decimal = ZERO
    relative_funding_rate: Decimal = ZERO
    # chart series: tick_type -> list of (sec, price, volume)
    series: dict[str, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)


class OrderReject(Exception):
    """An order outcome other than success; ``status`` is a sendStatus status string."""

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason or status.upper()


_REJECT_REASONS = {
    "postWouldExecute": "POST_WOULD_EXECUTE",
    "iocWouldNotExecute": "IOC_WOULD_NOT_EXECUTE",
    "insufficientAvailableFunds": "INSUFFICIENT_AVAILABLE_FUNDS",
    "invalidSize": "INVALID_SIZE",
    "invalidPrice": "INVALID_PRICE",
    "wouldNotReducePosition": "WOULD_NOT_REDUCE_POSITION",
    "marketIsPostOnly": "MARKET_IS_POST_ONLY",
    "marketSuspended": "MARKET_SUSPENDED",
    "clientOrderIdAlreadyExist": "CLIENT_ORDER_ID_ALREADY_EXIST",
    "clientOrderIdTooLong": "CLIENT_ORDER_ID_TOO_LONG",
    "maxPositionViolation": "MAX_POSITION_VIOLATION",
}


# ---------------------------------------------------------------------------------------
class FuturesEngine:
    """State and behaviour of the Futures side; see the module docstring."""

    BOOK_LEVELS = 10

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.rng = random.Random((getattr(ctx, "seed", 0) or 0) * 7919 + 17)
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                self.db.execute(stmt)
        self.listeners: set[Callable[[str, str, Any], None]] = set()
        self.orders: dict[str, Order] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.dms: dict[str, tuple[float, Any]] = {}   # account -> (trigger time, TimerHandle|None)
        self.markets: dict[str, Market] = {}
        self._fallback_index: dict[str, Decimal] = {"XBT": D(60000), "ETH": D(3000)}
        now = self.clock()
        for sym, inst in INSTRUMENTS.items():
            idx = self._index(inst.base)
            m = Market(inst=inst, index=idx, mark=round_to(idx, inst.tick_size), last=round_to(idx, inst.tick_size))
            m.open24h = m.last
            m.last_time = int(now * 1000)
            self.markets[sym] = m
            self._backfill(m, now)
            self._requote(m)
            m.published = self._aggregate(sym)
        for row in self.db.query("SELECT data FROM fut_orders WHERE status IN ('untouched','partiallyFilled')"):
            o = Order.from_json(row["data"])
            self.orders[o.order_id] = o
        for row in self.db.query("SELECT data FROM fut_positions"):
            p = Position.from_json(row["data"])
            self.positions[(p.account, p.symbol)] = p
        for m in self.markets.values():
            m.published = self._aggregate(m.inst.symbol)

    # ---------------------------------------------------------------- utilities
    def clock(self) -> float:
        return float(self.ctx.clock())

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def emit(self, kind: str, key: str, payload: Any = None) -> None:
        for fn in list(self.listeners):
            try:
                fn(kind, key, payload)
            except Exception:  # a broken listener must not break trading
                self.listeners.discard(fn)

    def _index(self, base: str) -> Decimal:
        try:
            v = self.ctx.index_price(base)
            if v is not None and D(v) > 0:
                return D(v)
        except Exception:
            pass
        # no spot market available: an internal seeded walk
        cur = self._fallback_index[base]
        cur = cur * D(str(1 + self.rng.gauss(0, 0.0004)))
        self._fallback_index[base] = cur
        return cur

    # ---------------------------------------------------------------- market data
    def _backfill(self, m: Market, now: float) -> None:
        """24 hours of one-minute chart points ending at the current price (seeded walk)."""
        start = int(now) // 60 * 60 - 24 * 3600
        n = 24 * 60
        prices = [float(m.mark)]
        for _ in range(n - 1):
            prices.append(prices[-1] / (1 + self.rng.gauss(0, 0.0008)))
        prices.reverse()
        tick = m.inst.tick_size
        trade_s, mark_s, spot_s = [], [], []
        for i, p in enumerate(prices):
            t = start + i * 60
            pd = round_to(D(repr(p)), tick)
            vol = round_to(D(repr(self.rng.uniform(0.5, 5.0))), m.inst.min_size) if not m.inst.inverse else \
                D(self.rng.randint(1000, 50000))
            trade_s.append((t, pd, vol))
            mark_s.append((t, pd, ZERO))
            spot_s.append((t, pd, ZERO))
        m.series = {"trade": trade_s, "mark": mark_s, "spot": spot_s}
        m.open24h = trade_s[0][1]

    def _requote(self, m: Market) -> None:
        inst = m.inst
        tick = inst.tick_size
        mid = m.mark
        half = max(tick, round_to(mid * D("0.0001"), tick, ROUND_UP))
        step = max(tick, round_to(mid * D("0.00005"), tick))
        bids, asks = [], []
        for i in range(self.BOOK_LEVELS):
            bp = round_to(mid - half - step * i, tick, ROUND_DOWN)
            ap = round_to(mid + half + step * i, tick, ROUND_UP)
            bids.append([bp, self._mm_qty(inst)])
            asks.append([ap, self._mm_qty(inst)])
        m.bids, m.asks = bids, asks

    def _mm_qty(self, inst: Instrument) -> Decimal:
        if inst.inverse:
            return D(self.rng.randint(1000, 60000))
        hi = 3.0 if inst.base == "XBT" else 40.0
        return max(inst.min_size, round_to(D(repr(self.rng.uniform(hi / 30, hi))), inst.min_size))

    def _aggregate(self, symbol: str) -> dict[str, dict[Decimal, Decimal]]:
        """The public book: market maker quotes plus resting user limit orders."""
        m = self.markets[symbol]
        out: dict[str, dict[Decimal, Decimal]] = {"buy": {}, "sell": {}}
        for side, levels in (("buy", m.bids), ("sell", m.asks)):
            book = out[side]
            for p, qty in levels:
                if qty > 0:
                    book[p] = book.get(p, ZERO) + qty
        for o in self.orders.values():
            if o.symbol == symbol and o.is_open and not o.is_trigger and o.limit_price is not None:
                book = out[o.side]
                book[o.limit_price] = book.get(o.limit_price, ZERO) + o.unfilled
        return out

    def book(self, symbol: str) -> dict[str, list[tuple[Decimal, Decimal]]]:
        agg = self._aggregate(symbol)
        return {
            "bids": sorted(agg["buy"].items(), key=lambda kv: -kv[0]),
            "asks": sorted(agg["sell"].items(), key=lambda kv: kv[0]),
        }

    def publish_book(self, symbol: str) -> None:
        """Emit one ``book`` delta per changed level since the last publication."""
        m = self.markets[symbol]
        new = self._aggregate(symbol)
        ts = self.now_ms()
        for side in ("buy", "sell"):
            old = m.published[side]
            for price in sorted(set(old) | set(new[side])):
                a, b = old.get(price, ZERO), new[side].get(price, ZERO)
                if a != b:
                    m.book_seq += 1
                    self.emit("book", symbol, {"feed": "book", "product_id": symbol, "side": side,
                                               "seq": m.book_seq, "price": price, "qty": b, "timestamp": ts})
        m.published = new

    def best(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        b = self.book(symbol)
        return (b["bids"][0][0] if b["bids"] else None, b["asks"][0][0] if b["asks"] else None)

    def signal_price(self, m: Market, signal: str) -> Decimal:
        return {"mark": m.mark, "index": m.index, "last": m.last}.get(signal, m.mark)

    def tick(self) -> None:
        """One step of the price process: new index/mark, fresh quotes, background trades, triggers."""
        now = self.clock()
        for sym, m in self.markets.items():
            inst = m.inst
            m.index = self._index(inst.base)
            m.premium = max(-0.001, min(0.001, m.premium + self.rng.gauss(0, 0.0001)))
            m.mark = round_to(m.index * D(repr(1 + m.premium)), inst.tick_size)
            m.relative_funding_rate = q(D(repr(m.premium / 8)), D("1e-12"))
            m.funding_rate = self.absolute_funding_rate(m)
            self._requote(m)
            self._sweep_resting(m)
            if self.rng.random() < 0.6:
                side = "buy" if self.rng.random() < 0.5 else "sell"
                level = (m.asks if side == "buy" else m.bids)[0]
                qty = max(inst.min_size, round_to(level[1] * D(repr(self.rng.uniform(0.01, 0.2))), inst.min_size))
                qty = min(qty, level[1])
                level[1] -= qty
                self._record_public_trade(m, side, level[0], qty, "fill", maker=None, taker=None)
            t = int(now)
            m.series["mark"].append((t, m.mark, ZERO))
            m.series["spot"].append((t, round_to(m.index, inst.tick_size), ZERO))
            for s in m.series.values():
                if len(s) > 200000:
                    del s[: len(s) - 150000]
            self._check_triggers(m)
            self.publish_book(sym)
            self.emit("tick", sym, None)
        self._check_dead_man(now)
        self.pay_funding(now)
        self.check_liquidations()
        touched = {a for a, _ in self.positions}
        for acct in touched:
            self.emit("position", acct, None)

    # ---------------------------------------------------------------- funding and liquidation
    def funding_interval(self) -> float:
        """Seconds between funding payments (Kraken: hourly for perpetuals); ``ctx.futures_funding_interval``
        overrides it."""
        return float(getattr(self.ctx, "futures_funding_interval", FUNDING_INTERVAL) or FUNDING_INTERVAL)

    @staticmethod
    def absolute_funding_rate(m: Market) -> Decimal:
        """What one long contract pays per funding interval, in the collateral currency: the
        relative rate times the contract's value at the mark price (USD for linear contracts, XBT for
        inverse ones)."""
        inst = m.inst
        if m.mark <= 0:
            return ZERO
        value = inst.contract_size / m.mark if inst.inverse else inst.contract_size * m.mark
        return q(m.relative_funding_rate * value, D("1e-18"))

    def pay_funding(self, now: float) -> None:
        """At every funding time (a multiple of the interval on the exchange's clock) each open
        position pays (a long when the rate is positive) or receives ``size x fundingRate``; the
        account log shows ``funding rate change`` with ``funding_rate`` and ``realized_funding``."""
        interval = self.funding_interval()
        due = int(now // interval) * interval
        stored = self.db.kv_get("fut_funding_at")
        last = float(stored) if stored is not None else due  # a new exchange starts at the current period
        times = 0
        while last < due and times < 24 * 7:
            last += interval
            times += 1
            self._fund_positions(last)
        if last < due:  # a jump of more than a week: the periods in between are skipped
            last = due
        if stored is None or float(stored) != last:
            self.db.kv_set("fut_funding_at", repr(last))

    def _fund_positions(self, at: float) -> None:
        for (account, symbol), p in sorted(self.positions.items()):
            if p.size == 0:
                continue
            m = self.markets[symbol]
            inst = m.inst
            payment = q(-p.size * m.funding_rate, Q10 if inst.inverse else Q8)
            if payment == 0:
                continue
            self.credit(account, inst.wallet, inst.collateral, payment, info="funding rate change", log={
                "funding_rate": m.funding_rate, "realized_funding": payment, "contract": symbol.lower(),
                "mark_price": m.mark, "collateral": inst.collateral})

    def check_liquidations(self) -> None:
        """Equity protection: an account whose margin equity (portfolio value) falls below the
        maintenance margin of a margin account is liquidated there: its open orders on that
        account's contracts are cancelled and its positions closed at the market (fills and
        account log ``futures liquidation``)."""
        for account in sorted({a for (a, _), p in self.positions.items() if p.size != 0}):
            symbols = [p.symbol for p in self.open_positions(account)]
            flex = [s for s in symbols if self.markets[s].inst.wallet == "flex"]
            if flex:
                summary = self.flex_summary(account)
                if summary["maintenanceMargin"] > 0 and summary["marginEquity"] < summary["maintenanceMargin"]:
                    self.liquidate(account, flex)
            for s in symbols:
                inst = self.markets[s].inst
                if inst.wallet == "flex":
                    continue
                summary = self.inverse_summary(account, s)
                mm = summary["marginRequirements"]["mm"]
                if mm > 0 and summary["auxiliary"]["pv"] < mm:
                    self.liquidate(account, [s])

    def liquidate(self, account: str, symbols: list[str]) -> None:
        """Close the account's positions in ``symbols`` after cancelling its orders there, as
        Kraken's equity protection process does: an immediate-or-cancel order at the bankruptcy
        price (where the margin account's value would be zero) takes what the book offers at that
        price or better (the account keeps what is left), and the rest is assigned at the bankruptcy
        price. The account's value therefore never goes below zero."""
        for symbol in symbols:
            self.cancel_all(account, symbol, reason="liquidation")
        for symbol in symbols:
            p = self.positions.get((account, symbol))
            if p is None or p.size == 0:
                continue
            m = self.markets[symbol]
            inst = m.inst
            if inst.wallet == "flex":
                value = self.flex_summary(account)["marginEquity"]
            else:
                value = self.inverse_summary(account, symbol)["auxiliary"]["pv"]
            size = p.size * inst.contract_size
            if inst.inverse:  # value(P) = value + size x (1/mark - 1/P) = 0
                inv = D(1) / m.mark + value / size
                bankrupt = D(1) / inv if inv > 0 else inst.tick_size
            else:  # value(P) = value + size x (P - mark) = 0 (above the market if the value is already < 0)
                bankrupt = m.mark - value / size
            # rounded toward the account (up for a long's sell, down for a short's buy), at least a tick
            bankrupt = max(inst.tick_size, round_to(bankrupt, inst.tick_size, ROUND_UP if p.size > 0 else ROUND_DOWN))
            now = self.now_ms()
            o = Order(str(uuid.uuid4()), account, symbol, "sell" if p.size > 0 else "buy", "ioc", abs(p.size),
                      limit_price=bankrupt, reduce_only=True, received=now, last_update=now, liquidation=True)
            self._history_order_event(o, "OrderPlaced", "liquidation")
            self._match(o)
            if o.unfilled > 0:  # assignment at the bankruptcy price
                self._fill(maker=None, taker=o, price=bankrupt, qty=o.unfilled, taker_side=o.side,
                           trade_type="assignment")
            self._save_order(o)
            self.publish_book(symbol)

    def _sweep_resting(self, m: Market) -> None:
        """Fill resting user orders that the new quotes cross (user is maker at its limit price)."""
        if not m.asks or not m.bids:
            return
        best_ask, best_bid = m.asks[0][0], m.bids[0][0]
        for o in sorted(self.orders.values(), key=lambda o: o.received):
            if o.symbol != m.inst.symbol or not o.is_open or o.is_trigger or o.limit_price is None:
                continue
            if (o.side == "buy" and o.limit_price >= best_ask) or (o.side == "sell" and o.limit_price <= best_bid):
                self._fill(maker=o, taker=None, price=o.limit_price, qty=o.unfilled, taker_side=
                           "sell" if o.side == "buy" else "buy", trade_type="fill")

    def _record_public_trade(self, m: Market, side: str, price: Decimal, qty: Decimal, ttype: str,
                             maker: Order | None, taker: Order | None) -> dict[str, Any]:
        now = self.now_ms()
        m.trade_seq += 1
        uid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        trade = {"feed": "trade", "product_id": m.inst.symbol, "uid": uid, "side": side, "type": ttype,
                 "seq": m.trade_seq, "time": now, "qty": qty, "price": price}
        m.trades.append(trade)
        m.last, m.last_size, m.last_time = price, qty, now
        quote = qty * price if not m.inst.inverse else qty
        m.day_volume.append((now, qty, quote))
        while m.day_volume and m.day_volume[0][0] < now - 86400000:
            m.day_volume.popleft()
        m.series["trade"].append((now // 1000, price, qty))
        # public execution history (market/{tradeable}/executions)
        if maker is None and taker is None:
            # a background trade: one lean row (compact_execution), expanded when read. The
            # anonymous orders' uids used to be drawn here; draw them still, so that a seed
            # gives the same market as before
            self.rng.getrandbits(128)
            self.rng.getrandbits(128)
            self._event_text(PUBLIC, "executions", m.inst.symbol, now, compact_execution(uid, price, qty, m.mark,
                                                                                           side))
        else:
            self._event(PUBLIC, "executions", m.inst.symbol, now, self._execution_event(
                uid, now, price, qty, m, maker, taker, side))
        self.emit("trade", m.inst.symbol, trade)
        return trade

    def _execution_event(self, uid: str, now: int, price: Decimal, qty: Decimal, m: Market,
                         maker: Order | None, taker: Order | None, taker_side: str) -> dict[str, Any]:
        def anon(o: Order | None, side: str) -> dict[str, Any]:
            if o is not None:
                h = o.history_order(account_uid(o.account))
                return h
            return {"uid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), "accountUid": "",
                    "tradeable": m.inst.symbol, "direction": "Buy" if side == "buy" else "Sell",
                    "quantity": str(qty), "filled": str(qty), "timestamp": now, "limitPrice": str(price),
                    "orderType": "Limit", "clientId": "", "reduceOnly": False, "lastUpdateTimestamp": now}

        maker_side = "sell" if taker_side == "buy" else "buy"
        usd = qty * price if not m.inst.inverse else qty
        return {"uid": uid, "timestamp": now, "event": {"Execution": {"execution": {
            "uid": uid, "makerOrder": anon(maker, maker_side), "takerOrder": anon(taker, taker_side),
            "timestamp": now, "quantity": str(qty), "price": str(price), "markPrice": str(m.mark),
            "limitFilled": maker is not None and maker.unfilled == 0, "usdValue": str(q(usd, D("0.0001")))},
            "takerReducedQuantity": ""}}}

    # ---------------------------------------------------------------- persistence
    def _save_order(self, o: Order) -> None:
        self.db.execute(
            "INSERT INTO fut_orders(order_id, account, symbol, status, cli_ord_id, received, data) VALUES(?,?,?,?,?,?,?)"
            " ON CONFLICT(order_id) DO UPDATE SET status=excluded.status, data=excluded.data",
            (o.order_id, o.account, o.symbol, o.status, o.cli_ord_id, o.received, o.to_json()))

    def _save_position(self, p: Position) -> None:
        if p.size == 0:
            self.db.execute("DELETE FROM fut_positions WHERE account=? AND symbol=?", (p.account, p.symbol))
            self.positions.pop((p.account, p.symbol), None)
        else:
            self.db.execute(
                "INSERT INTO fut_positions(account, symbol, data) VALUES(?,?,?)"
                " ON CONFLICT(account, symbol) DO UPDATE SET data=excluded.data",
                (p.account, p.symbol, p.to_json()))

    def _event(self, account: str, kind: str, symbol: str, ts: int, data: dict[str, Any]) -> None:
        self._event_text(account, kind, symbol, ts, json.dumps(data, separators=(",", ":")))

    def _event_text(self, account: str, kind: str, symbol: str, ts: int, text: str) -> None:
        self.db.execute("INSERT INTO fut_events(account, kind, symbol, time, data) VALUES(?,?,?,?,?)",
                        (account, kind, symbol, ts, text))

    def order_by_id(self, account: str, order_id: str | None = None, cli_ord_id: str | None = None) -> Order | None:
        """Any order (open or closed) of ``account`` by id or client id."""
        if order_id:
            o = self.orders.get(order_id)
            if o and o.account == account:
                return o
            rows = self.db.query("SELECT data FROM fut_orders WHERE order_id=? AND account=?", (order_id, account))
        elif cli_ord_id:
            for o in self.orders.values():
                if o.account == account and o.cli_ord_id == cli_ord_id:
                    return o
            rows = self.db.query("SELECT data FROM fut_orders WHERE cli_ord_id=? AND account=? ORDER BY received DESC",
                                 (cli_ord_id, account))
        else:
            return None
        return Order.from_json(rows[0]["data"]) if rows else None

    # ---------------------------------------------------------------- wallets
    def balance(self, account: str, wallet: str, asset: str) -> Decimal:
        rows = self.db.query("SELECT amount FROM fut_wallets WHERE account=? AND wallet=? AND asset=?",
                             (account, wallet, asset))
        return D(rows[0]["amount"]) if rows else ZERO

    def balances(self, account: str, wallet: str) -> dict[str, Decimal]:
        rows = self.db.query("SELECT asset, amount FROM fut_wallets WHERE account=? AND wallet=?", (account, wallet))
        return {r["asset"]: D(r["amount"]) for r in rows}

    def credit(self, account: str, wallet: str, asset: str, amount: Decimal, *, info: str,
               log: dict[str, Any] | None = None) -> Decimal:
        """Add ``amount`` (may be negative) to a futures wallet and write an account-log entry."""
        old = self.balance(account, wallet, asset)
        new = old + amount
        self.db.execute(
            "INSERT INTO fut_wallets(account, wallet, asset, amount) VALUES(?,?,?,?)"
            " ON CONFLICT(account, wallet, asset) DO UPDATE SET amount=excluded.amount",
            (account, wallet, asset, str(new)))
        entry = {"asset": asset.lower(), "margin_account": wallet, "old_balance": old, "new_balance": new,
                 "collateral": asset if wallet == "flex" else None}
        entry.update(log or {})
        self.log(account, info, entry)
        self.emit("balance", account, None)
        return new

    def log(self, account: str, info: str, fields: dict[str, Any]) -> dict[str, Any]:
        now = self.now_ms()
        base: dict[str, Any] = {
            "date": iso_ms(now / 1000), "asset": None, "info": info, "booking_uid": str(uuid.uuid4()),
            "margin_account": None, "old_balance": None, "new_balance": None, "old_average_entry_price": None,
            "new_average_entry_price": None, "trade_price": None, "mark_price": None, "realized_pnl": None,
            "fee": None, "execution": None, "collateral": None, "funding_rate": None, "realized_funding": None,
            "contract": None, "conversion_spread_percentage": None, "liquidation_fee": None,
        }
        base.update(fields)
        cur = self.db.execute("INSERT INTO fut_log(account, time, info, data) VALUES(?,?,?,?)",
                              (account, now, info, json.dumps(_dec_fields(base))))
        base["id"] = cur.lastrowid
        self.emit("log", account, base)
        return base

    def deposit_from_spot(self, account: str, asset: str, amount: Decimal) -> None:
        """``ctx.on_futures_credit``: a spot WalletTransfer arrives in the flex wallet."""
        a = normalize_asset(asset)
        self.credit(account, "flex", a, D(amount), info="cross-exchange transfer")

    # ---------------------------------------------------------------- positions & margin
    def position(self, account: str, symbol: str) -> Position:
        key = (account, symbol)
        if key not in self.positions:
            self.positions[key] = Position(account, symbol)
        return self.positions[key]

    def open_positions(self, account: str) -> list[Position]:
        return [p for (a, _), p in sorted(self.positions.items()) if a == account and p.size != 0]

    def leverage_pref(self, account: str, symbol: str) -> Decimal | None:
        rows = self.db.query("SELECT value FROM fut_prefs WHERE account=? AND kind='leverage' AND symbol=?",
                             (account, symbol))
        return D(rows[0]["value"]) if rows else None

    def im_rate(self, account: str, inst: Instrument, units: Decimal) -> tuple[Decimal, Decimal]:
        im, mm = inst.margin_rates(units)
        lev = self.leverage_pref(account, inst.symbol)
        if lev and lev > 0:
            im = max(im, D(1) / lev)
        return im, mm

    def upnl(self, p: Position) -> Decimal:
        m = self.markets[p.symbol]
        cs = m.inst.contract_size
        if m.inst.inverse:
            if p.entry == 0 or m.mark == 0:
                return ZERO
            return q(p.size * cs * (D(1) / p.entry - D(1) / m.mark), Q10)
        return q(p.size * cs * (m.mark - p.entry))

    def notional(self, inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
        """Margin-currency value of ``qty`` contracts at ``price`` (USD for flex, XBT for inverse)."""
        if inst.inverse:
            return abs(qty) * inst.contract_size / price
        return abs(qty) * inst.contract_size * price

    def _order_margin(self, account: str, o: Order) -> Decimal:
        m = self.markets[o.symbol]
        if o.reduce_only:
            return ZERO
        price = o.limit_price or o.stop_price or m.mark
        im, _ = self.im_rate(account, m.inst, o.unfilled)
        return self.notional(m.inst, o.unfilled, price) * im

    def asset_usd(self, asset: str) -> Decimal:
        if asset in ("USD", "USDT", "USDC"):
            return D(1)
        if asset == "EUR":
            return D("1.08")
        if asset in ("XBT", "ETH"):
            return self.markets["PF_XBTUSD" if asset == "XBT" else "PF_ETHUSD"].index
        return ZERO

    def flex_summary(self, account: str) -> dict[str, Any]:
        """The ``flex`` (multi-collateral) account of GET /accounts, with margin."""
        bal = self.balances(account, "flex")
        currencies: dict[str, Any] = {}
        balance_value = ZERO
        for asset in sorted(set(bal) | {"USD"}):
            qty = bal.get(asset, ZERO)
            value = q(qty * self.asset_usd(asset))
            balance_value += value
            currencies[asset] = {"quantity": qty, "value": value, "collateral": value, "available": qty}
        pnl = ZERO
        im = mm = ZERO
        for p in self.open_positions(account):
            inst = self.markets[p.symbol].inst
            if inst.wallet != "flex":
                continue
            pnl += self.upnl(p)
            i, mrate = self.im_rate(account, inst, p.size)
            n = self.notional(inst, p.size, self.markets[p.symbol].mark)
            im += n * i
            mm += n * mrate
        im_orders = im + sum((self._order_margin(account, o) for o in self.orders.values()
                              if o.account == account and o.is_open and self.markets[o.symbol].inst.wallet == "flex"),
                             ZERO)
        equity = balance_value + pnl
        for asset, c in currencies.items():
            if asset == "USD":
                c["available"] = q(max(ZERO, c["quantity"] + pnl - im_orders))
        return {
            "type": "multiCollateralMarginAccount",
            "currencies": currencies,
            "initialMargin": q(im),
            "initialMarginWithOrders": q(im_orders),
            "maintenanceMargin": q(mm),
            "balanceValue": q(balance_value),
            "portfolioValue": q(equity),
            "collateralValue": q(balance_value),
            "pnl": q(pnl),
            "unrealizedFunding": ZERO,
            "totalUnrealized": q(pnl),
            "totalUnrealizedAsMargin": q(pnl),
            "availableMargin": q(equity - im_orders),
            "marginEquity": q(equity),
        }

    def inverse_summary(self, account: str, symbol: str = "PI_XBTUSD") -> dict[str, Any]:
        """A single-collateral ``marginAccount`` (fi_xbtusd) of GET /accounts."""
        inst = INSTRUMENTS[symbol]
        bal = self.balance(account, inst.wallet, inst.collateral)
        p = self.positions.get((account, symbol))
        size = p.size if p else ZERO
        pnl = self.upnl(p) if p and p.size else ZERO
        mark = self.markets[symbol].mark
        i, mrate = self.im_rate(account, inst, size)
        im = self.notional(inst, size, mark) * i
        mm = self.notional(inst, size, mark) * mrate
        im_orders = im + sum((self._order_margin(account, o) for o in self.orders.values()
                              if o.account == account and o.is_open and o.symbol == symbol), ZERO)
        pv = bal + pnl
        return {
            "type": "marginAccount",
            "currency": inst.collateral.lower(),
            "balances": {symbol.lower(): size, inst.collateral.lower(): bal},
            "auxiliary": {"usd": ZERO, "pv": q(pv, Q10), "pnl": q(pnl, Q10), "af": q(pv - im_orders, Q10),
                          "funding": ZERO},
            "marginRequirements": {"im": q(im, Q10), "mm": q(mm, Q10), "lt": q(mm * D("0.8"), Q10),
                                   "tt": q(mm * D("0.5"), Q10)},
            "triggerEstimates": {"im": ZERO, "mm": ZERO, "lt": ZERO, "tt": ZERO},
        }

    def available_margin(self, account: str, inst: Instrument) -> Decimal:
        if inst.wallet == "flex":
            return self.flex_summary(account)["availableMargin"]
        return self.inverse_summary(account, inst.symbol)["auxiliary"]["af"]

    def accounts(self, account: str) -> dict[str, Any]:
        cash = self.balances(account, "cash")
        return {
            "cash": {"type": "cashAccount", "balances": {a.lower(): v for a, v in sorted(cash.items())}},
            "fi_xbtusd": self.inverse_summary(account),
            "flex": self.flex_summary(account),
        }

    # ---------------------------------------------------------------- orders
    def new_order(self, account: str, *, symbol: str, side: str, order_type: str, size: Decimal,
                  limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                  trigger_signal: str = "mark", reduce_only: bool = False,
                  cli_ord_id: str | None = None) -> tuple[Order, list[dict[str, Any]]]:
        """Validate and place an order; returns the order and its orderEvents.

        Raises :class:`OrderReject` with a sendStatus status when the order is refused.
        """
        now = self.now_ms()
        oid = str(uuid.uuid4())
        o = Order(oid, account, symbol, side, order_type, size, limit_price, stop_price, trigger_signal,
                  reduce_only, cli_ord_id, received=now, last_update=now)
        try:
            self._validate(o)
        except OrderReject as rej:
            o.status = "rejected"
            o.reason = rej.status
            self._history_order_event(o, "OrderRejected", rej.status)
            rej.order = o  # type: ignore[attr-defined]
            raise
        events: list[dict[str, Any]] = []
        if o.is_trigger:
            self.orders[oid] = o
            self._save_order(o)
            events.append({"orderTrigger": o.event_trigger(), "type": "PLACE"})
            self._history_trigger_event(o, "OrderTriggerPlaced")
            self.emit("order", account, {"order": o, "reason": "new_placed_order_by_user"})
            return o, events
        events.extend(self._enter(o))
        return o, events

    def _validate(self, o: Order) -> None:
        m = self.markets[o.symbol]
        inst = m.inst
        status = getattr(self.ctx, "status", "online")
        if status == "cancel_only":
            raise OrderReject("marketSuspended")
        if status == "post_only" and o.order_type != "post":
            raise OrderReject("marketIsPostOnly")
        if o.cli_ord_id is not None:
            if len(o.cli_ord_id) > 100:
                raise OrderReject("clientOrderIdTooLong")
            if any(x.cli_ord_id == o.cli_ord_id and x.account == o.account for x in self.orders.values()):
                raise OrderReject("clientOrderIdAlreadyExist")
        if o.size <= 0 or o.size != round_to(o.size, inst.min_size) or o.size > inst.max_position:
            raise OrderReject("invalidSize")
        for price in (o.limit_price, o.stop_price):
            if price is not None and (price <= 0 or price % inst.tick_size != 0):
                raise OrderReject("invalidPrice")
        if o.order_type in ("lmt", "post", "ioc") and o.limit_price is None:
            raise OrderReject("invalidPrice")
        if o.order_type in ("stp", "take_profit") and o.stop_price is None:
            raise OrderReject("invalidPrice")
        pos = self.positions.get((o.account, o.symbol))
        psize = pos.size if pos else ZERO
        if o.reduce_only:
            if psize == 0 or (psize > 0) == (o.side == "buy"):
                raise OrderReject("wouldNotReducePosition")
            if o.size > abs(psize):
                o.size = abs(psize)
        if abs(psize + o.direction * o.size) > inst.max_position:
            raise OrderReject("maxPositionViolation")
        reducing = psize != 0 and (psize > 0) != (o.side == "buy") and o.size <= abs(psize)
        if not reducing and not o.reduce_only:
            need = self._order_margin(o.account, o)
            if need > 0 and need > self.available_margin(o.account, inst):
                raise OrderReject("insufficientAvailableFunds")
        if o.order_type == "post":
            bid, ask = self._best_excluding(o.symbol, o.account)
            if (o.side == "buy" and ask is not None and o.limit_price >= ask) or \
                    (o.side == "sell" and bid is not None and o.limit_price <= bid):
                raise OrderReject("postWouldExecute")
        if o.order_type == "ioc":
            bid, ask = self._best_excluding(o.symbol, o.account)
            if (o.side == "buy" and (ask is None or o.limit_price < ask)) or \
                    (o.side == "sell" and (bid is None or o.limit_price > bid)):
                raise OrderReject("iocWouldNotExecute")

    def _best_excluding(self, symbol: str, account: str) -> tuple[Decimal | None, Decimal | None]:
        m = self.markets[symbol]
        bids = [p for p, qty in m.bids if qty > 0]
        asks = [p for p, qty in m.asks if qty > 0]
        for o in self.orders.values():
            if o.symbol == symbol and o.account != account and o.is_open and not o.is_trigger and o.limit_price:
                (bids if o.side == "buy" else asks).append(o.limit_price)
        return (max(bids) if bids else None, min(asks) if asks else None)

    def _enter(self, o: Order) -> list[dict[str, Any]]:
        """Match ``o`` as taker, rest the remainder (lmt/post) or cancel it (ioc/mkt)."""
        events: list[dict[str, Any]] = []
        self._history_order_event(o, "OrderPlaced", "new_user_order")
        events.extend(self._match(o))
        if o.unfilled > 0:
            if o.order_type in ("lmt", "post") or (o.order_type in ("stp", "take_profit") and o.limit_price):
                if not events:
                    events.append({"order": o.event_order(), "reducedQuantity": None, "type": "PLACE"})
                self.orders[o.order_id] = o
                self.emit("order", o.account, {"order": o, "reason": "new_placed_order_by_user"})
            else:
                o.status = "cancelled"
                o.reason = "ioc_remainder" if o.order_type == "ioc" else "market_remainder"
                self.orders.pop(o.order_id, None)
                events.append({"uid": o.order_id, "order": o.event_order(), "type": "CANCEL"})
                self._history_order_event(o, "OrderCancelled", "ioc_remainder_cancelled")
        else:
            self.orders.pop(o.order_id, None)
        self._save_order(o)
        self.publish_book(o.symbol)
        return events

    def _match(self, taker: Order) -> list[dict[str, Any]]:
        m = self.markets[taker.symbol]
        events: list[dict[str, Any]] = []
        opposite = "sell" if taker.side == "buy" else "buy"
        mm_levels = m.asks if taker.side == "buy" else m.bids
        while taker.unfilled > 0:
            # best price on the opposite side among market maker and other users
            users = [o for o in self.orders.values() if o.symbol == taker.symbol and o.side == opposite
                     and o.is_open and not o.is_trigger and o.limit_price is not None and o.account != taker.account]
            cands: list[Decimal] = [lv[0] for lv in mm_levels if lv[1] > 0] + [o.limit_price for o in users]
            if not cands:
                break
            price = min(cands) if taker.side == "buy" else max(cands)
            if taker.limit_price is not None and (
                    (taker.side == "buy" and price > taker.limit_price) or
                    (taker.side == "sell" and price < taker.limit_price)):
                break
            at_level = sorted([o for o in users if o.limit_price == price], key=lambda o: o.received)
            kind = "liquidation" if taker.liquidation else "fill"
            if at_level:
                maker = at_level[0]
                qty = min(taker.unfilled, maker.unfilled)
                prior = taker.event_order()
                self._fill(maker=maker, taker=taker, price=price, qty=qty, taker_side=taker.side, trade_type=kind)
            else:
                level = next(lv for lv in mm_levels if lv[0] == price and lv[1] > 0)
                qty = min(taker.unfilled, level[1])
                level[1] -= qty
                prior = taker.event_order()
                self._fill(maker=None, taker=taker, price=price, qty=qty, taker_side=taker.side, trade_type=kind)
            events.append({"executionId": self._last_exec_id, "price": price, "amount": qty,
                           "orderPriorEdit": None, "orderPriorExecution": prior,
                           "takerReducedQuantity": None, "type": "EXECUTION"})
        return events

    _last_exec_id: str = ""

    def _fill(self, *, maker: Order | None, taker: Order | None, price: Decimal, qty: Decimal,
              taker_side: str, trade_type: str = "fill") -> None:
        """Book one execution: fills, positions, fees, account log, history, public trade."""
        m = self.markets[(maker or taker).symbol]  # type: ignore[union-attr]
        trade = self._record_public_trade(m, taker_side, price, qty, trade_type, maker, taker)
        self._last_exec_id = trade["uid"]
        for o, liquidity in ((maker, "maker"), (taker, "taker")):
            if o is None:
                continue
            before = o.history_order(account_uid(o.account))
            o.filled += qty
            o.last_update = self.now_ms()
            o.status = "filled" if o.unfilled == 0 else "partiallyFilled"
            self._apply_fill(o, price, qty, liquidity, trade["uid"])
            self._history_fill_event(o, before)
            self._save_order(o)
            if o.unfilled == 0:
                self.orders.pop(o.order_id, None)
            self.emit("order", o.account, {"order": o, "reason": "full_fill" if o.unfilled == 0 else "partial_fill"})
        if maker is not None and maker.unfilled == 0:
            self.publish_book(maker.symbol)

    def fee_rates(self, account: str) -> tuple[Decimal, Decimal]:
        """(maker, taker) fee in percent for the account's 30-day volume."""
        vol = self.volume_30d(account)
        maker, taker = FEE_TIERS[0][1], FEE_TIERS[0][2]
        for threshold, mk, tk in FEE_TIERS:
            if vol >= threshold:
                maker, taker = mk, tk
        return maker, taker

    def volume_30d(self, account: str) -> Decimal:
        since = self.now_ms() - 30 * 86400000
        total = ZERO
        for row in self.db.query("SELECT data FROM fut_fills WHERE account=? AND time>=?", (account, since)):
            f = json.loads(row["data"])
            inst = INSTRUMENTS[f["symbol"]]
            total += D(f["size"]) * (D(1) if inst.inverse else D(f["price"]))
        return total

    def _apply_fill(self, o: Order, price: Decimal, qty: Decimal, liquidity: str, exec_id: str) -> None:
        inst = self.markets[o.symbol].inst
        now = self.now_ms()
        maker_rate, taker_rate = self.fee_rates(o.account)
        rate = (maker_rate if liquidity == "maker" else taker_rate) / 100
        if o.liquidation:  # the equity protection process charges no trading fee (liquidation_fee 0)
            rate = ZERO
        fee = q(self.notional(inst, qty, price) * rate, Q8 if not inst.inverse else Q10)
        p = self.position(o.account, o.symbol)
        old_size, old_entry = p.size, p.entry
        signed = qty * o.direction
        realized = ZERO
        cs = inst.contract_size
        if p.size == 0 or (p.size > 0) == (signed > 0):
            total = abs(p.size) + qty
            if inst.inverse:
                p.entry = total / (abs(p.size) / p.entry + qty / price) if p.size else price
            else:
                p.entry = (abs(p.size) * p.entry + qty * price) / total
            p.entry = q(p.entry, D("1e-8"))
            p.size += signed
            p.fill_time = now
        else:
            closing = min(qty, abs(p.size))
            direction = 1 if p.size > 0 else -1
            if inst.inverse:
                realized = q(direction * closing * cs * (D(1) / p.entry - D(1) / price), Q10)
            else:
                realized = q(direction * closing * cs * (price - p.entry))
            p.size += signed
            if p.size == 0:
                p.entry = ZERO
            elif (p.size > 0) != (old_size > 0):  # flipped: remainder opens at the fill price
                p.entry = price
                p.fill_time = now
        p.realized += realized
        self._save_position(p)
        fill = {"fill_id": str(uuid.uuid4()), "symbol": o.symbol, "side": o.side, "order_id": o.order_id,
                "cliOrdId": o.cli_ord_id, "size": qty, "price": price, "fillTime": iso_ms(now / 1000),
                "fillType": "liquidation" if o.liquidation else liquidity,
                "fee_paid": fee, "fee_currency": inst.collateral, "order_type": o.order_type,
                "remaining_order_qty": o.unfilled, "time": now}
        self.db.execute("INSERT INTO fut_fills(fill_id, account, time, data) VALUES(?,?,?,?)",
                        (fill["fill_id"], o.account, now, json.dumps(_dec_fields(fill))))
        # account log: position change, then collateral change (realized pnl - fee)
        info = "futures liquidation" if o.liquidation else "futures trade"
        extra = {"liquidation_fee": ZERO} if o.liquidation else {}
        self.log(o.account, info, {**extra,
            "asset": o.symbol.lower(), "margin_account": inst.wallet, "old_balance": old_size, "new_balance": p.size,
            "old_average_entry_price": old_entry, "new_average_entry_price": p.entry, "trade_price": price,
            "mark_price": self.markets[o.symbol].mark, "realized_pnl": realized, "fee": fee,
            "execution": exec_id, "contract": o.symbol.lower(), "collateral": inst.collateral})
        self.credit(o.account, inst.wallet, inst.collateral, realized - fee, info=info, log={**extra,
            "trade_price": price, "mark_price": self.markets[o.symbol].mark, "realized_pnl": realized, "fee": fee,
            "execution": exec_id, "contract": o.symbol.lower(), "collateral": inst.collateral})
        self._event(o.account, "executions", o.symbol, now, self._execution_event(
            exec_id, now, price, qty, self.markets[o.symbol], o if liquidity == "maker" else None,
            o if liquidity == "taker" else None, o.side if liquidity == "taker" else
            ("sell" if o.side == "buy" else "buy")))
        self.emit("fill", o.account, fill)
        self.emit("position", o.account, None)

    # ---------------------------------------------------------------- triggers
    def _check_triggers(self, m: Market) -> None:
        for o in sorted(list(self.orders.values()), key=lambda o: o.received):
            if o.symbol != m.inst.symbol or not o.is_trigger or o.order_id not in self.orders:
                continue
            price = self.signal_price(m, o.trigger_signal)
            if o.order_type == "stp":
                hit = price >= o.stop_price if o.side == "buy" else price <= o.stop_price
            else:
                hit = price <= o.stop_price if o.side == "buy" else price >= o.stop_price
            if hit:
                self.activate_trigger(o)

    def activate_trigger(self, o: Order) -> None:
        o.triggered = True
        o.last_update = self.now_ms()
        self._history_trigger_event(o, "OrderTriggerActivated")
        self.orders.pop(o.order_id, None)
        self._enter(o)

    # ---------------------------------------------------------------- edit / cancel
    def edit_order(self, o: Order, *, size: Decimal | None, limit_price: Decimal | None,
                   stop_price: Decimal | None) -> list[dict[str, Any]]:
        inst = self.markets[o.symbol].inst
        if size is not None and (size <= o.filled or size != round_to(size, inst.min_size)):
            raise OrderReject("invalidSize")
        for price in (limit_price, stop_price):
            if price is not None and (price <= 0 or price % inst.tick_size != 0):
                raise OrderReject("invalidPrice")
        old = o.event_trigger() if o.is_trigger else o.event_order()
        old_hist = o.history_order(account_uid(o.account))
        if size is not None:
            o.size = size
        if limit_price is not None:
            o.limit_price = limit_price
        if stop_price is not None:
            o.stop_price = stop_price
        o.last_update = self.now_ms()
        if o.order_type == "post" and not o.is_trigger:
            bid, ask = self._best_excluding(o.symbol, o.account)
            if (o.side == "buy" and ask is not None and o.limit_price >= ask) or \
                    (o.side == "sell" and bid is not None and o.limit_price <= bid):
                o.status, o.reason = "cancelled", "post_order_failed_because_it_would_filled"
                self.orders.pop(o.order_id, None)
                self._save_order(o)
                self.publish_book(o.symbol)
                self.emit("order", o.account, {"order": o, "reason": "post_order_failed_because_it_would_filled"})
                return [{"uid": o.order_id, "order": o.event_order(), "type": "CANCEL"}]
        new = o.event_trigger() if o.is_trigger else o.event_order()
        events: list[dict[str, Any]] = [{"old": old, "new": new, "reducedQuantity": None, "type": "EDIT"}]
        self._event(o.account, "triggers" if o.is_trigger else "orders", o.symbol, o.last_update, {
            "uid": str(uuid.uuid4()), "timestamp": o.last_update, "event": {
                ("OrderTriggerUpdated" if o.is_trigger else "OrderUpdated"): {
                    "oldOrder": old_hist, "newOrder": o.history_order(account_uid(o.account)),
                    "reason": "edited_by_user"}}})
        if not o.is_trigger:
            self.orders.pop(o.order_id, None)
            events.extend(self._match(o))
            if o.unfilled > 0:
                self.orders[o.order_id] = o
        self._save_order(o)
        self.publish_book(o.symbol)
        self.emit("order", o.account, {"order": o, "reason": "edited_by_user"})
        return events

    def cancel(self, o: Order, reason: str = "cancelled_by_user") -> dict[str, Any]:
        o.status = "cancelled"
        o.reason = reason
        o.last_update = self.now_ms()
        self.orders.pop(o.order_id, None)
        self._save_order(o)
        if o.is_trigger:
            self._history_trigger_event(o, "OrderTriggerCancelled", reason)
            ev = {"uid": o.order_id, "order": o.event_trigger(), "type": "CANCEL"}
        else:
            self._history_order_event(o, "OrderCancelled", reason)
            ev = {"uid": o.order_id, "order": o.event_order(), "type": "CANCEL"}
        self.publish_book(o.symbol)
        self.emit("order", o.account, {"order": o, "reason": reason, "is_cancel": True})
        return ev

    def cancel_all(self, account: str, symbol: str | None = None,
                   reason: str = "cancelled_by_user") -> tuple[list[Order], list[dict[str, Any]]]:
        victims = sorted((o for o in self.orders.values() if o.account == account and
                          (symbol is None or o.symbol == symbol)), key=lambda o: o.received)
        events = [self.cancel(o, reason) for o in victims]
        return victims, events

    # ---------------------------------------------------------------- dead man's switch
    def set_dead_man(self, account: str, timeout: int) -> tuple[float, float | None]:
        now = self.clock()
        prev = self.dms.pop(account, None)
        if prev and prev[1] is not None:
            prev[1].cancel()
        if timeout <= 0:
            return now, None
        trigger = now + timeout
        handle = None
        try:
            loop = asyncio.get_running_loop()
            handle = loop.call_later(timeout, self._check_dead_man_for, account)
        except RuntimeError:
            pass
        self.dms[account] = (trigger, handle)
        return now, trigger

    def _check_dead_man_for(self, account: str) -> None:
        entry = self.dms.get(account)
        if entry and self.clock() >= entry[0] - 0.001:
            self.dms.pop(account, None)
            self.cancel_all(account, reason="dead_man_switch")

    def _check_dead_man(self, now: float) -> None:
        for account, (trigger, handle) in list(self.dms.items()):
            if now >= trigger:
                if handle is not None:
                    handle.cancel()
                self.dms.pop(account, None)
                self.cancel_all(account, reason="dead_man_switch")

    # ---------------------------------------------------------------- history events
    def _history_order_event(self, o: Order, name: str, reason: str) -> None:
        ts = self.now_ms()
        body: dict[str, Any] = {"order": o.history_order(account_uid(o.account)), "reason": reason}
        if name == "OrderPlaced":
            body["reducedQuantity"] = ""
        data = {"uid": str(uuid.uuid4()), "timestamp": ts, "event": {name: body}}
        self._event(o.account, "orders", o.symbol, ts, data)
        self._event(PUBLIC, "orders", o.symbol, ts, _anonymize(data))

    def _history_fill_event(self, o: Order, before: dict[str, Any]) -> None:
        """``OrderUpdated`` with reason ``full_fill``/``partial_fill`` (Kraken's order history records
        every fill of an order this way; ccxt's fetch_closed_orders looks for ``full_fill``)."""
        ts = self.now_ms()
        data = {"uid": str(uuid.uuid4()), "timestamp": ts, "event": {"OrderUpdated": {
            "oldOrder": before, "newOrder": o.history_order(account_uid(o.account)),
            "reason": "full_fill" if o.unfilled == 0 else "partial_fill"}}}
        self._event(o.account, "orders", o.symbol, ts, data)
        self._event(PUBLIC, "orders", o.symbol, ts, _anonymize(data))

    def _history_trigger_event(self, o: Order, name: str, reason: str = "") -> None:
        ts = self.now_ms()
        order = o.history_order(account_uid(o.account))
        order["triggerOptions"] = {
            "triggerPrice": str(o.stop_price),
            "triggerSide": "TRIGGER_ABOVE" if (o.order_type == "stp") == (o.side == "buy") else "TRIGGER_BELOW",
            "triggerSignal": {"mark": "MARK_PRICE", "index": "SPOT_PRICE", "last": "LAST_PRICE"}[o.trigger_signal],
            "trailingStopOptions": None}
        body: dict[str, Any] = {"order": order}
        if reason:
            body["reason"] = reason
        self._event(o.account, "triggers", o.symbol, ts, {"uid": str(uuid.uuid4()), "timestamp": ts,
                                                          "event": {name: body}})

    # ---------------------------------------------------------------- transfers
    def transfer(self, account: str, from_wallet: str, to_wallet: str, unit: str, amount: Decimal,
                 info: str = "transfer", to_account: str | None = None) -> None:
        """Move ``amount`` of ``unit`` between futures wallets (and accounts). Raises ValueError(code)."""
        unit = normalize_asset(unit)
        if from_wallet not in WALLETS or to_wallet not in WALLETS:
            raise ValueError("invalidAccount")
        if unit not in FLEX_ASSETS:
            raise ValueError("invalidUnit")
        if amount <= 0:
            raise ValueError("invalidAmount")
        if self.balance(account, from_wallet, unit) < amount:
            raise ValueError("insufficientFunds")
        self.credit(account, from_wallet, unit, -amount, info=info)
        self.credit(to_account or account, to_wallet, unit, amount, info=info)

    def prune_public(self, cutoff: float | None, max_rows: int | None = None) -> dict[str, int]:
        """Delete public market history (``fut_events`` of account ``*``: anonymous executions and
        order events) older than ``cutoff`` (unix seconds), then the oldest of it beyond
        ``max_rows`` rows; users' own rows are kept forever."""
        n = 0
        if cutoff is not None:
            for kind in ("executions", "orders"):  # per kind, so that the (account, kind, time) index serves
                cur = self.db.execute("DELETE FROM fut_events WHERE account=? AND kind=? AND time<?",
                                      (PUBLIC, kind, int(cutoff * 1000)))
                n += max(cur.rowcount, 0)
        if max_rows is not None and max_rows >= 0:
            total = self.db.query("SELECT COUNT(*) AS n FROM fut_events WHERE account=?", (PUBLIC,))[0]["n"]
            excess = total - max_rows
            if excess > 0:
                last = self.db.query("SELECT id FROM fut_events WHERE account=? ORDER BY id LIMIT 1 OFFSET ?",
                                     (PUBLIC, excess - 1))
                if last:
                    cur = self.db.execute("DELETE FROM fut_events WHERE account=? AND id<=?", (PUBLIC, last[0]["id"]))
                    n += max(cur.rowcount, 0)
        return {"fut_events": n}

    def public_trades(self, symbol: str) -> list[dict[str, Any]]:
        return list(self.markets[symbol].trades)

    def day_stats(self, symbol: str) -> tuple[Decimal, Decimal]:
        m = self.markets[symbol]
        cutoff = self.now_ms() - 86400000
        vol = sum((v for t, v, _ in m.day_volume if t >= cutoff), ZERO)
        quote = sum((qv for t, _, qv in m.day_volume if t >= cutoff), ZERO)
        return vol, quote

    def open_interest(self, symbol: str) -> Decimal:
        return sum((p.size for (a, s), p in self.positions.items() if s == symbol and p.size > 0), ZERO)

    def orders_of(self, account: str) -> Iterable[Order]:
        return sorted((o for o in self.orders.values() if o.account == account), key=lambda o: o.received)


#: marker of a lean public execution row in ``fut_events.data`` (see :func:`compact_execution`)
COMPACT_EXECUTION = "E1|"


def compact_execution(uid: str, price: Decimal, qty: Decimal, mark: Decimal, taker_side: str) -> str:
    """The lean ``fut_events.data`` of a background trade (no user on either side):
    ``E1|<uid hex>|<price>|<qty>|<mark>|<b|s>``, about 60 bytes where the full event
    (:func:`event_data`) is about 1 kB. Everything else of the event follows from these
    fields, the row's ``time`` and ``symbol``, and the instrument."""
    return "|".join((COMPACT_EXECUTION[:-1], uuid.UUID(uid).hex, str(price), str(qty), str(mark),
                     "b" if taker_side == "buy" else "s"))


def _derived_uid(uid: str, role: str) -> str:
    """A stable uid for the anonymous maker/taker order of a lean execution."""
    return str(uuid.UUID(bytes=hashlib.md5(f"{uid}:{role}".encode()).digest(), version=4))


def event_data(text: str, symbol: str, ts: int) -> dict[str, Any]:
    """The history element stored in a ``fut_events`` row: JSON, or a lean execution expanded
    to the shape :meth:`FuturesEngine._execution_event` gives a trade between two
    anonymous orders."""
    if not text.startswith(COMPACT_EXECUTION):
        return json.loads(text)
    _, hex_uid, price_s, qty_s, mark_s, side = text.split("|")
    uid = str(uuid.UUID(hex_uid))
    taker_side = "buy" if side == "b" else "sell"
    maker_side = "sell" if taker_side == "buy" else "buy"
    price, qty = D(price_s), D(qty_s)
    inst = INSTRUMENTS.get(symbol)
    usd = qty if inst is not None and inst.inverse else qty * price

    def anon(role: str, order_side: str) -> dict[str, Any]:
        return {"uid": _derived_uid(uid, role), "accountUid": "", "tradeable": symbol,
                "direction": "Buy" if order_side == "buy" else "Sell", "quantity": qty_s, "filled": qty_s,
                "timestamp": ts, "limitPrice": price_s, "orderType": "Limit", "clientId": "", "reduceOnly": False,
                "lastUpdateTimestamp": ts}

    return {"uid": uid, "timestamp": ts, "event": {"Execution": {"execution": {
        "uid": uid, "makerOrder": anon("maker", maker_side), "takerOrder": anon("taker", taker_side),
        "timestamp": ts, "quantity": qty_s, "price": price_s, "markPrice": mark_s, "limitFilled": False,
        "usdValue": str(q(usd, D("0.0001")))}, "takerReducedQuantity": ""}}}


def _anonymize(data: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    for body in out["event"].values():
        if not isinstance(body, dict):
            continue
        for key in ("order", "oldOrder", "newOrder"):
            if isinstance(body.get(key), dict):
                body[key]["accountUid"] = ""
                body[key]["clientId"] = ""
    return out
