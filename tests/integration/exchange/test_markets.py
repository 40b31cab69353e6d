"""Kraken's market universe (issue 11, item 5): the bundled data, its names and values, fees
per pair, and the simulation of only the pairs somebody uses."""

from __future__ import annotations

import json
import time
from decimal import Decimal as D
from typing import Any

from helpers import Spot, name

from kraken_ops.exchange import markets

FIAT = {"ZUSD", "ZEUR", "ZGBP", "ZCAD", "CHF", "ZAUD", "ZJPY"}
QUOTES = FIAT | {"USDT", "USDC", "XXBT", "XETH"}

#: every asset and pair the reference docs (python-kraken-sdk's documentation) use in examples
DOC_ASSETS = {"XBT": "XXBT", "BTC": "XXBT", "ETH": "XETH", "DOT": "DOT", "XLM": "XXLM", "KFEE": "KFEE", "FEE": "KFEE",
              "MATIC": "MATIC", "ATOM": "ATOM", "BCH": "BCH", "ETHW": "ETHW", "ADA": "ADA", "USDT": "USDT",
              "USDC": "USDC", "EUR": "ZEUR", "USD": "ZUSD", "GBP": "ZGBP", "XRP": "XXRP", "LTC": "XLTC", "SOL": "SOL",
              "UNI": "UNI"}
DOC_PAIRS = {"XBTUSD": "XXBTZUSD", "BTC/USD": "XXBTZUSD", "XBT/USD": "XXBTZUSD", "XXBTZUSD": "XXBTZUSD",
             "BTC/EUR": "XXBTZEUR", "DOT/USD": "DOTUSD", "DOTUSD": "DOTUSD", "DOT/EUR": "DOTEUR", "DOTEUR": "DOTEUR",
             "MATICUSD": "MATICUSD", "XETHZUSD": "XETHZUSD", "ETHUSD": "XETHZUSD", "XLMUSD": "XXLMZUSD",
             "XXLMZUSD": "XXLMZUSD", "DOGE/USD": "XDGUSD", "XDGUSD": "XDGUSD", "ETH/BTC": "XETHXXBT"}


def test_the_universe_holds_krakens_major_assets(exchange: Any) -> None:
    c = Spot(exchange.url)
    assets = c.public("Assets")["result"]
    crypto = [a for a in assets if a not in FIAT]
    assert len(crypto) >= 40, sorted(crypto)
    for queried, aid in DOC_ASSETS.items():
        got = c.public("Assets", asset=queried)["result"]
        assert list(got) == [aid], queried
    assert assets["KFEE"]["altname"] == "FEE" and assets["KFEE"]["decimals"] == 2  # Kraken's fee credits
    assert assets["XXLM"]["altname"] == "XLM" and assets["XXBT"]["collateral_value"] == 0.99


def test_every_pair_of_the_reference_docs_is_listed_with_krakens_names(exchange: Any) -> None:
    c = Spot(exchange.url)
    for queried, pid in DOC_PAIRS.items():
        r = c.public("AssetPairs", pair=queried)
        assert r["error"] == [], (queried, r)
        (key, pair), = r["result"].items()
        assert key == (queried if "/" in queried else pid), queried
        assert pair["altname"] == markets.PAIRS[pid].altname
    dot = c.public("AssetPairs", pair="DOTEUR")["result"]["DOTEUR"]
    assert (dot["altname"], dot["wsname"], dot["base"], dot["quote"]) == ("DOTEUR", "DOT/EUR", "DOT", "ZEUR")
    xlm = c.public("AssetPairs", pair="XLMUSD")["result"]["XXLMZUSD"]
    assert (xlm["altname"], xlm["wsname"], xlm["base"], xlm["quote"]) == ("XLMUSD", "XLM/USD", "XXLM", "ZUSD")
    assert c.public("Ticker", pair="DOT/EUR")["error"] == []


def test_the_major_assets_trade_in_every_quote_currency_kraken_offers(exchange: Any) -> None:
    pairs = Spot(exchange.url).public("AssetPairs")["result"]
    assert {p["quote"] for p in pairs.values()} >= QUOTES
    by_base: dict[str, set[str]] = {}
    for p in pairs.values():
        by_base.setdefault(p["base"], set()).add(p["quote"])
    assert by_base["XXBT"] >= FIAT | {"USDT", "USDC"}
    assert by_base["XETH"] >= FIAT | {"USDT", "USDC", "XXBT"}
    assert by_base["SOL"] >= {"ZUSD", "ZEUR", "USDT", "USDC", "XXBT", "XETH"}
    assert len(pairs) >= 200


def test_pairs_carry_krakens_recorded_values(exchange: Any) -> None:
    """Values of Kraken's own AssetPairs answer (see docs/exchange.md, Markets: sources)."""
    c = Spot(exchange.url)
    btc = c.public("AssetPairs", pair="XBTUSD")["result"]["XXBTZUSD"]
    assert (btc["ordermin"], btc["costmin"], btc["tick_size"], btc["pair_decimals"], btc["lot_decimals"],
            btc["cost_decimals"]) == ("0.00005", "0.5", "0.1", 1, 8, 5)
    assert btc["leverage_buy"] == list(range(2, 11)) and btc["fees"][0] == [0, 0.4] and btc["fees_maker"][0] == [0, 0.25]
    assert btc["fees"][-1] == [500000000, 0.05] and btc["long_position_limit"] == 300
    dot = c.public("AssetPairs", pair="DOTEUR")["result"]["DOTEUR"]
    assert (dot["ordermin"], dot["costmin"], dot["tick_size"], dot["leverage_buy"]) == ("0.6", "0.45", "0.0001", [2, 3])
    jpy = c.public("AssetPairs", pair="XBTJPY")["result"]["XXBTZJPY"]
    assert (jpy["tick_size"], jpy["costmin"], jpy["pair_decimals"]) == ("1", "50", 0)
    eurusd = c.public("AssetPairs", pair="EURUSD", aclass_base="forex")["result"]["ZEURZUSD"]
    assert eurusd["fees"][0] == [0, 0.2] and eurusd["fees_maker"][0] == [0, 0.2]  # Kraken's stablecoin/FX schedule
    lev = c.public("AssetPairs", pair="ADAUSD", info="leverage")["result"]["ADAUSD"]
    assert lev == {"leverage_buy": list(range(2, 11)), "leverage_sell": list(range(2, 11))}


def test_the_data_file_marks_its_estimates() -> None:
    doc = json.loads(markets.DATA_FILE.read_text())
    est = doc["kraken_ops"]["estimated"]
    for pid, fields in est["AssetPairs"].items():
        assert pid in doc["AssetPairs"] and fields, pid
        assert set(fields) <= {"ordermin", "costmin", "tick_size", "pair_decimals", "lot_decimals", "cost_decimals",
                               "leverage"}, pid
    for recorded in ("XXBTZUSD", "XETHZUSD", "DOTEUR", "XXLMZUSD", "ADAUSD", "ZEURZUSD", "XDGUSD", "SOLUSD"):
        assert recorded not in est["AssetPairs"], recorded
    assert set(est["Assets"]) <= set(doc["Assets"])
    # every pair's numbers make a tradeable market: the minimum order costs at least the minimum cost
    u = markets.bundled()
    for p in u.pairs.values():
        assert p.ordermin > 0 and p.tick_size > 0 and p.start_price > 0, p.id
        assert p.start_price % p.tick_size == 0, p.id


def test_ws_names_and_aliases() -> None:
    assert markets.find_pair("BTC/USD").id == "XXBTZUSD"
    assert markets.find_pair("DOGE/USD").id == "XDGUSD" and markets.PAIRS["XDGUSD"].ws_symbol == "DOGE/USD"
    assert markets.find_pair("btcusdt").id == "XBTUSDT"
    assert markets.normalize_asset("DOGE") == "XXDG" and markets.normalize_asset("fee") == "KFEE"


def test_fees_follow_the_pairs_schedule(exchange: Any) -> None:
    a = exchange.add_account(name(), fund={"USD": "100000"})
    c = Spot(exchange.url, a)
    txid = c.ok("AddOrder", {"pair": "USDTUSD", "type": "buy", "ordertype": "market", "volume": "100"})["txid"][0]
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    # a stablecoin pair: Kraken's flat 0.20 % schedule, not the 0.40 % of crypto pairs
    assert abs(D(o["fee"]) - D(o["cost"]) * D("0.002")) <= D("0.0001") * 3
    tv = c.ok("TradeVolume", {"pair": "USDTUSD"})
    assert tv["fees"]["USDTZUSD"]["fee"] == "0.2000" and tv["fees_maker"]["USDTZUSD"]["fee"] == "0.2000"


def test_only_the_pairs_somebody_uses_are_simulated(exchange_factory: Any) -> None:
    server = exchange_factory(seed=11)
    sim = server.ctx.simulation
    core = server.call(lambda: set(sim.core))
    assert core >= {"XXBTZUSD", "XETHZUSD"}
    assert server.call(lambda: set(server.ctx.markets.data.made())) <= core  # nothing else was made
    c = Spot(server.url)
    depth = c.public("Depth", pair="ADAUSD", count=100)["result"]["ADAUSD"]
    assert len(depth["bids"]) == 100 and len(depth["asks"]) == 100  # quoted at once when first named
    assert "ADAUSD" in server.call(sim.hot_pairs)
    # nobody looked for ACTIVE_SECONDS: the pair is left alone (no user order rests on it)
    server.call(lambda: sim.interest.__setitem__("ADAUSD", time.monotonic() - 10_000))
    assert "ADAUSD" not in server.call(sim.hot_pairs)
    steps = server.call(lambda: sim.last_step["ADAUSD"])
    for _ in range(3):
        server.call(sim.step)
    assert server.call(lambda: sim.last_step["ADAUSD"]) == steps  # not stepped
    # named again: it catches up and is quoted at once
    before = server.call(lambda: sim.steps)
    t = c.public("Ticker", pair="ADAUSD")["result"]["ADAUSD"]
    assert D(t["b"][0]) < D(t["a"][0]) and server.call(lambda: sim.last_step["ADAUSD"]) >= before > steps


def test_a_resting_order_keeps_its_pair_simulated(exchange_factory: Any) -> None:
    server = exchange_factory(seed=12)
    sim = server.ctx.simulation
    a = server.add_account(name(), fund={"EUR": "10000"})
    c = Spot(server.url, a)
    c.ok("AddOrder", {"pair": "ADAEUR", "type": "buy", "ordertype": "limit", "volume": "50", "price": "0.01"})
    server.call(lambda: sim.interest.clear())
    assert "ADAEUR" in server.call(sim.hot_pairs)


def test_an_open_margin_position_keeps_its_pair_simulated(exchange_factory: Any) -> None:
    server = exchange_factory(seed=16)
    sim = server.ctx.simulation
    a = server.add_account(name(), fund={"USD": "10000"})
    c = Spot(server.url, a)
    assert "ADAUSD" not in server.call(lambda: sim.core)
    c.ok("AddOrder", {"pair": "ADAUSD", "type": "buy", "ordertype": "market", "volume": "100", "leverage": "2"})
    assert c.ok("OpenPositions", {})  # a position, and no resting order
    assert not server.call(lambda: [o for o in server.ctx.engine.orders.values() if o.pair.id == "ADAUSD"])
    server.call(lambda: sim.interest.clear())
    assert "ADAUSD" in server.call(sim.hot_pairs)  # its price keeps moving: margin level, liquidation
    server.call(lambda: sim.quoted_at.__setitem__("ADAUSD", time.monotonic() - 4000))
    assert "ADAUSD" not in server.call(lambda: sim.forget_idle(set()))


def test_a_request_naming_many_pairs_refreshes_them_without_keeping_them(exchange_factory: Any) -> None:
    server = exchange_factory(seed=13)
    sim = server.ctx.simulation
    names = [p for p in ("ADAUSD", "DOTUSD", "LINKUSD", "UNIUSD", "AVAXUSD", "ATOMUSD", "XTZUSD", "FILUSD", "NEARUSD",
                         "ALGOUSD", "TRXUSD", "AAVEUSD")]
    r = Spot(server.url).public("Ticker", pair=",".join(names))["result"]
    assert set(r) == set(names) and all(D(t["b"][0]) < D(t["a"][0]) for t in r.values())
    assert not set(names) & set(server.call(lambda: list(sim.interest)))
    # Ticker without a pair lists (and quotes) every pair of the class, none of them kept simulated
    everything = Spot(server.url).public("Ticker")["result"]
    assert len(everything) == len([p for p in markets.PAIRS.values() if p.aclass_base == "currency"])
    assert all(D(t["b"][0]) < D(t["a"][0]) for t in everything.values())


def test_market_data_of_pairs_left_alone_is_dropped(exchange_factory: Any) -> None:
    server = exchange_factory(seed=14)
    sim = server.ctx.simulation
    c = Spot(server.url)
    assert c.public("Depth", pair="LINKUSD", count=5)["result"]["LINKUSD"]["asks"]
    assert "LINKUSD" in server.call(lambda: server.ctx.markets.data.made())
    # an hour without anybody naming it: its history and the maker's quotes go (memory follows use)
    server.call(lambda: (sim.interest.pop("LINKUSD", None), sim.quoted_at.__setitem__("LINKUSD", time.monotonic() - 4000)))
    gone = server.call(lambda: sim.forget_idle(set(sim.hot_pairs())))
    assert gone == ["LINKUSD"]
    assert "LINKUSD" not in server.call(lambda: server.ctx.markets.data.made())
    assert server.call(lambda: server.ctx.engine.books["LINKUSD"].best("sell")) is None
    # the core pairs stay; named again, the pair is made and quoted again
    assert server.call(lambda: sim.forget_idle(set())) == []
    assert c.public("Ticker", pair="LINKUSD")["result"]["LINKUSD"]["a"]


def test_grouped_book_and_level3_quote_a_pair_nobody_used_yet(exchange_factory: Any) -> None:
    server = exchange_factory(seed=15)
    sim = server.ctx.simulation
    made = server.call(lambda: set(server.ctx.markets.data.made()))
    assert not {"DOTUSD", "ATOMUSD"} & made
    grouped = Spot(server.url).public("GroupedBook", pair="DOTUSD")["result"]
    assert grouped["bids"] and grouped["asks"] and D(grouped["bids"][0]["price"]) < D(grouped["asks"][0]["price"])
    a = server.add_account(name())
    l3 = Spot(server.url, a).ok("Level3", {"pair": "ATOMUSD"}, json_body=True)
    assert l3["bids"] and l3["asks"]
    assert {"DOTUSD", "ATOMUSD"} <= set(server.call(sim.hot_pairs))


async def test_a_level3_subscription_quotes_its_pair_and_keeps_it_simulated(exchange_factory: Any) -> None:
    import asyncio

    import aiohttp

    server = exchange_factory(seed=16)
    sim = server.ctx.simulation
    a = server.add_account(name())
    token = (await asyncio.to_thread(Spot(server.url, a).ok, "GetWebSocketsToken"))["token"]
    async with aiohttp.ClientSession() as s, s.ws_connect(server.url.replace("http://", "ws://") + "/ws-l3/v2") as ws:
        await ws.send_str(json.dumps({"method": "subscribe", "req_id": 1, "params": {
            "channel": "level3", "symbol": ["LINK/USD"], "depth": 10, "token": token}}))
        while True:
            msg = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
            if msg.get("channel") == "level3" and msg.get("type") == "snapshot":
                break
        assert msg["data"][0]["bids"] and msg["data"][0]["asks"]
        server.call(lambda: sim.interest.pop("LINKUSD", None))
        for _ in range(40):  # the subscription, while it is served, keeps the pair hot
            await asyncio.sleep(0.05)
            if "LINKUSD" in server.call(lambda: list(sim.interest)):
                break
        assert "LINKUSD" in server.call(sim.hot_pairs)
