"""Fault injection: latency, http-502, ws-drop, bad-checksum."""

import asyncio
import json
import time
from decimal import Decimal as D

import aiohttp
import pytest
import requests

from kraken_ops.exchange.server import parse_faults
from kraken_ops.exchange.ws_spot import book_checksum


def test_latency(exchange_factory):
    ex = exchange_factory(faults=["latency=200"])
    t = time.monotonic()
    requests.get(ex.url + "/0/public/Time", timeout=5)
    assert time.monotonic() - t >= 0.09


def test_http_502_html(exchange_factory):
    ex = exchange_factory(faults=["http-502=1"])
    r = requests.get(ex.url + "/0/public/Time", timeout=5)
    assert r.status_code == 502 and "text/html" in r.headers["Content-Type"] and "502 Bad Gateway" in r.text


def test_http_502_rate_is_deterministic(exchange_factory):
    codes = []
    for _ in range(2):
        ex = exchange_factory(faults=["http-502=0.5"], seed=3)
        codes.append([requests.get(ex.url + "/0/public/Time", timeout=5).status_code for _ in range(10)])
    assert codes[0] == codes[1] and 502 in codes[0] and 200 in codes[0]


async def test_ws_drop_closes_after_n_messages(exchange_factory):
    ex = exchange_factory(faults=["ws-drop=3"])
    got = 0
    async with aiohttp.ClientSession() as s, s.ws_connect(ex.ws_spot_public) as ws:
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "trade", "symbol": ["BTC/USD"]}}))
        while True:
            msg = await asyncio.wait_for(ws.receive(), 5)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            got += 1
    assert got == 3


async def test_bad_checksum(exchange_factory):
    ex = exchange_factory(faults=["bad-checksum=1"])
    async with aiohttp.ClientSession() as s, s.ws_connect(ex.ws_spot_public) as ws:
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD"]}}))
        while True:
            d = json.loads((await asyncio.wait_for(ws.receive(), 5)).data, parse_float=D)
            if d.get("channel") == "book":
                break
        item = d["data"][0]
        good = book_checksum([(x["price"], x["qty"]) for x in item["asks"]],
                             [(x["price"], x["qty"]) for x in item["bids"]], 1, 8)
        assert item["checksum"] != good


def test_parse_faults_rejects_bad_input():
    assert parse_faults(["ws-drop=5", "latency=10"])["ws_drop"] == 5
    for bad in (["nope=1"], ["latency"], ["http-502=2"], ["ws-drop=0"]):
        with pytest.raises(ValueError):
            parse_faults(bad)


def _add_order(client, cl_ord_id: str, timeout: float = 10):
    from urllib.parse import urlencode

    from kraken_ops.exchange.auth import spot_signature

    from helpers import next_nonce

    params = {"nonce": next_nonce(), "ordertype": "limit", "type": "buy", "volume": "0.01", "pair": "XBTUSD",
              "price": "1000", "cl_ord_id": cl_ord_id}
    body = urlencode(params).encode()
    path = "/0/private/AddOrder"
    headers = {"API-Key": client.account.spot_key, "Content-Type": "application/x-www-form-urlencoded",
               "API-Sign": spot_signature(client.account.spot_secret, path, str(params["nonce"]), body)}
    return requests.post(client.url + path, data=body, headers=headers, timeout=timeout)


def _orders_with(ex, account, cl_ord_id: str) -> list:
    rows = ex.db.query("SELECT data FROM orders WHERE account=?", (account.name,))
    return [r for r in rows if json.loads(r["data"]).get("cl_ord_id") == cl_ord_id]


def test_lost_response_commits_the_request_then_drops_the_connection(exchange_factory):
    from helpers import Spot

    ex = exchange_factory(faults=["lost-response=1"])
    account = ex.add_account("lost", fund={"ZUSD": "10000"})
    with pytest.raises(requests.ConnectionError):  # no HTTP answer at all: the connection is dropped
        _add_order(Spot(ex.url, account), "committed-1")
    assert len(_orders_with(ex, account, "committed-1")) == 1  # ... but the order was placed


def test_slow_response_answers_after_handling_so_a_short_timeout_misses_a_placed_order(exchange_factory):
    from helpers import Spot

    ex = exchange_factory(faults=["slow-response=1500"])
    account = ex.add_account("slow", fund={"ZUSD": "10000"})
    with pytest.raises(requests.Timeout):
        _add_order(Spot(ex.url, account), "slow-1", timeout=0.5)
    assert len(_orders_with(ex, account, "slow-1")) == 1
    answer = _add_order(Spot(ex.url, account), "slow-2", timeout=10)  # a patient client gets the answer
    assert answer.status_code == 200 and answer.json()["result"]["txid"]


def test_parse_faults_knows_the_lost_and_slow_response_faults():
    faults = parse_faults(["lost-response=0.3", "slow-response=2000"])
    assert (faults["lost_response"], faults["slow_response_ms"]) == (0.3, 2000)
    for bad in (["lost-response=1.5"], ["slow-response=-1"], ["lost-response=x"]):
        with pytest.raises(ValueError):
            parse_faults(bad)
