"""A tiny step runner shared by the fidelity scripts (no third-party imports).

Each step is a callable; the runner records ``ok``/``FAIL`` with a one-line summary of the
answer or the exception, and ``summary()`` prints the tally and returns an exit code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any


class Steps:
    def __init__(self, client: str, verbose: bool = False) -> None:
        self.client = client
        self.verbose = verbose
        self.results: list[tuple[str, bool, str]] = []

    def run(self, name: str, fn: Callable[[], Any], check: Callable[[Any], Any] | None = None) -> Any:
        try:
            value = fn()
            if check is not None:
                verdict = check(value)
                if verdict is False:
                    raise AssertionError(f"unexpected answer: {_short(value)}")
        except Exception as exc:
            self.results.append((name, False, f"{type(exc).__name__}: {exc}"))
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            if self.verbose:
                traceback.print_exc()
            return None
        self.results.append((name, True, _short(value)))
        print(f"ok   {name}: {_short(value)}", flush=True)
        return value

    def fail(self, name: str, exc: BaseException) -> None:
        """Record a step that failed outside ``run`` (e.g. an awaited call)."""
        self.results.append((name, False, f"{type(exc).__name__}: {exc}"))
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)

    def summary(self) -> int:
        failed = [r for r in self.results if not r[1]]
        print(f"\n{self.client}: {len(self.results) - len(failed)}/{len(self.results)} steps ok", flush=True)
        for name, _, msg in failed:
            print(f"  FAILED {name}: {msg}")
        return 1 if failed else 0


def _short(value: Any, limit: int = 160) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_credentials(path: str) -> tuple[str, str]:
    """``kraken-ops exchange account add NAME --print-credentials`` output -> (key, secret)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["spot"]["key"], data["spot"]["secret"]


def die(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(2)


def load_futures_credentials(path: str) -> tuple[str, str, str, str]:
    """``account add NAME --print-credentials`` output -> (futures key, futures secret, spot key, spot secret)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["futures"]["key"], data["futures"]["secret"], data["spot"]["key"], data["spot"]["secret"]


def start_exchange(kraken_ops: str, names: list[str]) -> tuple[subprocess.Popen[str], str, dict[str, Any], str]:
    """``kraken-ops exchange serve --port 0`` on a temporary state with one funded account a name
    (Spot funds, Futures flex collateral, the inverse contracts' fi_ wallets, a BTC withdrawal
    key ``cold``). Returns (process, base URL, name -> credentials, state dir)."""
    state = tempfile.mkdtemp(prefix="fidelity-")
    accounts: dict[str, Any] = {}
    for name in names:
        acct = name.replace(".", "-")
        out = subprocess.run(
            [kraken_ops, "exchange", "account", "add", acct, "--state", state, "--print-credentials",
             "--fund", "ZUSD=1000000", "--fund", "XXBT=20", "--fund", "XETH=200", "--fund", "SOL=1000",
             "--fund-futures", "USD=500000", "--fund-futures", "fi_xbtusd:XBT=2", "--fund-futures", "fi_ethusd:ETH=10"],
            check=True, capture_output=True, text=True).stdout
        creds = json.loads(out)
        address = "bc1qccxtunified" + "0" * 26
        subprocess.run([kraken_ops, "exchange", "account", "add-withdraw-key", acct, "XBT", "cold", address,
                        "--state", state], check=True, capture_output=True, text=True)
        creds.update(withdraw_key="cold", withdraw_address=address)
        accounts[name] = creds
    proc = subprocess.Popen([kraken_ops, "exchange", "serve", "--port", "0", "--state", state, "--seed", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    url = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"listening on (\S+)", line)
        if found:
            url = found.group(1).rstrip("/")
            break
    if not url:
        proc.kill()
        shutil.rmtree(state, ignore_errors=True)
        die("the local exchange did not start")
    return proc, url, accounts, state


def stop_exchange(proc: subprocess.Popen[str], state: str) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(state, ignore_errors=True)
