"""Public Futures REST endpoints (kraken-protocol.md §3.4)."""

from __future__ import annotations

from decimal import Decimal

P = "/derivatives/api/v3"


#: the instruments of the market data (kraken_ops/exchange/data/markets.json): those the docs' examples use
SYMBOLS = {"PF_XBTUSD", "PF_ETHUSD", "PF_SOLUSD", "PI_XBTUSD", "PI_ETHUSD"}


async def test_instruments_lists_the_contracts_with_tick_and_margin_levels(fx):
    r = await fx.public().public(f"{P}/instruments")
    assert r["result"] == "success" and r["serverTime"].endswith("Z")
    by = {i["symbol"]: i for i in r["instruments"]}
    assert set(by) == SYMBOLS
    assert by["PF_XBTUSD"]["type"] == "flexible_futures" and by["PI_XBTUSD"]["type"] == "futures_inverse"
    assert by["PI_XBTUSD"]["tickSize"] == Decimal("0.5") and by["PF_ETHUSD"]["tickSize"] == Decimal("0.1")
    assert by["PF_XBTUSD"]["marginLevels"][0]["initialMargin"] == Decimal("0.02")
    assert by["PF_XBTUSD"]["contractValueTradePrecision"] == 4
    assert by["PI_ETHUSD"]["underlying"] == "rr_ethusd" and by["PF_SOLUSD"]["pair"] == "SOL:USD"


async def test_instrument_status_all_and_one(fx):
    api = fx.public()
    r = await api.public(f"{P}/instruments/status")
    assert {s["tradeable"] for s in r["instrumentStatus"]} == SYMBOLS
    one = await api.public(f"{P}/instruments/PF_XBTUSD/status")
    assert one["tradeable"] == "PF_XBTUSD" and one["experiencingDislocation"] is False
    bad = await api.public(f"{P}/instruments/PF_NOPE/status")
    assert bad == {"result": "error", "serverTime": bad["serverTime"], "error": "notFound"}


async def test_tickers_and_single_ticker(fx):
    api = fx.public()
    r = await api.public(f"{P}/tickers")
    t = {x["symbol"]: x for x in r["tickers"]}["PF_XBTUSD"]
    assert t["bid"] < t["ask"] and t["markPrice"] > 0 and t["tag"] == "perpetual" and t["pair"] == "XBT:USD"
    one = await api.public(f"{P}/tickers/pi_xbtusd")
    assert one["ticker"]["symbol"] == "PI_XBTUSD"
    assert (await api.public(f"{P}/tickers/XX"))["error"] == "notFound"


async def test_orderbook_is_sorted_and_moves_with_ticks(fx):
    api = fx.public()
    a = (await api.public(f"{P}/orderbook", {"symbol": "PF_XBTUSD"}))["orderBook"]
    assert [p for p, _ in a["bids"]] == sorted((p for p, _ in a["bids"]), reverse=True)
    assert [p for p, _ in a["asks"]] == sorted(p for p, _ in a["asks"])
    assert a["bids"][0][0] < a["asks"][0][0]
    for _ in range(5):
        fx.engine.tick()
    b = (await api.public(f"{P}/orderbook", {"symbol": "PF_XBTUSD"}))["orderBook"]
    assert a != b
    assert (await api.public(f"{P}/orderbook"))["error"] == "requiredArgumentMissing"


async def test_trade_history_with_last_time(fx):
    for _ in range(20):
        fx.engine.tick()
    api = fx.public()
    r = await api.public(f"{P}/history", {"symbol": "PF_XBTUSD"})
    hist = r["history"]
    assert hist and {"time", "trade_id", "price", "size", "side", "type", "uid"} <= set(hist[0])
    assert hist == sorted(hist, key=lambda h: -h["trade_id"])
    older = await api.public(f"{P}/history", {"symbol": "PF_XBTUSD", "lastTime": "2000-01-01T00:00:00.000Z"})
    assert older["history"] == []


async def test_a_fresh_market_has_recent_trades_in_history_and_trade_snapshot(fx):
    """Kraken's history and trade_snapshot always hold the latest trades: before any tick, the
    list is the backfilled chart's last 100 minutes (ccxt's fetch_trades was [] on a new exchange)."""
    api = fx.public()
    now_ms = fx.engine.now_ms()
    for symbol in ("PF_XBTUSD", "PI_XBTUSD"):
        hist = (await api.public(f"{P}/history", {"symbol": symbol}))["history"]
        assert len(hist) == 100, symbol
        assert [h["trade_id"] for h in hist] == list(range(100, 0, -1))
        times = [h["time"] for h in hist]
        assert times == sorted(times, reverse=True)
        points = fx.engine.markets[symbol].series["trade"][-100:]
        assert [(h["price"], h["size"]) for h in reversed(hist)] == [(p, q) for _, p, q in points]
        assert all(h["type"] == "fill" and h["side"] in ("buy", "sell") and h["uid"] for h in hist)
    ws = await fx.ws()
    await ws.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_ETHUSD"]})
    await ws.recv()
    snap = await ws.recv()
    assert snap["feed"] == "trade_snapshot" and len(snap["trades"]) == 100
    assert all(t["time"] < now_ms for t in snap["trades"])
    # the full history (ccxt's fetch_trades reads it) holds the same trades
    execs = (await api.public("/api/history/v2/market/PF_XBTUSD/executions", {"count": 100}))["elements"]
    newest = (await api.public(f"{P}/history", {"symbol": "PF_XBTUSD"}))["history"]
    assert len(execs) == 100
    assert sorted(e["uid"] for e in execs) == sorted(h["uid"] for h in newest)


async def test_a_restarted_market_starts_from_its_stored_executions(fx):
    """After a restart the trade list is the state's last public executions, not a new backfill."""
    from kraken_ops.exchange.futures import FuturesEngine

    for _ in range(30):
        fx.engine.tick()
    before = list(fx.engine.markets["PF_XBTUSD"].trades)[-100:]
    again = FuturesEngine(fx.ctx)
    after = list(again.markets["PF_XBTUSD"].trades)
    assert [(t["uid"], t["price"], t["qty"], t["side"], t["time"]) for t in after] == \
        [(t["uid"], t["price"], t["qty"], t["side"], t["time"]) for t in before]


async def test_historical_funding_rates_v4(fx):
    api = fx.public()
    r = await api.public("/derivatives/api/v4/historicalfundingrates", {"symbol": "PF_XBTUSD"})
    assert len(r["rates"]) == 720
    assert {"timestamp", "fundingRate", "relativeFundingRate"} == set(r["rates"][0])
    again = await api.public("/derivatives/api/v4/historicalfundingrates", {"symbol": "PF_XBTUSD"})
    assert again["rates"] == r["rates"]  # seeded
    assert (await api.public("/derivatives/api/v4/historicalfundingrates"))["error"] == "requiredArgumentMissing"


async def test_feeschedules(fx):
    r = await fx.public().public(f"{P}/feeschedules")
    tiers = r["feeSchedules"][0]["tiers"]
    assert tiers[0] == {"makerFee": Decimal("0.02"), "takerFee": Decimal("0.05"), "usdVolume": 0}


async def test_numbers_are_written_without_float_rounding(fx):
    status, _, text = await fx.public().request("GET", f"{P}/instruments", auth=False, raw=True)
    assert '"tickSize":0.1' in text and '"maxRelativeFundingRate":0.001' in text
    assert "e-" not in text.lower().replace("false", "").replace("true", "")


async def test_charts_tick_types_symbols_resolutions_and_candles(fx):
    api = fx.public()
    assert await api.public("/api/charts/v1/") == ["mark", "spot", "trade"]
    assert "PF_XBTUSD" in await api.public("/api/charts/v1/trade")
    assert "1h" in await api.public("/api/charts/v1/mark/PF_XBTUSD")
    now = int(fx.ctx.clock())
    r = await api.public("/api/charts/v1/trade/PF_XBTUSD/1h", {"from": now - 6 * 3600, "to": now})
    candles = r["candles"]
    assert 6 <= len(candles) <= 7 and r["more_candles"] is False
    c = candles[0]
    assert isinstance(c["open"], str) and isinstance(c["volume"], str) and isinstance(c["time"], int)
    assert Decimal(c["low"]) <= Decimal(c["open"]) <= Decimal(c["high"])
    assert all(a["time"] < b["time"] for a, b in zip(candles, candles[1:]))
    many = await api.public("/api/charts/v1/mark/PF_XBTUSD/1m", {"from": now - 3 * 86400, "to": now})
    assert len(many["candles"]) <= 2000
    st, _, _ = await api.request("GET", "/api/charts/v1/nope/PF_XBTUSD/1m", auth=False, raw=True)
    assert st == 404


async def test_market_history_executions_orders_and_price(fx):
    for _ in range(10):
        fx.engine.tick()
    api = fx.public()
    r = await api.public("/api/history/v2/market/PF_XBTUSD/executions", {"count": 3})
    assert r["len"] == 3 and "continuationToken" in r
    ex = r["elements"][0]["event"]["Execution"]["execution"]
    assert {"makerOrder", "takerOrder", "price", "quantity", "markPrice"} <= set(ex)
    nxt = await api.public("/api/history/v2/market/PF_XBTUSD/executions",
                           {"count": 3, "continuation_token": r["continuationToken"]})
    assert {e["uid"] for e in nxt["elements"]}.isdisjoint(e["uid"] for e in r["elements"])
    price = await api.public("/api/history/v2/market/PF_XBTUSD/price", {"count": 5})
    assert price["len"] == 5 and "price" in price["elements"][0]["event"]
    orders = await api.public("/api/history/v2/market/PF_XBTUSD/orders")
    assert "elements" in orders
