"""Regression tests from the fidelity runs of third-party clients (benchmarks/fidelity/).

Each test sends the exact request shape one client sends (parameter names and order,
encodings, nonce format, Content-Type, JSON separators), copied from
python-kraken-sdk 3.5.1, ccxt 4.5.90 and krakenex 2.2.2; the clients themselves are
never imported. See the "Fidelity" section of docs/exchange.md.
"""

import asyncio
import json
import re
import threading
import time
import zlib
from decimal import Decimal as D
from urllib.parse import urlencode

import aiohttp
import requests
from helpers import Spot, name

from kraken_ops.exchange.auth import spot_signature

SDK_FORM = "application/x-www-form-urlencoded; charset=utf-8"
SDK_JSON = "application/json; charset=utf-8"
SDK_UA = {"User-Agent": "btschwertfeger/python-kraken-sdk"}
_nonce_lock = threading.Lock()
_last_nonce = [0]


def sdk_nonce() -> str:
    """python-kraken-sdk: ``str(int(time.time() * 100_000_000))``, made unique for parallel use."""
    with _nonce_lock:
        n = max(int(time.time() * 100_000_000), _last_nonce[0] + 1)
        _last_nonce[0] = n
        return str(n)


def ms_nonce() -> str:
    """ccxt (``milliseconds()``) and krakenex (``int(1000 * time.time())``)."""
    with _nonce_lock:
        n = max(int(time.time() * 1000), _last_nonce[0] + 1)
        _last_nonce[0] = n
        return str(n)


def send(url, account, method, body: str, nonce: str, content_type: str, headers=None) -> dict:
    """POST ``body`` as is, signed like every client does (path + SHA256(nonce + body))."""
    path = f"/0/private/{method}"
    h = {"API-Key": account.spot_key, "API-Sign": spot_signature(account.spot_secret, path, nonce, body.encode()),
         "Content-Type": content_type, **(headers or {})}
    r = requests.post(url + path, data=body.encode(), headers=h, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def ok(answer: dict):
    assert answer["error"] == [], answer
    return answer["result"]


def far_bid(exchange) -> str:
    bid = D(Spot(exchange.url).public("Ticker", pair="XBTUSD")["result"]["XXBTZUSD"]["b"][0])
    return str((bid * D("0.8")).quantize(D("0.1")))


def crc(asks, bids, price_decimals: int, qty_decimals: int) -> int:
    """Kraken's v2 book checksum (kraken-protocol.md §4.6), written here independently."""
    def tok(v, d):
        return format(D(str(v)), f".{d}f").replace(".", "").lstrip("0")
    s = "".join(tok(p, price_decimals) + tok(q, qty_decimals) for p, q in asks[:10])
    s += "".join(tok(p, price_decimals) + tok(q, qty_decimals) for p, q in bids[:10])
    return zlib.crc32(s.encode()) & 0xFFFFFFFF


# -- python-kraken-sdk ----------------------------------------------------------------------


def test_python_kraken_sdk_add_order_form_with_its_defaults_then_cancel_by_userref(exchange):
    acct = exchange.add_account(name("sdk"), fund={"USD": "100000"})
    price = far_bid(exchange)
    n = sdk_nonce()
    # Trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price=...,
    # oflags=["post"], userref=42, timeinforce="GTC"): defaults stptype/starttm/validate/reduce_only
    # always present, booleans as "False", nonce appended last
    body = urlencode({"ordertype": "limit", "type": "buy", "pair": "XBTUSD", "volume": "0.01",
                      "stptype": "cancel-newest", "starttm": "0", "validate": False, "reduce_only": False,
                      "price": price, "timeinforce": "GTC", "oflags": "post", "userref": 42, "nonce": n},
                     doseq=True)
    res = ok(send(exchange.url, acct, "AddOrder", body, n, SDK_FORM, SDK_UA))
    assert len(res["txid"]) == 1 and res["descr"]["order"] == f"buy 0.01000000 XBTUSD @ limit {price}"
    # Trade.cancel_order(txid=42): a userref in place of a txid
    n = sdk_nonce()
    assert ok(send(exchange.url, acct, "CancelOrder", urlencode({"txid": 42, "nonce": n}), n, SDK_FORM,
                   SDK_UA)) == {"count": 1}


def test_python_kraken_sdk_batch_json_default_separators_and_string_nonce(exchange):
    acct = exchange.add_account(name("sdk"), fund={"USD": "100000"})
    price = far_bid(exchange)
    n = sdk_nonce()
    body = json.dumps({"orders": [{"ordertype": "limit", "type": "buy", "volume": "0.01", "price": price,
                                   "timeinforce": "GTC"},
                                  {"ordertype": "limit", "type": "buy", "volume": "0.02", "price": price,
                                   "oflags": "post", "userref": 7}],
                       "pair": "XBTUSD", "validate": False, "nonce": n})
    orders = ok(send(exchange.url, acct, "AddOrderBatch", body, n, SDK_JSON, SDK_UA))["orders"]
    assert len(orders) == 2 and all(o["txid"] for o in orders)
    n = sdk_nonce()
    body = json.dumps({"orders": [o["txid"] for o in orders], "nonce": n})
    assert ok(send(exchange.url, acct, "CancelOrderBatch", body, n, SDK_JSON, SDK_UA)) == {"count": 2}


# -- ccxt ------------------------------------------------------------------------------------


def test_ccxt_add_order_by_pair_id_then_amend_query_and_cancel_by_cl_ord_id(exchange):
    acct = exchange.add_account(name("ccxt"), fund={"USD": "100000"})
    price = far_bid(exchange)
    form = "application/x-www-form-urlencoded"  # ccxt: no charset
    # create_order("BTC/USD", "limit", "buy", 0.01, price, {"postOnly": True, "clientOrderId": "ccxt-abc"})
    n = ms_nonce()
    body = f"nonce={n}&pair=XXBTZUSD&type=buy&ordertype=limit&volume=0.01&cl_ord_id=ccxt-abc&price={price}&oflags=post"
    txid = ok(send(exchange.url, acct, "AddOrder", body, n, form))["txid"][0]
    # edit_order(...) -> AmendOrder, whose answer is only the amend id
    n = ms_nonce()
    body = f"nonce={n}&txid={txid}&order_qty=0.02&limit_price={price}"
    assert set(ok(send(exchange.url, acct, "AmendOrder", body, n, form))) == {"amend_id"}
    # fetch_order(txid): trades=True (Python's str(True)) before txid
    n = ms_nonce()
    order = ok(send(exchange.url, acct, "QueryOrders", f"nonce={n}&trades=True&txid={txid}", n, form))[txid]
    assert order["vol"] == "0.02000000" and order["cl_ord_id"] == "ccxt-abc" and order["oflags"] == "post"
    # cancel_order(None, params={"clientOrderId": "ccxt-abc"})
    n = ms_nonce()
    assert ok(send(exchange.url, acct, "CancelOrder", f"nonce={n}&cl_ord_id=ccxt-abc", n, form)) == {"count": 1}


def test_ccxt_batch_compact_json_with_pair_id_and_nonce_first(exchange):
    acct = exchange.add_account(name("ccxt"), fund={"USD": "100000"})
    price = far_bid(exchange)
    n = ms_nonce()
    body = (f'{{"nonce":"{n}","orders":[{{"type":"buy","ordertype":"limit","volume":"0.01","price":"{price}"}},'
            f'{{"type":"buy","ordertype":"limit","volume":"0.02","price":"{price}"}}],"pair":"XXBTZUSD"}}')
    orders = ok(send(exchange.url, acct, "AddOrderBatch", body, n, "application/json"))["orders"]
    assert len(orders) == 2
    n = ms_nonce()
    body = f'{{"nonce":"{n}","orders":["{orders[0]["txid"]}","{orders[1]["txid"]}"]}}'
    assert ok(send(exchange.url, acct, "CancelOrderBatch", body, n, "application/json")) == {"count": 2}


def test_ccxt_public_since_in_seconds_and_order_book_without_count(exchange):
    s = requests.Session()
    since = int(time.time()) - 3600
    ohlc = s.get(f"{exchange.url}/0/public/OHLC?pair=XXBTZUSD&interval=1&since={since}", timeout=10).json()
    assert ohlc["error"] == [] and all(row[0] > since for row in ohlc["result"]["XXBTZUSD"])
    trades = s.get(f"{exchange.url}/0/public/Trades?pair=XXBTZUSD&since={since}&count=10", timeout=10).json()
    assert trades["error"] == [] and 0 < len(trades["result"]["XXBTZUSD"]) <= 10
    # fetch_order_book(symbol) sends no count: Kraken's default is 100 levels a side
    book = s.get(f"{exchange.url}/0/public/Depth?pair=XXBTZUSD", timeout=10).json()["result"]["XXBTZUSD"]
    assert len(book["bids"]) == 100 and len(book["asks"]) == 100


# -- krakenex --------------------------------------------------------------------------------


def test_krakenex_form_post_built_by_requests_with_ms_nonce(exchange):
    acct = exchange.add_account(name("kx"), fund={"USD": "100000"})
    price = far_bid(exchange)
    # krakenex: data dict + nonce, signed over urlencode(data), sent by requests.post(data=data)
    data = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": price,
            "oflags": "post,fciq", "nonce": ms_nonce()}
    path = "/0/private/AddOrder"
    sig = spot_signature(acct.spot_secret, path, data["nonce"], urlencode(data).encode())
    r = requests.post(exchange.url + path, data=data, headers={"API-Key": acct.spot_key, "API-Sign": sig}, timeout=10)
    txid = ok(r.json())["txid"][0]
    n = ms_nonce()
    assert ok(send(exchange.url, acct, "CancelOrder", urlencode({"txid": txid, "nonce": n}), n,
                   "application/x-www-form-urlencoded")) == {"count": 1}


# -- WebSocket v2 book depth (fixed: the market maker's ladder had ~20 distinct levels) ----------


async def test_book_subscriptions_deliver_the_subscribed_depth_with_valid_checksums(exchange):
    pairs = Spot(exchange.url).public("AssetPairs", pair="BTC/USD,ETH/USD")["result"]
    decimals = {k: (v["pair_decimals"], v["lot_decimals"]) for k, v in pairs.items()}
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_public) as ws:
        # SpotOrderBookClient(depth=25).add_book(pairs=[...]) (no req_id); ccxt watch_order_book(s, 100) (req_id)
        await ws.send_str(json.dumps({"method": "subscribe",
                                      "params": {"channel": "book", "depth": 25, "symbol": ["BTC/USD"]}}))
        await ws.send_str(json.dumps({"method": "subscribe",
                                      "params": {"channel": "book", "symbol": ["ETH/USD"], "depth": 100},
                                      "req_id": 3}))
        snapshots = {}

        async def collect():
            while len(snapshots) < 2:
                msg = json.loads((await ws.receive()).data, parse_float=D)
                if msg.get("channel") == "book" and msg.get("type") == "snapshot":
                    snapshots[msg["data"][0]["symbol"]] = msg["data"][0]

        await asyncio.wait_for(collect(), 10)
    for symbol, depth in (("BTC/USD", 25), ("ETH/USD", 100)):
        snap = snapshots[symbol]
        assert len(snap["bids"]) == depth and len(snap["asks"]) == depth, symbol
        asks = [(lv["price"], lv["qty"]) for lv in snap["asks"]]
        bids = [(lv["price"], lv["qty"]) for lv in snap["bids"]]
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
        assert snap["checksum"] == crc(asks, bids, *decimals[symbol])


async def test_ccxt_ws_add_order_and_cancel_order_shapes(exchange):
    acct = exchange.add_account(name("ccxtws"), fund={"USD": "100000"})
    token = Spot(exchange.url, acct).ok("GetWebSocketsToken")["token"]
    price = float(far_bid(exchange))
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_private) as ws:
        # ccxt.pro create_order_ws: numeric order_qty / limit_price, token inside params, req_id
        await ws.send_str(json.dumps({"method": "add_order", "params": {
            "order_type": "limit", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD", "token": token,
            "limit_price": price}, "req_id": 1}))

        async def answer(method):
            while True:
                msg = json.loads((await ws.receive()).data)
                if msg.get("method") == method:
                    return msg

        added = await asyncio.wait_for(answer("add_order"), 5)
        assert added["success"] is True and added["req_id"] == 1
        order_id = added["result"]["order_id"]
        await ws.send_str(json.dumps({"method": "cancel_order",
                                      "params": {"order_id": [order_id], "token": token}, "req_id": 2}))
        cancelled = await asyncio.wait_for(answer("cancel_order"), 5)
        assert cancelled["success"] is True and cancelled["result"]["order_id"] == order_id


# -- EService:Throttled --------------------------------------------------------------------------


def test_too_many_concurrent_requests_on_one_key_are_throttled(exchange_factory):
    ex = exchange_factory(faults=["latency=400"])  # 200-600 ms in flight each
    ex.ctx.max_inflight_per_key = 3
    acct = ex.add_account(name("thr"), fund={"USD": "10"}, nonce_window=10**12)
    client = Spot(ex.url, acct)
    answers: list[list[str]] = []
    barrier = threading.Barrier(6)

    def call():
        barrier.wait()
        answers.append(client.private("Balance")["error"])

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    throttled = [e[0] for e in answers if e]
    assert len(answers) == 6 and 1 <= len(throttled) <= 3  # the first three are always admitted
    assert all(re.fullmatch(r"EService:Throttled: \d{10}", e) for e in throttled), throttled
    # once the others are answered, the key is free again
    assert client.private("Balance")["error"] == []
