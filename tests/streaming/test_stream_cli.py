"""``kraken-ops stream`` against the local exchange, as a real process (pipes, exit codes)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kraken_ops.cli.commands.stream import Endpoints, StreamOptions, resolve_endpoints, run_stream, ws_urls_from_rest

ROOT = Path(__file__).resolve().parents[2]


def kraken_ops(*args: str, config: Path | None = None, stdin_pipe: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    if config is not None:
        env["KRAKEN_OPS_CONFIG"] = str(config)
    cmd = [sys.executable, "-m", "kraken_ops.cli", *args]
    if stdin_pipe is not None:
        shell = " ".join(_quote(c) for c in cmd) + " | " + stdin_pipe
        return subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=timeout, env=env)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def lines(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line, parse_float=Decimal) for line in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def cli_available() -> None:
    probe = kraken_ops("stream", "--help")
    if probe.returncode != 0 or "ticker" not in probe.stdout:
        pytest.skip("kraken-ops stream is not registered in the CLI app")


def test_ws_urls_derive_from_a_paper_profile_url() -> None:
    assert ws_urls_from_rest("http://127.0.0.1:8787") == {
        "spot_ws": "ws://127.0.0.1:8787/ws/v2",
        "spot_auth_ws": "ws://127.0.0.1:8787/ws-auth/v2",
        "futures_ws": "ws://127.0.0.1:8787/ws/v1",
    }
    assert ws_urls_from_rest("https://kraken.example/base/")["futures_ws"] == "wss://kraken.example/base/ws/v1"


def test_count_ends_trades_stream_with_exit_zero(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "trades", "BTC/USD", "--count", "3", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    got = lines(proc)
    assert len(got) == 3 and all(m["channel"] == "trade" for m in got)


def test_heartbeats_and_acks_only_with_raw(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "ticker", "BTC/USD", "--count", "4", "--raw", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    got = lines(proc)
    assert got[0]["channel"] == "status" and any(m.get("method") == "subscribe" for m in got)


def test_duration_ends_the_stream(exchange: Any, cli_available: None) -> None:
    start = time.monotonic()
    proc = kraken_ops("stream", "ohlc", "BTC/USD", "--duration", "1.5", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    assert 1.4 <= time.monotonic() - start < 20
    assert all(m["channel"] == "ohlc" for m in lines(proc))


def test_book_prints_checked_top_levels(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "book", "BTC/USD", "--depth", "3", "--count", "3", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    for item in lines(proc):
        assert item["symbol"] == "BTC/USD" and item["valid"] is True
        assert len(item["bids"]) == 3 and len(item["asks"]) == 3
        assert item["bids"][0][0] < item["asks"][0][0]


def test_closed_pipe_ends_quietly(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "trades", "BTC/USD", "--url", exchange.ws_spot_public, stdin_pipe="head -n 1")
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_instrument_channel(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "instrument", "--count", "1", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    assert "pairs" in lines(proc)[0]["data"]


def test_instrument_pairs_filter_the_output(exchange: Any, cli_available: None) -> None:
    proc = kraken_ops("stream", "instrument", "BTC/USD", "--count", "1", "--url", exchange.ws_spot_public)
    assert proc.returncode == 0, proc.stderr
    data = lines(proc)[0]["data"]
    assert [p["symbol"] for p in data["pairs"]] == ["BTC/USD"]
    assert sorted(a["id"] for a in data["assets"]) == ["BTC", "USD"]


@pytest.mark.parametrize("feed,product_line", [("ticker", "ticker"), ("trades", "trade"), ("book", None)])
def test_futures_public_streams(exchange: Any, cli_available: None, feed: str, product_line: Any) -> None:
    proc = kraken_ops("stream", "futures", feed, "PF_XBTUSD", "--count", "1", "--url", exchange.ws_futures)
    assert proc.returncode == 0, proc.stderr
    item = lines(proc)[0]
    if feed == "book":
        assert item["product_id"] == "PF_XBTUSD" and item["valid"] is True and item["bids"]
    else:
        assert item["feed"].startswith(product_line)


def _paper_profile(tmp_path: Path, exchange: Any, acct: Any) -> Path:
    """A paper profile pointing at the test exchange; secrets through the environment-free secret_command."""
    config = tmp_path / "config.toml"
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"spot": acct.spot_secret, "futures": acct.futures_secret}))
    script = tmp_path / "secret.py"
    script.write_text(
        "import json,sys\nm=sys.argv[1] if len(sys.argv)>1 else 'spot'\nprint(json.load(open(%r))[m])\n" % str(secrets)
    )
    config.write_text(
        f"""default = "paper1"

[profiles.paper1]
environment = "paper"
url = "{exchange.url}"
spot_key = "{acct.spot_key}"
futures_key = "{acct.futures_key}"
secret_command = ["{sys.executable}", "{script}", "{{market}}"]
"""
    )
    return config


@pytest.mark.parametrize("args", [["executions"], ["balances"], ["futures", "fills"], ["futures", "open-orders"], ["futures", "positions"], ["futures", "balances"], ["futures", "account-log"], ["futures", "notifications"]])
def test_private_streams_with_a_paper_profile(exchange: Any, cli_available: None, tmp_path: Path, unique_name: str, args: list[str]) -> None:
    acct = exchange.add_account(unique_name, fund={"USD": "100000", "XBT": "1"})
    config = _paper_profile(tmp_path, exchange, acct)
    proc = kraken_ops("stream", *args, "--profile", "paper1", "--count", "1", config=config)
    if proc.returncode != 0 and ("secret" in proc.stderr.lower() or "profile" in proc.stderr.lower()):
        pytest.skip(f"profile secret plumbing differs: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr
    item = lines(proc)[0]
    assert ("channel" in item) or ("feed" in item)
    assert acct.spot_secret not in proc.stdout + proc.stderr and acct.futures_secret not in proc.stdout + proc.stderr


# --- the run function with fake streams (no process) -------------------------------------------------
def test_run_stream_writes_ndjson_and_counts(exchange: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_stream(StreamOptions("spot", "ticker", ["BTC/USD", "ETH/USD"], count=2), Endpoints(spot_ws=exchange.ws_spot_public), out, err)
    assert code == 0
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(got) == 2 and {g["data"][0]["symbol"] for g in got} <= {"BTC/USD", "ETH/USD"}


def test_public_stream_without_profile_uses_kraken_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("KRAKEN_OPS_PROFILE", raising=False)
    ends = resolve_endpoints(None, "spot", private=False)
    assert ends.spot_ws == "wss://ws.kraken.com/v2" and ends.key == ""
    assert resolve_endpoints(None, "futures", private=False, url="ws://127.0.0.1:1/ws/v1").futures_ws == "ws://127.0.0.1:1/ws/v1"


def test_live_book_renders_a_table_and_honours_count(exchange: Any) -> None:
    from kraken_ops.cli.commands.stream import Endpoints, StreamOptions, run_stream

    out, err = io.StringIO(), io.StringIO()
    ends = Endpoints(spot_ws=exchange.ws_spot_public, spot_rest=exchange.url)
    opts = StreamOptions("spot", "book", ["BTC/USD"], count=3, depth=5, live=True, duration=30)
    assert run_stream(opts, ends, out, err) == 0
    text = out.getvalue()
    assert "BTC/USD" in text and "checksum ok" in text and "bid qty" in text
    assert "{" not in text  # a table for people, not NDJSON



def test_stream_book_tells_the_person_about_reconnects_and_checksum_mismatches(exchange_factory: Any, cli_available: None) -> None:
    """Dropped connections (ws-drop) and corrupted books (bad-checksum) are survived, and the
    person watching is told on stderr, once per event; stdout stays book lines only."""
    server = exchange_factory(faults=["bad-checksum=0.3", "ws-drop=15"])
    proc = kraken_ops("stream", "book", "BTC/USD", "--depth", "10", "--count", "40", "--url", server.ws_spot_public, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert all(set(m) >= {"symbol", "bids", "asks"} for m in lines(proc))
    assert "kraken-ops: reconnecting" in proc.stderr, proc.stderr
    mismatches = [line for line in proc.stderr.splitlines() if "checksum" in line]
    assert mismatches and all("book BTC/USD: checksum mismatch" in line for line in mismatches), proc.stderr
