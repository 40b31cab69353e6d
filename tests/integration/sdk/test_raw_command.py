"""The raw commands `kraken spot|futures URL` against the local exchange, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

KRAKEN = [sys.executable, "-c", "from kraken_ops.cli.raw import main; main()"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KRAKEN_", "KRAKEN_OPS_"))}
    return subprocess.run([*KRAKEN, *args], capture_output=True, text=True, env={**base, **(env or {})}, timeout=60)


def test_full_url_prints_the_server_time(exchange) -> None:
    done = run("spot", f"{exchange.url}/0/public/Time")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"unixtime", "rfc1123"} and result["unixtime"] > 1_700_000_000


def test_path_goes_to_the_environment_base_url(exchange) -> None:
    done = run("spot", "/0/public/AssetPairs?pair=XBTUSD", env={"KRAKEN_SPOT_URL": exchange.url})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["XXBTZUSD"]["wsname"] == "XBT/USD"


def test_private_post_with_keys_from_the_environment(exchange, unique_name) -> None:
    acct = exchange.add_account(unique_name, fund={"ZUSD": "1234.5000"})
    env = {"KRAKEN_API_KEY": acct.spot_key, "KRAKEN_SECRET_KEY": acct.spot_secret}
    done = run("spot", "-X", "POST", f"{exchange.url}/0/private/Balance", env=env)
    assert done.returncode == 0, done.stderr
    balance = json.loads(done.stdout, parse_float=Decimal)
    assert Decimal(balance["ZUSD"]) == Decimal("1234.5")
    assert acct.spot_secret not in done.stdout + done.stderr


def test_data_option_is_sent_and_kraken_errors_exit_1(exchange, unique_name) -> None:
    acct = exchange.add_account(unique_name, fund={"ZUSD": "10"})
    env = {"KRAKEN_API_KEY": acct.spot_key, "KRAKEN_SECRET_KEY": acct.spot_secret}
    order = json.dumps({"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "1", "price": "50000"})
    done = run("spot", "-X", "POST", f"{exchange.url}/0/private/AddOrder", "-d", order, env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().endswith("(EOrder:Insufficient funds)")
    assert len(done.stderr.strip().splitlines()) == 1


def test_secret_on_argv_works_but_warns(exchange, unique_name) -> None:
    acct = exchange.add_account(unique_name, fund={"ZUSD": "5"})
    done = run("spot", "--api-key", acct.spot_key, "--secret-key", acct.spot_secret, "-X", "POST", f"{exchange.url}/0/private/Balance")
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "profile" in done.stderr
    assert acct.spot_secret not in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("spot", "-X", "POST", "-d", "{not json", "/0/private/Balance"), 2, "--data is not valid JSON"),
        (("spot", "-d", "[1, 2]", "/0/public/Time"), 2, "must be a JSON object"),
        (("spot", "relative/path"), 2, "must be a full http(s) URL or a path"),
        (("spot", "-X", "POST", "/0/private/Balance"), 3, "needs an API key"),
        (("spot", "http://127.0.0.1:9/0/public/Time"), 4, "cannot reach"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_exit_code(args: tuple[str, ...], code: int, needle: str) -> None:
    done = run(*args, env={"KRAKEN_SPOT_URL": "http://127.0.0.1:9"})
    assert done.returncode == code, done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_futures_public_and_private(exchange, unique_name) -> None:
    done = run("futures", f"{exchange.url}/derivatives/api/v3/tickers")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == "success"
    acct = exchange.add_account(unique_name, fund={"ZUSD": "100"})
    env = {"KRAKEN_FUTURES_API_KEY": acct.futures_key, "KRAKEN_FUTURES_SECRET_KEY": acct.futures_secret}
    done = run("futures", f"{exchange.url}/derivatives/api/v3/openpositions", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["openPositions"] == []
    done = run("futures", "-q", '{"symbol": "PF_XBTUSD"}', f"{exchange.url}/derivatives/api/v3/orderbook")
    assert done.returncode == 0, done.stderr
    assert "orderBook" in json.loads(done.stdout)


def test_url_with_a_query_string_is_kept(exchange) -> None:
    done = run("spot", f"{exchange.url}/0/public/Depth?pair=XBTUSD&count=3")
    assert done.returncode == 0, done.stderr
    book = json.loads(done.stdout)["XXBTZUSD"]
    assert len(book["asks"]) == 3 and len(book["bids"]) == 3
