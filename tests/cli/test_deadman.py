"""``kraken-ops deadman`` (issue 13, item 4): the dead man's switch kept armed on each account.

Against the local exchange with its faults: an account whose refreshes stop (HTTP 502 on
every request) has its orders cancelled by the exchange, while the healthy account keeps
its orders; latency alone is tolerated. Timeouts are short (seconds) but leave generous
room, and no test asserts a timing beyond "not before the trigger time the exchange gave,
and before the run ended".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from kraken_ops.cli import audit

LIMIT = ("--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000")


def place(cli: Any, profile: str) -> str:
    result = cli("orders", "create", *LIMIT, "-p", profile, "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["txid"][0]


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def order(cli: Any, profile: str, txid: str) -> dict[str, Any]:
    result = cli("orders", "show", txid, "-p", profile, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)[txid]


def account_name(server: Any, key: str) -> str:
    return server.db.query("SELECT name FROM accounts WHERE spot_key=?", (key,))[0][0]


def test_an_account_whose_refreshes_stop_has_its_orders_cancelled_by_the_exchange(cli, exchange_factory):
    healthy = exchange_factory()
    failing = exchange_factory()
    cli.add_profile("a", healthy.add_account("dmhealthy", fund={"ZUSD": "10000"}), url=healthy.url, tags=["bots"])
    cli.add_profile("b", failing.add_account("dmfailing", fund={"ZUSD": "10000"}), url=failing.url, tags=["bots"])
    del cli.profiles["a"]["futures_key"], cli.profiles["b"]["futures_key"]
    cli._write()
    kept, doomed = place(cli, "a"), place(cli, "b")

    def break_b() -> None:  # once b's switch is armed and refreshed, every request to b's exchange fails
        deadline = time.monotonic() + 30
        while "dmfailing" not in failing.ctx.engine.dead_man and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)
        failing.ctx.faults["http_502"] = 1.0

    breaker = threading.Thread(target=break_b, daemon=True)
    breaker.start()
    # generous windows: the switch fires 5 s after the last refresh that got through; HTTP timeout 3 s
    result = cli("--timeout", "3", "deadman", "--group", "bots", "--timeout", "5", "--every", "1", "--duration", "14", "-o", "ndjson")
    ended = time.time()
    breaker.join(5)
    assert result.exit_code == 5, result.stderr
    seen = events(result.stdout)
    a = [e["event"] for e in seen if e.get("profile") == "a"]
    b = [e for e in seen if e.get("profile") == "b"]
    assert a[0] == "armed" and a[-2:] == ["disarmed", "stopped"]
    kinds = [e["event"] for e in b]
    assert kinds[0] == "armed" and "refreshed" in kinds and "missed" in kinds and kinds[-2:] == ["disarm_failed", "stopped"]
    first_miss = next(e for e in b if e["event"] == "missed")
    assert first_miss["error"]["error"] in ("outcome", "parse", "network") and first_miss["fires_at"]
    assert "warning: [b] spot: refresh missed" in result.stderr and "Kraken cancels its orders at" in result.stderr
    # at the end the switch has long fired: the warning says so instead of offering to disarm it in time
    (disarm,) = [line for line in result.stderr.splitlines() if "could not disarm" in line]
    assert "Kraken has cancelled its orders" in disarm and "unless you run" not in disarm
    # the exchange cancelled b's order on its own: before the run ended, not before the last trigger time b was given
    failing.ctx.faults["http_502"] = None  # to look at it
    gone = order(cli, "b", doomed)
    assert gone["status"] == "canceled" and gone["reason"] == "Dead man's switch"
    last_trigger = max(e["trigger_time"] for e in b if e["event"] in ("armed", "refreshed"))
    assert dt.datetime.fromisoformat(last_trigger).timestamp() - 1 <= gone["closetm"] <= ended
    assert order(cli, "a", kept)["status"] == "open"
    assert "dmhealthy" not in healthy.ctx.engine.dead_man  # disarmed on the way out


def test_latency_is_tolerated_and_the_switch_disarmed_on_exit(cli, exchange_factory):
    slow = exchange_factory(faults=["latency=300"])
    cli.add_profile("slow", slow.add_account("dmslow", fund={"ZUSD": "10000"}), url=slow.url)
    txid = place(cli, "slow")
    result = cli("--timeout", "5", "deadman", "-p", "slow", "--timeout", "8", "--every", "2", "--duration", "5", "-o", "ndjson")
    assert result.exit_code == 0, result.stderr
    seen = events(result.stdout)
    spot = [e["event"] for e in seen if e["market"] == "spot"]
    futures = [e["event"] for e in seen if e["market"] == "futures"]
    for kinds in (spot, futures):
        assert kinds[0] == "armed" and "missed" not in kinds and kinds[-2:] == ["disarmed", "stopped"]
    assert order(cli, "slow", txid)["status"] == "open"
    assert "dmslow" not in slow.ctx.engine.dead_man
    lines = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["command"] == "deadman"]
    assert sorted((e["params"]["market"], e["params"]["timeout"], e["outcome"]["status"]) for e in lines) == [
        ("futures", 0, "ok"), ("futures", 8, "ok"), ("spot", 0, "ok"), ("spot", 8, "ok"),
    ]


def test_leave_armed_keeps_the_switch_and_the_exchange_fires_it(cli, exchange_factory):
    server = exchange_factory()
    cli.add_profile("bot", server.add_account("dmleave", fund={"ZUSD": "10000"}), url=server.url)
    txid = place(cli, "bot")
    result = cli("deadman", "-p", "bot", "--market", "spot", "--timeout", "30", "--every", "10", "--duration", "0.5", "--leave-armed", "-o", "ndjson")
    assert result.exit_code == 0, result.stderr
    assert [e["event"] for e in events(result.stdout)] == ["armed", "left_armed", "stopped"]
    assert "dmleave" in server.ctx.engine.dead_man
    assert order(cli, "bot", txid)["status"] == "open"
    server.ctx.clock.advance(60)  # half a minute later the switch fires on the exchange's next tick
    deadline = time.monotonic() + 20
    while order(cli, "bot", txid)["status"] == "open" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert order(cli, "bot", txid)["reason"] == "Dead man's switch"


def test_an_account_that_cannot_be_armed_is_reported_and_not_called_protected(cli):
    cli.add_profile("ok")
    cli.add_profile("down", url="http://127.0.0.1:9")
    result = cli("--timeout", "1", "deadman", "-p", "ok", "-p", "down", "--market", "spot", "--timeout", "5", "--every", "1", "--duration", "1.5", "-o", "ndjson")
    assert result.exit_code == 5
    assert "warning: [down] spot: could not arm the dead man's switch" in result.stderr and "NOT protected" in result.stderr
    down = [e["event"] for e in events(result.stdout) if e["profile"] == "down"]
    assert down[0] == "missed" and "armed" not in down and down[-1] == "stopped"


@pytest.mark.parametrize("args,message", [
    (["--timeout", "10", "--every", "10"], "--every (10) must be shorter than --timeout (10)"),
    (["--timeout", "5", "--every", "20"], "--every (20) must be shorter than --timeout (5)"),
])
def test_every_must_be_shorter_than_the_timeout(cli, args, message):
    cli.add_profile("bot")
    result = cli("deadman", "-p", "bot", *args)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {message}")


def test_read_only_profiles_are_skipped(cli):
    cli.add_profile("ro", read_only=True)
    result = cli("deadman", "-p", "ro", "--duration", "0")
    assert result.exit_code == 3 and "every selected profile is skipped (read-only profile)" in result.stderr


def test_a_status_table_on_a_terminal(cli):
    from kraken_ops.cli.commands.deadman import DeadmanOptions, run_deadman
    from kraken_ops.cli.context import GlobalOptions, Kind
    from kraken_ops.cli.output import Output

    cli.add_profile("bot")
    stdout, stderr = io.StringIO(), io.StringIO()
    options = GlobalOptions(profiles=["bot"], kind=Kind.fleet, yes=True, command_path="kraken-ops deadman")
    switches = run_deadman(DeadmanOptions(timeout=5, every=1, duration=1.5), options, Output("table", color=False, stdout=stdout, stderr=stderr))
    assert [s.state for s in switches] == ["disarmed", "disarmed"]
    text = stdout.getvalue()
    assert "dead man's switch" in text and "bot" in text and "disarmed" in text and "futures" in text


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_it_cleanly_and_disarms(cli, exchange_factory, sig):
    server = exchange_factory()
    cli.add_profile("bot", server.add_account(f"dmsig{int(sig)}", fund={"ZUSD": "10000"}), url=server.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kraken_ops.cli", "deadman", "-p", "bot", "--market", "spot", "--timeout", "20", "--every", "5", "-o", "ndjson"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env(),
    )
    try:
        first = json.loads(proc.stdout.readline())
        assert first["event"] == "armed", proc.stderr.read() if proc.poll() is not None else first
        assert f"dmsig{int(sig)}" in server.ctx.engine.dead_man
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert [e["event"] for e in events(out)] == ["disarmed", "stopped"]
    assert f"dmsig{int(sig)}" not in server.ctx.engine.dead_man
