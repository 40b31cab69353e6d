"""Margin positions and trailing stops through the SDK, Kraken's REST shapes and WebSocket v2."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kraken_ops.exchange.markets import find_pair
from kraken_ops import exceptions as exc
from kraken_ops.spot import AsyncUser, Trade, User


@pytest.fixture()
def clients(exchange, unique_name):
    acct = exchange.add_account(unique_name, fund={"ZUSD": "50000", "XXBT": "1"})
    kw = {"key": acct.spot_key, "secret": acct.spot_secret, "url": exchange.url}
    user, trade = User(**kw), Trade(**kw)
    yield acct, user, trade
    user.close()
    trade.close()


def test_a_margin_order_opens_a_position_shown_by_open_positions_and_trade_balance(clients) -> None:
    _, user, trade = clients
    assert "ml" not in user.get_trade_balance()  # no positions: no margin level, as at Kraken
    placed = trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.05", leverage=2)
    assert placed["descr"]["order"] == "buy 0.05000000 XBTUSD @ market with 2:1 leverage"
    (txid,) = placed["txid"]
    positions = user.get_open_positions(consolidation=None, docalcs=True)
    assert positions and all(p["ordertxid"] == txid and p["posstatus"] == "open" for p in positions.values())
    one = next(iter(positions.values()))
    assert set(one) >= {"pair", "time", "type", "ordertype", "cost", "fee", "vol", "vol_closed", "margin", "value",
                        "net", "terms", "rollovertm", "misc", "oflags"}
    assert one["pair"] == "XXBTZUSD" and one["type"] == "buy" and one["net"][0] in "+-"
    # half the cost, each written at the pair's cost decimals (so 2 x margin may differ from
    # the cost by a unit of the last place: 565.65268 x 2 against 1131.30537)
    cost, margin = Decimal(one["cost"]), Decimal(one["margin"])
    assert margin.as_tuple().exponent == cost.as_tuple().exponent
    assert abs(margin * 2 - cost) <= 2 * Decimal(1).scaleb(cost.as_tuple().exponent), (margin, cost)
    assert "value" not in next(iter(user.get_open_positions(consolidation=None).values()))  # docalcs off
    (group,) = user.get_open_positions()  # the SDK's default: consolidation=market, a list
    assert group["pair"] == "XXBTZUSD" and group["positions"] == str(len(positions)) and group["leverage"] == "2.00000"
    assert Decimal(group["vol"]) == Decimal("0.05")
    balance = user.get_trade_balance()
    for key in ("eb", "tb", "m", "n", "c", "v", "e", "mf", "ml", "uv"):
        assert isinstance(balance[key], str), key
    assert Decimal(balance["m"]) > 0 and Decimal(balance["ml"]) > 100
    assert Decimal(balance["mf"]) == Decimal(balance["e"]) - Decimal(balance["m"])
    assert user.get_open_positions(txid=txid, consolidation=None).keys() == positions.keys()
    order = user.get_orders_info(txid=txid)[txid]
    assert order["descr"]["leverage"] == "2:1" and order["margin"] is True


def test_reduce_only_closes_the_position_and_the_trade_history_knows_positions(clients) -> None:
    _, user, trade = clients
    with pytest.raises(exc.KrakenReduceOnlyError) as info:
        trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.01", reduce_only=True)
    assert info.value.kraken_error == "EOrder:Reduce only:No position exists"
    trade.create_order(ordertype="market", side="sell", pair="XBTUSD", volume="0.02", leverage=3)
    before = Decimal(user.get_account_balance()["ZUSD"])
    closed = trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.05", reduce_only=True)
    order = user.get_orders_info(txid=closed["txid"][0])[closed["txid"][0]]
    assert order["vol_exec"] == "0.02000000" and order["reason"] == "Reduce only:Position is closed"
    assert user.get_open_positions(consolidation=None) == {}
    margin = user.get_ledgers_info(type_="margin")["ledger"]
    assert margin and {e["asset"] for e in margin.values()} <= {"ZUSD", "XXBT"}
    closes = [e for e in margin.values() if e["asset"] == "ZUSD" and Decimal(e["amount"]) != 0]
    realised = sum(Decimal(e["amount"]) - Decimal(e["fee"]) for e in closes)
    # every figure is shown rounded to ZUSD's 4 decimals (fees are exact to the pair's 5): each
    # rounded figure may be off by half a unit of the last decimal
    rounding = Decimal("0.00005") * (2 + 2 * len(closes))
    assert abs(Decimal(user.get_account_balance()["ZUSD"]) - (before + realised)) <= rounding
    assert realised != 0 and abs(realised) > 100 * rounding  # a real P&L and fee, not rounding noise
    closing = user.get_trades_history(type_="closing position")["trades"]
    opened = user.get_trades_history(type_="closed position")["trades"]
    spot = user.get_trades_history(type_="no position")["trades"]
    assert closing and all("closing" in t["misc"] for t in closing.values())
    assert opened and all(t["posstatus"] == "closed" for t in opened.values())
    assert not set(spot) & (set(closing) | set(opened))


def test_trailing_stops_are_accepted_with_relative_offsets(clients) -> None:
    _, user, trade = clients
    placed = trade.create_order(ordertype="trailing-stop", side="sell", pair="XBTUSD", volume="0.01", price="+2%",
                                trigger="index")
    (txid,) = placed["txid"]
    order = user.get_orders_info(txid=txid)[txid]
    assert order["descr"]["ordertype"] == "trailing-stop" and order["descr"]["price"] == "+2.0000%"
    assert order["trigger"] == "index" and Decimal(order["stopprice"]) > 0
    placed = trade.create_order(ordertype="trailing-stop-limit", side="buy", pair="XBTUSD", volume="0.01",
                                price="+500", price2="-100", validate=True)
    assert placed["descr"]["order"] == "buy 0.01000000 XBTUSD @ trailing stop +500.0 -> limit -100.0"
    with pytest.raises(exc.KrakenInvalidArgumentsError):
        trade.create_order(ordertype="trailing-stop", side="sell", pair="XBTUSD", volume="0.01", price="500")
    trade.cancel_order(txid=txid)


async def test_async_user_reads_positions_too(exchange, clients) -> None:
    acct, _, trade = clients
    trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.01", leverage=5)
    async with AsyncUser(key=acct.spot_key, secret=acct.spot_secret, url=exchange.url) as user:
        positions = await user.get_open_positions(docalcs=True, consolidation=None)
    assert positions and all(p["type"] == "buy" for p in positions.values())


def test_websocket_add_order_with_margin_reduce_only_and_a_trailing_stop(exchange, clients) -> None:
    from websockets.sync.client import connect

    acct, user, _ = clients
    token = user.get_websockets_token()["token"]
    with connect(exchange.ws_spot_private, open_timeout=10) as ws:
        json.loads(ws.recv(timeout=10))  # status
        ws.send(json.dumps({"method": "subscribe", "req_id": 9, "params": {
            "channel": "executions", "token": token, "snap_orders": False, "snap_trades": False}}))
        seen: list[dict] = []

        def call(req_id: int, **params: object) -> dict:
            ws.send(json.dumps({"method": "add_order", "req_id": req_id, "params": {"token": token, **params}}))
            while True:
                msg = json.loads(ws.recv(timeout=10))
                if msg.get("channel") == "executions":
                    seen.extend(msg.get("data", []))
                if msg.get("req_id") == req_id and msg.get("method") == "add_order":
                    return msg

        opened = call(1, order_type="market", side="sell", order_qty=0.01, symbol="BTC/USD", margin=True)
        assert opened["success"], opened
        (pos,) = user.get_open_positions(consolidation="market")
        highest = max(find_pair("XBTUSD").leverage_levels("sell"))
        assert pos["type"] == "sell" and pos["leverage"] == f"{highest}.00000"  # the pair's highest leverage
        trailing = call(2, order_type="trailing-stop", side="buy", order_qty=0.01, symbol="BTC/USD",
                        reduce_only=True, triggers={"reference": "last", "price": 1.5, "price_type": "pct"})
        assert trailing["success"], trailing
        order = user.get_orders_info(txid=trailing["result"]["order_id"])[trailing["result"]["order_id"]]
        assert order["descr"]["price"] == "+1.5000%" and order["reduce_only"] is True
        for _ in range(20):  # the executions item of the new trailing stop
            new = [i for i in seen if i.get("order_id") == trailing["result"]["order_id"]]
            if new:
                break
            msg = json.loads(ws.recv(timeout=10))
            if msg.get("channel") == "executions":
                seen.extend(msg.get("data", []))
        assert new[0]["exec_type"] == "new" and new[0]["reduce_only"] is True and new[0]["margin"] is True
        assert new[0]["triggers"]["price_type"] == "pct" and new[0]["triggers"]["status"] == "untriggered"
        assert any(i.get("margin") and i.get("exec_type") == "trade" for i in seen)  # the margin fill
        bad = call(3, order_type="trailing-stop", side="buy", order_qty=0.01, symbol="BTC/USD",
                   triggers={"price": 1.5, "price_type": "percent"})
        assert bad["success"] is False and bad["error"] == "EGeneral:Invalid arguments:triggers"


def test_trade_balance_free_margin_is_equity_minus_margin_as_shown(clients) -> None:
    """``mf`` is ``e - m`` of the figures shown, to the last decimal, whatever the positions'
    values round to (it was computed before rounding and could differ by 0.0001)."""
    _, user, trade = clients
    for volume in ("0.0123", "0.0077", "0.0311", "0.0049", "0.0213", "0.0007"):
        trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume=volume, leverage=2)
        for asset in ("ZUSD", "XXBT"):
            balance = user.get_trade_balance(asset=asset)
            assert Decimal(balance["mf"]) == Decimal(balance["e"]) - Decimal(balance["m"]), (asset, balance)
