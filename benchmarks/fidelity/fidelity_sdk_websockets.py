"""Fidelity check: python-kraken-sdk's own WebSocket clients (unmodified code) against a local exchange.

Not a test (pytest never collects it: python-kraken-sdk is never a dependency). Run with a
scratch venv::

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1
    /tmp/refvenv/bin/python benchmarks/fidelity/fidelity_sdk_websockets.py [--kraken-ops PATH] [--seconds N]

It starts ``kraken-ops exchange serve --port 0`` on a temporary state (see _harness.py) and runs:

- ``SpotWSClient`` (public, private, and a second private client for ``level3``): every
  channel of ``public_channel_names`` and ``private_channel_names`` (subscribe ack, then data),
  unsubscribe, ping, and every method of ``private_methods`` (add_order, amend_order,
  edit_order, cancel_order, cancel_all, cancel_all_orders_after, batch_add, batch_cancel).
  Pointed at the exchange by its own arguments: ``rest_url``, ``ws_url`` = ``ws://HOST:PORT/ws``
  and ``auth_ws_url`` = ``ws://HOST:PORT/ws-auth`` (or ``/ws-l3`` for level3); it appends ``/v2``.
- ``SpotOrderBookClient`` at depths 10, 25 and 100: the book it keeps, every checksum it
  verifies. Its constructor takes no URL, so the class attributes ``SpotOrderBookClient.WS_URL``
  and ``SpotClient.URL`` (for the ``Market()`` it builds) are set.
- ``FuturesWSClient``: it takes ``url`` without a scheme and always connects to
  ``wss://`` + url (kraken/futures/websocket/__init__.py, ``connect(f"wss://{endpoint}")``).
  First it is run as shipped against the plain ``ws://`` server, to record what happens;
  then ``connect`` in that module is wrapped to use ``ws://`` for the loopback URL (the only
  change) and every feed of ``get_available_public_subscription_feeds`` and
  ``get_available_private_subscription_feeds`` is subscribed, with orders placed through
  ``kraken.futures.Trade`` so the private feeds carry updates.

Exit status 0 when every step passed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Steps, start_exchange, stop_exchange  # noqa: E402

import kraken.futures.websocket as futures_ws_module  # noqa: E402
from kraken.futures import FuturesWSClient  # noqa: E402
from kraken.futures import Market as FuturesMarket  # noqa: E402
from kraken.futures import Trade as FuturesTrade  # noqa: E402
from kraken.spot import SpotOrderBookClient, SpotWSClient  # noqa: E402
from kraken.spot import Market as SpotMarket  # noqa: E402
from kraken.base_api import SpotClient  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Inbox:
    """The messages a client's callback received, with waiting helpers."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: Any) -> None:
        if isinstance(message, dict):
            self.messages.append(message)

    async def wait(self, pred: Any, seconds: float, start: int = 0) -> dict[str, Any]:
        """The first message from index ``start`` on that ``pred`` accepts."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for m in self.messages[start:]:
                if pred(m):
                    return m
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no matching message in {seconds} s (of {len(self.messages)})")


NOTES: list[str] = []


def note(text: str) -> None:
    """A documented observation, not a counted step."""
    NOTES.append(text)
    print(f"note {text}", flush=True)


async def step(steps: Steps, name: str, coro: Any, check: Any = None) -> Any:
    try:
        value = await coro
    except Exception as exc:  # noqa: BLE001 - every failure is a result
        steps.fail(name, exc)
        return None
    return steps.run(name, lambda: value, check)


# ---------------------------------------------------------------------------------------------
# Spot


async def spot_ws(steps: Steps, url: str, key: str, secret: str, seconds: float) -> None:
    ws = url.replace("http://", "ws://")
    pub_in, priv_in, l3_in = Inbox(), Inbox(), Inbox()
    public = SpotWSClient(callback=pub_in, rest_url=url, ws_url=ws + "/ws", auth_ws_url=ws + "/ws-auth")
    private = SpotWSClient(key=key, secret=secret, callback=priv_in, rest_url=url,
                           ws_url=ws + "/ws", auth_ws_url=ws + "/ws-auth", no_public=True)
    level3 = SpotWSClient(key=key, secret=secret, callback=l3_in, rest_url=url,
                          ws_url=ws + "/ws", auth_ws_url=ws + "/ws-l3", no_public=True)
    for c in (public, private, level3):
        await c.start()
    try:
        await spot_public(steps, public, pub_in, seconds)
        await spot_private(steps, private, priv_in, url, key, secret, seconds)
        await step(steps, "SpotWSClient level3: ack", _sub_ack(level3, l3_in, "level3",
                   {"channel": "level3", "symbol": ["BTC/USD"]}, seconds))
        await step(steps, "SpotWSClient level3: snapshot with orders and checksum",
                   l3_in.wait(lambda m: m.get("channel") == "level3" and m.get("type") == "snapshot", seconds),
                   lambda m: m["data"][0]["bids"] and m["data"][0]["asks"] and "checksum" in m["data"][0])
        steps.run("SpotWSClient: no exception in any client",
                  lambda: [c.exception_occur for c in (public, private, level3)], lambda r: r == [False] * 3)
    finally:
        for c in (public, private, level3):
            await c.close()


async def _sub_ack(client: SpotWSClient, inbox: Inbox, channel: str, params: dict[str, Any], seconds: float,
                   method: str = "subscribe") -> dict[str, Any]:
    await (client.subscribe if method == "subscribe" else client.unsubscribe)(params=params)
    return await inbox.wait(lambda m: m.get("method") == method and (m.get("result") or {}).get("channel") == channel
                            and m.get("success") is True, seconds)


async def spot_public(steps: Steps, client: SpotWSClient, inbox: Inbox, seconds: float) -> None:
    subs = {
        "ticker": {"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]},
        "book": {"channel": "book", "symbol": ["BTC/USD"], "depth": 10},
        "trade": {"channel": "trade", "symbol": ["BTC/USD"]},
        "ohlc": {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 1},
        "instrument": {"channel": "instrument"},
    }
    steps.run("SpotWSClient.public_channel_names", lambda: client.public_channel_names,
              lambda n: sorted(n) == sorted(subs))
    await step(steps, "SpotWSClient status message",
               inbox.wait(lambda m: m.get("channel") == "status", seconds), lambda m: m["data"][0]["system"] == "online")
    for channel, params in subs.items():
        await step(steps, f"SpotWSClient subscribe {channel}: ack", _sub_ack(client, inbox, channel, params, seconds))
        await step(steps, f"SpotWSClient {channel}: data",
                   inbox.wait(lambda m, c=channel: m.get("channel") == c and m.get("data"), seconds),
                   lambda m: len(m["data"]) > 0)
    steps.run("SpotWSClient.active_public_subscriptions", lambda: client.active_public_subscriptions,
              lambda s: {x["channel"] for x in s} >= set(subs))
    await step(steps, "SpotWSClient unsubscribe ticker: ack",
               _sub_ack(client, inbox, "ticker", {"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]}, seconds,
                        method="unsubscribe"))
    await client.send_message({"method": "ping", "req_id": 901})
    await step(steps, "SpotWSClient ping -> pong",
               inbox.wait(lambda m: m.get("method") == "pong" and m.get("req_id") == 901, seconds))
    await step(steps, "SpotWSClient heartbeat", inbox.wait(lambda m: m.get("channel") == "heartbeat", seconds))


async def spot_private(steps: Steps, client: SpotWSClient, inbox: Inbox, url: str, key: str, secret: str,
                       seconds: float) -> None:
    steps.run("SpotWSClient.private_channel_names", lambda: client.private_channel_names,
              lambda n: sorted(n) == ["balances", "executions", "level3"])
    await step(steps, "SpotWSClient subscribe executions: ack",
               _sub_ack(client, inbox, "executions", {"channel": "executions", "snap_orders": True,
                                                      "snap_trades": True}, seconds))
    await step(steps, "SpotWSClient executions: snapshot",
               inbox.wait(lambda m: m.get("channel") == "executions" and m.get("type") == "snapshot", seconds))
    await step(steps, "SpotWSClient subscribe balances: ack",
               _sub_ack(client, inbox, "balances", {"channel": "balances"}, seconds))
    await step(steps, "SpotWSClient balances: snapshot",
               inbox.wait(lambda m: m.get("channel") == "balances" and m.get("type") == "snapshot", seconds),
               lambda m: any(b["asset"] == "USD" for b in m["data"]))
    steps.run("SpotWSClient.private_methods", lambda: client.private_methods,
              lambda n: len(n) == 8)

    async def call(method: str, params: dict[str, Any], req_id: int) -> dict[str, Any]:
        await client.send_message({"method": method, "params": params, "req_id": req_id})
        answer = await inbox.wait(lambda m: m.get("req_id") == req_id and m.get("method") == method, seconds)
        if answer.get("success") is not True:
            raise AssertionError(f"{method} answered {answer}")
        return answer

    ticker = SpotMarket(url=url).get_ticker(pair="XBTUSD")
    best_bid = float(next(iter(ticker.values()))["b"][0])
    far = round(best_bid * 0.8, 1)
    added = await step(steps, "SpotWSClient add_order", call("add_order", {
        "order_type": "limit", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD", "limit_price": far,
        "order_userref": 501}, 1), lambda m: m["result"]["order_id"])
    oid = added["result"]["order_id"] if added else ""
    await step(steps, "SpotWSClient executions: update for the new order",
               inbox.wait(lambda m: m.get("channel") == "executions" and m.get("type") == "update"
                          and any(e.get("order_id") == oid for e in m["data"]), seconds))
    await step(steps, "SpotWSClient amend_order", call("amend_order", {"order_id": oid, "order_qty": 0.02}, 2),
               lambda m: m["result"]["order_id"] == oid)
    edited = await step(steps, "SpotWSClient edit_order", call("edit_order", {
        "order_id": oid, "symbol": "BTC/USD", "order_qty": 0.03, "limit_price": far - 1}, 3),
        lambda m: m["result"]["order_id"] and m["result"]["original_order_id"] == oid)
    new_id = edited["result"]["order_id"] if edited else oid
    await step(steps, "SpotWSClient cancel_order", call("cancel_order", {"order_id": [new_id]}, 4))
    batch = await step(steps, "SpotWSClient batch_add", call("batch_add", {"symbol": "BTC/USD", "orders": [
        {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": far},
        {"order_type": "limit", "side": "buy", "order_qty": 0.02, "limit_price": far}]}, 5),
        lambda m: len(m["result"]) == 2)
    ids = [o["order_id"] for o in batch["result"]] if batch else []
    await step(steps, "SpotWSClient batch_cancel", call("batch_cancel", {"orders": ids}, 6))
    await step(steps, "SpotWSClient cancel_all_orders_after(60)", call("cancel_all_orders_after", {"timeout": 60}, 7),
               lambda m: m["result"]["triggerTime"] != "0")
    await step(steps, "SpotWSClient cancel_all_orders_after(0)", call("cancel_all_orders_after", {"timeout": 0}, 8))
    await call("add_order", {"order_type": "limit", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD",
                             "limit_price": far}, 9)
    await step(steps, "SpotWSClient cancel_all", call("cancel_all", {}, 10), lambda m: m["result"]["count"] >= 1)
    await call("add_order", {"order_type": "market", "side": "buy", "order_qty": 0.001, "symbol": "BTC/USD"}, 11)
    await step(steps, "SpotWSClient balances: update after a market order",
               inbox.wait(lambda m: m.get("channel") == "balances" and m.get("type") == "update", seconds))
    steps.run("SpotWSClient.active_private_subscriptions", lambda: client.active_private_subscriptions,
              lambda s: {x["channel"] for x in s} >= {"executions", "balances"})


async def spot_orderbook(steps: Steps, url: str, seconds: float) -> None:
    ws = url.replace("http://", "ws://")
    SpotClient.URL = url                      # SpotOrderBookClient builds Market() without url=
    SpotOrderBookClient.WS_URL = ws + "/ws"   # ... and takes no URL itself

    for depth in (10, 25, 100):
        counts: dict[str, int] = {}
        errors: list[Any] = []

        class Book(SpotOrderBookClient):
            async def on_book_update(self, pair: str, message: dict) -> None:
                if "error" in message:
                    errors.append(message)
                else:
                    counts[pair] = counts.get(pair, 0) + 1

        book = Book(depth=depth)
        await book.start()
        await book.add_book(pairs=["BTC/USD", "ETH/USD"])
        await asyncio.sleep(seconds)
        snapshot = book.get("BTC/USD")
        await book.remove_book(pairs=["ETH/USD"])
        await asyncio.sleep(0.5)
        gone = book.get("ETH/USD")
        await book.close()
        steps.run(f"SpotOrderBookClient depth={depth}: updates for both pairs", lambda: dict(counts),
                  lambda c: all(c.get(p, 0) > 3 for p in ("BTC/USD", "ETH/USD")))
        steps.run(f"SpotOrderBookClient depth={depth}: every checksum valid", lambda: errors, lambda e: e == [])
        steps.run(f"SpotOrderBookClient depth={depth}: book of {depth} levels, best bid < best ask",
                  lambda: (len(snapshot["ask"]), len(snapshot["bid"]),
                           float(next(iter(snapshot["bid"]))) < float(next(iter(snapshot["ask"])))) if snapshot else None,
                  lambda r: r == (depth, depth, True))
        steps.run(f"SpotOrderBookClient depth={depth}: remove_book drops the pair", lambda: gone, lambda g: g is None)


# ---------------------------------------------------------------------------------------------
# Futures


async def futures_unpatched(steps: Steps, url: str, seconds: float) -> None:
    """FuturesWSClient as shipped: it can only speak wss://, the exchange serves ws://."""
    inbox = Inbox()
    client = FuturesWSClient(url=url.replace("http://", "") + "/ws/v1", callback=inbox)
    logging.getLogger("kraken.futures.websocket").setLevel(logging.CRITICAL)
    try:
        await asyncio.wait_for(client.start(), seconds)
        outcome = "connected"
    except TimeoutError:
        outcome = f"start() did not return in {seconds} s"
    await asyncio.sleep(1.0)
    errors = [m for m in inbox.messages if "python-kraken-sdk" in m]
    note(f"FuturesWSClient as shipped (wss:// only): {outcome}; the TLS handshake against the plain ws:// "
         f"server fails (SSL WRONG_VERSION_NUMBER) and the client reconnects with back-off; its callback got "
         f"{errors[:1]}, exception_occur={client.exception_occur}")
    try:
        await asyncio.wait_for(client.close(), 5)
    except Exception:  # noqa: BLE001 - a stuck client is part of what is recorded
        pass


def patch_futures_scheme(url: str) -> None:
    """Make ``connect(f"wss://{endpoint}")`` of kraken.futures.websocket use ws:// for ``url``'s host."""
    host = url.replace("http://", "")
    original = futures_ws_module.connect

    def connect(uri: str, *args: Any, **kwargs: Any) -> Any:
        if uri.startswith("wss://" + host):
            uri = "ws://" + uri[len("wss://"):]
        return original(uri, *args, **kwargs)

    futures_ws_module.connect = connect


async def futures_ws(steps: Steps, url: str, key: str, secret: str, seconds: float) -> None:
    patch_futures_scheme(url)
    endpoint = url.replace("http://", "") + "/ws/v1"
    pub_in, priv_in = Inbox(), Inbox()
    public = FuturesWSClient(url=endpoint, callback=pub_in)
    private = FuturesWSClient(key=key, secret=secret, url=endpoint, callback=priv_in)
    sym = "PF_XBTUSD"
    await step(steps, "FuturesWSClient.start (public, ws:// patched)", asyncio.wait_for(public.start(), seconds))
    await step(steps, "FuturesWSClient.start (private, ws:// patched)", asyncio.wait_for(private.start(), seconds))
    try:
        feeds = public.get_available_public_subscription_feeds()
        for feed in feeds:
            products = None if feed == "heartbeat" else [sym]
            await public.subscribe(feed=feed, products=products)
            await step(steps, f"FuturesWSClient subscribe {feed}: subscribed",
                       pub_in.wait(lambda m, f=feed: m.get("event") == "subscribed" and m.get("feed") == f, seconds))
            data_feeds = {"book": "book_snapshot", "trade": "trade_snapshot"}.get(feed, feed)
            await step(steps, f"FuturesWSClient {feed}: data",
                       pub_in.wait(lambda m, f=data_feeds: m.get("feed") == f and "event" not in m, seconds))
        steps.run("FuturesWSClient.get_active_subscriptions", public.get_active_subscriptions,
                  lambda s: {x["feed"] for x in s} >= set(feeds))
        await public.unsubscribe(feed="ticker", products=[sym])
        await step(steps, "FuturesWSClient unsubscribe ticker: unsubscribed",
                   pub_in.wait(lambda m: m.get("event") == "unsubscribed" and m.get("feed") == "ticker", seconds))

        private_feeds = private.get_available_private_subscription_feeds()
        not_documented = {"deposits_withdrawals", "account_balances_and_margins"}
        for feed in private_feeds:
            start = len(priv_in.messages)
            await private.subscribe(feed=feed)
            answered = priv_in.wait(lambda m, f=feed: (m.get("feed") == f and m.get("event") in (
                "subscribed", "subscribed_failed")) or m.get("event") in ("error", "alert"), seconds, start)
            if feed in not_documented:
                try:
                    note(f"FuturesWSClient {feed}: not a feed of Kraken's Futures WebSocket documentation; "
                         f"the exchange answers {await answered}")
                except TimeoutError as exc:
                    note(f"FuturesWSClient {feed}: no answer ({exc})")
                continue
            answer = await step(steps, f"FuturesWSClient subscribe {feed}: answer", answered)
            steps.run(f"FuturesWSClient {feed}: subscribed", lambda a=answer: a, lambda a: a and a["event"] == "subscribed")
            if feed != "notifications_auth":
                snap = {"open_positions": "open_positions", "balances": "balances_snapshot"}.get(feed, feed + "_snapshot")
                await step(steps, f"FuturesWSClient {feed}: snapshot",
                           priv_in.wait(lambda m, s=snap: m.get("feed") == s, seconds))
        trade = FuturesTrade(key=key, secret=secret, url=url)
        mark = float(FuturesMarket(url=url).get_tickers()["tickers"][0]["markPrice"])
        far = round(mark * 0.8)
        placed = trade.create_order(orderType="lmt", side="buy", size=0.01, symbol=sym, limitPrice=far)
        oid = placed["sendStatus"]["order_id"]
        await step(steps, "FuturesWSClient open_orders: the new order",
                   priv_in.wait(lambda m: m.get("feed") == "open_orders" and (m.get("order") or {}).get("order_id") == oid,
                                seconds))
        await step(steps, "FuturesWSClient open_orders_verbose: the new order",
                   priv_in.wait(lambda m: m.get("feed") == "open_orders_verbose"
                                and (m.get("order") or {}).get("order_id") == oid, seconds))
        trade.cancel_order(order_id=oid)
        await step(steps, "FuturesWSClient open_orders: the cancel",
                   priv_in.wait(lambda m: m.get("feed") == "open_orders" and m.get("order_id") == oid
                                and m.get("is_cancel") is True, seconds))
        filled = trade.create_order(orderType="mkt", side="buy", size=0.01, symbol=sym)
        fid = filled["sendStatus"]["order_id"]
        await step(steps, "FuturesWSClient fills: the market order's fill",
                   priv_in.wait(lambda m: m.get("feed") == "fills"
                                and any(f.get("order_id") == fid for f in m.get("fills", [])), seconds))
        await step(steps, "FuturesWSClient open_positions: the new position",
                   priv_in.wait(lambda m: m.get("feed") == "open_positions"
                                and any(p.get("instrument") == sym and p.get("balance") for p in m.get("positions", [])),
                                seconds))
        await step(steps, "FuturesWSClient account_log: new entry",
                   priv_in.wait(lambda m: m.get("feed") == "account_log" and m.get("new_entry"), seconds))
        await step(steps, "FuturesWSClient balances: update",
                   priv_in.wait(lambda m: m.get("feed") == "balances" and "flex_futures" in m, seconds))
        trade.create_order(orderType="mkt", side="sell", size=0.01, symbol=sym, reduceOnly=True)
        steps.run("FuturesWSClient: no exception in either client",
                  lambda: [public.exception_occur, private.exception_occur], lambda r: r == [False, False])
    finally:
        for c in (public, private):
            await c.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kraken-ops", default=os.path.join(ROOT, ".venv", "bin", "kraken-ops"))
    ap.add_argument("--seconds", type=float, default=6.0, help="wait for each message at most this long")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING if args.verbose else logging.CRITICAL)
    proc, url, accounts, state = start_exchange(args.kraken_ops, ["sdk-ws"])
    acct = accounts["sdk-ws"]
    print(f"local exchange at {url}", flush=True)
    steps = Steps("python-kraken-sdk WebSocket clients", verbose=args.verbose)
    try:
        asyncio.run(spot_ws(steps, url, acct["spot"]["key"], acct["spot"]["secret"], args.seconds))
        asyncio.run(spot_orderbook(steps, url, min(args.seconds, 4.0)))
        asyncio.run(futures_unpatched(steps, url, 12.0))
        asyncio.run(futures_ws(steps, url, acct["futures"]["key"], acct["futures"]["secret"], args.seconds))
    finally:
        stop_exchange(proc, state)
    code = steps.summary()
    for text in NOTES:
        print(f"  NOTE {text}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
