"""Fixtures for the CLI tests: an isolated config whose paper profiles point at the local exchange.

Secrets come from a ``secret_command`` (``cat`` of a file in the test's tmp dir), so the
same profiles work in-process (typer's CliRunner) and in real subprocesses, and
nothing touches the user's config or keyring.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ENV_VARS = ("KRAKEN_OPS_PROFILE", "KRAKEN_OPS_API_KEY", "KRAKEN_OPS_SECRET_KEY", "KRAKEN_OPS_KEYRING_SERVICE", "NO_COLOR")
_count = itertools.count(1)


class Cli:
    """Runs ``kraken-ops`` in-process or as a subprocess against an isolated config."""

    def __init__(self, tmp: Path, exchange: Any) -> None:
        self.tmp = tmp
        self.exchange = exchange
        self.config = tmp / "config.toml"
        self.profiles: dict[str, dict[str, Any]] = {}
        self.runner = CliRunner()

    def account(self, fund: dict[str, str] | None = None, **kwargs: Any) -> Any:
        name = f"cli{os.getpid()}x{next(_count)}"
        return self.exchange.add_account(name, fund=fund if fund is not None else {"ZUSD": "10000", "XXBT": "1"}, **kwargs)

    def add_profile(self, name: str, account: Any = None, *, url: str | None = None, **fields: Any) -> Any:
        """A paper profile for ``account`` (a new funded one by default)."""
        account = account if account is not None else self.account()
        for market in ("spot", "futures"):
            (self.tmp / f"{name}-{market}.secret").write_text(getattr(account, f"{market}_secret") + "\n")
        table = {
            "environment": "paper",
            "url": url or self.exchange.url,
            "spot_key": account.spot_key,
            "futures_key": account.futures_key,
            "secret_command": ["cat", str(self.tmp / "{profile}-{market}.secret")],
            **fields,
        }
        self.profiles[name] = table
        self._write()
        return account

    def _write(self) -> None:
        import tomli_w

        doc = {"profiles": self.profiles}
        self.config.write_text(tomli_w.dumps(doc))

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from kraken_ops.cli.app import app

        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
        env["KRAKEN_OPS_CONFIG"] = str(self.config)
        env["KRAKEN_OPS_STATE_DIR"] = str(self.tmp / "state")
        return env

    def subprocess(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kraken_ops.cli", *args], input=input, capture_output=True, text=True, env=self.env(), timeout=timeout
        )


@pytest.fixture
def cli(tmp_path: Path, exchange: Any, monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("KRAKEN_OPS_STATE_DIR", str(tmp_path / "state"))
    return Cli(tmp_path, exchange)
