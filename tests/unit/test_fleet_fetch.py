"""FleetSource's market data: asset classes Kraken refuses, tickers of only the pairs needed, and a fallback."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from kraken_ops import exceptions as kx
from kraken_ops.observe.fetch import Environment, FleetSource
from kraken_ops.observe.portfolio import AccountAnswers

ASSETS = {
    "currency": {"XXBT": {"altname": "XBT", "decimals": 10}, "ZUSD": {"altname": "USD", "decimals": 4},
                 "DOT": {"altname": "DOT", "decimals": 10}, "XETH": {"altname": "ETH", "decimals": 10}},
    "tokenized_asset": {"AAPLx": {"altname": "AAPLx", "decimals": 10}},
}
PAIRS = {
    "currency": {"XXBTZUSD": {"altname": "XBTUSD", "base": "XXBT", "quote": "ZUSD"},
                 "DOTUSD": {"altname": "DOTUSD", "base": "DOT", "quote": "ZUSD"},
                 "XETHZUSD": {"altname": "ETHUSD", "base": "XETH", "quote": "ZUSD"}},
    "tokenized_asset": {"AAPLxUSD": {"altname": "AAPLxUSD", "base": "AAPLx", "quote": "ZUSD"}},
}


def tick(price: str) -> dict:
    return {"a": [price, "1", "1"], "b": [price, "1", "1"], "c": [price, "1"]}


class FakeSpotMarket:
    """Kraken without the ``forex`` class, and a Ticker that refuses one listed pair by name."""

    def __init__(self, refuse: str | None = None) -> None:
        self.calls: list[tuple[str, Any, Any]] = []
        self.refuse = refuse

    async def get_assets(self, aclass: str | None = None) -> Any:
        self.calls.append(("Assets", aclass, None))
        if aclass == "forex":
            raise kx.KrakenInvalidArgumentsError("EGeneral:Invalid arguments:aclass")
        return ASSETS[aclass or "currency"]

    async def get_asset_pairs(self, aclass_base: str | None = None) -> Any:
        self.calls.append(("AssetPairs", aclass_base, None))
        return PAIRS[aclass_base or "currency"]

    async def get_ticker(self, pair: Any = None, asset_class: str | None = None) -> Any:
        self.calls.append(("Ticker", asset_class, pair))
        known = PAIRS[asset_class or "currency"]
        if pair is not None and self.refuse in pair:
            raise kx.KrakenUnknownAssetPairError("EQuery:Unknown asset pair")
        names = pair if pair is not None else list(known)
        return {name: tick({"XXBTZUSD": "60000", "DOTUSD": "7", "AAPLxUSD": "200", "XETHZUSD": "3000"}[name]) for name in names}


def _source() -> FleetSource:
    source = FleetSource([], "USD")
    source._opened = True
    return source


def test_static_data_skips_a_class_kraken_refuses_and_is_kept_between_refreshes():
    market = FakeSpotMarket()
    env = Environment(("spot", ""), market, None)
    source = _source()
    asyncio.run(source._static(env))
    assert env.refused_classes == {"forex"} and set(env.pairs) == {"currency", "tokenized_asset"}
    asyncio.run(source._static(env))  # within the TTL: nothing is fetched again
    assert len([c for c in market.calls if c[0] == "Assets"]) == 3


def test_tickers_are_fetched_for_the_pairs_the_holdings_need_per_class():
    market = FakeSpotMarket()
    env = Environment(("spot", ""), market, None)
    source = _source()
    asyncio.run(source._static(env))
    answers = AccountAnswers("bot1", balance={"XXBT": "1", "AAPLx": "2", "ZUSD": "5"})
    book, futures = asyncio.run(source._prices(env, [answers]))
    tickers = [c for c in market.calls if c[0] == "Ticker"]
    assert {(c[1], tuple(c[2])) for c in tickers} == {(None, ("XXBTZUSD",)), ("tokenized_asset", ("AAPLxUSD",))}
    assert len(tickers) == 2  # nothing for ETH, which nobody holds
    assert book.value("AAPLx", Decimal(2), "USD").value == Decimal("400.0000")
    assert futures is not None and futures.tickers == {}


def test_a_pair_the_ticker_refuses_falls_back_to_the_whole_class():
    market = FakeSpotMarket(refuse="DOTUSD")
    env = Environment(("spot", ""), market, None)
    source = _source()
    asyncio.run(source._static(env))
    book, _ = asyncio.run(source._prices(env, [AccountAnswers("bot1", balance={"DOT": "10", "XXBT": "1"})]))
    tickers = [c for c in market.calls if c[0] == "Ticker"]
    assert tickers == [("Ticker", None, ["DOTUSD", "XXBTZUSD"]), ("Ticker", None, None)]
    assert book.value("DOT", Decimal(10), "USD").value == Decimal("70.0000")
