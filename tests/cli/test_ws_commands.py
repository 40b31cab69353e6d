"""``kraken-ops ws ...``: Spot trading over the authenticated WebSocket, against the local exchange.

The commands are invoked through their own typer app (``kraken_ops.cli.commands.ws.app``),
so these tests do not depend on the registration in ``kraken_ops.cli.app``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kraken_ops.cli import safety
from kraken_ops.cli.commands import ws as ws_commands

LIMIT_BUY = ["--pair", "BTC/USD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000"]


def ws(cli: Any, *args: str, input: str | None = None) -> Any:
    return cli.runner.invoke(ws_commands.app, list(args), input=input, catch_exceptions=False)


def open_orders(cli: Any, profile: str) -> dict[str, Any]:
    result = cli("orders", "list", "-p", profile, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["open"]


def add(cli: Any, profile: str, *extra: str) -> str:
    result = ws(cli, "add-order", *LIMIT_BUY, *extra, "-p", profile, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["order_id"]


def test_add_amend_edit_cancel_order_lifecycle(cli):
    cli.add_profile("bot1")
    txid = add(cli, "bot1", "--cl-ord-id", "ws-life-1")
    assert txid in open_orders(cli, "bot1")

    amended = ws(cli, "amend-order", txid, "--price", "20001", "-p", "bot1", "--json")
    assert amended.exit_code == 0, amended.stderr
    assert json.loads(amended.stdout)["amend_id"]
    assert open_orders(cli, "bot1")[txid]["descr"]["price"].startswith("20001")

    edited = ws(cli, "edit-order", txid, "--pair", "BTC/USD", "--price", "20002", "-p", "bot1", "--json")
    assert edited.exit_code == 0, edited.stderr
    answer = json.loads(edited.stdout)
    assert answer["original_order_id"] == txid
    new_txid = answer["order_id"]
    assert set(open_orders(cli, "bot1")) == {new_txid}

    cancelled = ws(cli, "cancel-order", new_txid, "-p", "bot1", "--json")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert json.loads(cancelled.stdout) == {"order_id": new_txid}
    assert open_orders(cli, "bot1") == {}


def test_add_order_validate_places_nothing(cli):
    cli.add_profile("bot1")
    result = ws(cli, "add-order", *LIMIT_BUY, "--validate", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert "order_id" not in json.loads(result.stdout)
    assert open_orders(cli, "bot1") == {}


def test_cancel_order_by_client_order_id(cli):
    cli.add_profile("bot1")
    add(cli, "bot1", "--cl-ord-id", "ws-cl-7")
    result = ws(cli, "cancel-order", "--cl-ord-id", "ws-cl-7", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"cl_ord_id": "ws-cl-7"}
    assert open_orders(cli, "bot1") == {}


def test_cancel_all_and_cancel_after(cli):
    cli.add_profile("bot1")
    add(cli, "bot1")
    add(cli, "bot1")
    result = ws(cli, "cancel-all", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"count": 2}
    result = ws(cli, "cancel-after", "60", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert "triggerTime" in json.loads(result.stdout)
    assert ws(cli, "cancel-after", "0", "-p", "bot1", "--json").exit_code == 0


def test_batch_add_from_stdin_and_batch_cancel(cli):
    cli.add_profile("bot1")
    orders = [
        {"order_type": "limit", "side": "buy", "order_qty": "0.01", "limit_price": "20000"},
        {"order_type": "limit", "side": "buy", "order_qty": "0.02", "limit_price": "19000", "cl_ord_id": "ws-batch-2"},
    ]
    result = ws(cli, "batch-add", "--pair", "BTC/USD", "-p", "bot1", "--json", input=json.dumps(orders))
    assert result.exit_code == 0, result.stderr
    placed = json.loads(result.stdout)
    assert len(placed) == 2 and all(item.get("order_id") for item in placed)
    assert placed[1]["cl_ord_id"] == "ws-batch-2"
    assert set(open_orders(cli, "bot1")) == {item["order_id"] for item in placed}

    result = ws(cli, "batch-cancel", *(item["order_id"] for item in placed), "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["count"] == 2
    assert open_orders(cli, "bot1") == {}


def test_batch_add_rejects_one_order_and_mixed_pairs(cli):
    cli.add_profile("bot1")
    one = json.dumps([{"order_type": "limit", "side": "buy", "order_qty": "0.01", "limit_price": "20000", "symbol": "BTC/USD"}])
    result = ws(cli, "batch-add", "-p", "bot1", input=one)
    assert result.exit_code == 2 and "2 to 15" in result.stderr
    mixed = json.dumps([
        {"order_type": "market", "side": "buy", "order_qty": "0.01", "symbol": "BTC/USD"},
        {"order_type": "market", "side": "buy", "order_qty": "0.01", "symbol": "ETH/USD"},
    ])
    result = ws(cli, "batch-add", "-p", "bot1", input=mixed)
    assert result.exit_code == 2 and "one pair" in result.stderr


def test_kraken_rejection_is_an_error_envelope(cli):
    cli.add_profile("bot1")
    result = ws(cli, "cancel-order", "OAAAAA-BBBBB-CCCCCC", "-p", "bot1", "--json")
    assert result.exit_code == 1
    envelope = json.loads(result.stdout)
    assert envelope["error"] in ("validation", "api")
    assert envelope["kraken_error"].startswith("EOrder:")
    assert envelope["profile"] == "bot1"


def test_read_only_profile_refuses_and_sends_nothing(cli):
    cli.add_profile("ro", read_only=True)
    result = ws(cli, "add-order", *LIMIT_BUY, "-p", "ro", "--yes")
    assert result.exit_code == 3
    assert "read-only" in result.stderr
    assert open_orders(cli, "ro") == {}


def test_cancel_all_requires_confirmation_on_production_without_terminal(cli):
    cli.add_profile("prod", confirm=True)
    result = ws(cli, "cancel-all", "-p", "prod")
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_refused_confirmation_sends_nothing(cli, monkeypatch):
    cli.add_profile("prod", confirm=True)
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = ws(cli, "add-order", *LIMIT_BUY, "-p", "prod", input="n\n")
    assert result.exit_code == 2
    assert "About to place an order" in result.stderr
    assert open_orders(cli, "prod") == {}


def test_yes_and_validate_skip_the_question(cli):
    cli.add_profile("prod", confirm=True)
    assert ws(cli, "add-order", *LIMIT_BUY, "--validate", "-p", "prod").exit_code == 0
    result = ws(cli, "add-order", *LIMIT_BUY, "-p", "prod", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["order_id"] in open_orders(cli, "prod")


def test_unreachable_websocket_is_a_websocket_or_network_error(cli):
    cli.add_profile("bot1")
    result = ws(cli, "cancel-all", "-p", "bot1", "--json", "--url", "ws://127.0.0.1:9/ws-auth/v2")
    category = json.loads(result.stdout)["error"]
    assert category in ("websocket", "network")
    assert result.exit_code == {"websocket": 11, "network": 4}[category], result.stdout + result.stderr


def test_table_output_for_people(cli):
    cli.add_profile("bot1")
    result = ws(cli, "add-order", *LIMIT_BUY, "-p", "bot1", "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert "order_id" in result.stdout and not result.stdout.lstrip().startswith("{")


# --- translation of REST-style options into WebSocket parameters (no exchange needed) -------------
@pytest.mark.parametrize(
    ("ordertype", "price", "price2", "expected"),
    [
        ("limit", "100", None, {"limit_price": "100"}),
        ("stop-loss", "90", None, {"limit_price": None, "triggers": {"price": "90"}}),
        ("stop-loss-limit", "90", "89", {"limit_price": "89", "triggers": {"price": "90"}}),
        ("market", None, None, {"limit_price": None}),
    ],
)
def test_add_order_request_maps_prices(ordertype, price, price2, expected):
    opts = ws_commands.CreateOrderOptions(pair="BTC/USD", side="buy", ordertype=ordertype, volume="1", price=price, price2=price2)
    kwargs = ws_commands.add_order_request(opts).kwargs
    for key, value in expected.items():
        assert kwargs.get(key) == value


def test_add_order_request_maps_flags_and_names():
    opts = ws_commands.CreateOrderOptions(
        pair="BTC/USD", side="sell", ordertype="limit", volume="1", price="5", oflags=["post", "fciq"], timeinforce="GTC",
        userref=7, close_ordertype="stop-loss", close_price="4",
    )
    kwargs = ws_commands.add_order_request(opts).kwargs
    assert kwargs["post_only"] is True and kwargs["fee_preference"] == "quote"
    assert kwargs["time_in_force"] == "gtc" and kwargs["order_userref"] == 7
    assert kwargs["conditional"] == {"order_type": "stop-loss", "trigger_price": "4"}
    assert "validate" not in kwargs
