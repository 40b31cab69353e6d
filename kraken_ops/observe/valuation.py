"""Valuing Kraken balances in one currency from Kraken's own answers.

Kraken names an asset differently in different places: ``XXBT`` and ``ZUSD`` in Balance,
``XBT.F`` or ``ETH2.S`` for Earn and staking wallets, ``xbt`` in Futures accounts,
``AAPLx`` for an xStock, and ``XXBTZUSD`` / ``XBTUSD`` / ``XBT/USD`` for pairs. A
:class:`MarketBook` is built from the Assets, AssetPairs and Ticker answers and

* resolves any of those names to Kraken's asset id (:meth:`MarketBook.asset_id`),
* finds the conversion path of an asset into the target currency (:meth:`MarketBook.rate`):
  the same asset, a direct pair (``DOTUSD``), an inverse pair (``EURUSD`` for USD into EUR),
  via USD, or via XBT -- in that order of preference -- and, when none of those exists, the
  shortest path through other assets (``ETH2.S`` -> ETH -> XBT -> USD, at most three pairs),
* values an amount (:meth:`MarketBook.value`), saying *why* when it cannot: an asset that
  cannot be valued is never counted as zero.

Prices are the mid of the best bid and ask of the Ticker answer (the last trade when the
book is one-sided). Everything is :class:`~decimal.Decimal`.

>>> book = MarketBook(
...     assets={"XXBT": {"altname": "XBT", "decimals": 10}, "ZUSD": {"altname": "USD", "decimals": 4}},
...     pairs={"XXBTZUSD": {"altname": "XBTUSD", "base": "XXBT", "quote": "ZUSD"}},
...     tickers={"XXBTZUSD": {"a": ["60001.0", "1", "1"], "b": ["59999.0", "1", "1"], "c": ["60000.5", "0.1"]}},
... )
>>> book.value("XBT.F", Decimal("0.5"), "USD").value
Decimal('30000.0000')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

#: Balance suffixes of Earn and staking wallets (Kraken's Balance documentation).
EARN_SUFFIXES: dict[str, str] = {
    ".S": "staked",
    ".M": "opt-in rewards",
    ".F": "auto earn (flexible)",
    ".B": "bonded / yield-bearing",
    ".P": "parachain",
}
#: Other suffixes of the same asset held apart in the Spot wallet (``USD.HOLD``).
SPOT_SUFFIXES: dict[str, str] = {".HOLD": "on hold"}

#: Names people and Kraken's Futures use for assets Kraken lists under another altname.
ALIASES: dict[str, str] = {"BTC": "XBT", "DOGE": "XDG"}

#: The hubs a conversion may go through when there is no direct or inverse pair.
HUBS: tuple[str, ...] = ("USD", "XBT")
#: The longest conversion path, in pairs, when the hubs do not connect an asset.
MAX_LEGS = 3

ZERO = Decimal(0)
ONE = Decimal(1)


def split_suffix(name: str) -> tuple[str, str | None]:
    """``("XBT", ".F")`` for ``"XBT.F"``; ``(name, None)`` without a known suffix.

    >>> split_suffix("ETH2.S"), split_suffix("USD.HOLD"), split_suffix("XXBT")
    (('ETH2', '.S'), ('USD', '.HOLD'), ('XXBT', None))
    """
    base, dot, suffix = name.rpartition(".")
    if dot and base:
        tag = "." + suffix.upper()
        if tag in EARN_SUFFIXES or tag in SPOT_SUFFIXES:
            return base, tag
    return name, None


def is_earn_name(name: str) -> bool:
    """Whether a Balance entry is an Earn or staking wallet (``DOT.S``, ``XBT.F`` ...)."""
    return split_suffix(name)[1] in EARN_SUFFIXES


def to_decimal(value: Any) -> Decimal | None:
    """``value`` (Kraken's string or a parsed Decimal) as a finite Decimal, else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):  # never produced by the SDK (it parses with Decimal); be exact anyway
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Pair:
    """One tradable pair as the valuation needs it."""

    key: str  # AssetPairs result key, e.g. XXBTZUSD
    altname: str  # XBTUSD
    base: str  # asset id, e.g. XXBT
    quote: str  # asset id, e.g. ZUSD
    aclass: str  # the asset class it was listed under (currency, tokenized_asset, forex)
    online: bool = True


@dataclass(frozen=True)
class Rate:
    """How many units of the target one unit of an asset is worth, and how that was found.

    ``method`` is ``same``, ``direct``, ``inverse``, ``via USD`` or ``via XBT``; ``path``
    names the pairs used, an inverse leg as ``1/ALTNAME``.
    """

    value: Decimal
    method: str
    path: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.method if not self.path else f"{self.method} ({' * '.join(self.path)})"


@dataclass(frozen=True)
class Valuation:
    """An amount of one asset valued in the target currency, or why it could not be."""

    name: str  # as Kraken named it in the answer (XXBT, XBT.F, xbt, AAPLx ...)
    asset: str | None  # Kraken's asset id it resolved to, if any
    amount: Decimal
    rate: Rate | None = None
    value: Decimal | None = None
    reason: str | None = None  # set when value is None

    @property
    def valued(self) -> bool:
        return self.value is not None


class MarketBook:
    """Assets, pairs and prices of one Kraken environment, for valuation.

    ``assets``, ``pairs`` and ``tickers`` are Kraken's result objects (merged over the asset
    classes); prices may cover only some pairs (see :meth:`route_pairs`).
    """

    def __init__(
        self,
        assets: Mapping[str, Mapping[str, Any]] | None = None,
        pairs: Mapping[str, Mapping[str, Any]] | None = None,
        tickers: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        pair_classes: Mapping[str, str] | None = None,
    ) -> None:
        self.assets: dict[str, Mapping[str, Any]] = dict(assets or {})
        self._names: dict[str, str] = {}
        for asset_id, info in self.assets.items():
            self._names.setdefault(asset_id.upper(), asset_id)
        for asset_id, info in self.assets.items():
            alt = str((info or {}).get("altname") or "")
            if alt:
                self._names.setdefault(alt.upper(), asset_id)
        self.pairs: dict[str, Pair] = {}
        for key, info in (pairs or {}).items():
            if not isinstance(info, Mapping) or not info.get("base") or not info.get("quote"):
                continue
            if _dark_pool(key) or _dark_pool(str(info.get("altname") or "")):
                continue  # a dark-pool pair's ticker says nothing about the price
            base, quote = str(info["base"]), str(info["quote"])
            for asset_id in (base, quote):  # a pair may name an asset the Assets answer left out
                self._names.setdefault(asset_id.upper(), asset_id)
            status = str(info.get("status") or "online")
            self.pairs[key] = Pair(
                key,
                str(info.get("altname") or key),
                base,
                quote,
                (pair_classes or {}).get(key, str(info.get("aclass_base") or "currency")),
                online=status == "online",
            )
        self._by_name: dict[str, Pair] = {}
        for pair in self.pairs.values():
            for alias in (pair.key, pair.altname):
                self._by_name.setdefault(alias.upper(), pair)
        self._edges: dict[tuple[str, str], list[Pair]] = {}
        for pair in sorted(self.pairs.values(), key=_pair_preference):
            self._edges.setdefault((pair.base, pair.quote), []).append(pair)
        self._adjacent: dict[str, list[tuple[str, Pair, bool]]] | None = None
        self.prices: dict[str, Decimal] = {}
        self.add_tickers(tickers or {})

    # --- names -------------------------------------------------------------------
    def asset_id(self, name: str) -> str | None:
        """Kraken's asset id for ``name`` (id, altname, any case, ``BTC``), else ``None``.

        >>> MarketBook({"XXBT": {"altname": "XBT"}}).asset_id("btc")
        'XXBT'
        """
        if not name:
            return None
        upper = str(name).strip().upper()
        found = self._names.get(upper)
        if found is None and upper in ALIASES:
            found = self._names.get(ALIASES[upper])
        return found

    def display(self, asset_id: str) -> str:
        """The name people read (Kraken's altname: ``XBT`` for ``XXBT``)."""
        info = self.assets.get(asset_id) or {}
        return str(info.get("altname") or asset_id)

    def decimals(self, asset_id: str, *, display: bool = False) -> int:
        """The asset's decimals (``display_decimals`` with ``display=True``); 8 when unknown."""
        info = self.assets.get(asset_id) or {}
        value = info.get("display_decimals" if display else "decimals")
        try:
            return int(value) if value is not None else 8
        except (TypeError, ValueError):
            return 8

    def candidates(self, name: str) -> list[tuple[str, str | None]]:
        """Asset ids a Balance name may stand for, best first, with the suffix it carried.

        ``ETH2.S`` is first tried as itself (Kraken lists pairs such as ``ETH2.SETH``), then
        without its suffix; ``XBT.F`` resolves to ``XXBT``.
        """
        out: list[tuple[str, str | None]] = []
        whole = self.asset_id(name)
        if whole is not None:
            out.append((whole, None))
        base, suffix = split_suffix(name)
        if suffix is not None:
            stripped = self.asset_id(base)
            if stripped is not None and stripped not in [c for c, _ in out]:
                out.append((stripped, suffix))
        return out

    def holding_asset(self, name: str) -> str | None:
        """The asset id holdings of ``name`` are grouped under (suffix stripped), if known."""
        base, _ = split_suffix(name)
        return self.asset_id(base) or self.asset_id(name)

    # --- prices ------------------------------------------------------------------
    def add_tickers(self, tickers: Mapping[str, Mapping[str, Any]]) -> None:
        """Record prices from a Ticker answer (keys are pair ids or altnames)."""
        for key, ticker in tickers.items():
            pair = self.pairs.get(key) or self._by_name.get(str(key).upper())
            if pair is None or not isinstance(ticker, Mapping):
                continue
            price = ticker_price(ticker)
            if price is not None:
                self.prices[pair.key] = price

    def pair(self, name: str) -> Pair | None:
        """The pair for an id or altname."""
        return self.pairs.get(name) or self._by_name.get(str(name).upper())

    def _legs(self, a: str, b: str) -> list[tuple[Pair, bool]]:
        """Pairs that convert ``a`` into ``b``: ``(pair, inverse)``, direct ones first."""
        return [(p, False) for p in self._edges.get((a, b), [])] + [(p, True) for p in self._edges.get((b, a), [])]

    def _leg(self, a: str, b: str) -> tuple[Decimal, str] | None:
        for pair, inverse in self._legs(a, b):
            price = self.prices.get(pair.key)
            if price is None or price <= 0:
                continue
            return (ONE / price, "1/" + pair.altname) if inverse else (price, pair.altname)
        return None

    def _hubs(self) -> list[str]:
        return [h for h in (self.asset_id(name) for name in HUBS) if h is not None]

    def _neighbours(self, asset: str, *, priced: bool) -> list[tuple[str, Pair, bool]]:
        """``(other asset, pair, inverse)`` for every pair of ``asset``, hubs first, then by name."""
        if self._adjacent is None:
            adjacent: dict[str, list[tuple[str, Pair, bool]]] = {}
            for (base, quote), pairs in self._edges.items():
                for pair in pairs:
                    adjacent.setdefault(base, []).append((quote, pair, False))
                    adjacent.setdefault(quote, []).append((base, pair, True))
            hubs = self._hubs()
            for items in adjacent.values():
                items.sort(key=lambda n: (n[0] not in hubs, hubs.index(n[0]) if n[0] in hubs else 0, n[0], _pair_preference(n[1])))
            self._adjacent = adjacent
        out = self._adjacent.get(asset, [])
        if priced:
            out = [n for n in out if (self.prices.get(n[1].key) or ZERO) > 0]
        return out

    def _distances(self, start: str, *, priced: bool, limit: int = MAX_LEGS) -> dict[str, int]:
        dist = {start: 0}
        frontier = [start]
        for depth in range(1, limit + 1):
            nxt = []
            for asset in frontier:
                for other, _, _ in self._neighbours(asset, priced=priced):
                    if other not in dist:
                        dist[other] = depth
                        nxt.append(other)
            frontier = nxt
        return dist

    def _search(self, asset: str, target: str) -> Rate | None:
        """The shortest priced path of up to :data:`MAX_LEGS` pairs (``ETH2.S`` -> ETH -> XBT -> USD)."""
        back = self._distances(target, priced=True)
        if asset not in back:
            return None
        value, path, via, here = ONE, [], [], asset
        while here != target:
            for other, pair, inverse in self._neighbours(here, priced=True):
                if back.get(other, MAX_LEGS + 1) == back[here] - 1:
                    price = self.prices[pair.key]
                    value, here = value * (ONE / price if inverse else price), other
                    path.append(("1/" if inverse else "") + pair.altname)
                    if here != target:
                        via.append(self.display(here))
                    break
            else:  # pragma: no cover - distances guarantee a next step
                return None
        return Rate(value, "via " + ", ".join(via), tuple(path))

    def rate(self, asset: str, target: str) -> Rate | None:
        """The rate of asset id ``asset`` in asset id ``target``, or ``None`` without a path.

        Preference: the same asset, a direct pair, an inverse pair, via USD, via XBT, then the
        shortest path through other assets (at most :data:`MAX_LEGS` pairs).
        """
        if asset == target:
            return Rate(ONE, "same")
        for pair, inverse in self._legs(asset, target):
            price = self.prices.get(pair.key)
            if price is not None and price > 0:
                return Rate(ONE / price, "inverse", ("1/" + pair.altname,)) if inverse else Rate(price, "direct", (pair.altname,))
        for hub in self._hubs():
            if hub in (asset, target):
                continue
            first, second = self._leg(asset, hub), self._leg(hub, target)
            if first is not None and second is not None:
                return Rate(first[0] * second[0], f"via {self.display(hub)}", (first[1], second[1]))
        return self._search(asset, target)

    def route_pairs(self, asset: str, target: str) -> set[str]:
        """Every pair a conversion of ``asset`` into ``target`` could use (to fetch their tickers only).

        The direct and inverse pairs and the legs through USD and XBT; when those cannot
        connect the two at all, the pairs on the shortest paths through other assets.
        """
        if asset == target:
            return set()
        keys = {p.key for p, _ in self._legs(asset, target)}
        complete = bool(keys)
        for hub in self._hubs():
            if hub in (asset, target):
                continue
            first = {p.key for p, _ in self._legs(asset, hub)}
            second = {p.key for p, _ in self._legs(hub, target)}
            if first and second:
                keys |= first | second
                complete = True
        if complete:
            return keys
        start, back = self._distances(asset, priced=False), self._distances(target, priced=False)
        length = min((start[a] + back[a] for a in start if a in back), default=None)
        if length is None:
            return keys
        for here, d in start.items():
            for other, pair, _ in self._neighbours(here, priced=False):
                if d + 1 + back.get(other, MAX_LEGS + 1) == length:
                    keys.add(pair.key)
        return keys

    def needed_pairs(self, names: Iterable[str], target: str) -> set[str]:
        """The pairs whose tickers value every name in ``names`` (Balance or Futures spellings) in ``target``."""
        target_id = self.asset_id(target)
        keys: set[str] = set()
        if target_id is None:
            return keys
        for name in names:
            for asset, _ in self.candidates(name):
                keys |= self.route_pairs(asset, target_id)
        return keys

    # --- valuation ----------------------------------------------------------------
    def value(self, name: str, amount: Decimal, target: str) -> Valuation:
        """``amount`` of the asset Kraken calls ``name``, valued in ``target`` (any spelling).

        The value is rounded to the target's decimals; when there is no path, ``reason`` says so.
        """
        if not self.assets and not self.pairs:
            return Valuation(name, None, amount, reason="no market data")
        target_id = self.asset_id(target)
        if target_id is None:
            return Valuation(name, None, amount, reason=f"unknown currency {target}")
        candidates = self.candidates(name)
        if not candidates:
            return Valuation(name, None, amount, reason="unknown asset (not in Kraken's Assets or AssetPairs)")
        for asset, _suffix in candidates:
            rate = self.rate(asset, target_id)
            if rate is not None:
                return Valuation(name, asset, amount, rate, self.quantize(amount * rate.value, target_id))
        asset = candidates[-1][0] if len(candidates) > 1 else candidates[0][0]
        if any(self.route_pairs(a, target_id) for a, _ in candidates):
            reason = f"no price for a pair from {self.display(asset)} to {self.display(target_id)}"
        else:
            reason = f"no pair from {self.display(asset)} to {self.display(target_id)} (direct, inverse, via USD, XBT or up to {MAX_LEGS} pairs)"
        return Valuation(name, asset, amount, reason=reason)

    def quantize(self, value: Decimal, target: str) -> Decimal:
        """``value`` rounded (half even) to the target asset's decimals."""
        return value.quantize(Decimal(1).scaleb(-self.decimals(target)))


def ticker_price(ticker: Mapping[str, Any]) -> Decimal | None:
    """Mid of the best ask (``a``) and bid (``b``); the last trade (``c``) when one side is missing."""
    ask = to_decimal(_first(ticker.get("a")))
    bid = to_decimal(_first(ticker.get("b")))
    if ask is not None and bid is not None and ask > 0 and bid > 0:
        return (ask + bid) / 2
    last = to_decimal(_first(ticker.get("c")))
    return last if last is not None and last > 0 else None


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _pair_preference(pair: Pair) -> tuple[int, str]:
    """Online pairs before others."""
    return (0 if pair.online else 1, pair.key)


def _dark_pool(name: str) -> bool:
    """Kraken's dark-pool pairs end in ``.d`` (``XXBTZUSD.d``)."""
    return name.endswith(".d")


__all__ = [
    "ALIASES",
    "EARN_SUFFIXES",
    "SPOT_SUFFIXES",
    "MarketBook",
    "Pair",
    "Rate",
    "Valuation",
    "is_earn_name",
    "split_suffix",
    "ticker_price",
    "to_decimal",
]
