"""``kraken-ops exchange serve --markets FILE|live|bundled`` (issue 11, item 5).

The served universe is process-wide, so every exchange here runs in its own process (the
command itself), on an ephemeral port. No test reaches the internet: ``--markets live`` is
pointed at a closed loopback port (the fallback) or at the test session's own exchange (a
Kraken-compatible server) with ``KRAKEN_OPS_MARKETS_URL``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from helpers import Spot

from kraken_ops.exchange import markets

CLI = [sys.executable, "-c", "from kraken_ops.cli.app import main; main()"]


class Served:
    def __init__(self, state: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([*CLI, "exchange", "serve", "--port", "0", "--state", str(state), *args],
                                     stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()  # type: ignore[union-attr]
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if line.startswith("listening on "):
                self.url = line.strip().removeprefix("listening on ")
                return
        self.stop()
        raise AssertionError(f"the exchange did not start: {self.lines}")

    def get(self, path: str, **params: Any) -> Any:
        return requests.get(self.url + path, params=params, timeout=30).json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


@pytest.fixture
def served() -> Iterator[Any]:
    running: list[Served] = []

    def start(state: Path, *args: str, env: dict[str, str] | None = None) -> Served:
        s = Served(state, *args, env=env)
        running.append(s)
        return s

    yield start
    for s in running:
        s.stop()


def _markets_file(path: Path) -> Path:
    """A saved universe in the documented layout: Kraken's Assets ``result``, the whole
    AssetPairs answer (envelope and all), and one Futures instrument."""
    u = markets.bundled()
    assets = {aid: u.assets[aid].to_kraken() for aid in ("ZUSD", "XXBT")}
    assets["NEWC"] = {"aclass": "currency", "altname": "NEWC", "decimals": 8, "display_decimals": 4, "status": "enabled"}
    pairs = {"XXBTZUSD": u.pairs["XXBTZUSD"].to_kraken(),
             "NEWCUSD": {"altname": "NEWCUSD", "wsname": "NEWC/USD", "aclass_base": "currency", "base": "NEWC",
                         "aclass_quote": "currency", "quote": "ZUSD", "lot": "unit", "cost_decimals": 5,
                         "pair_decimals": 3, "lot_decimals": 8, "lot_multiplier": 1, "leverage_buy": [],
                         "leverage_sell": [], "fees": [], "fees_maker": [], "fee_volume_currency": "ZUSD",
                         "margin_call": 80, "margin_stop": 40, "ordermin": "3", "costmin": "0.5", "tick_size": "0.001",
                         "status": "online"}}
    inst = [i for i in u.instruments_raw or [] if i["symbol"] == "PF_XBTUSD"]
    path.write_text(json.dumps({"Assets": assets, "AssetPairs": {"error": [], "result": pairs}, "instruments": inst}))
    return path


def _account(state: Path, name: str, *fund: str) -> Any:
    out = subprocess.run([*CLI, "exchange", "account", "add", name, "--print-credentials", "--state", str(state),
                          *[x for f in fund for x in ("--fund", f)]], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)

    class Acct:
        spot_key, spot_secret = creds["spot"]["key"], creds["spot"]["secret"]
    return Acct()


def test_serve_loads_a_saved_universe_and_the_state_remembers_it(served: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    file = _markets_file(tmp_path / "kraken-markets.json")
    s = served(state, "--markets", str(file))
    pairs = s.get("/0/public/AssetPairs")["result"]
    assert set(pairs) == {"XXBTZUSD", "NEWCUSD"}
    assert (pairs["NEWCUSD"]["ordermin"], pairs["NEWCUSD"]["tick_size"], pairs["NEWCUSD"]["fees"]) == ("3", "0.001", [])
    assert set(s.get("/0/public/Assets")["result"]) == {"ZUSD", "XXBT", "NEWC"}
    t = s.get("/0/public/Ticker", pair="NEWC/USD")["result"]["NEWC/USD"]
    assert float(t["b"][0]) < float(t["a"][0])
    inst = s.get("/derivatives/api/v3/instruments")["instruments"]
    assert [i["symbol"] for i in inst] == ["PF_XBTUSD"]
    assert (state / "markets.json").is_file()
    # the account commands name the assets of the state's universe; an order rests on NEWC/USD
    acct = _account(state, "newc", "USD=1000", "NEWC=50")
    c = Spot(s.url, acct)
    assert c.ok("Balance")["NEWC"] == "50.00000000"
    txid = c.ok("AddOrder", {"pair": "NEWCUSD", "type": "buy", "ordertype": "limit", "volume": "3", "price": "0.5"})
    assert txid["txid"]
    s.stop()
    # restarted without --markets: the universe the state was served with
    again = served(state)
    assert set(again.get("/0/public/AssetPairs")["result"]) == {"XXBTZUSD", "NEWCUSD"}
    again.stop()
    # back to the bundled universe; the pair with a resting order is kept, with a note
    bundled = served(state, "--markets", "bundled")
    listed = bundled.get("/0/public/AssetPairs")["result"]
    assert "NEWCUSD" in listed and len(listed) > 200
    assert any(line.startswith("note: kept 1 pair(s)") and "NEWCUSD" in line for line in bundled.lines)
    assert Spot(bundled.url, acct).ok("OpenOrders")["open"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_live_falls_back_with_one_warning_line(served: Any, tmp_path: Path) -> None:
    s = served(tmp_path, "--markets", "live", env={"KRAKEN_OPS_MARKETS_URL": f"http://127.0.0.1:{_closed_port()}"})
    warnings = [line for line in s.lines if line.startswith("warning:")]
    assert len(warnings) == 1 and "cannot fetch" in warnings[0] and "bundled markets" in warnings[0], s.lines
    assert len(s.get("/0/public/AssetPairs")["result"]) == len(
        [p for p in markets.bundled().pairs.values() if p.aclass_base == "currency"])
    assert not (tmp_path / "markets.json").exists()


def test_live_fetches_the_universe_of_a_kraken_compatible_server(served: Any, exchange: Any, tmp_path: Path) -> None:
    s = served(tmp_path, "--markets", "live", env={"KRAKEN_OPS_MARKETS_URL": exchange.url})
    assert not [line for line in s.lines if line.startswith("warning:")]
    # the other server lists its `currency` pairs (Kraken's default class) and its instruments
    theirs = requests.get(exchange.url + "/0/public/AssetPairs", timeout=30).json()["result"]
    assert set(s.get("/0/public/AssetPairs")["result"]) == set(theirs)
    assert len(s.get("/derivatives/api/v3/instruments")["instruments"]) == len(
        requests.get(exchange.url + "/derivatives/api/v3/instruments", timeout=30).json()["instruments"])
    saved = json.loads((tmp_path / "markets.json").read_text())
    assert set(saved["AssetPairs"]) == set(theirs) and saved["kraken_ops"]["source"] == exchange.url


@pytest.mark.parametrize("content, says", [
    ("{not json", "is not JSON"),
    ('{"Assets": {"ZUSD": {"altname": "USD"}}}', "no AssetPairs answer"),
    ('{"Assets": {"ZUSD": {"altname": "USD"}}, "AssetPairs": {"X": {"altname": "X", "base": "NOPE", "quote": "ZUSD"}}}',
     "is not in the Assets answer"),
    ('{"Assets": {"ZUSD": {"altname": "USD"}}, "AssetPairs": {"error": ["EGeneral:Internal error"]}}',
     "Kraken answered"),
])
def test_a_bad_markets_file_is_one_line_and_exit_3(tmp_path: Path, content: str, says: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = subprocess.run([*CLI, "exchange", "serve", "--port", "0", "--state", str(tmp_path / "s"), "--markets", str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad --markets: ") and says in lines[0], out.stderr
