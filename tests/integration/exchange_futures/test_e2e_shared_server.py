"""End to end on the shared ``exchange`` fixture (the full server: Spot and Futures together)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from decimal import Decimal as D
from urllib.parse import urlencode

import aiohttp

from .helpers import WS, FuturesAPI, loads

P = "/derivatives/api/v3"


async def spot_private(session, url, acct, method, params):
    nonce = str(time.time_ns())
    body = urlencode({**params, "nonce": nonce})
    path = f"/0/private/{method}"
    msg = path.encode() + hashlib.sha256((nonce + body).encode()).digest()
    sig = base64.b64encode(hmac.new(base64.b64decode(acct.spot_secret), msg, hashlib.sha512).digest()).decode()
    async with session.post(url + path, data=body, headers={
            "API-Key": acct.spot_key, "API-Sign": sig,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}) as r:
        return loads(await r.text())


async def test_spot_wallet_transfer_funds_futures_trading_and_withdrawal_returns(exchange, unique_name):
    acct = exchange.add_account(unique_name, fund={"USD": "20000"})
    async with aiohttp.ClientSession() as s:
        r = await spot_private(s, exchange.url, acct, "WalletTransfer",
                               {"asset": "USD", "from": "Spot Wallet", "to": "Futures Wallet", "amount": "5000"})
        assert r["error"] == [], r
        api = FuturesAPI(s, exchange.url, acct.futures_key, acct.futures_secret)
        flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
        assert flex["currencies"]["USD"]["quantity"] == 5000
        # the futures mark follows the spot index
        tick = {t["symbol"]: t for t in (await api.public(f"{P}/tickers"))["tickers"]}["PF_XBTUSD"]
        assert abs(tick["markPrice"] - tick["indexPrice"]) / tick["indexPrice"] < D("0.01")
        st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
        assert any(e["type"] == "EXECUTION" for e in st["orderEvents"])
        assert (await api.get(f"{P}/openpositions"))["openPositions"][0]["size"] == D("0.01")
        assert (await api.post(f"{P}/withdrawal", {"currency": "USD", "amount": "100",
                                                   "sourceWallet": "flex"}))["result"] == "success"
        bal = await spot_private(s, exchange.url, acct, "Balance", {})
        assert D(bal["result"]["ZUSD"]) == D(15100)


async def test_futures_websocket_on_the_shared_server(exchange, unique_name):
    acct = exchange.add_account(unique_name)
    async with aiohttp.ClientSession() as s:
        ws = WS(await s.ws_connect(exchange.ws_futures))
        assert await ws.recv() == {"event": "info", "version": 1}
        await ws.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_ETHUSD"]})
        assert (await ws.recv())["event"] == "subscribed"
        assert (await ws.recv())["feed"] == "book_snapshot"
        delta = await ws.until(lambda m: m.get("feed") == "book", timeout=5)  # driven by the 1 s background tick
        assert delta["product_id"] == "PF_ETHUSD"
        ack = await ws.auth_subscribe("balances", acct.futures_key, acct.futures_secret)
        assert ack["event"] == "subscribed"
        await ws.ws.close()
