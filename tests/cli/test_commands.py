"""Every kraken-ops command against the local exchange, in each output format where it applies."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

FORMATS = ["json", "ndjson", "csv", "table"]

# (command line after the global options, key a JSON result must have or None)
PUBLIC = [
    (["market", "time"], "unixtime"),
    (["market", "status"], "status"),
    (["market", "assets", "XBT"], None),
    (["market", "pairs", "XBTUSD"], None),
    (["market", "ticker", "XBTUSD"], None),
    (["market", "ohlc", "XBTUSD", "--interval", "5"], "last"),
    (["market", "book", "XBTUSD", "--count", "3"], None),
    (["market", "trades", "XBTUSD", "--count", "5"], "last"),
    (["market", "spreads", "XBTUSD"], "last"),
    (["futures", "market", "instruments"], "instruments"),
    (["futures", "market", "tickers"], "tickers"),
    (["futures", "market", "book", "PF_XBTUSD"], "orderBook"),
    (["futures", "market", "trades", "PF_XBTUSD"], "history"),
    (["futures", "market", "funding-rates", "PF_XBTUSD"], "rates"),
    (["futures", "market", "candles", "PF_XBTUSD", "1h"], "candles"),
    (["futures", "market", "fee-schedules"], "feeSchedules"),
]

PRIVATE_READS = [
    (["balances"], "ZUSD"),
    (["balances", "--holds"], "ZUSD"),
    (["balances", "show", "XBT"], None),
    (["trade-balance"], "eb"),
    (["orders", "list"], "open"),
    (["orders", "closed"], "closed"),
    (["trades", "list"], "trades"),
    (["trades", "volume", "XBTUSD"], "volume"),
    (["ledgers", "list"], "ledger"),
    (["positions"], None),
    (["exports", "status", "--report", "trades"], None),
    (["funding", "deposit-methods", "XBT"], None),
    (["funding", "deposits"], None),
    (["funding", "withdrawals"], None),
    (["funding", "withdraw-methods"], None),
    (["funding", "withdraw-addresses"], None),
    (["earn", "strategies"], "items"),
    (["earn", "allocations"], "items"),
    (["futures", "accounts"], "accounts"),
    (["futures", "positions"], "openPositions"),
    (["futures", "orders", "list"], "openOrders"),
    (["futures", "fills"], "fills"),
    (["futures", "account-log"], "logs"),
    (["futures", "notifications"], "notifications"),
    (["futures", "leverage", "get"], "leveragePreferences"),
    (["futures", "pnl", "get"], "preferences"),
    (["futures", "history", "executions"], "elements"),
    (["futures", "history", "orders"], "elements"),
    (["futures", "history", "triggers"], "elements"),
]


def _check_format(fmt: str, stdout: str, key: str | None) -> None:
    if fmt == "json":
        data = json.loads(stdout, parse_float=Decimal)
        if key:
            assert key in data
    elif fmt == "ndjson":
        for line in stdout.splitlines():
            json.loads(line)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(stdout)))
        assert len({len(r) for r in rows if r}) <= 1  # rectangular (an empty result may have no columns)
    else:
        assert stdout.strip()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args,key", PUBLIC, ids=[" ".join(a) for a, _ in PUBLIC])
def test_public_command_in_each_format(cli, args, key, fmt):
    cli.add_profile("paper")
    result = cli("--profile", "paper", "-o", fmt, *args)
    assert result.exit_code == 0, result.stderr
    _check_format(fmt, result.stdout, key)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args,key", PRIVATE_READS, ids=[" ".join(a) for a, _ in PRIVATE_READS])
def test_private_read_in_each_format(cli, args, key, fmt):
    cli.add_profile("bot1")
    result = cli(*args, "--profile", "bot1", "-o", fmt)
    assert result.exit_code == 0, result.stderr
    _check_format(fmt, result.stdout, key)


def test_json_keeps_kraken_number_strings(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1234.5000"}))
    result = cli("balances", "-p", "bot1", "--json")
    assert json.loads(result.stdout)["ZUSD"] == "1234.5000"


def test_global_options_before_and_after_the_command(cli):
    cli.add_profile("bot1")
    before = cli("-o", "json", "-p", "bot1", "balances")
    after = cli("balances", "-o", "json", "-p", "bot1")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout) == json.loads(after.stdout)


def test_multi_profile_read_merges_by_profile(cli):
    cli.add_profile("a", cli.account({"ZUSD": "1"}))
    cli.add_profile("b", cli.account({"ZUSD": "2"}))
    result = cli("balances", "--all-profiles", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["a"]["ZUSD"].startswith("1") and data["b"]["ZUSD"].startswith("2")
    table = cli("balances", "-p", "a", "-p", "b", "-o", "csv")
    assert table.stdout.splitlines()[0].startswith("profile,asset,balance")


def test_multi_profile_partial_failure_exits_5(cli):
    cli.add_profile("good")
    cli.add_profile("bad", url="http://127.0.0.1:9")  # nothing listens there
    result = cli("balances", "-p", "good", "-p", "bad", "-o", "json", "--timeout", "2")
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    assert "ZUSD" in data["good"]
    assert data["bad"]["error"]["error"] == "network"
    assert "[bad]" in result.stderr


def test_orders_lifecycle(cli):
    cli.add_profile("bot1")
    created = cli(
        "orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000",
        "--cl-ord-id", "kops-test-1", "-p", "bot1", "--json",
    )
    assert created.exit_code == 0, created.stderr
    txid = json.loads(created.stdout)["txid"][0]
    shown = cli("orders", "show", txid, "-p", "bot1", "--json")
    assert txid in json.loads(shown.stdout)
    amended = cli("orders", "amend", txid, "--price", "20001", "-p", "bot1", "--json")
    assert amended.exit_code == 0, amended.stderr
    amends = cli("orders", "amends", txid, "-p", "bot1", "--json")
    assert amends.exit_code == 0, amends.stderr
    edited = cli("orders", "edit", txid, "--pair", "XBTUSD", "--price", "20002", "-p", "bot1", "--json")
    assert edited.exit_code == 0, edited.stderr
    new_txid = json.loads(edited.stdout)["txid"]
    cancelled = cli("orders", "cancel", new_txid, "-p", "bot1", "--json")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["count"] == 1


def test_orders_create_validate_places_nothing(cli):
    cli.add_profile("bot1")
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "sell", "--type", "market", "--volume", "0.001", "--validate", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert "txid" not in json.loads(result.stdout)


def test_orders_create_truncate(cli):
    cli.add_profile("bot1")
    result = cli(
        "orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.0100000001", "--price", "20000.123456",
        "--truncate", "--validate", "-p", "bot1", "--json",
    )
    assert result.exit_code == 0, result.stderr


def test_cancel_all_and_cancel_after(cli):
    cli.add_profile("bot1")
    cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000", "-p", "bot1")
    result = cli("orders", "cancel-all", "-p", "bot1", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["count"] >= 1
    result = cli("orders", "cancel-after", "60", "-p", "bot1", "--json")
    assert result.exit_code == 0 and "triggerTime" in json.loads(result.stdout)
    assert cli("orders", "cancel-after", "0", "-p", "bot1").exit_code == 0


def test_orders_batch_from_piped_json(cli):
    cli.add_profile("bot1")
    orders = [
        {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "20000"},
        {"ordertype": "limit", "side": "buy", "volume": "0.02", "price": "19000"},
    ]
    result = cli("orders", "batch", "--pair", "XBTUSD", "-p", "bot1", "--json", input=json.dumps(orders))
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["orders"]) == 2


def test_orders_batch_from_ndjson_file(cli, tmp_path):
    cli.add_profile("bot1")
    path = tmp_path / "orders.ndjson"
    path.write_text(
        '{"pair": "XBTUSD", "ordertype": "limit", "type": "buy", "volume": "0.01", "price": "20000"}\n'
        '{"pair": "ETHUSD", "ordertype": "limit", "type": "buy", "volume": "0.1", "price": "1000"}\n'
    )
    result = cli("orders", "batch", str(path), "-p", "bot1", "--validate", "-o", "ndjson")
    assert result.exit_code == 0, result.stderr


def test_orders_batch_rejects_malformed_input(cli):
    cli.add_profile("bot1")
    result = cli("orders", "batch", "-p", "bot1", input="{not json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_funding_and_earn_writes(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "10000", "DOT": "100"}))
    transfer = cli("funding", "transfer", "ZUSD", "10", "-p", "bot1", "--json")
    assert transfer.exit_code in (0, 1), transfer.stderr
    strategies = json.loads(cli("earn", "strategies", "-p", "bot1", "--json").stdout)["items"]
    if strategies:
        sid = strategies[0]["id"]
        status = cli("earn", "status", sid, "-p", "bot1", "--json")
        assert status.exit_code == 0, status.stderr


def test_futures_order_lifecycle(cli):
    cli.add_profile("bot1")
    cli("futures", "transfer", "wallet", "100", "USD", "--from", "cash", "--to", "flex", "-p", "bot1")
    created = cli("futures", "orders", "create", "--symbol", "PF_XBTUSD", "--side", "buy", "--type", "lmt", "--size", "0.001", "--price", "1000", "-p", "bot1", "--json")
    if created.exit_code == 0:
        order_id = json.loads(created.stdout)["sendStatus"]["order_id"]
        assert cli("futures", "orders", "status", order_id, "-p", "bot1", "--json").exit_code == 0
        assert cli("futures", "orders", "cancel", order_id, "-p", "bot1", "--json").exit_code == 0
    else:
        assert created.exit_code == 1 and created.stderr.startswith("error: ")
    assert cli("futures", "orders", "cancel-all", "-p", "bot1", "--json").exit_code == 0
    assert cli("futures", "orders", "dead-man-switch", "0", "-p", "bot1", "--json").exit_code == 0


def test_raw_spot_and_futures_urls(cli):
    cli.add_profile("bot1")
    result = cli("spot", f"{cli.exchange.url}/0/public/Time", "--json")
    assert result.exit_code == 0, result.stderr
    assert "unixtime" in json.loads(result.stdout)
    result = cli("futures", f"{cli.exchange.url}/derivatives/api/v3/tickers", "--json")
    assert result.exit_code == 0, result.stderr
    result = cli("spot", "-X", "POST", "/0/private/Balance", "--profile", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert "ZUSD" in json.loads(result.stdout)


def test_exports_create_wait_and_download(cli, tmp_path):
    cli.add_profile("bot1")
    target = tmp_path / "report.zip"
    result = cli("exports", "create", "--report", "ledgers", "--download", str(target), "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert target.exists() and target.stat().st_size == info["bytes"]
    assert not (tmp_path / "report.zip.part").exists()
    assert cli("exports", "delete", info["id"], "-p", "bot1").exit_code == 0


def test_futures_account_log_csv(cli, tmp_path):
    cli.add_profile("bot1")
    target = tmp_path / "log.csv"
    result = cli("futures", "account-log", "--csv", str(target), "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert target.exists()
