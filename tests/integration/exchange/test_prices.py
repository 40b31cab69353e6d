"""Price sources of the market maker: ``--prices synthetic|live|replay:FILE``.

The recorded feed ``tests/fixtures/kraken-public-feed.ndjson`` holds Kraken WebSocket v2
public messages (status, subscribe acks, one rejected symbol, ticker and book snapshots
and updates, a heartbeat) over 1.2 s. Its final BTC/USD book has best bid 105234.2 and
best ask 105234.9 (0.75); ETH/USD has only a ticker (2612.41 / 2612.42); AAPLx/USD a
ticker and a 5-level book (203.18 / 203.41). No test reaches the network.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from helpers import Spot

from kraken_ops.exchange.prices import PriceFeedError, ReplayFeed, make_feed, read_recording

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "kraken-public-feed.ndjson"
ROOT = Path(__file__).resolve().parents[3]
D = Decimal


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def replay_finished(server: Any) -> bool:
    feed = server.ctx.simulation.feed
    return feed.done and server.ctx.simulation.steps > 0


@pytest.fixture
def replayed(exchange_factory: Any) -> Any:
    server = exchange_factory(prices=f"replay:{FIXTURE}")
    c = Spot(server.url)
    def settled() -> bool:
        # the whole recording is applied, and a market step after the crowd's last trade
        # (one per move of Kraken's tape) has requoted the full replayed top of book
        top = c.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]
        return replay_finished(server) and top["asks"][0][:2] == ["105234.9", "0.75000000"] \
            and top["bids"][0][:2] == ["105234.2", "0.33000000"]

    wait_for(settled)
    return server


def test_book_and_ticker_follow_the_replayed_book(replayed: Any) -> None:
    c = Spot(replayed.url)
    book = c.public("Depth", pair="XBTUSD", count=100)["result"]["XXBTZUSD"]
    asks = [(a[0], a[1]) for a in book["asks"]]
    bids = [(b[0], b[1]) for b in book["bids"]]
    # Kraken's levels first, exactly as replayed (snapshot plus updates) ...
    assert asks[:4] == [("105234.9", "0.75000000"), ("105235.0", "0.02000000"), ("105236.3", "0.50000000"),
                        ("105237.9", "0.07500000")]
    assert bids[:3] == [("105234.2", "0.33000000"), ("105233.0", "0.12000000"), ("105231.8", "1.50000000")]
    assert "105234.5" not in {p for p, _ in bids} and "105234.6" not in {p for p, _ in asks}  # deleted levels
    # ... then the synthetic ladder beyond them, still 100 distinct levels a side
    assert len(asks) == 100 and len(bids) == 100
    assert len({p for p, _ in asks}) == 100 and D(asks[11][0]) > D("105246.1")
    ticker = c.public("Ticker", pair="XBTUSD")["result"]["XXBTZUSD"]
    assert ticker["a"][0] == "105234.9" and ticker["b"][0] == "105234.2"
    # the seeded history was moved to Kraken's price level
    candles = c.public("OHLC", pair="XBTUSD", interval=60)["result"]["XXBTZUSD"]
    assert abs(D(candles[-1][4]) / D("105234.55") - 1) < D("0.05")


def test_ticker_only_and_xstock_pairs_follow_and_others_stay_synthetic(replayed: Any) -> None:
    c = Spot(replayed.url)
    eth = c.public("Ticker", pair="ETHUSD")["result"]["XETHZUSD"]
    assert (eth["b"][0], eth["a"][0]) == ("2612.41", "2612.42")
    aapl = c.public("Ticker", pair="AAPLxUSD", asset_class="tokenized_asset")["result"]["AAPLxUSD"]
    assert (aapl["b"][0], aapl["a"][0]) == ("203.18", "203.41")
    # NVDAx/USD was rejected by the (recorded) Kraken and SOL/USD is not in the recording
    feed = replayed.ctx.simulation.feed
    assert "NVDAx/USD" in feed.unsupported
    sol = c.public("Ticker", pair="SOLUSD")["result"]["SOLUSD"]
    assert abs(D(sol["a"][0]) / D("150") - 1) < D("0.2")


def test_orders_fill_at_the_replayed_prices(replayed: Any, unique_name: str) -> None:
    acct = replayed.add_account(unique_name, {"USD": "100000", "XBT": "1"})
    c = Spot(replayed.url, acct)
    buy = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.5"})
    sell = c.ok("AddOrder", {"pair": "XBTUSD", "type": "sell", "ordertype": "market", "volume": "0.3"})
    orders = c.ok("QueryOrders", {"txid": f"{buy['txid'][0]},{sell['txid'][0]}", "trades": True})
    assert orders[buy["txid"][0]]["status"] == "closed" and orders[sell["txid"][0]]["status"] == "closed"
    trades = c.ok("QueryTrades", {"txid": ",".join(orders[buy["txid"][0]]["trades"]
                                                   + orders[sell["txid"][0]]["trades"])})
    by_order: dict[str, list[tuple[str, str]]] = {}
    for t in trades.values():
        by_order.setdefault(t["ordertxid"], []).append((t["price"], t["vol"]))
    # 0.5 takes Kraken's 0.75 at the best ask; 0.3 takes 0.33 at the best bid
    assert by_order[buy["txid"][0]] == [("105234.9", "0.50000000")]
    assert by_order[sell["txid"][0]] == [("105234.2", "0.30000000")]


def test_resting_order_fills_when_the_replayed_market_reaches_it(exchange_factory: Any, tmp_path: Path,
                                                                 unique_name: str) -> None:
    records = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    snapshot = next(r for r in records if r["msg"].get("channel") == "book" and r["msg"]["data"][0]["symbol"]
                    == "BTC/USD" and r["msg"]["type"] == "snapshot")
    t0 = snapshot["ts"]
    # three seconds later the market drops: every bid above 105100.0 goes, a new ask appears
    gone = [{"price": level["price"], "qty": 0.0} for level in snapshot["msg"]["data"][0]["bids"]]
    drop = {"ts": t0 + 3.0, "msg": {"channel": "book", "type": "update", "data": [{
        "symbol": "BTC/USD", "bids": gone + [{"price": 105090.0, "qty": 0.2}], "asks": [{"price": 105100.0, "qty": 0.4}],
        "checksum": 0, "timestamp": "2025-06-03T14:02:14.061000Z"}]}}
    path = tmp_path / "drop.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in (snapshot, drop)) + "\n")
    server = exchange_factory(prices=f"replay:{path}")
    acct = server.add_account(unique_name, {"USD": "100000"})
    c = Spot(server.url, acct)
    wait_for(lambda: c.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]["asks"][0][0] == "105234.6")
    placed = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.1",
                               "price": "105150.0"})
    txid = placed["txid"][0]
    assert c.ok("QueryOrders", {"txid": txid})[txid]["status"] == "open"
    # Kraken's ask drops to 105100.0 (0.4): the maker's new quote crosses the resting bid and
    # trades with it at the bid's price; the rest of Kraken's level stays on the book
    wait_for(lambda: c.public("Depth", pair="XBTUSD", count=1)["result"]["XXBTZUSD"]["asks"][0][:2]
             == ["105100.0", "0.30000000"])
    order = c.ok("QueryOrders", {"txid": txid})[txid]
    assert order["status"] == "closed" and order["vol_exec"] == "0.10000000"
    assert D(order["price"]) == D("105150.0")


def test_synthetic_stays_the_seeded_default(tmp_path: Path) -> None:
    """Without --prices, and with --prices synthetic, the same seed gives the same market.
    Both contexts read one fixed exchange clock, so no minute boundary can fall between them."""
    from kraken_ops.exchange.server import make_context

    def clock() -> float:
        return 1_800_000_030.0

    a = make_context(tmp_path / "a", seed=3, clock=clock)
    b = make_context(tmp_path / "b", seed=3, prices="synthetic", clock=clock)
    other = make_context(tmp_path / "c", seed=4, clock=clock)
    assert a.simulation.feed.name == b.simulation.feed.name == "synthetic"
    ca, cb = a.markets.data["XXBTZUSD"].candles, b.markets.data["XXBTZUSD"].candles
    assert len(ca) >= 1440 and ca == cb
    assert other.markets.data["XXBTZUSD"].candles != ca  # the seed is what decides


def test_price_source_specs_and_bad_recordings(tmp_path: Path) -> None:
    assert make_feed(None).name == "synthetic" and make_feed("live").name == "live"
    feed = make_feed(f"replay:{FIXTURE}")
    assert isinstance(feed, ReplayFeed) and len(read_recording(FIXTURE)) == 18
    with pytest.raises(ValueError, match="unknown price source 'random'"):
        make_feed("random")
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"ts": 1, "msg": {}}\nnot json\n')
    with pytest.raises(PriceFeedError, match=r"bad.ndjson:2: not a recorded message") as info:
        read_recording(bad)
    assert info.value.kind == "io"
    with pytest.raises(PriceFeedError, match="cannot read the price recording"):
        read_recording(tmp_path / "missing.ndjson")


# ---------------------------------------------------------------- kraken-ops exchange serve
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30) -> Any:
    cmd = [sys.executable, "-m", "kraken_ops.cli", "exchange", "serve", "--port", "0", "--state",
           str(tmp_path / "state"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("how", ["option", "env"])
def test_serve_prices_live_without_network_exits_with_one_line(tmp_path: Path, how: str) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/v2"
    if how == "option":
        result = _serve(tmp_path, "--prices", "live", "--prices-url", url)
    else:
        result = _serve(tmp_path, "--prices", "live", env={"KRAKEN_OPS_PRICES_URL": url})
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot reach Kraken's public feed at {url}: ")
    assert "listening" not in result.stderr and result.stdout == ""


def test_serve_rejects_a_bad_price_source_and_a_missing_recording(tmp_path: Path) -> None:
    bad = _serve(tmp_path, "--prices", "random")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: bad --prices: unknown price source")
    missing = _serve(tmp_path, "--prices", f"replay:{tmp_path / 'nope.ndjson'}")
    assert missing.returncode == 3 and len(missing.stderr.strip().splitlines()) == 1
    assert "cannot read the price recording" in missing.stderr


def test_serve_replays_a_recording(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "kraken_ops.cli", "exchange", "serve", "--port", "0", "--state",
           str(tmp_path / "state"), "--prices", f"replay:{FIXTURE}"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        c = Spot(line.removeprefix("listening on "))
        wait_for(lambda: c.public("Ticker", pair="XBTUSD")["result"]["XXBTZUSD"]["a"][0] == "105234.9")
    finally:
        proc.terminate()
        proc.wait(10)
