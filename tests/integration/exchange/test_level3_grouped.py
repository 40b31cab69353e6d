"""Level 3 (REST ``Level3``, WebSocket ``level3`` at /ws-l3/v2), ``GroupedBook``, ``CreditLines``
and ``rebase_multiplier`` on the local exchange: Level 3 comes from the engine's real resting orders."""

import asyncio
import json
from decimal import ROUND_FLOOR, Decimal as D

import aiohttp
import pytest

from helpers import Spot, name
from kraken_ops.exchange import books, rest_spot
from kraken_ops.exchange.markets import find_pair
from kraken_ops.spot.level3 import Level3Book

XBTUSD = find_pair("XBTUSD")


def _l3_ws(exchange) -> str:
    return exchange.url.replace("http://", "ws://") + "/ws-l3/v2"


def _resting_bid_price(spot: Spot, below: str = "30") -> str:
    """A buy price a few levels under the best bid: it rests and stays within the top levels."""
    bid = D(spot.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]["bids"][0][0])
    return str((bid - D(below)).quantize(D("0.1"), rounding=ROUND_FLOOR))


def _order(txid, side_orders):
    return [o for o in side_orders if o["order_id"] == txid]


async def _recv(ws, pred, timeout=5.0):
    async def loop():
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data, parse_float=D)
            if pred(data):
                return data

    return await asyncio.wait_for(loop(), timeout)


# ------------------------------------------------------------------ REST Level3
def test_level3_shows_a_placed_order_with_its_id_and_forgets_it_when_cancelled(exchange):
    a = exchange.add_account(name(), fund={"USD": "100000"})
    spot = Spot(exchange.url, a)
    price = _resting_bid_price(spot)
    before = int(exchange.ctx.clock() * 10**9)  # the exchange's clock (tests may move it)
    txid = spot.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": price, "volume": "0.0123"})["txid"][0]
    result = spot.ok("Level3", {"pair": "BTC/USD", "depth": 0}, json_body=True)
    assert result["pair"] == "BTC/USD"
    (mine,) = _order(txid, result["bids"])
    assert mine["price"] == XBTUSD.fmt_price(D(price)) and mine["qty"] == "0.01230000"
    assert before - 10**9 <= mine["timestamp"] <= int(exchange.ctx.clock() * 10**9) + 10**9  # integer nanoseconds
    # best first, and within a price level in queue (time) order: the new order is the last of its level
    prices = [D(o["price"]) for o in result["bids"]]
    assert prices == sorted(prices, reverse=True)
    level = [o for o in result["bids"] if o["price"] == mine["price"]]
    assert level[-1]["order_id"] == txid
    asks = [D(o["price"]) for o in result["asks"]]
    assert asks == sorted(asks) and asks[0] > prices[0]

    spot.ok("CancelOrder", {"txid": txid})
    after = spot.ok("Level3", {"pair": "XBTUSD", "depth": 0}, json_body=True)
    assert _order(txid, after["bids"]) == []


def test_level3_shows_only_the_visible_part_of_an_iceberg(exchange):
    a = exchange.add_account(name(), fund={"USD": "100000"})
    spot = Spot(exchange.url, a)
    txid = spot.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": _resting_bid_price(spot, "60"),
                                "volume": "0.05", "displayvol": "0.01"})["txid"][0]
    try:
        (mine,) = _order(txid, spot.ok("Level3", {"pair": "XBTUSD", "depth": 0}, json_body=True)["bids"])
        assert mine["qty"] == "0.01000000"
    finally:
        spot.ok("CancelOrder", {"txid": txid})


def test_level3_depth_counts_price_levels_and_the_book_matches_depth(exchange):
    pair = XBTUSD

    def both():  # in the exchange's loop thread: one instant of the book
        l3 = books.level3_rest(exchange.ctx, pair, "XBTUSD", {"depth": 10})
        l2 = rest_spot.pub_depth(exchange.ctx, {"pair": "XBTUSD", "count": 10})["XXBTZUSD"]
        return l3, l2

    l3, l2 = exchange.call(both)
    for side in ("bids", "asks"):
        summed: dict[str, D] = {}
        for o in l3[side]:
            summed[o["price"]] = summed.get(o["price"], D(0)) + D(o["qty"])
        assert len(summed) == 10
        assert [(p, q) for p, q in summed.items()] == [(p, D(v)) for p, v, _ in l2[side]]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"pair": "XBTUSD", "depth": 7}, "EGeneral:Invalid arguments:depth"),
        ({"depth": 10}, "EGeneral:Invalid arguments:pair"),
        ({"pair": "NOPEUSD"}, "EQuery:Unknown asset pair"),
    ],
)
def test_level3_refuses_bad_arguments(exchange, params, error):
    spot = Spot(exchange.url, exchange.add_account(name()))
    assert spot.error("Level3", params, json_body=True) == [error]


def test_level3_needs_the_query_orders_permission(exchange):
    spot = Spot(exchange.url, exchange.add_account(name(), permissions=["query_funds"]))
    assert spot.error("Level3", {"pair": "XBTUSD"}, json_body=True) == ["EGeneral:Permission denied"]


# ------------------------------------------------------------------ GroupedBook
def test_grouped_book_folds_the_depth_levels_into_groups(exchange):
    pair = XBTUSD
    size = pair.tick_size * 100

    def both():
        grouped = books.grouped_book(exchange.ctx, pair, "BTC/USD", {"depth": "10", "grouping": "100"})
        l2 = rest_spot.pub_depth(exchange.ctx, {"pair": "XBTUSD", "count": 500})["XXBTZUSD"]
        return grouped, l2

    grouped, l2 = exchange.call(both)
    assert grouped["pair"] == "BTC/USD" and grouped["grouping"] == 100
    for side, rounding in (("bids", "floor"), ("asks", "ceil")):
        expected: dict[D, D] = {}
        for price, qty, _ in l2[side]:
            q = D(price) / size
            group = (q.to_integral_value(rounding=ROUND_FLOOR) if rounding == "floor" else -((-q).to_integral_value(rounding=ROUND_FLOOR))) * size
            expected[group] = expected.get(group, D(0)) + D(qty)
        levels = grouped[side]
        assert len(levels) == 10
        for level in levels:
            assert D(level["price"]) % size == 0
            assert D(level["qty"]) == expected[D(level["price"])]
        prices = [D(lv["price"]) for lv in levels]
        assert prices == sorted(prices, reverse=(side == "bids"))


def test_grouped_book_over_http_with_defaults_and_errors(exchange):
    spot = Spot(exchange.url)
    r = spot.public("GroupedBook", pair="XBTUSD")["result"]
    assert r["pair"] == "XXBTZUSD" and r["grouping"] == 1  # the result key Kraken uses for this name and len(r["bids"]) == 10 and set(r["bids"][0]) == {"price", "qty"}
    assert spot.public("GroupedBook", pair="XBTUSD", depth=7)["error"] == ["EGeneral:Invalid arguments:depth"]
    assert spot.public("GroupedBook", pair="XBTUSD", grouping=3)["error"] == ["EGeneral:Invalid arguments:grouping"]
    assert spot.public("GroupedBook", pair="NOPEUSD")["error"] == ["EQuery:Unknown asset pair"]


# ------------------------------------------------------------------ CreditLines, rebase_multiplier
def test_credit_lines_of_an_account_without_one_is_null(exchange):
    spot = Spot(exchange.url, exchange.add_account(name()))
    assert spot.private("CreditLines") == {"error": [], "result": None}


@pytest.mark.parametrize("endpoint", ["Balance", "BalanceEx", "TradeBalance", "CreditLines"])
def test_balance_endpoints_take_rebase_multiplier(exchange, endpoint):
    spot = Spot(exchange.url, exchange.add_account(name(), fund={"USD": "10"}))
    plain = spot.ok(endpoint)
    assert spot.ok(endpoint, {"rebase_multiplier": "rebased"}) == plain
    assert spot.ok(endpoint, {"rebase_multiplier": "base"}) == plain  # local xStocks: multiplier 1
    assert spot.error(endpoint, {"rebase_multiplier": "tokens"}) == ["EGeneral:Invalid arguments:rebase_multiplier"]


# ------------------------------------------------------------------ WebSocket level3
async def test_level3_channel_snapshot_add_and_delete_with_valid_checksums(exchange):
    a = exchange.add_account(name(), fund={"USD": "100000"})
    spot = Spot(exchange.url, a)
    token = spot.ok("GetWebSocketsToken")["token"]
    book = Level3Book("BTC/USD", depth=100, price_decimals=XBTUSD.pair_decimals, qty_decimals=XBTUSD.lot_decimals)
    checked = []

    def apply(message):
        for item in message["data"]:
            checked.append(book.apply(item, snapshot=message["type"] == "snapshot"))

    async with aiohttp.ClientSession() as s, s.ws_connect(_l3_ws(exchange)) as ws:
        status = await _recv(ws, lambda d: d.get("channel") == "status")
        assert status["data"][0]["api_version"] == "v2"
        await ws.send_str(json.dumps({"method": "subscribe", "req_id": 1, "params": {"channel": "level3", "symbol": ["BTC/USD"], "depth": 100, "token": token}}))
        ack = await _recv(ws, lambda d: d.get("method") == "subscribe")
        assert ack["success"] and ack["result"] == {"channel": "level3", "depth": 100, "snapshot": True, "symbol": "BTC/USD"}
        snap = await _recv(ws, lambda d: d.get("channel") == "level3")
        assert snap["type"] == "snapshot"
        order = snap["data"][0]["bids"][0]
        assert set(order) == {"order_id", "limit_price", "order_qty", "timestamp"} and order["timestamp"].endswith("Z")
        apply(snap)

        price = await asyncio.to_thread(_resting_bid_price, spot)
        txid = (await asyncio.to_thread(spot.ok, "AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": price, "volume": "0.0107"}))["txid"][0]

        def has_event(d, event):
            if d.get("channel") != "level3":
                return False
            apply(d)
            return any(o.get("event") == event and o["order_id"] == txid for o in d["data"][0]["bids"])

        added = await _recv(ws, lambda d: has_event(d, "add"))
        (item,) = [o for o in added["data"][0]["bids"] if o["order_id"] == txid]
        assert item["limit_price"] == D(price) and item["order_qty"] == D("0.0107")
        assert txid in book and book.order(txid)["order_qty"] == D("0.0107")

        await asyncio.to_thread(spot.ok, "CancelOrder", {"txid": txid})
        await _recv(ws, lambda d: has_event(d, "delete"))
        assert txid not in book
        assert checked and all(checked), checked  # every snapshot and update checksum held

        await ws.send_str(json.dumps({"method": "unsubscribe", "req_id": 2, "params": {"channel": "level3", "symbol": ["BTC/USD"], "depth": 100, "token": token}}))
        assert (await _recv(ws, lambda d: d.get("req_id") == 2))["success"] is True


async def test_level3_channel_refuses_what_kraken_refuses(exchange):
    a = exchange.add_account(name())
    token = Spot(exchange.url, a).ok("GetWebSocketsToken")["token"]
    async with aiohttp.ClientSession() as s, s.ws_connect(_l3_ws(exchange)) as ws:
        cases = [
            ({"channel": "level3", "symbol": ["BTC/USD"]}, "EGeneral:Invalid arguments:token"),
            ({"channel": "level3", "symbol": ["BTC/USD"], "token": "nope"}, "EAPI:Invalid token"),
            ({"channel": "level3", "symbol": ["BTC/USD"], "token": [token]}, "EGeneral:Invalid arguments:token"),  # junk, not a crash
            ({"channel": "level3", "symbol": ["BTC/USD"], "depth": 25, "token": token}, "EGeneral:Invalid arguments:depth"),
            ({"channel": "level3", "symbol": ["FOO/BAR"], "token": token}, "Currency pair not supported FOO/BAR"),
            ({"channel": "book", "symbol": ["BTC/USD"], "token": token}, "Channel book not found"),
        ]
        for n, (params, error) in enumerate(cases, 10):
            await ws.send_str(json.dumps({"method": "subscribe", "req_id": n, "params": params}))
            reply = await _recv(ws, lambda d, n=n: d.get("req_id") == n)
            assert reply["success"] is False and reply["error"] == error
        await ws.send_str(json.dumps({"method": "ping", "req_id": 99}))
        assert (await _recv(ws, lambda d: d.get("req_id") == 99))["method"] == "pong"
