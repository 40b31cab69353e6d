"""Markets of the local exchange: Kraken's market universe (assets, asset pairs, Futures
instruments) and the seeded market data of each pair.

The universe is data, not code: :data:`DATA_FILE` (``kraken_ops/exchange/data/markets.json``)
holds Kraken's ``Assets`` and ``AssetPairs`` answers (and the Futures ``instruments``) for the
major assets, in Kraken's own shape, plus a ``kraken_ops`` section (reference prices, funding
methods, and which values are estimates). ``kraken-ops exchange serve --markets FILE`` loads
a file of the same layout (see :func:`load_markets_file`); ``--markets live`` fetches the
answers from api.kraken.com (:func:`fetch_live`). :func:`install` makes a universe the one this
process serves: the module dicts :data:`ASSETS` and :data:`PAIRS` are replaced in place, so
every ``from kraken_ops.exchange.markets import PAIRS`` sees it.

Pairs can be looked up by id (``XXBTZUSD``), altname (``XBTUSD``), wsname (``XBT/USD``), the
WebSocket v2 symbol (``BTC/USD``, ``DOGE/USD``) and the ``BTC``/``DOGE`` aliases Kraken
accepts (``BTCUSD``). :class:`Markets` holds the seeded price process of one exchange: a pair's
market data (24 h of back-filled candles, trades, spreads) is made the first time something
asks for it, from a random generator of its own (``--seed`` and the pair id), so that a wide
universe costs nothing until it is used and a seed gives the same history whatever was asked
first. The market maker that quotes the books is :mod:`kraken_ops.exchange.simulation`.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

D = Decimal

DATA_FILE = Path(__file__).with_name("data") / "markets.json"
#: where ``--markets live`` fetches the universe (``KRAKEN_OPS_MARKETS_URL`` overrides it)
LIVE_URL = "https://api.kraken.com"
LIVE_FUTURES_URL = "https://futures.kraken.com"
LIVE_TIMEOUT = 5.0

#: Kraken's spot fee schedule (Kraken Pro, 30-day USD volume -> percent), used for a pair
#: whose answer carries no schedule (Kraken's own AssetPairs has answered ``"fees": []``)
DEFAULT_FEES = ((0, 0.4), (10000, 0.35), (50000, 0.24), (100000, 0.22), (250000, 0.2), (500000, 0.18),
                (1000000, 0.16), (2500000, 0.14), (5000000, 0.12), (10000000, 0.1), (100000000, 0.08),
                (500000000, 0.05))
DEFAULT_FEES_MAKER = ((0, 0.25), (10000, 0.2), (50000, 0.14), (100000, 0.12), (250000, 0.1), (500000, 0.08),
                      (1000000, 0.06), (2500000, 0.04), (5000000, 0.02), (10000000, 0.0), (100000000, 0.0),
                      (500000000, 0.0))

#: the asset classes of Kraken's ``aclass`` / ``aclass_base`` / ``asset_class`` parameters
ASSET_CLASSES = ("currency", "tokenized_asset", "forex")

#: names Kraken's WebSocket v2 (and its REST aliases) use instead of the legacy altnames
WS_NAMES = {"XBT": "BTC", "XDG": "DOGE"}
_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}


class MarketsError(ValueError):
    """A markets file (or live answer) that cannot be served; the message names what is wrong."""


def _dec(value: Any, what: str) -> Decimal:
    try:
        d = D(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MarketsError(f"{what}: {value!r} is not a number") from None
    if not d.is_finite():
        raise MarketsError(f"{what}: {value!r} is not a finite number")
    return d


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MarketsError(f"{what}: {value!r} is not a whole number") from None


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
    #: the asset as Kraken's Assets answer lists it (what Assets answers)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def in_class(self, aclass: str) -> bool:
        return aclass == self.aclass or aclass in self.also

    def to_kraken(self, aclass: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"aclass": aclass or self.aclass, "altname": self.altname, "decimals": self.decimals,
                               "display_decimals": self.display_decimals}
        for k, v in self.raw.items():
            if k not in out:
                out[k] = v
        if self.collateral_value is not None:
            out.setdefault("collateral_value", self.collateral_value)
        out.setdefault("status", "enabled")
        return out


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
    #: leverage levels for buying (Kraken's ``leverage_buy``); ``leverage_sell`` below
    leverage: tuple[int, ...] = (2, 3, 4, 5)
    #: Spot margin: the leverage levels of sell orders (AssetPairs ``leverage_sell``; ``None``: the
    #: pair's ``leverage``), those of buy orders when they differ from ``leverage``
    #: (``leverage_buy``), the margin levels (percent) at which a margin call is made and
    #: positions are closed (``margin_call`` / ``margin_stop``, Kraken's documented 80 and 40),
    #: and the largest long and short position in the base asset (``long_position_limit`` /
    #: ``short_position_limit``)
    leverage_sell: tuple[int, ...] | None = None
    #: Kraken's fee schedule of the pair: ((30-day volume, percent), ...), taker and maker
    fees: tuple[tuple[float, float], ...] = DEFAULT_FEES
    fees_maker: tuple[tuple[float, float], ...] = DEFAULT_FEES_MAKER
    #: the pair as Kraken's AssetPairs answer lists it
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    leverage_buy: tuple[int, ...] | None = None
    margin_call: int = 80
    margin_stop: int = 40
    long_position_limit: int = 250
    short_position_limit: int = 200

    def leverage_levels(self, side: str) -> tuple[int, ...]:
        """The leverage a margin order on ``side`` (buy or sell) may use; empty: no margin."""
        levels = self.leverage_buy if side == "buy" else self.leverage_sell
        return self.leverage if levels is None else levels

    @property
    def marginable(self) -> bool:
        return bool(self.leverage_levels("buy") or self.leverage_levels("sell"))

    @property
    def base_alt(self) -> str:
        a = ASSETS.get(self.base)
        return a.altname if a else self.base

    @property
    def quote_alt(self) -> str:
        a = ASSETS.get(self.quote)
        return a.altname if a else self.quote

    @property
    def taker_rate(self) -> Decimal:
        """The fee of the schedule's first tier as a fraction (0.4 % -> 0.004)."""
        return D(repr(self.fees[0][1])) / 100 if self.fees else D("0.004")

    @property
    def maker_rate(self) -> Decimal:
        return D(repr(self.fees_maker[0][1])) / 100 if self.fees_maker else self.taker_rate

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
        full = self._full()
        if info == "leverage":
            return {"leverage_buy": full["leverage_buy"], "leverage_sell": full["leverage_sell"]}
        if info == "fees":
            return {"fees": full["fees"], "fee_volume_currency": full["fee_volume_currency"]}
        if info == "margin":
            return {"margin_call": full["margin_call"], "margin_stop": full["margin_stop"]}
        return full

    def _full(self) -> dict[str, Any]:
        computed: dict[str, Any] = {
            "altname": self.altname, "wsname": self.wsname, "aclass_base": self.aclass_base, "base": self.base,
            "aclass_quote": "forex" if self.aclass_base == "forex" else "currency", "quote": self.quote,
            "lot": "unit", "cost_decimals": self.cost_decimals, "pair_decimals": self.pair_decimals,
            "lot_decimals": self.lot_decimals, "lot_multiplier": 1,
            "leverage_buy": list(self.leverage_levels("buy")), "leverage_sell": list(self.leverage_levels("sell")),
            "fees": [list(t) for t in self.fees], "fees_maker": [list(t) for t in self.fees_maker],
            "fee_volume_currency": "ZUSD", "margin_call": self.margin_call, "margin_stop": self.margin_stop,
            "ordermin": str(self.ordermin), "costmin": str(self.costmin), "tick_size": str(self.tick_size),
            "status": "online",
        }
        if self.marginable:  # Kraken lists position limits on the pairs it trades on margin
            computed["long_position_limit"] = self.long_position_limit
            computed["short_position_limit"] = self.short_position_limit
        if not self.raw:
            return computed
        out = dict(self.raw)  # the markets data as it came (Kraken's own answer for a loaded file)
        for k, v in computed.items():
            out.setdefault(k, v)
        return out

    def to_ws_instrument(self) -> dict[str, Any]:
        full = self._full()
        levels = self.leverage_levels("buy") + self.leverage_levels("sell")
        lev = max(levels) if levels else 0
        return {
            "symbol": self.ws_symbol,
            "base": ws_asset_name(self.base_alt),
            "quote": ws_asset_name(self.quote_alt),
            "status": "online" if full.get("status", "online") == "online" else full["status"],
            "qty_precision": self.lot_decimals,
            "qty_increment": D(1).scaleb(-self.lot_decimals),
            "price_precision": self.pair_decimals,
            "cost_precision": self.cost_decimals,
            "marginable": self.marginable,
            "has_index": True,
            "cost_min": self.costmin,
            "margin_initial": (D(1) / lev).quantize(D("0.0001")) if lev else D(0),
            "position_limit_long": self.long_position_limit if lev else 0,
            "position_limit_short": self.short_position_limit if lev else 0,
            "tick_size": self.tick_size,
            "price_increment": self.tick_size,
            "qty_min": self.ordermin,
        }

    @property
    def ws_symbol(self) -> str:
        """The WS v2 symbol (``BTC/USD``, ``DOGE/USD``: v2 uses BTC and DOGE, not XBT and XDG)."""
        base, _, quote = self.wsname.partition("/")
        if not quote:
            return ws_asset_name(self.base_alt) + "/" + ws_asset_name(self.quote_alt)
        return ws_asset_name(base) + "/" + ws_asset_name(quote)


def ws_asset_name(alt: str) -> str:
    return WS_NAMES.get(alt, alt)


# ---------------------------------------------------------------- the universe
def _section(doc: Mapping[str, Any], names: tuple[str, ...], what: str, required: bool = True) -> Any:
    """One answer of a markets document: Kraken's ``result`` or its whole envelope."""
    for name in names:
        if name in doc:
            value = doc[name]
            break
    else:
        if required:
            raise MarketsError(f"no {what} (a key {' or '.join(repr(n) for n in names)})")
        return None
    if isinstance(value, Mapping) and isinstance(value.get("instruments"), list):
        value = value["instruments"]  # the Futures answer {"result": "success", "instruments": [...]}
    elif isinstance(value, Mapping) and set(value) <= {"error", "result"} and "error" in value:
        if value.get("error"):  # Kraken's envelope {"error": [...], "result": ...}
            raise MarketsError(f"{what}: Kraken answered {value['error']!r}")
        value = value.get("result")
    return value


def _levels(value: Any, what: str) -> tuple[tuple[float, float], ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        raise MarketsError(f"{what}: expected a list of [volume, percent]")
    out = []
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            raise MarketsError(f"{what}: expected [volume, percent], got {row!r}")
        out.append((float(_dec(row[0], what)), float(_dec(row[1], what))))
    return tuple(out)


def _leverage(value: Any, what: str) -> tuple[int, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        raise MarketsError(f"{what}: expected a list of leverage levels")
    return tuple(_int(v, what) for v in value)


def _heuristic_price(tick: Decimal) -> Decimal:
    """A price level for a pair without a known price: Kraken quotes about five to six
    significant digits, so the tick size gives the order of magnitude."""
    return tick.scaleb(5)


class Universe:
    """Assets, asset pairs and Futures instruments one exchange serves, with where they came from."""

    def __init__(self, doc: Mapping[str, Any], source: str = "bundled") -> None:
        if not isinstance(doc, Mapping):
            raise MarketsError("expected a JSON object with the keys 'Assets' and 'AssetPairs'")
        self.source = source
        assets = _section(doc, ("Assets", "assets"), "Assets answer")
        pairs = _section(doc, ("AssetPairs", "asset_pairs", "pairs"), "AssetPairs answer")
        if not isinstance(assets, Mapping) or not assets:
            raise MarketsError("the Assets answer must be an object of assets")
        if not isinstance(pairs, Mapping) or not pairs:
            raise MarketsError("the AssetPairs answer must be an object of asset pairs")
        extras = doc.get("kraken_ops") if isinstance(doc.get("kraken_ops"), Mapping) else {}
        self.extras: dict[str, Any] = dict(extras)
        self.instruments_raw: list[dict[str, Any]] | None = None
        raw_inst = _section(doc, ("instruments", "Instruments"), "instruments", required=False)
        if raw_inst is not None:
            if not isinstance(raw_inst, list):
                raise MarketsError("instruments: expected the list of Kraken's Futures instruments")
            self.instruments_raw = [dict(i) for i in raw_inst if isinstance(i, Mapping)]
        self.assets: dict[str, Asset] = {}
        for aid, a in assets.items():
            what = f"asset {aid!r}"
            if not isinstance(a, Mapping):
                raise MarketsError(f"{what}: expected an object")
            alt = a.get("altname")
            if not isinstance(alt, str) or not alt:
                raise MarketsError(f"{what}: no altname")
            coll = a.get("collateral_value")
            self.assets[str(aid)] = Asset(str(aid), alt, _int(a.get("decimals", 8), what),
                                          _int(a.get("display_decimals", 5), what), str(a.get("aclass") or "currency"),
                                          float(_dec(coll, what)) if coll is not None else None, (), dict(a))
        self.prices: dict[str, Decimal] = {}
        for aid, v in (extras.get("prices_usd") or {}).items():
            if aid in self.assets:
                self.prices[aid] = _dec(v, f"prices_usd of {aid}")
        for aid in ("ZUSD", "USD"):
            if aid in self.assets:
                self.prices.setdefault(aid, D(1))
        parsed: list[dict[str, Any]] = []
        for pid, p in pairs.items():
            what = f"asset pair {pid!r}"
            if not isinstance(p, Mapping):
                raise MarketsError(f"{what}: expected an object")
            base, quote = p.get("base"), p.get("quote")
            if base not in self.assets or quote not in self.assets:
                raise MarketsError(f"{what}: its base {base!r} or quote {quote!r} is not in the Assets answer")
            pd = _int(p.get("pair_decimals", 5), what)
            ld = _int(p.get("lot_decimals", 8), what)
            tick = _dec(p["tick_size"], what) if p.get("tick_size") not in (None, "") else D(1).scaleb(-pd)
            if tick <= 0:
                raise MarketsError(f"{what}: tick_size must be above 0")
            parsed.append({"id": str(pid), "raw": dict(p), "base": base, "quote": quote, "pd": pd, "ld": ld, "tick": tick,
                           "cd": _int(p.get("cost_decimals", max(pd, 5)), what),
                           "ordermin": _dec(p["ordermin"], what) if p.get("ordermin") not in (None, "")
                           else D(1).scaleb(-ld),
                           "costmin": _dec(p["costmin"], what) if p.get("costmin") not in (None, "") else D(0),
                           "lev_buy": _leverage(p.get("leverage_buy", p.get("leverage")), what),
                           "lev_sell": _leverage(p.get("leverage_sell", p.get("leverage")), what),
                           "fees": _levels(p.get("fees"), what) or DEFAULT_FEES,
                           "fees_maker": _levels(p.get("fees_maker"), what) or DEFAULT_FEES_MAKER,
                           "margin_call": _int(p.get("margin_call", 80), what),
                           "margin_stop": _int(p.get("margin_stop", 40), what),
                           "long_limit": _int(p.get("long_position_limit", 250), what),
                           "short_limit": _int(p.get("short_position_limit", 200), what)})
        self._derive_prices(parsed)
        self.pairs: dict[str, Pair] = {}
        forex_assets: set[str] = set()
        for r in parsed:
            raw = r["raw"]
            base_alt, quote_alt = self.assets[r["base"]].altname, self.assets[r["quote"]].altname
            price = self.prices.get(r["base"], D(1)) / (self.prices.get(r["quote"]) or D(1))
            start = (price / r["tick"]).to_integral_value(rounding=ROUND_HALF_EVEN) * r["tick"]
            if start <= 0:
                start = r["tick"] * 100
            aclass = str(raw.get("aclass_base") or "currency")
            if aclass == "forex":
                forex_assets.update((r["base"], r["quote"]))
            self.pairs[r["id"]] = Pair(
                r["id"], str(raw.get("altname") or r["id"]), str(raw.get("wsname") or f"{base_alt}/{quote_alt}"),
                r["base"], r["quote"], r["pd"], r["ld"], r["cd"], r["ordermin"], r["costmin"], r["tick"],
                start.quantize(D(1).scaleb(-r["pd"])) if r["pd"] <= 28 else start, aclass, r["lev_buy"], r["lev_sell"],
                r["fees"], r["fees_maker"], raw, margin_call=r["margin_call"], margin_stop=r["margin_stop"],
                long_position_limit=r["long_limit"], short_position_limit=r["short_limit"])
        for aid in forex_assets:  # fiat currencies of forex pairs are listed under ``forex`` too
            a = self.assets[aid]
            if a.aclass != "forex":
                self.assets[aid] = Asset(a.id, a.altname, a.decimals, a.display_decimals, a.aclass,
                                         a.collateral_value, ("forex",), a.raw)
        self.funding: dict[str, dict[str, Any]] = {
            aid: dict(f) for aid, f in (extras.get("funding") or {}).items() if aid in self.assets and isinstance(f, Mapping)}
        self.estimated: dict[str, Any] = dict(extras.get("estimated") or {})
        self._index()

    def _derive_prices(self, parsed: list[dict[str, Any]]) -> None:
        """USD prices for assets the document gives none: through pairs with a priced side."""
        for _ in range(3):
            changed = False
            for r in parsed:
                b, q = r["base"], r["quote"]
                if b not in self.prices and q in self.prices:
                    self.prices[b] = _heuristic_price(r["tick"]) * self.prices[q]
                    changed = True
                elif q not in self.prices and b in self.prices:
                    self.prices[q] = self.prices[b] / _heuristic_price(r["tick"])
                    changed = True
            if not changed:
                break
        for aid in self.assets:
            self.prices.setdefault(aid, D(1))

    def _index(self) -> None:
        self.lookup: dict[str, Pair] = {}
        names: list[tuple[str, Pair]] = []
        for p in self.pairs.values():
            names.append((p.id, p))
        for p in self.pairs.values():
            names.append((p.altname, p))
        for p in self.pairs.values():
            base_alt, quote_alt = self.assets[p.base].altname, self.assets[p.quote].altname
            names += [(p.wsname, p), (_ws_symbol(p, base_alt, quote_alt), p),
                      (ws_asset_name(base_alt) + ws_asset_name(quote_alt), p)]
        for name, p in names:
            self.lookup.setdefault(name.upper(), p)
        self.asset_lookup: dict[str, str] = {}
        for a in self.assets.values():
            self.asset_lookup.setdefault(a.id.upper(), a.id)
        for a in self.assets.values():
            self.asset_lookup.setdefault(a.altname.upper(), a.id)
        for a in self.assets.values():
            self.asset_lookup.setdefault(ws_asset_name(a.altname).upper(), a.id)

    # -- queries ---------------------------------------------------------------
    def usd_pair(self, asset_id: str) -> Pair | None:
        """The pair that prices ``asset_id`` in US dollars (or a dollar stablecoin)."""
        cache = self.__dict__.setdefault("_usd", {})
        if asset_id not in cache:
            found = None
            for quote in ("ZUSD", "USD", "USDT", "USDC"):
                found = next((p for p in self.pairs.values() if p.base == asset_id and p.quote == quote), None)
                if found is not None:
                    break
            cache[asset_id] = found
        return cache[asset_id]

    def price_usd(self, asset_id: str) -> Decimal:
        return self.prices.get(asset_id, D(1))

    @property
    def instruments(self) -> list[dict[str, Any]] | None:
        return self.instruments_raw

    def to_document(self) -> dict[str, Any]:
        """The universe as a markets file (what ``--markets FILE`` loads)."""
        doc: dict[str, Any] = {
            "Assets": {a.id: dict(a.raw) if a.raw else a.to_kraken() for a in self.assets.values()},
            "AssetPairs": {p.id: p.to_kraken() for p in self.pairs.values()},
        }
        if self.instruments_raw is not None:
            doc["instruments"] = self.instruments_raw
        extras = dict(self.extras)
        extras["source"] = self.source
        extras["prices_usd"] = {aid: str(v) for aid, v in self.prices.items()}
        if self.funding:
            extras["funding"] = self.funding
        doc["kraken_ops"] = extras
        return doc

    def with_pairs_of(self, other: "Universe", pair_ids: set[str]) -> "Universe":
        """This universe plus the pairs ``pair_ids`` of ``other`` that it lacks (and their assets)."""
        missing = [pid for pid in pair_ids if pid not in self.pairs and pid in other.pairs]
        if not missing:
            return self
        doc = self.to_document()
        for pid in missing:
            p = other.pairs[pid]
            doc["AssetPairs"][pid] = p.to_kraken()
            for aid in (p.base, p.quote):
                if aid not in doc["Assets"]:
                    doc["Assets"][aid] = other.assets[aid].to_kraken()
                    doc["kraken_ops"]["prices_usd"][aid] = str(other.price_usd(aid))
        u = Universe(doc, self.source)
        u.kept = sorted(missing)  # type: ignore[attr-defined]
        return u


def _ws_symbol(p: Pair, base_alt: str, quote_alt: str) -> str:
    base, _, quote = p.wsname.partition("/")
    if not quote:
        base, quote = base_alt, quote_alt
    return ws_asset_name(base) + "/" + ws_asset_name(quote)


def load_markets_file(path: str | Path) -> Universe:
    """A universe from a markets file: a JSON object with Kraken's ``Assets`` and ``AssetPairs``
    answers (their ``result``, or the whole ``{"error": [], "result": ...}`` envelope) and
    optionally ``instruments`` (the Futures instruments list); raises :class:`MarketsError`."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise MarketsError(f"cannot read {p}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise MarketsError(f"{p} is not JSON: {exc}") from None
    try:
        return Universe(doc, str(p))
    except MarketsError as exc:
        raise MarketsError(f"{p}: {exc}") from None


def bundled() -> Universe:
    """The universe of :data:`DATA_FILE` (parsed once a process)."""
    global _BUNDLED
    if _BUNDLED is None:
        _BUNDLED = Universe(json.loads(DATA_FILE.read_text(encoding="utf-8")), "bundled")
    return _BUNDLED


_BUNDLED: Universe | None = None


def fetch_live(base_url: str | None = None, futures_url: str | None = None, timeout: float = LIVE_TIMEOUT) -> Universe:
    """Kraken's current universe: GET ``/0/public/Assets`` and ``/0/public/AssetPairs`` of
    api.kraken.com (and the Futures instruments); raises :class:`MarketsError` on any failure.
    ``KRAKEN_OPS_MARKETS_URL`` (or ``base_url``) points both at another Kraken-compatible server."""
    import os
    import urllib.error
    import urllib.request

    env = os.environ.get("KRAKEN_OPS_MARKETS_URL")
    base = (base_url or env or LIVE_URL).rstrip("/")
    fut = (futures_url or (base if (base_url or env) else LIVE_FUTURES_URL)).rstrip("/")

    def get(url: str) -> Any:
        req = urllib.request.Request(url, headers={"User-Agent": "kraken-ops", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) URLs only
                return json.loads(resp.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise MarketsError(f"cannot fetch {url}: {reason}") from None

    if not base.startswith(("http://", "https://")):
        raise MarketsError(f"bad markets URL {base!r} (expected http(s)://HOST)")
    doc: dict[str, Any] = {"Assets": get(base + "/0/public/Assets"), "AssetPairs": get(base + "/0/public/AssetPairs")}
    try:
        inst = get(fut + "/derivatives/api/v3/instruments")
        if isinstance(inst, Mapping) and isinstance(inst.get("instruments"), list):
            doc["instruments"] = inst["instruments"]
    except MarketsError:
        pass  # the bundled Futures instruments stay
    # reference prices of the assets the bundled data knows (start prices of the seeded market)
    doc["kraken_ops"] = {"prices_usd": {k: str(v) for k, v in bundled().prices.items()},
                         "funding": bundled().funding}
    return Universe(doc, base)


# ---------------------------------------------------------------- the universe this process serves
ASSETS: dict[str, Asset] = {}
PAIRS: dict[str, Pair] = {}
_LOOKUP: dict[str, Pair] = {}
_ASSET_LOOKUP: dict[str, str] = {}
UNIVERSE: Universe


def install(universe: Universe) -> None:
    """Serve ``universe`` in this process: :data:`ASSETS`, :data:`PAIRS` and the lookups are
    replaced in place, and the Futures instruments too when the universe lists them."""
    global UNIVERSE
    if globals().get("UNIVERSE") is universe:
        return  # already served (servers of one process share it: no window with empty dicts)
    UNIVERSE = universe
    ASSETS.clear()
    ASSETS.update(universe.assets)
    PAIRS.clear()
    PAIRS.update(universe.pairs)
    _LOOKUP.clear()
    _LOOKUP.update(universe.lookup)
    _ASSET_LOOKUP.clear()
    _ASSET_LOOKUP.update(universe.asset_lookup)
    mod = sys.modules.get("kraken_ops.exchange.futures.instruments")
    if mod is not None:
        mod.install(universe.instruments_raw if universe.instruments_raw is not None else bundled().instruments_raw)


install(bundled())


def use_state_markets(state_dir: str | Path) -> None:
    """Serve in this process the universe ``STATE_DIR/markets.json`` remembers (CLI commands that
    name assets of an exchange's state: ``exchange account add --fund``, paper profiles)."""
    path = Path(state_dir).expanduser() / "markets.json"
    if path.is_file():
        try:
            install(load_markets_file(path))
        except MarketsError:
            pass  # the server warns about it; the bundled universe stays


def fmt_asset(asset_id: str, value: Decimal) -> str:
    """Amount formatted with the asset's decimals, as Kraken's Balance does."""
    a = ASSETS.get(asset_id)
    decimals = a.decimals if a else 10
    return format(value.quantize(D(1).scaleb(-decimals)), "f")


def normalize_asset(name: str) -> str | None:
    """Kraken asset id for ``name`` (id, altname or the BTC/DOGE alias), or None."""
    if not isinstance(name, str) or not name:
        return None
    if name in ASSETS:
        return name
    return _ASSET_LOOKUP.get(name.strip().upper())


def find_pair(name: str) -> Pair | None:
    """Pair for an id, altname, wsname, WS v2 symbol or BTC/DOGE alias (case-insensitive)."""
    return _LOOKUP.get(name.strip().upper()) if isinstance(name, str) and name else None


def pair_in_class(pair: Pair, aclass: str | None) -> bool:
    """Whether ``pair`` is listed under ``aclass`` (None: Kraken's default, ``currency``)."""
    return pair.aclass_base == (aclass or "currency")


def result_key(pair: Pair, queried: str) -> str:
    """Kraken's result key: the queried name when it is a wsname (contains '/'), else the id."""
    return queried if "/" in queried else pair.id


# ---------------------------------------------------------------- market data
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
BACKFILL_MINUTES = 1440


@dataclass(slots=True)
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


class PairDataMap(Mapping[str, PairData]):
    """Every listed pair's :class:`PairData`, made (back-filled) the first time it is asked for.
    Iterating lists every pair id without making anything."""

    def __init__(self, markets: "Markets") -> None:
        self._markets = markets
        self._made: dict[str, PairData] = {}

    def __getitem__(self, pair_id: str) -> PairData:
        pd = self._made.get(pair_id)
        if pd is None:
            pair = PAIRS.get(pair_id)
            if pair is None:
                raise KeyError(pair_id)
            pd = self._made[pair_id] = self._markets._backfill(pair, self._markets.clock())
        return pd

    def __contains__(self, pair_id: object) -> bool:
        return pair_id in PAIRS

    def __iter__(self) -> Iterator[str]:
        return iter(list(PAIRS))

    def __len__(self) -> int:
        return len(PAIRS)

    def made(self) -> dict[str, PairData]:
        """The pairs whose market data exists so far."""
        return self._made

    def forget(self, pair_id: str) -> None:
        """Drop a pair's market data (it is made again, from the seed, when next asked for)."""
        self._made.pop(pair_id, None)


class Markets:
    """Seeded market data for every pair (made when first asked for)."""

    def __init__(self, rng: random.Random, now: float, seed: int | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.rng = rng
        self.seed = seed if seed is not None else rng.randrange(2**31)
        self.clock: Callable[[], float] = clock or (lambda: now)
        self.data = PairDataMap(self)

    def pair_rng(self, pair_id: str, purpose: str = "history") -> random.Random:
        """A generator of the pair's own: the same seed gives a pair the same history whatever
        else was asked first."""
        return random.Random(f"{self.seed}:{pair_id}:{purpose}")

    def _backfill(self, pair: Pair, now: float) -> PairData:
        """:data:`BACKFILL_MINUTES` minutes of seeded candles ending at the start price
        (computed in whole ticks: a pair costs a few milliseconds the first time it is used)."""
        rng = self.pair_rng(pair.id)
        gauss, rand = rng.gauss, rng.random
        minutes = BACKFILL_MINUTES
        current = int(now // 60) * 60
        tick_f = float(pair.tick_size)
        level = float(pair.start_price)
        ticks = [max(1, round(level / tick_f))]
        for step in [math.exp(gauss(0, 0.0008)) for _ in range(minutes)]:
            level *= step
            ticks.append(max(1, round(level / tick_f)))
        ticks.reverse()  # the walk ends at start_price
        tick = pair.tick_size
        exact_lots = pair.ordermin.as_tuple().exponent >= -pair.lot_decimals  # type: ignore[operator]
        ordermin, round_vol, round_price = pair.ordermin, pair.round_vol, pair.round_price
        pd = PairData(pair, pair.start_price, pair.start_price)
        candles = pd.candles
        cache: dict[int, Decimal] = {}
        vols: dict[int, Decimal] = {}
        two = D(2)
        half_lot_tick = ordermin * tick / two
        for i in range(minutes):
            o, c = ticks[i], ticks[i + 1]
            wig = int(rand() * 0.0006 * o)
            hi, lo = (o if o > c else c) + wig, max(1, (c if o > c else o) - wig)
            prices = []
            for n in (o, hi, lo, c):
                v = cache.get(n)
                if v is None:
                    v = cache[n] = round_price(D(n) * tick)
                prices.append(v)
            n = 20 + int(rand() * 1981)
            start = current - (minutes - i) * 60
            if exact_lots:  # volume n * ordermin, notional at the open/close midpoint, one Decimal product each
                vol = vols.get(n)
                if vol is None:
                    vol = vols[n] = ordermin * n
                notional = half_lot_tick * (n * (o + c))
            else:
                vol = round_vol(ordermin * n)
                notional = vol * (prices[0] + prices[3]) / two
            candles[start] = Candle(start, prices[0], prices[1], prices[2], prices[3], vol, notional,
                                    1 + int(rand() * 40))
        pd.trade_seq = 10_000_000 + int(rand() * 80_000_000)
        return pd

    # -- updates -------------------------------------------------------------
    def step(self, pair_id: str, sigma: float = 0.0004) -> Decimal:
        pd = self.data[pair_id]
        factor = D(repr(math.exp(self.rng.gauss(0, sigma))))
        mid = pd.pair.round_price(pd.mid * factor)
        pd.mid = mid if mid > 0 else pd.pair.tick_size
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
        """The dollar price of ``base`` (the mid of its USD pair; the Futures index)."""
        asset = normalize_asset(base) or base
        pair = UNIVERSE.usd_pair(asset)
        if pair is not None:
            return self.data[pair.id].mid
        return UNIVERSE.price_usd(asset)  # no dollar pair: the universe's reference price

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
