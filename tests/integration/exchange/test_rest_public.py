"""Spot public REST endpoints."""

from helpers import Spot


def test_time_and_system_status(exchange):
    c = Spot(exchange.url)
    assert isinstance(c.public("Time")["result"]["unixtime"], int)
    assert c.public("SystemStatus")["result"]["status"] == "online"


def test_assets_and_pairs_use_kraken_names(exchange):
    c = Spot(exchange.url)
    assets = c.public("Assets", asset="XBT,USD")["result"]
    assert set(assets) == {"XXBT", "ZUSD"} and assets["XXBT"]["altname"] == "XBT"
    pairs = c.public("AssetPairs", pair="XBTUSD")["result"]
    assert pairs["XXBTZUSD"]["wsname"] == "XBT/USD" and pairs["XXBTZUSD"]["ordermin"] == "0.00005"
    assert "BTC/USD" in c.public("AssetPairs", pair="BTC/USD")["result"]
    assert c.public("AssetPairs", pair="XETHXXBT")["result"]["XETHXXBT"]["tick_size"] == "0.00001"
    xstocks = c.public("AssetPairs", aclass_base="tokenized_asset")["result"]
    assert "AAPLxUSD" in xstocks
    assert c.public("AssetPairs", pair="NOPE")["error"] == ["EQuery:Unknown asset pair"]


def test_market_data_endpoints(exchange):
    c = Spot(exchange.url)
    t = c.public("Ticker", pair="XBTUSD")["result"]["XXBTZUSD"]
    assert float(t["a"][0]) > float(t["b"][0])
    ohlc = c.public("OHLC", pair="ETHUSD", interval=5)["result"]
    assert len(ohlc["XETHZUSD"][0]) == 8 and isinstance(ohlc["last"], int)
    depth = c.public("Depth", pair="XBTUSD", count=5)["result"]["XXBTZUSD"]
    assert len(depth["asks"]) == 5 and len(depth["bids"]) == 5
    trades = c.public("Trades", pair="XBTUSD", count=3)["result"]
    assert len(trades["XXBTZUSD"]) <= 3 and trades["last"].isdigit()
    assert "XXBTZUSD" in c.public("Spread", pair="XBTUSD")["result"]
    assert c.public("Ticker", http="POST", pair="XBTUSD")["error"] == []
    assert c.public("OHLC", pair="XBTUSD", interval=7)["error"] == ["EGeneral:Invalid arguments:interval"]


def test_unknown_public_method(exchange):
    assert Spot(exchange.url).public("Nope")["error"] == ["EGeneral:Unknown method"]


def test_prices_move(exchange):
    import time

    c = Spot(exchange.url)
    first = c.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]
    time.sleep(1.2)
    second = c.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]
    assert first != second
