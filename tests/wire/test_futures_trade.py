"""Wire tests for kraken_ops.futures Trade / AsyncTrade against a verifying loopback server."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from futures_recorder import FLAVOURS, Case, endpoint_methods, futures_wire, invoke, run_case, server  # noqa: F401
from wirecheck import NEW_CLIENT_ID

from kraken_ops.futures.trade import AsyncTrade, Trade, _TradeEndpoints

CLASSES = {"sync": Trade, "async": AsyncTrade}
OID = "fc589be9-5095-48f0-b6f1-a2dfad6d9677"
BEFORE = "2023-11-08T19:56:35.441Z"

BATCH = [
    {
        "order": "send",
        "order_tag": "1",
        "orderType": "lmt",
        "symbol": "PI_XBTUSD",
        "side": "buy",
        "size": 5,
        "limitPrice": Decimal("1.00"),
        "cliOrdId": "my_another_client_id",
    },
    {"order": "send", "order_tag": "2", "orderType": "stp", "symbol": "PI_XBTUSD", "side": "buy", "size": "1", "limitPrice": "2.00", "stopPrice": "3.00", "reduceOnly": False, "cliOrdId": "c2"},
    {"order": "cancel", "order_id": "e35d61dd-8a30-4d5f-a574-b5593ef0c050"},
    {"order": "cancel", "cliOrdId": "my_client_id"},
]
BATCH_JSON = (
    '{"batchOrder":['
    '{"order":"send","order_tag":"1","orderType":"lmt","symbol":"PI_XBTUSD","side":"buy","size":5,"limitPrice":1.00,"cliOrdId":"my_another_client_id"},'
    '{"order":"send","order_tag":"2","orderType":"stp","symbol":"PI_XBTUSD","side":"buy","size":1,"limitPrice":2.00,"stopPrice":3.00,"reduceOnly":false,"cliOrdId":"c2"},'
    '{"order":"cancel","order_id":"e35d61dd-8a30-4d5f-a574-b5593ef0c050"},'
    '{"order":"cancel","cliOrdId":"my_client_id"}]}'
)

CASES = [
    Case("get_fills", {}, "GET", "/derivatives/api/v3/fills", auth=True),
    Case(
        "get_fills",
        {"lastFillTime": "2023-04-07T15:07:46.540Z"},
        "GET",
        "/derivatives/api/v3/fills",
        query=[("lastFillTime", "2023-04-07T15:07:46.540Z")],
        raw_query="lastFillTime=2023-04-07T15%3A07%3A46.540Z",
        auth=True,
        name="get_fills-lastFillTime",
    ),
    Case(
        "create_order",
        {"orderType": "mkt", "size": 5, "symbol": "PI_ETHUSD", "side": "buy"},
        "POST",
        "/derivatives/api/v3/sendorder",
        # an order without cliOrdId gets one (a UUID), so that a lost answer can be looked up
        body=[("orderType", "mkt"), ("symbol", "PI_ETHUSD"), ("side", "buy"), ("size", "5"), ("cliOrdId", NEW_CLIENT_ID)],
        auth=True,
    ),
    Case(
        "create_order",
        {
            "orderType": "take_profit",
            "size": Decimal("0.10000000"),
            "symbol": "PF_ETHUSD",
            "side": "sell",
            "cliOrdId": "my-order-1",
            "limitPrice": "1200.50",
            "reduceOnly": True,
            "stopPrice": 1201,
            "triggerSignal": "mark",
            "trailingStopDeviationUnit": "PERCENT",
            "trailingStopMaxDeviation": "0.5",
            "processBefore": BEFORE,
        },
        "POST",
        "/derivatives/api/v3/sendorder",
        body=[
            ("orderType", "take_profit"),
            ("symbol", "PF_ETHUSD"),
            ("side", "sell"),
            ("size", "0.10000000"),
            ("limitPrice", "1200.50"),
            ("stopPrice", "1201"),
            ("cliOrdId", "my-order-1"),
            ("triggerSignal", "mark"),
            ("reduceOnly", "true"),
            ("trailingStopMaxDeviation", "0.5"),
            ("trailingStopDeviationUnit", "PERCENT"),
            ("processBefore", BEFORE),
        ],
        auth=True,
        name="create_order-all-parameters",
    ),
    Case(
        "edit_order",
        {"orderId": OID, "limitPrice": Decimal("1.10"), "size": "100", "stopPrice": "1.2", "processBefore": BEFORE, "trailingStopMaxDeviation": "0.1", "trailingStopDeviationUnit": "PERCENT"},
        "POST",
        "/derivatives/api/v3/editorder",
        body=[
            ("orderId", OID),
            ("size", "100"),
            ("limitPrice", "1.10"),
            ("stopPrice", "1.2"),
            ("trailingStopMaxDeviation", "0.1"),
            ("trailingStopDeviationUnit", "PERCENT"),
            ("processBefore", BEFORE),
        ],
        auth=True,
    ),
    Case("edit_order", {"cliOrdId": "c1", "size": 2}, "POST", "/derivatives/api/v3/editorder", body=[("cliOrdId", "c1"), ("size", "2")], auth=True, name="edit_order-cliOrdId"),
    Case(
        "cancel_order",
        {"order_id": OID, "processBefore": BEFORE},
        "POST",
        "/derivatives/api/v3/cancelorder",
        body=[("order_id", OID), ("processBefore", BEFORE)],
        auth=True,
    ),
    Case("cancel_order", {"cliOrdId": "c1"}, "POST", "/derivatives/api/v3/cancelorder", body=[("cliOrdId", "c1")], auth=True, name="cancel_order-cliOrdId"),
    Case("cancel_all_orders", {}, "POST", "/derivatives/api/v3/cancelallorders", auth=True),
    Case("cancel_all_orders", {"symbol": "PF_XBTUSD"}, "POST", "/derivatives/api/v3/cancelallorders", body=[("symbol", "PF_XBTUSD")], auth=True, name="cancel_all_orders-symbol"),
    Case("dead_mans_switch", {"timeout": 60}, "POST", "/derivatives/api/v3/cancelallordersafter", body=[("timeout", "60")], auth=True),
    Case("dead_mans_switch", {}, "POST", "/derivatives/api/v3/cancelallordersafter", body=[("timeout", "0")], auth=True, name="dead_mans_switch-disarm"),
    Case(
        "get_orders_status",
        {"orderIds": ["2c611222-bfe6-42d1-9f55-77bddc01a313", "5f204f95-4354-4610-bb3b-c902ad333012"], "cliOrderIds": "my-1"},
        "POST",
        "/derivatives/api/v3/orders/status",
        body=[("orderIds", "2c611222-bfe6-42d1-9f55-77bddc01a313"), ("orderIds", "5f204f95-4354-4610-bb3b-c902ad333012"), ("cliOrdIds", "my-1")],
        raw_body="orderIds=2c611222-bfe6-42d1-9f55-77bddc01a313&orderIds=5f204f95-4354-4610-bb3b-c902ad333012&cliOrdIds=my-1",
        auth=True,
    ),
    Case(
        "get_orders_status",
        {"cliOrdIds": ["a", "b"]},
        "POST",
        "/derivatives/api/v3/orders/status",
        body=[("cliOrdIds", "a"), ("cliOrdIds", "b")],
        raw_body="cliOrdIds=a&cliOrdIds=b",
        auth=True,
        name="get_orders_status-cliOrdIds-alias",
    ),
    Case(
        "create_batch_order",
        {"batchorder_list": BATCH, "processBefore": BEFORE},
        "POST",
        "/derivatives/api/v3/batchorder",
        body=[("json", BATCH_JSON), ("ProcessBefore", BEFORE)],
        auth=True,
    ),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_trade_endpoint_sends_what_kraken_expects(flavour, case, server):
    run_case(CLASSES, flavour, server, case)


def test_every_trade_endpoint_has_a_wire_case():
    assert endpoint_methods(_TradeEndpoints) == {c.method for c in CASES}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_batch_order_is_one_form_field_holding_real_json(flavour, server):
    invoke(CLASSES[flavour], server, "create_batch_order", batchorder_list=BATCH)
    pairs = parse_qsl(server.last.body.decode(), keep_blank_values=True)
    assert [k for k, _ in pairs] == ["json"]
    payload = json.loads(pairs[0][1], parse_float=Decimal)
    assert payload["batchOrder"][0]["limitPrice"] == Decimal("1.00")  # a number, exact
    assert payload["batchOrder"][1]["size"] == 1 and payload["batchOrder"][1]["stopPrice"] == Decimal("3.00")
    assert server.last.body.decode().startswith("json=%7B%22batchOrder%22")  # url-encoded as the signature covers it
    assert server.last.signature_ok is True


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_batch_send_without_client_order_id_gets_one(flavour, server):
    invoke(CLASSES[flavour], server, "create_batch_order", batchorder_list=[{k: v for k, v in BATCH[1].items() if k != "cliOrdId"}, BATCH[2]])
    payload = json.loads(dict(parse_qsl(server.last.body.decode()))["json"])
    assert payload["batchOrder"][0]["cliOrdId"] == NEW_CLIENT_ID and "cliOrdId" not in payload["batchOrder"][1]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_numbers_reach_the_wire_unchanged(flavour, server):
    invoke(CLASSES[flavour], server, "create_order", orderType="lmt", size=Decimal("1E-8"), symbol="PF_XBTUSD", side="buy", limitPrice="27000.10")
    body = dict(server.last.form_pairs)
    assert body["size"] == "0.00000001" and body["limitPrice"] == "27000.10"


@pytest.mark.parametrize(
    ("method", "kwargs", "message"),
    [
        ("cancel_order", {}, "order_id or cliOrdId"),
        ("cancel_order", {"processBefore": BEFORE}, "order_id or cliOrdId"),
        ("edit_order", {"size": 1}, "orderId or cliOrdId"),
        ("create_order", {"orderType": "lmt", "size": 1, "symbol": "PF_XBTUSD", "side": "long"}, "side"),
        ("create_order", {"orderType": "stp", "size": 1, "symbol": "PF_XBTUSD", "side": "buy", "triggerSignal": "spot"}, "triggerSignal"),
    ],
)
def test_invalid_arguments_raise_before_anything_is_sent(method, kwargs, message, server):
    with pytest.raises(ValueError, match=message):
        invoke(Trade, server, method, **kwargs)
    assert server.requests == []
