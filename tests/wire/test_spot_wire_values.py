"""Numbers, booleans and lists reach the wire exactly as Kraken expects them.

str, int and Decimal values go unchanged (trailing zeros kept, no exponent, no float
rounding); booleans are ``true``/``false``; lists are comma-joined on form bodies and
stay arrays in JSON bodies.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest


def _order(invoke, server, **kwargs):
    server.respond_result({"txid": ["OUF4EM-FRGI2-MQMWZD"]})
    base = {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": "1"}
    invoke("Trade", "create_order", **{**base, **kwargs})
    return server.last


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("27500.10"), "27500.10"),
        ("27500.10", "27500.10"),
        (Decimal("0.00000001"), "0.00000001"),
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1E+3"), "1000"),
        (27500, "27500"),
        (12345678901234567890, "12345678901234567890"),
        ("123456789.123456789123456789", "123456789.123456789123456789"),
        (0.1, "0.1"),
        (0.00001, "0.00001"),
    ],
)
def test_a_price_reaches_the_wire_unchanged(invoke, server, value, wire) -> None:
    rec = _order(invoke, server, price=value)
    assert rec.params()["price"] == wire
    assert f"price={quote(wire)}&".encode() in rec.body


def test_decimal_volume_keeps_trailing_zeros_on_the_raw_body(invoke, server) -> None:
    rec = _order(invoke, server, volume=Decimal("0.10000000"), price=Decimal("27123.4"))
    assert b"volume=0.10000000&" in rec.body and b"price=27123.4&" in rec.body
    assert rec.signature_ok


def test_booleans_are_lowercase_and_lists_are_comma_joined(invoke, server) -> None:
    rec = _order(invoke, server, oflags=["post", "fciq"], validate=True, reduce_only=False)
    assert b"oflags=post%2Cfciq" in rec.body
    assert rec.params()["validate"] == "true" and rec.params()["reduce_only"] == "false"


def test_extra_params_as_json_text_keeps_decimal_text(invoke, server) -> None:
    server.respond_result({})
    invoke("Trade", "create_order", ordertype="limit", side="buy", pair="XBTUSD", volume="1", extra_params='{"price": 1.10, "displayvol": "0.50"}')
    assert server.last.params()["price"] == "1.10"
    assert server.last.params()["displayvol"] == "0.50"


def test_decimals_in_json_bodies_are_strings_with_their_text(invoke, server) -> None:
    server.respond_result({"orders": []})
    orders = [{"ordertype": "limit", "type": "buy", "volume": Decimal("1.50"), "price": "25000.0"}] * 2
    invoke("Trade", "create_order_batch", orders=orders, pair="XBTUSD", validate=True)
    body = server.last.json_body
    assert body["orders"][0]["volume"] == "1.50" and body["orders"][0]["price"] == "25000.0"
    assert body["validate"] is True


def test_public_query_values_are_unchanged(invoke, server) -> None:
    server.respond_result({})
    invoke("Market", "get_recent_trades", pair="XBTUSD", since="1688671969993150842")
    assert server.last.query == "pair=XBTUSD&since=1688671969993150842"
