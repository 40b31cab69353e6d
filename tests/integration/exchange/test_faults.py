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
