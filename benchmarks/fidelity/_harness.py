"""A tiny step runner shared by the fidelity scripts (no third-party imports).

Each step is a callable; the runner records ``ok``/``FAIL`` with a one-line summary of the
answer or the exception, and ``summary()`` prints the tally and returns an exit code.
"""

from __future__ import annotations

import json
import sys
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
