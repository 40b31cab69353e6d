"""Markets of the local exchange: assets, asset pairs (Kraken naming), and market data.

Pairs can be looked up by id (``XXBTZUSD``), altname (``XBTUSD``), wsname (``XBT/USD``)
and the ``BTC`` aliases Kraken accepts (``BTC/USD``, ``BTCUSD``). The seeded price
process lives in :class:`Markets` (``mid`` per pair, minute candles with a seeded
backfill, public trades, spreads); the market maker that quotes the book is driven
by :mod:`kraken_ops.exchange.simulation`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

D = Decimal

FEES_TAKER = [[0, 0.26], [50000, 0.24], [100000, 0.22], [250000, 0.2], [500000, 0.18], [1000000, 0.16],
              [2500000, 0.14], [5000000, 0.12], [10000000, 0.1]]
FEES_MAKER = [[0, 0.16], [50000, 0.14], [100000, 0.12], [250000, 0.1], [500000, 0.08], [1000000, 0.06],
              [2500000, 0.04], [5000000, 0.02], [10000000, 0.0]]
TAKER_RATE = D("0.0026")
MAKER_RATE = D("0.0016")


@dataclass(frozen=True)
class Asset:
    id: str
    altname: str
    decimals: int
    display_decimals: int
    aclass: str = "currency"
    collateral_value: float | None = None
    #: further asset classes the asset is listed under (the fiat currencies are also ``forex``)
    also: tuple[str, ...] = ()

    def in_class(self, aclass: str) -> bool:
        return aclass == self.aclass or aclass in self.also

    def to_kraken(self, aclass: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"aclass": aclass or self.aclass, "altname": self.altname, "decimals": self.decimals,
                               "display_decimals": self.display_decimals}
        if self.collateral_value is not None:
            out["collateral_value"] = self.collateral_value
        out["status"] = "enabled"
        return out


ASSETS: dict[str, Asset] = {a.id: a for a in [
    Asset("XXBT", "XBT", 10, 5, collateral_value=1.0),
    Asset("XETH", "ETH", 10, 5, collateral_value=1.0),
    Asset("ZUSD", "USD", 4, 2, collateral_value=1.0, also=("forex",)),
    Asset("ZEUR", "EUR", 4, 2, collateral_value=1.0, also=("forex",)),
    Asset("ZGBP", "GBP", 4, 2, collateral_value=1.0, also=("forex",)),
    Asset("DOT", "DOT", 10, 8, collateral_value=0.9),
    Asset("SOL", "SOL", 10, 5, collateral_value=0.9),
    Asset("AAPLx", "AAPLx", 10, 8, aclass="tokenized_asset"),
    Asset("TSLAx", "TSLAx", 10, 8, aclass="tokenized_asset"),
    Asset("NVDAx", "NVDAx", 10, 8, aclass="tokenized_asset"),
]}

#: the asset classes of Kraken's ``aclass`` / ``aclass_base`` / ``asset_class`` parameters
ASSET_CLASSES = ("currency", "tokenized_asset", "forex")

_ASSET_ALIASES = {"BTC": "XXBT", "XBT": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR", "GBP": "ZGBP"}


def fmt_asset(asset_id: str, value: Decimal) -> str:
    """Amount formatted with the asset's decimals, as Kraken's Balance does."""
    a = ASSETS.get(asset_id)
    decimals = a.decimals if a else 10
    return format(value.quantize(D(1).scaleb(-decimals)), "f")


def normalize_asset(name: str) -> str | None:
    """Kraken asset id for ``name`` (id, altname or BTC alias), or None."""
    if name in ASSETS:
        return name
    up = name.upper()
    if up in _ASSET_ALIASES:
        return _ASSET_ALIASES[up]
    for a in ASSETS.values():
        if a.altname.upper() == up or a.id.upper() == up:
            return a.id
    return None


@dataclass(frozen=True)
class Pair:
    id: str
    altname: str
    wsname: str
    base: str
    quote: str
    pair_decimals: int
    lot_decimals: int
    cost_decimals: int
    ordermin: Decimal
    costmin: Decimal
    tick_size: Decimal
    start_price: Decimal
    aclass_base: str = "currency"
    leverage: tuple[int, ...] = (2, 3, 4, 5)
    #: Spot margin: the leverage levels of buy and sell orders (AssetPairs ``leverage_buy`` /
    #: ``leverage_sell``; ``None``: the pair's ``leverage``), the margin levels (percent) at which
    #: a margin call is made and positions are closed (``margin_call`` / ``margin_stop``, Kraken's
    #: documented 80 and 40), and the largest long and short position in the base asset
    #: (``long_position_limit`` / ``short_position_limit``)
    leverage_buy: tuple[int, ...] | None = None
    leverage_sell: tuple[int, ...] | None = None
    margin_call: int = 80
    margin_stop: int = 40
    long_position_limit: int = 250
    short_position_limit: int = 200

    def leverage_levels(self, side: str) -> tuple[int, ...]:
        """The leverage a margin order on ``side`` (buy or sell) may use; empty: no margin."""
        levels = self.leverage_buy if side == "buy" else self.leverage_sell
        return self.leverage if levels is None else levels

    @property
    def base_alt(self) -> str:
        return ASSETS[self.base].altname

    @property
    def quote_alt(self) -> str:
        return ASSETS[self.quote].altname

    def fmt_price(self, value: Decimal) -> str:
        return format(value.quantize(D(1).scaleb(-self.pair_decimals), rounding=ROUND_HALF_EVEN), "f")

    def fmt_vol(self, value: Decimal) -> str:
        return format(value.quantize(D(1).scaleb(-self.lot_decimals), rounding=ROUND_HALF_EVEN), "f")

    def fmt_cost(self, value: Decimal) -> str:
        return format(value.quantize(D(1).scaleb(-self.cost_decimals), rounding=ROUND_HALF_EVEN), "f")

    def round_price(self, value: Decimal) -> Decimal:
        q = (value / self.tick_size).to_integral_value(rounding=ROUND_HALF_EVEN) * self.tick_size
        return q.quantize(D(1).scaleb(-self.pair_decimals))

    def round_vol(self, value: Decimal) -> Decimal:
        return value.quantize(D(1).scaleb(-self.lot_decimals), rounding=ROUND_DOWN)

    def to_kraken(self, info: str = "info") -> dict[str, Any]:
        if info == "leverage":
            return {"leverage_buy": list(self.leverage_levels("buy")), "leverage_sell": list(self.leverage_levels("sell"))}
        if info == "fees":
            return {"fees": FEES_TAKER, "fee_volume_currency": "ZUSD"}
        if info == "margin":
            return {"margin_call": self.margin_call, "margin_stop": self.margin_stop}
        return {
            "altname": self.altname,
            "wsname": self.wsname,
            "aclass_base": self.aclass_base,
            "base": self.base,
            "aclass_quote": "forex" if self.aclass_base == "forex" else "currency",
            "quote": self.quote,
            "lot": "unit",
            "cost_decimals": self.cost_decimals,
            "pair_decimals": self.pair_decimals,
            "lot_decimals": self.lot_decimals,
            "lot_multiplier": 1,
            "leverage_buy": list(self.leverage_levels("buy")),
            "leverage_sell": list(self.leverage_levels("sell")),
            "fees": FEES_TAKER,
            "fees_maker": FEES_MAKER,
            "fee_volume_currency": "ZUSD",
            "margin_call": self.margin_call,
            "margin_stop": self.margin_stop,
            "ordermin": str(self.ordermin),
            "costmin": str(self.costmin),
            "tick_size": str(self.tick_size),
            "status": "online",
            "long_position_limit": self.long_position_limit,
            "short_position_limit": self.short_position_limit,
        }

    def to_ws_instrument(self) -> dict[str, Any]:
        return {
            "symbol": self.ws_symbol,
            "base": self.base_alt if self.base_alt != "XBT" else "BTC",
            "quote": self.quote_alt,
            "status": "online",
            "qty_precision": self.lot_decimals,
            "qty_increment": D(1).scaleb(-self.lot_decimals),
            "price_precision": self.pair_decimals,
            "cost_precision": self.cost_decimals,
            "marginable": bool(self.leverage_levels("buy") or self.leverage_levels("sell")),
            "has_index": True,
            "cost_min": self.costmin,
            "margin_initial": D("0.2"),
            "position_limit_long": self.long_position_limit,
            "position_limit_short": self.short_position_limit,
            "tick_size": self.tick_size,
            "price_increment": self.tick_size,
            "qty_min": self.ordermin,
        }

    @property
    def ws_symbol(self) -> str:
        """The WS v2 symbol (``BTC/USD``: v2 uses BTC, not XBT)."""
        return self.wsname.replace("XBT", "BTC")


PAIRS: dict[str, Pair] = {p.id: p for p in [
    Pair("XXBTZUSD", "XBTUSD", "XBT/USD", "XXBT", "ZUSD", 1, 8, 5, D("0.0001"), D("0.5"), D("0.1"), D("60000")),
    Pair("XETHZUSD", "ETHUSD", "ETH/USD", "XETH", "ZUSD", 2, 8, 5, D("0.002"), D("0.5"), D("0.01"), D("3000")),
    Pair("XXBTZEUR", "XBTEUR", "XBT/EUR", "XXBT", "ZEUR", 1, 8, 5, D("0.0001"), D("0.45"), D("0.1"), D("55000")),
    Pair("XETHXXBT", "ETHXBT", "ETH/XBT", "XETH", "XXBT", 5, 8, 10, D("0.002"), D("0.00002"), D("0.00001"),
         D("0.05")),
    Pair("DOTUSD", "DOTUSD", "DOT/USD", "DOT", "ZUSD", 4, 8, 5, D("0.5"), D("0.5"), D("0.0001"), D("7")),
    Pair("SOLUSD", "SOLUSD", "SOL/USD", "SOL", "ZUSD", 2, 8, 5, D("0.02"), D("0.5"), D("0.01"), D("150")),
    Pair("AAPLxUSD", "AAPLxUSD", "AAPLx/USD", "AAPLx", "ZUSD", 2, 8, 5, D("0.01"), D("0.5"), D("0.01"), D("200"),
         aclass_base="tokenized_asset", leverage=()),
    Pair("TSLAxUSD", "TSLAxUSD", "TSLAx/USD", "TSLAx", "ZUSD", 2, 8, 5, D("0.01"), D("0.5"), D("0.01"), D("250"),
         aclass_base="tokenized_asset", leverage=()),
    Pair("NVDAxUSD", "NVDAxUSD", "NVDAx/USD", "NVDAx", "ZUSD", 2, 8, 5, D("0.01"), D("0.5"), D("0.01"), D("180"),
         aclass_base="tokenized_asset", leverage=()),
    Pair("ZEURZUSD", "EURUSD", "EUR/USD", "ZEUR", "ZUSD", 5, 8, 5, D("0.5"), D("0.5"), D("0.00001"), D("1.08"),
         aclass_base="forex", leverage=()),
    Pair("ZGBPZUSD", "GBPUSD", "GBP/USD", "ZGBP", "ZUSD", 5, 8, 5, D("0.5"), D("0.5"), D("0.00001"), D("1.27"),
         aclass_base="forex", leverage=()),
]}

_LOOKUP: dict[str, Pair] = {}
for _p in PAIRS.values():
    for _name in {_p.id, _p.altname, _p.wsname, _p.ws_symbol, _p.altname.replace("XBT", "BTC")}:
        _LOOKUP[_name.upper()] = _p


def find_pair(name: str) -> Pair | None:
    """Pair for an id, altname, wsname or BTC alias (case-insensitive)."""
    return _LOOKUP.get(name.strip().upper()) if name else None


def pair_in_class(pair: Pair, aclass: str | None) -> bool:
    """Whether ``pair`` is listed under ``aclass`` (None: Kraken's default, ``currency``)."""
    return pair.aclass_base == (aclass or "currency")


def result_key(pair: Pair, queried: str) -> str:
    """Kraken's result key: the queried name when it is a wsname (contains '/'), else the id."""
    return queried if "/" in queried else pair.id


# ---------------------------------------------------------------- market data
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


@dataclass
class Candle:
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = D(0)
    notional: Decimal = D(0)
    count: int = 0

    def add(self, price: Decimal, vol: Decimal) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += vol
        self.notional += price * vol
        self.count += 1

    @property
    def vwap(self) -> Decimal:
        return self.notional / self.volume if self.volume else self.close


@dataclass
class PairData:
    pair: Pair
    mid: Decimal
    last: Decimal
    last_vol: Decimal = D(0)
    candles: dict[int, Candle] = field(default_factory=dict)  # minute start -> candle
    trades: deque = field(default_factory=lambda: deque(maxlen=1000))
    spreads: deque = field(default_factory=lambda: deque(maxlen=200))
    trade_seq: int = 0


class Markets:
    """Seeded market data for every pair."""

    def __init__(self, rng: random.Random, now: float) -> None:
        self.rng = rng
        self.data: dict[str, PairData] = {}
        for pair in PAIRS.values():
            self.data[pair.id] = self._backfill(pair, now)

    def _backfill(self, pair: Pair, now: float) -> PairData:
        """1440 minutes of seeded candles ending at the start price."""
        minutes = 1440
        current = int(now // 60) * 60
        prices = [float(pair.start_price)]
        for _ in range(minutes):
            prices.append(prices[-1] * math.exp(self.rng.gauss(0, 0.0008)))
        prices.reverse()  # the walk ends at start_price
        pd = PairData(pair, pair.start_price, pair.start_price)
        for i in range(minutes):
            start = current - (minutes - i) * 60
            o = pair.round_price(D(repr(prices[i])))
            c = pair.round_price(D(repr(prices[i + 1])))
            wig = D(repr(abs(self.rng.gauss(0, 0.0003)))) * o
            hi = pair.round_price(max(o, c) + wig)
            lo = pair.round_price(min(o, c) - wig)
            vol = pair.round_vol(pair.ordermin * D(self.rng.randint(20, 2000)))
            count = self.rng.randint(1, 40)
            pd.candles[start] = Candle(start, o, hi, lo, c, vol, vol * (o + c) / 2, count)
        pd.trade_seq = self.rng.randint(10_000_000, 90_000_000)
        return pd

    # -- updates -------------------------------------------------------------
    def step(self, pair_id: str, sigma: float = 0.0004) -> Decimal:
        pd = self.data[pair_id]
        factor = D(repr(math.exp(self.rng.gauss(0, sigma))))
        pd.mid = pd.pair.round_price(pd.mid * factor)
        return pd.mid

    def rebase(self, pair_id: str, mid: Decimal) -> None:
        """Move the pair's history (candles, public trades, spreads, last) to a new price
        level: the seeded backfill is scaled so that it ends at ``mid`` (used when an outside
        price feed first quotes the pair)."""
        pd = self.data[pair_id]
        if mid <= 0 or pd.mid <= 0:
            return
        factor = mid / pd.mid
        rp = pd.pair.round_price
        for c in pd.candles.values():
            c.open, c.high, c.low, c.close = rp(c.open * factor), rp(c.high * factor), rp(c.low * factor), \
                rp(c.close * factor)
            c.notional *= factor
        pd.trades = deque(((rp(t[0] * factor),) + tuple(t[1:]) for t in pd.trades), maxlen=pd.trades.maxlen)
        pd.spreads = deque(((t[0], rp(t[1] * factor), rp(t[2] * factor)) for t in pd.spreads),
                           maxlen=pd.spreads.maxlen)
        pd.last = rp(pd.last * factor)
        pd.mid = mid
        if hasattr(pd, "_stats"):
            del pd._stats  # type: ignore[attr-defined]

    def record_trade(self, pair_id: str, price: Decimal, vol: Decimal, side: str, ordertype: str, now: float) -> int:
        """Record a public trade; returns the public trade id."""
        pd = self.data[pair_id]
        pd.trade_seq += 1
        pd.last = price
        pd.last_vol = vol
        pd.trades.append((price, vol, now, "b" if side == "buy" else "s", "m" if ordertype == "market" else "l",
                          "", pd.trade_seq))
        minute = int(now // 60) * 60
        c = pd.candles.get(minute)
        if c is None:
            c = Candle(minute, price, price, price, price)
            pd.candles[minute] = c
            if len(pd.candles) > 30 * 1440:
                del pd.candles[min(pd.candles)]
        c.add(price, vol)
        return pd.trade_seq

    def record_spread(self, pair_id: str, bid: Decimal, ask: Decimal, now: float) -> None:
        pd = self.data[pair_id]
        if not pd.spreads or pd.spreads[-1][1:] != (bid, ask):
            pd.spreads.append((int(now), bid, ask))

    # -- queries ---------------------------------------------------------------
    def index_price(self, base: str) -> Decimal:
        asset = normalize_asset(base) or base
        for p in PAIRS.values():
            if p.base == asset and p.quote == "ZUSD":
                return self.data[p.id].mid
        raise KeyError(base)

    def ohlc(self, pair_id: str, interval: int, since: int | None, now: float) -> tuple[list[list[Any]], int]:
        pd = self.data[pair_id]
        secs = interval * 60
        buckets: dict[int, Candle] = {}
        for start in sorted(pd.candles):
            c = pd.candles[start]
            b = start - start % secs
            agg = buckets.get(b)
            if agg is None:
                buckets[b] = Candle(b, c.open, c.high, c.low, c.close, c.volume, c.notional, c.count)
            else:
                agg.high = max(agg.high, c.high)
                agg.low = min(agg.low, c.low)
                agg.close = c.close
                agg.volume += c.volume
                agg.notional += c.notional
                agg.count += c.count
        rows = [buckets[k] for k in sorted(buckets)][-720:]
        if since is not None:
            rows = [c for c in rows if c.start > since] or rows[-1:]
        pair = pd.pair
        out = [[c.start, pair.fmt_price(c.open), pair.fmt_price(c.high), pair.fmt_price(c.low),
                pair.fmt_price(c.close), pair.fmt_price(c.vwap), pair.fmt_vol(c.volume), c.count] for c in rows]
        last = rows[-2].start if len(rows) > 1 else rows[-1].start
        return out, last

    def stats(self, pair_id: str, now: float) -> dict[str, Any]:
        """Today's and 24h volume, vwap, count, low, high and today's open (cached per second and trade)."""
        pd = self.data[pair_id]
        cache_key = (int(now), pd.trade_seq, len(pd.candles))
        cached = getattr(pd, "_stats", None)
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        result = self._stats(pd, now)
        pd._stats = (cache_key, result)  # type: ignore[attr-defined]
        return result

    def _stats(self, pd: PairData, now: float) -> dict[str, Any]:
        midnight = int(now // 86400) * 86400
        day_ago = now - 86400

        def agg(since: float) -> tuple[Decimal, Decimal, int, Decimal, Decimal]:
            vol = notional = D(0)
            n = 0
            lo = hi = None
            for start, c in pd.candles.items():
                if start + 60 <= since:
                    continue
                vol += c.volume
                notional += c.notional
                n += c.count
                lo = c.low if lo is None else min(lo, c.low)
                hi = c.high if hi is None else max(hi, c.high)
            if lo is None:
                lo = hi = pd.last
            return vol, (notional / vol if vol else pd.last), n, lo, hi

        today = agg(midnight)
        day = agg(day_ago)
        opens = [c for s, c in sorted(pd.candles.items()) if s >= midnight]
        day_open = [c for s, c in sorted(pd.candles.items()) if s + 60 > day_ago]
        return {
            "today": today, "day": day,
            "open_today": opens[0].open if opens else pd.last,
            "open_24h": day_open[0].open if day_open else pd.last,
        }
