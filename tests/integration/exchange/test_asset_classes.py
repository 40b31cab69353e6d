"""Asset classes (``currency``, ``tokenized_asset`` for xStocks, ``forex``) on the wire and through the SDK.

As at Kraken, a request that names no class means ``currency``: xStocks and forex pairs are
listed, quoted and traded only by requests that carry their class (``aclass_base`` on
AssetPairs, ``asset_class`` on Ticker/OHLC/Depth/Trades/Spread and the order endpoints,
``aclass`` on Assets and the funding endpoints).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import Spot

from kraken_ops.exceptions import KrakenUnknownAssetPairError
from kraken_ops.spot import Funding, Market, Trade

XSTOCKS = {"AAPLxUSD", "TSLAxUSD", "NVDAxUSD"}
#: the fiat/fiat pairs of the market data (kraken_ops/exchange/data/markets.json) the exchange lists as forex
FOREX = {"ZEURZUSD", "ZGBPZUSD", "ZUSDZCAD", "ZUSDZJPY", "USDCHF", "AUDUSD", "EURGBP", "EURCHF", "EURCAD", "EURJPY",
         "AUDJPY"}
FIAT = {"ZUSD", "ZEUR", "ZGBP", "ZCAD", "CHF", "ZAUD", "ZJPY"}


def test_asset_pairs_are_listed_per_class(exchange: Any) -> None:
    c = Spot(exchange.url)
    default = c.public("AssetPairs")["result"]
    assert "XXBTZUSD" in default and not (set(default) & (XSTOCKS | FOREX))
    xstocks = c.public("AssetPairs", aclass_base="tokenized_asset")["result"]
    assert set(xstocks) == XSTOCKS
    aapl = xstocks["AAPLxUSD"]
    assert (aapl["altname"], aapl["wsname"], aapl["base"], aapl["quote"]) == ("AAPLxUSD", "AAPLx/USD", "AAPLx", "ZUSD")
    assert aapl["aclass_base"] == "tokenized_asset" and aapl["pair_decimals"] == 2 and aapl["leverage_buy"] == []
    forex = c.public("AssetPairs", aclass_base="forex")["result"]
    assert set(forex) == FOREX and forex["ZEURZUSD"]["wsname"] == "EUR/USD" and forex["ZEURZUSD"]["tick_size"] == "0.00001"
    assert set(c.public("AssetPairs", pair="AAPLx/USD", aclass_base="tokenized_asset")["result"]) == {"AAPLx/USD"}
    assert c.public("AssetPairs", pair="AAPLxUSD")["error"] == ["EQuery:Unknown asset pair"]
    assert c.public("AssetPairs", pair="XBTUSD", aclass_base="forex")["error"] == ["EQuery:Unknown asset pair"]
    assert c.public("AssetPairs", aclass_base="stocks")["error"] == ["EGeneral:Invalid arguments:aclass_base"]


def test_assets_are_listed_per_class(exchange: Any) -> None:
    c = Spot(exchange.url)
    default = c.public("Assets")["result"]
    assert "XXBT" in default and "AAPLx" not in default and default["ZUSD"]["aclass"] == "currency"
    xstocks = c.public("Assets", aclass="tokenized_asset")["result"]
    assert set(xstocks) == {"AAPLx", "TSLAx", "NVDAx"} and xstocks["NVDAx"]["aclass"] == "tokenized_asset"
    fiat = c.public("Assets", aclass="forex")["result"]
    assert set(fiat) == FIAT and fiat["ZGBP"]["aclass"] == "forex"
    assert c.public("Assets", asset="AAPLx")["error"] == ["EQuery:Unknown asset"]


def test_market_data_needs_the_asset_class(exchange: Any) -> None:
    c = Spot(exchange.url)
    assert c.public("Ticker", pair="AAPLxUSD")["error"] == ["EQuery:Unknown asset pair"]
    t = c.public("Ticker", pair="AAPLxUSD", asset_class="tokenized_asset")["result"]["AAPLxUSD"]
    assert Decimal(t["b"][0]) < Decimal(t["a"][0])
    assert set(c.public("Ticker", asset_class="tokenized_asset")["result"]) == XSTOCKS
    assert set(c.public("Ticker", asset_class="forex")["result"]) == FOREX
    depth = c.public("Depth", pair="EURUSD", asset_class="forex", count=3)["result"]["ZEURZUSD"]
    assert len(depth["asks"]) == 3 and len(depth["asks"][0][0].split(".")[1]) == 5
    for method in ("OHLC", "Trades", "Spread"):
        assert c.public(method, pair="TSLAxUSD")["error"] == ["EQuery:Unknown asset pair"], method
        assert c.public(method, pair="TSLAxUSD", asset_class="tokenized_asset")["error"] == [], method


def test_orders_on_xstocks_need_asset_class_tokenized_asset(exchange: Any, unique_name: str) -> None:
    acct = exchange.add_account(unique_name, {"USD": "100000"})
    c = Spot(exchange.url, acct)
    order = {"pair": "AAPLxUSD", "type": "buy", "ordertype": "limit", "volume": "1", "price": "100.00", "validate": "true"}
    assert c.private("AddOrder", order)["error"] == ["EQuery:Unknown asset pair"]
    assert c.private("AddOrder", {**order, "asset_class": "tokenized_asset"})["error"] == []
    assert c.private("AddOrder", {**order, "asset_class": "forex"})["error"] == ["EQuery:Unknown asset pair"]
    batch = {"pair": "AAPLxUSD", "orders": [{"ordertype": "limit", "type": "buy", "volume": "1", "price": "100.00"}] * 2}
    assert c.private("AddOrderBatch", batch, json_body=True)["error"] == ["EQuery:Unknown asset pair"]
    placed = c.ok("AddOrderBatch", {**batch, "asset_class": "tokenized_asset"}, json_body=True)
    txid = placed["orders"][0]["txid"]
    # AmendOrder needs the pair of an xStock order; EditOrder the asset class
    assert c.private("AmendOrder", {"txid": txid, "limit_price": "101.00"})["error"] == ["EGeneral:Invalid arguments:pair"]
    assert c.private("AmendOrder", {"txid": txid, "limit_price": "101.00", "pair": "AAPLxUSD"})["error"] == []
    assert c.private("EditOrder", {"txid": txid, "pair": "AAPLxUSD", "price": "102.00"})["error"] == ["EQuery:Unknown asset pair"]
    edited = c.ok("EditOrder", {"txid": txid, "pair": "AAPLxUSD", "price": "102.00", "asset_class": "tokenized_asset"})
    assert edited["status"] == "ok"
    c.ok("CancelAll")


def test_xstocks_and_forex_trade_against_the_market_maker(exchange: Any, unique_name: str) -> None:
    acct = exchange.add_account(unique_name, {"USD": "100000"})
    trade = Trade(key=acct.spot_key, secret=acct.spot_secret, url=exchange.url)
    with pytest.raises(KrakenUnknownAssetPairError):
        trade.create_order(ordertype="market", side="buy", pair="NVDAxUSD", volume="2")
    placed = trade.create_order(ordertype="market", side="buy", pair="NVDAxUSD", volume="2", asset_class="tokenized_asset")
    eur = trade.create_order(ordertype="market", side="buy", pair="EUR/USD", volume="100", asset_class="forex")
    c = Spot(exchange.url, acct)
    orders = c.ok("QueryOrders", {"txid": f"{placed['txid'][0]},{eur['txid'][0]}"})
    assert {o["status"] for o in orders.values()} == {"closed"}
    balances = c.ok("Balance")
    assert Decimal(balances["NVDAx"]) == 2 and Decimal(balances["ZEUR"]) == 100
    ledgers = c.ok("Ledgers", {"asset": "NVDAx"})["ledger"]
    assert {e["aclass"] for e in ledgers.values()} == {"tokenized_asset"}
    # truncate reads the pair in its class
    assert trade.truncate("187.129", "price", "AAPLxUSD", "tokenized_asset") == "187.12"


def test_sdk_market_and_funding_pass_the_asset_class(exchange: Any, unique_name: str) -> None:
    with Market(url=exchange.url) as market:
        assert set(market.get_asset_pairs(aclass_base="tokenized_asset")) == XSTOCKS
        assert "AAPLx" in market.get_assets(aclass="tokenized_asset")
        assert set(market.get_ticker(pair="GBPUSD", asset_class="forex")) == {"ZGBPZUSD"}
        assert "AAPLxUSD" in market.get_order_book(pair="AAPLxUSD", asset_class="tokenized_asset")
    acct = exchange.add_account(unique_name, {"USD": "10"})
    funding = Funding(key=acct.spot_key, secret=acct.spot_secret, url=exchange.url)
    methods = funding.get_deposit_methods(asset="AAPLx", aclass="tokenized_asset")
    assert methods[0]["method"] == "AAPLx (SPL)"
    assert funding.get_deposit_address(asset="AAPLx", method="AAPLx (SPL)", aclass="tokenized_asset")
    assert {m["asset"] for m in funding.withdraw_methods(aclass="tokenized_asset")} == {"AAPLx", "TSLAx", "NVDAx"}
    assert "ZUSD" in {m["asset"] for m in funding.withdraw_methods(aclass="forex")}
    with pytest.raises(Exception, match="Unknown asset"):
        funding.get_deposit_methods(asset="AAPLx")
