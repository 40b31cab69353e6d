"""The Futures instruments the local exchange lists.

They are data: the ``instruments`` list of the market universe
(:mod:`kraken_ops.exchange.markets`: ``kraken_ops/exchange/data/markets.json``, or the file of
``exchange serve --markets FILE``), in the shape of Kraken's ``GET /derivatives/api/v3/instruments``
answer. :func:`install` replaces :data:`INSTRUMENTS` and :data:`WALLETS` in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

D = Decimal


@dataclass(frozen=True)
class Instrument:
    symbol: str
    type: str                 # flexible_futures | futures_inverse
    base: str                 # XBT | ETH (the index that drives it)
    quote: str
    tick_size: Decimal
    contract_size: Decimal
    size_precision: int       # contractValueTradePrecision
    inverse: bool
    collateral: str           # wallet asset that margins it ("USD" in flex, "XBT" in fi_xbtusd)
    wallet: str               # flex | fi_xbtusd | fi_ethusd ...
    isin: str
    opening: str
    margin_levels: tuple[tuple[Decimal, Decimal, Decimal], ...] = field(default=())  # (threshold, im, mm)
    max_position: Decimal = D(1000000)
    #: further fields of Kraken's instrument answer (category, tags, fundingRateCoefficient...)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def pair(self) -> str:
        return f"{self.base}:{self.quote}"

    @property
    def min_size(self) -> Decimal:
        return D(1).scaleb(-self.size_precision)

    def margin_rates(self, notional_units: Decimal) -> tuple[Decimal, Decimal]:
        """(initial, maintenance) margin rate for a position of ``notional_units`` (contracts or base units)."""
        im, mm = self.margin_levels[0][1], self.margin_levels[0][2]
        for threshold, i, m in self.margin_levels:
            if abs(notional_units) >= threshold:
                im, mm = i, m
        return im, mm

    def public_dict(self) -> dict[str, Any]:
        level_key = "contracts" if self.inverse else "numNonContractUnits"
        levels = [
            {level_key: t, "initialMargin": i, "maintenanceMargin": m} for t, i, m in self.margin_levels
        ]
        ex = self.extra
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "type": self.type,
            "tradeable": True,
            "tickSize": self.tick_size,
            "contractSize": self.contract_size,
            "impactMidSize": _num(ex.get("impactMidSize", 1)),
            "maxPositionSize": self.max_position,
            "openingDate": self.opening,
            "marginLevels": levels,
            "retailMarginLevels": levels,
            "fundingRateCoefficient": ex.get("fundingRateCoefficient", 8),
            "maxRelativeFundingRate": _num(ex.get("maxRelativeFundingRate", "0.001")),
            "isin": self.isin,
            "contractValueTradePrecision": self.size_precision,
            "postOnly": bool(ex.get("postOnly", False)),
            "feeScheduleUid": ex.get("feeScheduleUid", FEE_SCHEDULE_UID),
            "category": ex.get("category", ""),
            "tags": list(ex.get("tags") or []),
        }
        if self.inverse:
            out["underlying"] = f"rr_{self.base.lower()}{self.quote.lower()}"
        else:
            out["base"] = self.base
            out["quote"] = self.quote
            out["pair"] = self.pair
        return out


def _num(value: Any) -> Decimal:
    return D(str(value))


FEE_SCHEDULE_UID = "7fc4d7c0-464f-4029-a9bb-55856d0c5247"
FEE_SCHEDULE_NAME = "PGTMainFees"
# (30-day USD volume threshold, maker %, taker %)
FEE_TIERS: tuple[tuple[Decimal, Decimal, Decimal], ...] = (
    (D(0), D("0.02"), D("0.05")),
    (D(100000), D("0.015"), D("0.04")),
    (D(1000000), D("0.0125"), D("0.03")),
    (D(5000000), D("0.01"), D("0.025")),
    (D(10000000), D("0.0075"), D("0.02")),
    (D(20000000), D("0.005"), D("0.015")),
    (D(50000000), D("0.0025"), D("0.0125")),
    (D(100000000), D(0), D("0.01")),
)

_DEFAULT_LEVELS = ((D(0), D("0.02"), D("0.01")), (D(500000), D("0.04"), D("0.02")), (D(2000000), D("0.1"), D("0.05")))


class InstrumentError(ValueError):
    """An instrument of a markets file that cannot be served."""


def parse_instrument(d: Mapping[str, Any]) -> Instrument:
    """An :class:`Instrument` from one element of Kraken's instruments answer."""
    symbol = d.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise InstrumentError("an instrument without a symbol")
    symbol = symbol.upper()
    typ = str(d.get("type") or "flexible_futures")
    inverse = typ == "futures_inverse"
    base, quote = d.get("base"), d.get("quote")
    if not base:
        under = str(d.get("underlying") or "")  # rr_xbtusd
        core = under.split("_", 1)[-1].upper()
        if core.endswith("USD") and len(core) > 3:
            base, quote = core[:-3], "USD"
        else:  # PF_SOLUSD
            core = symbol.split("_", 1)[-1]
            base, quote = (core[:-3], core[-3:]) if len(core) > 3 else (core, "USD")
    base, quote = str(base).upper(), str(quote or "USD").upper()
    try:
        tick = D(str(d.get("tickSize", "0.5" if inverse else "0.1")))
        contract = D(str(d.get("contractSize", 1)))
        precision = int(d.get("contractValueTradePrecision", 0 if inverse else 3))
        levels = []
        for lv in d.get("marginLevels") or []:
            t = lv.get("contracts", lv.get("numNonContractUnits", 0))
            levels.append((D(str(t)), D(str(lv["initialMargin"])), D(str(lv["maintenanceMargin"]))))
        max_pos = D(str(d.get("maxPositionSize", 1000000)))
    except (InvalidOperation, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InstrumentError(f"instrument {symbol}: {exc!r}") from None
    if tick <= 0 or contract <= 0 or not 0 <= precision <= 12:
        raise InstrumentError(f"instrument {symbol}: bad tickSize, contractSize or contractValueTradePrecision")
    wallet = f"fi_{base.lower()}{quote.lower()}" if inverse else "flex"
    extra = {k: v for k, v in d.items() if k in ("impactMidSize", "fundingRateCoefficient", "maxRelativeFundingRate",
                                                 "postOnly", "feeScheduleUid", "category", "tags")}
    return Instrument(symbol, typ, base, quote, tick, contract, precision, inverse, base if inverse else "USD", wallet,
                      str(d.get("isin") or ""), str(d.get("openingDate") or "2022-01-01T00:00:00.000Z"),
                      tuple(levels) or _DEFAULT_LEVELS, max_pos, extra)


INSTRUMENTS: dict[str, Instrument] = {}
FLEX_ASSETS = ("USD", "XBT", "ETH", "EUR", "USDT", "USDC")
#: the Futures wallets: ``cash``, ``flex`` and the single-collateral wallet of each inverse instrument
WALLETS: list[str] = []


def install(raw: Iterable[Mapping[str, Any]] | None) -> None:
    """List the instruments of ``raw`` (Kraken's instruments answer); the dicts are replaced in place."""
    parsed = [parse_instrument(d) for d in raw or []]
    INSTRUMENTS.clear()
    INSTRUMENTS.update({i.symbol: i for i in parsed if i.type in ("flexible_futures", "futures_inverse")})
    WALLETS[:] = ["cash", "flex"] + sorted({i.wallet for i in INSTRUMENTS.values() if i.inverse})


def lookup(symbol: Any) -> Instrument | None:
    """Instrument by symbol, case-insensitively (Kraken lower-cases legacy symbols)."""
    if not symbol:
        return None
    return INSTRUMENTS.get(str(symbol).upper())


def normalize_asset(asset: str) -> str:
    """Futures asset code: XBT, ETH, USD... from any spot or futures spelling."""
    a = asset.upper()
    return {"XXBT": "XBT", "BTC": "XBT", "XETH": "ETH", "ZUSD": "USD", "ZEUR": "EUR"}.get(a, a)


def reference_price(base: str) -> Decimal:
    """A dollar price for an index without a Spot market: the market universe's reference price."""
    from kraken_ops.exchange import markets

    asset = markets.normalize_asset(base) or base
    return markets.UNIVERSE.price_usd(asset)


def _install_from_markets() -> None:
    from kraken_ops.exchange import markets

    raw = markets.UNIVERSE.instruments_raw
    install(raw if raw is not None else markets.bundled().instruments_raw)


_install_from_markets()
