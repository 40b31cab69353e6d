"""Pairs complete dynamically from the chosen exchange (cached), with a built-in fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from kraken_ops.cli import completion


class Ctx:
    def __init__(self, params: dict) -> None:
        self.params = params


def test_pairs_come_from_the_profiles_exchange_and_are_cached(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KRAKEN_OPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(cli.config))
    cli.add_profile("paper")
    got = completion.complete_pair(Ctx({"profile": ["paper"]}), "XBT")
    assert "XBTUSD" in got and "XBT/USD" in got and all(g.upper().startswith("XBT") for g in got)
    cached = list((tmp_path / "cache").glob("pairs-*.json"))
    assert len(cached) == 1 and "ETH/USD" in json.loads(cached[0].read_text())["pairs"]


def test_unreachable_exchange_falls_back_to_common_pairs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KRAKEN_OPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(completion, "_profile_url", lambda ctx: "http://127.0.0.1:9")
    assert completion.complete_pair(Ctx({}), "eth/") == ["ETH/USD", "ETH/EUR", "ETH/XBT"]


def test_shell_completion_of_a_pair_argument(cli, tmp_path) -> None:
    cli.add_profile("paper")
    env = {**cli.env(), "KRAKEN_OPS_CACHE_DIR": str(tmp_path / "cache"), "_KRAKEN_OPS_COMPLETE": "complete_bash",
           "COMP_WORDS": "kraken-ops market ticker -p paper SOL", "COMP_CWORD": "5"}
    code = "import sys; sys.argv[0] = 'kraken-ops'; from kraken_ops.cli.app import main; main()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "SOLUSD" in done.stdout or "SOL/USD" in done.stdout, (done.stdout, done.stderr)
    assert os.path.isdir(tmp_path / "cache")
