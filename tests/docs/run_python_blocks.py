"""Run one document's Python blocks in one interpreter, top to bottom, as a reader pasting them would.

    python run_python_blocks.py BLOCKS.json

BLOCKS.json: ``{"doc": "docs/sdk.md", "url": "http://127.0.0.1:PORT", "accounts": [{"spot":
{"key": ..., "secret": ...}, "futures": {...}}, ...], "blocks": [{"line": N, "text": "...",
"kraken_errors_ok": false}, ...]}`` (written by ``doc_examples.py``). The blocks share one namespace, and one event loop: a block may
``await`` at top level, as in ``python -m asyncio``. Each top-level statement is compiled
with the document's file name and line numbers, so a traceback points into the document.

Before the first block, the mapping of ``doc_examples.py`` is installed: Kraken's hosts
(the SDK's default URLs) point at the test's local exchange, and the placeholder
credentials of the docs ("api-key" with "secret-key" or "api-secret") become a funded
account of that exchange, a new one for each client (its Spot key for Spot clients, its
Futures key for Futures clients; the accounts' tier, pro, for the client's rate limiter
unless the block names a tier), so that each example has its own rate-limit counter.

Output: ``@@block LINE`` before each block, ``@@statement-failed LINE`` and the traceback
when a statement fails (the rest of that block is not run; the next block is, and the exit
code is 1), ``@@kraken-error LINE ...`` for a Kraken error a block marked
``kraken-errors-ok`` is allowed, ``@@done`` at the end.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import inspect
import itertools
import json
import sys
import traceback
from typing import Any


def install_mapping(url: str, accounts: list[dict[str, dict[str, str]]], keys: set[str], secrets: set[str]) -> None:
    from kraken_ops._core import client
    from kraken_ops.futures.websocket import FuturesWSClient
    from kraken_ops.spot.websocket import SpotWSClient

    ws = url.replace("http://", "ws://")
    client.SpotProtocol.URL = url
    client.FuturesProtocol.URL = url
    SpotWSClient.REST_URL = url
    SpotWSClient.WS_URL = ws + "/ws/v2"
    SpotWSClient.AUTH_WS_URL = ws + "/ws-auth/v2"
    SpotWSClient.L3_WS_URL = ws + "/ws-l3/v2"
    FuturesWSClient.PROD_ENV_URL = ws + "/ws/v1"

    handed_out = itertools.count()

    def mapped(cls: type, market: str | None) -> None:
        original = cls.__init__
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            bound = signature.bind(self, *args, **kwargs)
            if bound.arguments.get("key") in keys and bound.arguments.get("secret") in secrets:
                credentials = accounts[next(handed_out) % len(accounts)][market or self._market]
                bound.arguments["key"], bound.arguments["secret"] = credentials["key"], credentials["secret"]
                if "tier" in signature.parameters and "tier" not in bound.arguments:
                    bound.arguments["tier"] = "pro"
            original(*bound.args, **bound.kwargs)

        cls.__init__ = __init__  # type: ignore[misc]

    mapped(client._Protocol, None)
    mapped(client.FuturesProtocol, "futures")
    mapped(SpotWSClient, "spot")
    mapped(FuturesWSClient, "futures")


def main() -> int:
    spec = json.loads(open(sys.argv[1]).read())
    install_mapping(spec["url"], spec["accounts"], set(spec["placeholder_keys"]), set(spec["placeholder_secrets"]))
    from kraken_ops.exceptions import KrakenException

    namespace: dict[str, Any] = {"__name__": "__main__"}
    loop = asyncio.new_event_loop()
    status = 0
    for block in spec["blocks"]:
        status |= run_block(block, spec["doc"], namespace, loop, KrakenException)
    print("@@done", flush=True)
    return status


def run_block(block: dict[str, Any], doc: str, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop, kraken_exception: type) -> int:
    """Run one block statement by statement; 1 when a statement failed (the rest of the block is left out)."""
    print(f"@@block {block['line']}", flush=True)
    try:
        tree = ast.parse(block["text"], filename=doc)
    except SyntaxError as exc:
        return failed(block["line"] + (exc.lineno or 0), exc)
    ast.increment_lineno(tree, block["line"])  # line 1 of the block is the line after the fence
    for node in tree.body:
        code = compile(ast.Module([node], type_ignores=[]), doc, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        try:
            result = eval(code, namespace)  # noqa: S307 - the documented example is the point
            if inspect.iscoroutine(result):  # a statement with a top-level await
                loop.run_until_complete(result)
        except kraken_exception as exc:
            if block["kraken_errors_ok"] and exc.kraken_error:
                print(f"@@kraken-error {node.lineno} {type(exc).__name__}: {exc}", flush=True)
                continue
            return failed(node.lineno, exc)
        except BaseException as exc:  # noqa: BLE001 - any failure of a documented statement is reported
            return failed(node.lineno, exc)
        sys.stdout.flush()
    return 0


def failed(line: int, exc: BaseException) -> int:
    """Report the statement at ``line``: its traceback from the document's frame on."""
    sys.stdout.flush()
    print(f"@@statement-failed {line}", flush=True)
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.endswith(".md"):
        tb = tb.tb_next  # leave out this runner's and asyncio's frames
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stdout)
    sys.stdout.flush()
    return 1


if __name__ == "__main__":
    sys.exit(main())
