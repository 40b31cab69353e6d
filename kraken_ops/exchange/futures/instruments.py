"""The Futures instruments the local exchange lists (a table, not code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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
    wallet: str               # flex | fi_xbtusd
    isin: str
    opening: str
    margin_levels: tuple[tuple[Decimal, Decimal, Decimal], ...] = field(default=())  # (threshold, im, mm)
    max_position: Decimal = D(1000000)

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
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "type": self.type,
            "tradeable": True,
            "tickSize": self.tick_size,
            "contractSize": self.contract_size,
            "impactMidSize": D(1),
            "maxPositionSize": self.max_position,
            "openingDate": self.opening,
            "marginLevels": levels,
            "retailMarginLevels": levels,
            "fundingRateCoefficient": 8,
            "maxRelativeFundingRate": D("0.001"),
            "isin": self.isin,
            "contractValueTradePrecision": self.size_precision,
            "postOnly": False,
            "feeScheduleUid": FEE_SCHEDULE_UID,
            "category": "Layer 1",
            "tags": [],
        }
        if self.inverse:
            out["underlying"] = f"rr_{self.base.lower()}{self.quote.lower()}"
        else:
            out["base"] = self.base
            out["quote"] = self.quote
            out["pair"] = self.pair
        return out


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

_FLEX_LEVELS = ((D(0), D("0.02"), D("0.01")), (D(500000), D("0.04"), D("0.02")), (D(2000000), D("0.1"), D("0.05")))

INSTRUMENTS: dict[str, Instrument] = {
    i.symbol: i
    for i in (
        Instrument("PF_XBTUSD", "flexible_futures", "XBT", "USD", D(1), D(1), 4, False, "USD", "flex",
                   "GB00J62YGL67", "2022-01-01T00:00:00.000Z",
                   ((D(0), D("0.02"), D("0.01")), (D(25), D("0.04"), D("0.02")), (D(100), D("0.1"), D("0.05")))),
        Instrument("PF_ETHUSD", "flexible_futures", "ETH", "USD", D("0.1"), D(1), 3, False, "USD", "flex",
                   "GB00J62YGL68", "2022-01-01T00:00:00.000Z",
                   ((D(0), D("0.02"), D("0.01")), (D(500), D("0.04"), D("0.02")), (D(2000), D("0.1"), D("0.05")))),
        Instrument("PI_XBTUSD", "futures_inverse", "XBT", "USD", D("0.5"), D(1), 0, True, "XBT", "fi_xbtusd",
                   "GB00J62YGL69", "2018-08-31T00:00:00.000Z", _FLEX_LEVELS),
    )
}

FLEX_ASSETS = ("USD", "XBT", "ETH", "EUR", "USDT", "USDC")
WALLETS = ("cash", "flex", "fi_xbtusd")


def lookup(symbol: Any) -> Instrument | None:
    """Instrument by symbol, case-insensitively (Kraken lower-cases legacy symbols)."""
    if not symbol:
        return None
    return INSTRUMENTS.get(str(symbol).upper())


def normalize_asset(asset: str) -> str:
    """Futures asset code: XBT, ETH, USD... from any spot or futures spelling."""
    a = asset.upper()
    return {"XXBT": "XBT", "BTC": "XBT", "XETH": "ETH", "ZUSD": "USD", "ZEUR": "EUR"}.get(a, a)
