"""Generated files are current; real subprocesses: pipes, stdin, exit codes, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_cli_md_is_current():
    result = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_completions_are_current():
    result = subprocess.run([sys.executable, "scripts/gen_completions.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_help_imports_no_heavy_modules():
    code = (
        "import sys, kraken_ops.cli.app\n"
        "heavy = [m for m in ('aiohttp', 'websockets', 'kraken_ops.exchange.server', 'rich.table', 'kraken_ops.spot.trade', 'requests') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_subprocess_market_time_json_and_exit_0(cli):
    cli.add_profile("paper")
    result = cli.subprocess("market", "time", "-p", "paper")
    assert result.returncode == 0, result.stderr
    assert "unixtime" in json.loads(result.stdout)  # JSON because stdout is not a terminal


def test_subprocess_json_piped_into_orders_batch(cli):
    cli.add_profile("bot1")
    orders = "\n".join(
        json.dumps({"ordertype": "limit", "type": "buy", "volume": "0.01", "price": p}) for p in ("20000", "19000", "18000")
    )
    result = cli.subprocess("orders", "batch", "--pair", "XBTUSD", "-p", "bot1", input=orders)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["orders"]) == 3


def test_subprocess_closed_pipe_ends_quietly(cli):
    cli.add_profile("paper")
    env = cli.env()
    proc = subprocess.run(
        f"{sys.executable} -m kraken_ops.cli market book XBTUSD --count 200 -p paper -o ndjson | head -1",
        shell=True, capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_subprocess_usage_error_exit_2(cli):
    result = cli.subprocess("orders", "create", "--side", "nope")
    assert result.returncode == 2


def test_subprocess_needs_yes_without_terminal(cli):
    cli.add_profile("prod", confirm=True)
    result = cli.subprocess("orders", "cancel-all", "-p", "prod", input="")
    assert result.returncode == 2
    assert result.stdout.strip() == "" or json.loads(result.stdout)["error"] == "usage"
