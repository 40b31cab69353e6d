"""Level 3 books: Kraken's documented checksum example, book maintenance, the exchange's
update events, and SpotWSClient's own connection to the level3 host."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.exceptions import KrakenAuthRequiredError
from kraken_ops.exchange import books as exchange_books
from kraken_ops.exchange.markets import find_pair
from kraken_ops.spot.level3 import Level3Book, level3_checksum

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "kraken-level3-checksum-example.json"
BEST_BIDS = ["OTCFZG-YOE2Q-LQKNM3", "OFGP5R-B3E7G-54EZD6", "OMPHVY-IZPJ4-KOKA3P", "OAI5QZ-AMPLW-NBNO72",
             "O7VFZI-CTFWH-FF6EIR", "O472V3-ZG4EZ-OLD66C", "OEK26P-BGPUK-LDHMD2", "OSMYPE-S5VOC-YSS3WM"]


def documented_snapshot() -> dict:
    """Kraken's worked example of the level3 checksum (docs.kraken.com, "L3 checksum (WebSocket v2)"):
    a BTC/USD snapshot (price precision 1, quantity precision 8) whose checksum is 1063832831."""
    return json.loads(FIXTURE.read_text(), parse_float=D)


def fresh_book() -> Level3Book:
    book = Level3Book("BTC/USD", depth=10, price_decimals=1, qty_decimals=8)
    assert book.apply(documented_snapshot()["data"][0], snapshot=True) is True
    return book


def test_documented_snapshot_checksum():
    book = fresh_book()
    assert book.checksum == 1063832831
    assert len(book.bids()) == 21 and len(book.asks()) == 14
    assert [o["order_id"] for o in book.levels("bids")[0][1]] == BEST_BIDS  # queue order kept


def test_the_exchange_computes_the_documented_checksum_independently():
    item = documented_snapshot()["data"][0]
    pair = find_pair("XBTUSD")

    def levels(side: str, best_high: bool) -> list:
        grouped: dict[D, list] = {}
        for o in item[side]:
            grouped.setdefault(o["limit_price"], []).append(exchange_books.L3Order(o["order_id"], o["limit_price"], o["order_qty"], 0.0))
        return sorted(grouped.items(), reverse=best_high)

    assert exchange_books.level3_checksum(pair, levels("asks", False), levels("bids", True)) == 1063832831


def test_without_precisions_short_json_numbers_break_the_checksum():
    book = Level3Book("BTC/USD", depth=10)  # 0.1 stays "01", not "010000000"
    assert book.apply(documented_snapshot()["data"][0], snapshot=True) is False


def test_deleting_the_best_bid_level_and_modifying_an_order_in_place():
    # checksums derived from the documented example with the documented algorithm
    book = fresh_book()
    deletes = [{"event": "delete", "order_id": i, "limit_price": D("44939.4"), "order_qty": D(0)} for i in BEST_BIDS]
    assert book.apply({"symbol": "BTC/USD", "checksum": 3045255171, "bids": deletes, "asks": []}) is True
    assert book.levels("bids")[0][0] == D("44937.1")

    book = fresh_book()
    modify = {"event": "modify", "order_id": BEST_BIDS[0], "limit_price": D("44939.4"), "order_qty": D("0.5")}
    assert book.apply({"symbol": "BTC/USD", "checksum": 404903681, "bids": [modify], "asks": []}) is True
    assert book.levels("bids")[0][1][0]["order_id"] == BEST_BIDS[0]  # keeps its place in the queue


def test_an_added_order_joins_the_back_of_its_level_and_changes_the_checksum():
    book = fresh_book()
    add = {"event": "add", "order_id": "ONEW00-00000-000001", "limit_price": D("44939.4"), "order_qty": D("1")}
    assert book.apply({"symbol": "BTC/USD", "checksum": 1063832831, "bids": [add], "asks": []}) is False
    assert book.levels("bids")[0][1][-1]["order_id"] == "ONEW00-00000-000001"


def test_modify_of_an_unknown_order_marks_the_book_invalid_until_a_snapshot():
    book = fresh_book()
    assert book.apply({"bids": [{"event": "modify", "order_id": "NOPE", "limit_price": D("1"), "order_qty": D("1")}], "asks": []}) is False
    assert book.valid is False
    assert book.apply(documented_snapshot()["data"][0], snapshot=True) is True


def test_the_book_is_cut_to_the_subscribed_depth():
    book = Level3Book("X", depth=3)
    orders = [{"order_id": f"B{i}", "limit_price": D(100 - i), "order_qty": D(1)} for i in range(5)]
    book.apply({"bids": orders, "asks": []}, snapshot=True)
    assert [o["order_id"] for o in book.bids()] == ["B0", "B1", "B2"]
    assert "B4" not in book and len(book) == 3


def test_checksum_counts_only_ten_levels():
    asks = [(D(100 + i), [D(1)]) for i in range(12)]
    assert level3_checksum(asks, [], 0, 0) == level3_checksum(asks[:10], [], 0, 0)


# ------------------------------------------------------------------ the exchange's update events
def _view(draw_levels: dict[int, list[tuple[str, int]]], best_high: bool, depth: int) -> list:
    prices = sorted(draw_levels, reverse=best_high)[:depth]
    return [(D(p), [exchange_books.L3Order(i, D(p), D(q), 0.0) for i, q in draw_levels[p]]) for p in prices]


@st.composite
def book_change(draw):
    ids = [f"O{i}" for i in range(14)]
    old: dict[int, list[tuple[str, int]]] = {}
    for i in draw(st.lists(st.sampled_from(ids), unique=True, max_size=12)):
        old.setdefault(draw(st.integers(1, 8)), []).append((i, draw(st.integers(1, 3))))
    new: dict[int, list[tuple[str, int]]] = {}
    for price, orders in old.items():
        for i, q in orders:
            fate = draw(st.sampled_from(["keep", "keep", "qty", "move", "gone"]))
            if fate == "gone":
                continue
            p = draw(st.integers(1, 8)) if fate == "move" else price
            new.setdefault(p, []).append((i, draw(st.integers(1, 3)) if fate == "qty" else q))
    for n in range(draw(st.integers(0, 4))):
        level = new.setdefault(draw(st.integers(1, 8)), [])
        level.insert(draw(st.integers(0, len(level))), (f"N{n}", draw(st.integers(1, 3))))
    return old, new, draw(st.integers(2, 6)), draw(st.booleans())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(book_change())
def test_update_events_take_a_subscriber_to_the_new_book(change):
    """Applying the exchange's events to a client book that truncates to the depth yields
    the engine's new book exactly, queue order included."""
    old_levels, new_levels, depth, best_high = change
    old, new = _view(old_levels, best_high, depth), _view(new_levels, best_high, depth)
    side = "bids" if best_high else "asks"
    client = Level3Book(depth=depth)
    client.apply({side: [{"order_id": o.order_id, "limit_price": o.price, "order_qty": o.qty} for _, os in old for o in os]}, snapshot=True)
    events = exchange_books.level3_side_update(old, new, depth, best_high)
    assert [e["event"] for e in events] == sorted((e["event"] for e in events), key=lambda e: e != "delete")
    client.apply({side: events})
    got = [(p, [(o["order_id"], o["order_qty"]) for o in os]) for p, os in client.levels(side)]
    assert got == [(p, [(o.order_id, o.qty) for o in os]) for p, os in new]


def test_no_events_when_nothing_changed():
    view = _view({5: [("A", 1), ("B", 2)], 4: [("C", 1)]}, True, 10)
    assert exchange_books.level3_side_update(view, view, 10, True) == []


def test_market_maker_orders_get_stable_kraken_shaped_ids():
    from kraken_ops.exchange.engine import Order

    o = Order(txid="MM", account=None, pair=find_pair("XBTUSD"), side="buy", ordertype="limit", volume=D(1), price=D(1), seq=1234)
    first = exchange_books.level3_order_id(o)
    assert first == exchange_books.level3_order_id(o) and len(first) == 19 and first[0] == "O" and first[6] == first[12] == "-"
    o.seq = 1235
    assert exchange_books.level3_order_id(o) != first


# ------------------------------------------------------------------ SpotWSClient and the level3 host
def test_level3_needs_keys_before_any_connection():
    from kraken_ops.spot.websocket import SpotWSClient

    async def run() -> None:
        async with SpotWSClient(no_public=True) as client:
            with pytest.raises(KrakenAuthRequiredError):
                await client.subscribe(params={"channel": "level3", "symbol": ["BTC/USD"]})

    asyncio.run(run())


def test_level3_goes_to_its_own_host_and_other_private_channels_do_not(exchange):
    from kraken_ops.spot.websocket import SpotWSClient

    a = exchange.add_account(f"l3ws{id(object())}", fund={"USD": "10"})
    ws = exchange.url.replace("http://", "ws://")
    messages: list = []

    async def run() -> SpotWSClient:
        client = SpotWSClient(a.spot_key, a.spot_secret, messages.append, no_public=True, rest_url=exchange.url,
                              auth_ws_url=ws + "/ws-auth/v2", l3_ws_url=ws + "/ws-l3/v2")
        async with client:
            assert client._l3 is None  # opened on the first level3 subscription only
            await client.subscribe(params={"channel": "balances"})
            await client.subscribe(params={"channel": "level3", "symbol": ["BTC/USD"], "depth": 10})
            for _ in range(100):
                if any(isinstance(m, dict) and m.get("channel") == "level3" for m in messages) and len(client.active_private_subscriptions) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert client._l3 is not None and client._l3.url.endswith("/ws-l3/v2")
            assert {s["channel"] for s in client.active_private_subscriptions} == {"balances", "level3"}
        return client

    client = asyncio.run(run())
    snapshots = [m for m in messages if isinstance(m, dict) and m.get("channel") == "level3"]
    assert snapshots and snapshots[0]["type"] == "snapshot"
    assert client.token_fetches == 2  # one token per authenticated connection
    assert not [m for m in messages if isinstance(m, dict) and m.get("success") is False]


def test_from_profile_derives_the_level3_url(monkeypatch):
    from kraken_ops.spot import websocket

    monkeypatch.setattr("kraken_ops.profiles.client_kwargs", lambda name, market: {"key": "k", "secret": "czM=", "url": "http://127.0.0.1:9/"})
    client = websocket.SpotWSClient.from_profile("paper")
    assert client._l3_ws_url == "ws://127.0.0.1:9/ws-l3/v2" and client._auth_ws_url == "ws://127.0.0.1:9/ws-auth/v2"
    assert websocket.SpotWSClient()._l3_ws_url == "wss://ws-l3.kraken.com/v2"


# ------------------------------------------------------------------ kraken-ops stream level3
def _level3_endpoints(server, account):
    from kraken_ops.cli.commands.stream import Endpoints

    ws = server.url.replace("http://", "ws://")
    return Endpoints(spot_rest=server.url, spot_auth_ws=ws + "/ws-auth/v2", spot_l3_ws=ws + "/ws-l3/v2",
                     key=account.spot_key, secret=account.spot_secret)


def test_stream_level3_checks_every_message(exchange):
    import io

    from kraken_ops.cli.commands.stream import StreamOptions, run_stream

    account = exchange.add_account(f"l3stream{id(object())}")
    out, err = io.StringIO(), io.StringIO()
    opts = StreamOptions("spot", "level3", ["BTC/USD"], private=True, count=3, depth=10, duration=30)
    assert run_stream(opts, _level3_endpoints(exchange, account), out, err) == 0
    messages = [json.loads(line, parse_float=D) for line in out.getvalue().splitlines()]
    assert [m["type"] for m in messages][0] == "snapshot" and all(m["channel"] == "level3" for m in messages)
    assert "checksum_mismatch" not in err.getvalue()
    book = Level3Book("BTC/USD", 10, 1, 8)
    assert all(book.apply(m["data"][0], snapshot=m["type"] == "snapshot") for m in messages)


def test_stream_level3_reports_a_bad_checksum_and_takes_a_fresh_snapshot(exchange_factory):
    import io

    from kraken_ops.cli.commands.stream import StreamOptions, run_stream

    server = exchange_factory(faults=["bad-checksum=1.0"])
    account = server.add_account("l3bad", fund={"USD": "10"})
    out, err = io.StringIO(), io.StringIO()
    opts = StreamOptions("spot", "level3", ["BTC/USD"], private=True, count=2, depth=10, duration=30)
    assert run_stream(opts, _level3_endpoints(server, account), out, err) == 0
    assert "checksum_mismatch symbol=BTC/USD" in err.getvalue()
    types = [json.loads(line)["type"] for line in out.getvalue().splitlines()]
    assert types == ["snapshot", "snapshot"]  # the second one was asked for after the mismatch


def test_a_dropped_level3_connection_comes_back_with_a_fresh_token_and_snapshot(exchange):
    from kraken_ops.spot.websocket import SpotWSClient

    a = exchange.add_account(f"l3drop{id(object())}")
    ws = exchange.url.replace("http://", "ws://")
    messages: list = []

    def snapshots() -> int:
        return sum(1 for m in messages if isinstance(m, dict) and m.get("channel") == "level3" and m.get("type") == "snapshot")

    async def run() -> tuple[int, int]:
        client = SpotWSClient(a.spot_key, a.spot_secret, messages.append, no_public=True, rest_url=exchange.url,
                              auth_ws_url=ws + "/ws-auth/v2", l3_ws_url=ws + "/ws-l3/v2", backoff_base=0.05)
        async with client:
            await client.subscribe(params={"channel": "level3", "symbol": ["BTC/USD"], "depth": 10})
            for _ in range(100):
                if snapshots() == 1:
                    break
                await asyncio.sleep(0.05)
            await client._l3.drop()
            for _ in range(200):
                if snapshots() == 2:
                    break
                await asyncio.sleep(0.05)
            return client.token_fetches, client.reconnects

    fetches, reconnects = asyncio.run(run())
    assert snapshots() == 2 and reconnects == 1
    assert fetches == 3  # the auth connection's token, then one per level3 connection
    assert any(isinstance(m, dict) and m.get("kraken_ops") == "reconnected" and m.get("connection") == "level3" for m in messages)
