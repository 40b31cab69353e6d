"""Spot Trade on the wire: every method, sync and async; form bodies, JSON for the batches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from wirecheck import JSON, NEW_CLIENT_ID, QUERY, Row, assert_rows_cover, check_request, check_row

from kraken_ops.spot import Trade

P = "/0/private/"
ADD_DEFAULTS = {"stptype": "cancel-newest", "starttm": "0", "reduce_only": "false", "validate": "false"}
BATCH = [
    {
        "close": {"ordertype": "stop-loss-limit", "price": 21000, "price2": 20000},
        "ordertype": "limit",
        "price": 25000,
        "timeinforce": "GTC",
        "type": "buy",
        "userref": 16861348843,
        "volume": 1,
    },
    {"ordertype": "limit", "price": "1000000", "timeinforce": "GTC", "type": "sell", "cl_ord_id": "b-2", "volume": "2"},
]

ROWS = [
    Row(
        "create_order",
        {"ordertype": "market", "side": "buy", "pair": "XBTUSD", "volume": "0.0001"},
        "POST",
        P + "AddOrder",
        # an order without userref or cl_ord_id gets a client order id (a UUID): a lost answer can be looked up
        {"type": "buy", "volume": "0.0001", "pair": "XBTUSD", "ordertype": "market", "cl_ord_id": NEW_CLIENT_ID, **ADD_DEFAULTS},
        result={"txid": ["TNGMNU-XQSRA-LKCWOK"], "descr": {"order": "buy 0.00010000 XBTUSD @ market"}},
    ),
    Row(
        "create_order",
        {
            "ordertype": "stop-loss-limit",
            "side": "buy",
            "pair": "XBTUSD",
            "volume": "1.2",
            "price": "24000",
            "price2": "+1000",
            "trigger": "last",
            "leverage": 4,
            "stptype": "cancel-both",
            "oflags": ["post", "fcib"],
            "timeinforce": "GTD",
            "displayvol": "0.5",
            "starttm": "+10",
            "expiretm": 121,
            "close_ordertype": "take-profit-limit",
            "close_price": "27000",
            "close_price2": "#2%",
            "deadline": "2023-04-06T06:52:56Z",
            "reduce_only": True,
            "validate": True,
            "cl_ord_id": "6d1b345e-2821-40e2-ad83-4ecb18a06876",
            "asset_class": "tokenized_asset",
        },
        "POST",
        P + "AddOrder",
        {
            "type": "buy",
            "volume": "1.2",
            "pair": "XBTUSD",
            "ordertype": "stop-loss-limit",
            "price": "24000",
            "price2": "+1000",
            "trigger": "last",
            "leverage": "4",
            "stptype": "cancel-both",
            "oflags": "post,fcib",
            "timeinforce": "GTD",
            "displayvol": "0.5",
            "starttm": "+10",
            "expiretm": "121",
            "deadline": "2023-04-06T06:52:56Z",
            "cl_ord_id": "6d1b345e-2821-40e2-ad83-4ecb18a06876",
            "asset_class": "tokenized_asset",
            "reduce_only": "true",
            "validate": "true",
            "close[ordertype]": "take-profit-limit",
            "close[price]": "27000",
            "close[price2]": "#2%",
        },
    ),
    Row(
        "create_order",
        {"ordertype": "limit", "side": "sell", "pair": "XBTUSD", "volume": Decimal("0.10000000"), "price": Decimal("27500.1"), "userref": 42, "oflags": "post"},
        "POST",
        P + "AddOrder",
        {"type": "sell", "volume": "0.10000000", "pair": "XBTUSD", "ordertype": "limit", "price": "27500.1", "oflags": "post", "userref": "42", **ADD_DEFAULTS},
    ),
    Row(
        "create_order",
        {"ordertype": "limit", "side": "buy", "pair": "AAPLxUSD", "volume": "1", "price": "100.0", "extra_params": {"asset_class": "tokenized_asset"}},
        "POST",
        P + "AddOrder",
        {"type": "buy", "volume": "1", "pair": "AAPLxUSD", "ordertype": "limit", "price": "100.0", "cl_ord_id": NEW_CLIENT_ID, **ADD_DEFAULTS, "asset_class": "tokenized_asset"},
    ),
    Row(
        "create_order_batch",
        {"orders": BATCH, "pair": "BTC/USD"},
        "POST",
        P + "AddOrderBatch",
        {"orders": BATCH, "pair": "BTC/USD", "validate": False},
        JSON,
        result={"orders": [{"txid": "O5TLGX-DKKTU-WKRAZ5"}, {"txid": "OBFYFP-XVQNL-P4GMWF"}]},
    ),
    Row(
        "create_order_batch",
        {"orders": BATCH[:1] * 2, "pair": "AAPLx/USD", "deadline": "2023-04-06T06:52:56Z", "validate": True, "asset_class": "tokenized_asset"},
        "POST",
        P + "AddOrderBatch",
        {"orders": BATCH[:1] * 2, "pair": "AAPLx/USD", "deadline": "2023-04-06T06:52:56Z", "asset_class": "tokenized_asset", "validate": True},
        JSON,
    ),
    Row(
        "edit_order",
        {"txid": "OBGFYP-XVQNL-P4GMWF", "pair": "XBTUSD", "volume": "0.75", "price": "1250000"},
        "POST",
        P + "EditOrder",
        {"txid": "OBGFYP-XVQNL-P4GMWF", "pair": "XBTUSD", "volume": "0.75", "price": "1250000", "validate": "false"},
    ),
    Row(
        "edit_order",
        {
            "txid": "OBGFYP-XVQNL-P4GMWF",
            "pair": "XBTUSD",
            "volume": Decimal("1.50"),
            "price": "27000.5",
            "price2": "27100",
            "oflags": "post",
            "deadline": "2023-04-06T06:52:56Z",
            "cancel_response": True,
            "userref": 9,
            "validate": True,
            "displayvol": "0.1",
            "asset_class": "tokenized_asset",
        },
        "POST",
        P + "EditOrder",
        {
            "txid": "OBGFYP-XVQNL-P4GMWF",
            "pair": "XBTUSD",
            "volume": "1.50",
            "displayvol": "0.1",
            "price": "27000.5",
            "price2": "27100",
            "oflags": "post",
            "deadline": "2023-04-06T06:52:56Z",
            "cancel_response": "true",
            "userref": "9",
            "asset_class": "tokenized_asset",
            "validate": "true",
        },
    ),
    Row(
        "amend_order",
        {"txid": "OVM3PT-56ACO-53SM2T", "limit_price": "105636.9"},
        "POST",
        P + "AmendOrder",
        {"txid": "OVM3PT-56ACO-53SM2T", "limit_price": "105636.9"},
        result={"amend_id": "TEZA4R-DSDGT-IJBOJK"},
    ),
    Row(
        "amend_order",
        {
            "cl_ord_id": "6d1b345e-2821-40e2-ad83-4ecb18a06876",
            "order_qty": Decimal("1.25"),
            "display_qty": "0.1",
            "limit_price": "+50",
            "trigger_price": "-1%",
            "pair": "AAPLx/USD",
            "post_only": True,
            "deadline": "2024-08-20T12:00:00Z",
        },
        "POST",
        P + "AmendOrder",
        {
            "cl_ord_id": "6d1b345e-2821-40e2-ad83-4ecb18a06876",
            "order_qty": "1.25",
            "display_qty": "0.1",
            "limit_price": "+50",
            "trigger_price": "-1%",
            "pair": "AAPLx/USD",
            "post_only": "true",
            "deadline": "2024-08-20T12:00:00Z",
        },
    ),
    Row(
        "amend_order",
        {"extra_params": {"txid": "OVM3PT-56ACO-53SM2T", "limit_price": "105636.9"}},
        "POST",
        P + "AmendOrder",
        {"txid": "OVM3PT-56ACO-53SM2T", "limit_price": "105636.9"},
    ),
    Row("cancel_order", {"txid": "OAUHYR-YCVK6-P22G6P"}, "POST", P + "CancelOrder", {"txid": "OAUHYR-YCVK6-P22G6P"}, result={"count": 1}),
    Row("cancel_order", {"txid": 16861348843}, "POST", P + "CancelOrder", {"txid": "16861348843"}),
    Row("cancel_order", {"cl_ord_id": "my-order-1"}, "POST", P + "CancelOrder", {"cl_ord_id": "my-order-1"}),
    Row("cancel_all_orders", {}, "POST", P + "CancelAll", {}, result={"count": 2}),
    Row("cancel_all_orders_after_x", {}, "POST", P + "CancelAllOrdersAfter", {"timeout": "0"}),
    Row(
        "cancel_all_orders_after_x",
        {"timeout": 60},
        "POST",
        P + "CancelAllOrdersAfter",
        {"timeout": "60"},
        result={"currentTime": "2023-04-06T06:51:56Z", "triggerTime": "2023-04-06T06:52:56Z"},
    ),
    Row(
        "cancel_order_batch",
        {"orders": ["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"]},
        "POST",
        P + "CancelOrderBatch",
        {"orders": ["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"]},
        JSON,
        result={"count": 2},
    ),
    Row(
        "cancel_order_batch",
        {"orders": ["OG5IL4-6AR7I-ZAPZEZ", 16861348843], "cl_ord_ids": ["c-1", "c-2"]},
        "POST",
        P + "CancelOrderBatch",
        {"orders": ["OG5IL4-6AR7I-ZAPZEZ", "16861348843"], "cl_ord_ids": ["c-1", "c-2"]},
        JSON,
    ),
]
# truncate (and create_order/edit_order with truncate=True) and find_order make two requests: tested below.
EXEMPT = {"truncate", "find_order"}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_trade_request_on_the_wire(invoke, server, row: Row) -> None:
    result = check_row(invoke, server, "Trade", row)
    assert result == row.result


def test_every_trade_method_has_a_wire_row() -> None:
    assert_rows_cover(Trade, ROWS, EXEMPT)


def test_json_batch_body_keeps_numbers_and_nonce_is_a_string(invoke, server) -> None:
    server.respond_result({"orders": []})
    orders = [{"ordertype": "limit", "type": "buy", "volume": Decimal("0.10"), "price": 25000}] * 2
    invoke("Trade", "create_order_batch", orders=orders, pair="XBTUSD")
    raw = server.last.body.decode()
    assert '"volume": "0.10"' in raw and '"price": 25000' in raw
    assert raw.endswith('"nonce": "' + server.last.nonce + '"}')


def test_find_order_reads_open_then_closed_orders_by_client_order_id(invoke, server) -> None:
    order = {"cl_ord_id": "my-order-1", "status": "closed"}
    server.respond_result({"open": {}}, path="/0/private/OpenOrders")
    server.respond_result({"closed": {"OQCLML-BW3P3-BUCMWZ": order}, "count": 1}, path="/0/private/ClosedOrders")
    assert invoke("Trade", "find_order", cl_ord_id="my-order-1") == {"OQCLML-BW3P3-BUCMWZ": order}
    first, second = server.requests
    check_request(first, Row("find_order", {}, "POST", P + "OpenOrders", {"cl_ord_id": "my-order-1"}))
    check_request(second, Row("find_order", {}, "POST", P + "ClosedOrders", {"cl_ord_id": "my-order-1"}))


# --- truncate ------------------------------------------------------------------------------
XBTUSD = {
    "XXBTZUSD": {
        "altname": "XBTUSD",
        "wsname": "XBT/USD",
        "pair_decimals": 1,
        "lot_decimals": 8,
        "cost_decimals": 5,
        "ordermin": "0.0001",
        "costmin": "0.5",
        "tick_size": "0.1",
    }
}


@pytest.mark.parametrize(
    ("amount", "amount_type", "expected"),
    [
        (0.123456789, "volume", "0.12345678"),
        ("0.123456789", "volume", "0.12345678"),
        (Decimal("0.1"), "volume", "0.10000000"),
        (21123.12849829993, "price", "21123.1"),
        (21123, "price", "21123.0"),
        ("21123.19", "price", "21123.1"),
        (0.3, "price", "0.3"),  # a float that is 0.2999... in binary must not become 0.2
    ],
)
def test_truncate_rounds_down_to_the_pair_precision(invoke, server, amount, amount_type, expected) -> None:
    server.respond_result(XBTUSD, path="/0/public/AssetPairs")
    assert invoke("Trade", "truncate", amount=amount, amount_type=amount_type, pair="XBTUSD") == expected
    check_request(server.last, Row("truncate", {}, "GET", "/0/public/AssetPairs", {"pair": "XBTUSD", "aclass_base": "currency"}, QUERY))


def test_truncate_passes_the_asset_class_for_xstocks(invoke, server) -> None:
    server.respond_result({"AAPLxUSD": {"altname": "AAPLxUSD", "pair_decimals": 2, "lot_decimals": 8, "ordermin": "0.01"}})
    assert invoke("Trade", "truncate", "187.129", "price", "AAPLxUSD", "tokenized_asset") == "187.12"
    assert server.last.query_params == {"pair": "AAPLxUSD", "aclass_base": "tokenized_asset"}


def test_truncate_rejects_a_volume_below_ordermin_and_a_bad_type(invoke, server) -> None:
    server.respond_result(XBTUSD)
    with pytest.raises(ValueError, match="minimum"):
        invoke("Trade", "truncate", amount="0.00009999", amount_type="volume", pair="XBTUSD")
    with pytest.raises(ValueError):
        invoke("Trade", "truncate", amount="1", amount_type="cost", pair="XBTUSD")


def test_create_order_with_truncate_reads_asset_pairs_then_sends_truncated_values(invoke, server) -> None:
    server.respond_result(XBTUSD, path="/0/public/AssetPairs")
    server.respond_result({"txid": ["OUF4EM-FRGI2-MQMWZD"]}, path="/0/private/AddOrder")
    result = invoke(
        "Trade",
        "create_order",
        ordertype="limit",
        side="buy",
        pair="XBTUSD",
        volume="0.123456789",
        price=Decimal("27123.456"),
        price2="+10.55",
        truncate=True,
    )
    assert result == {"txid": ["OUF4EM-FRGI2-MQMWZD"]}
    first, second = server.requests
    check_request(first, Row("truncate", {}, "GET", "/0/public/AssetPairs", {"pair": "XBTUSD", "aclass_base": "currency"}, QUERY))
    expected = {
        "type": "buy", "volume": "0.12345678", "pair": "XBTUSD", "ordertype": "limit", "price": "27123.4", "price2": "+10.55",
        "cl_ord_id": NEW_CLIENT_ID, **ADD_DEFAULTS,
    }
    check_request(second, Row("create_order", {}, "POST", P + "AddOrder", expected))


def test_create_order_with_truncate_keeps_relative_prices(invoke, server) -> None:
    server.respond_result(XBTUSD)
    invoke("Trade", "create_order", ordertype="trailing-stop", side="sell", pair="XBTUSD", volume="1.000000001", price="+100.123", truncate=True)
    assert server.last.params()["price"] == "+100.123"
    assert server.last.params()["volume"] == "1.00000000"


def test_edit_order_with_truncate(invoke, server) -> None:
    server.respond_result(XBTUSD)
    invoke("Trade", "edit_order", txid="OBGFYP-XVQNL-P4GMWF", pair="XBTUSD", volume=0.123456789, price=1250000.99, truncate=True)
    assert [r.path for r in server.requests] == ["/0/public/AssetPairs", "/0/private/EditOrder"]
    assert server.last.params() == {"txid": "OBGFYP-XVQNL-P4GMWF", "pair": "XBTUSD", "volume": "0.12345678", "price": "1250000.9", "validate": "false"}


# --- client-side validation: nothing is sent ---------------------------------------------
@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("create_order", {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": "1", "price": "1", "trigger": "last"}),
        ("create_order", {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": "1", "userref": 1, "cl_ord_id": "x"}),
        ("cancel_order", {"txid": "O1", "cl_ord_id": "x"}),
        ("cancel_order", {}),
        ("cancel_order", {"txid": "O1", "cl_ord_id": "x", "extra_params": {"x": "1"}}),
        ("amend_order", {"txid": "O1", "cl_ord_id": "x", "order_qty": "1"}),
    ],
)
def test_invalid_combinations_raise_before_sending(invoke, server, method, kwargs) -> None:
    with pytest.raises(ValueError):
        invoke("Trade", method, **kwargs)
    assert server.requests == []


@pytest.mark.parametrize("ordertype", ["stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit", "trailing-stop", "trailing-stop-limit"])
def test_trigger_is_accepted_on_every_triggered_order_type(invoke, server, ordertype) -> None:
    server.respond_result({})
    invoke("Trade", "create_order", ordertype=ordertype, side="buy", pair="XBTUSD", volume="1", price="1", trigger="index")
    assert server.last.params()["trigger"] == "index"
