"""Importing the SDK is cheap: aiohttp and websockets load only when used (issue 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import kraken_ops.spot",
        "import kraken_ops.futures",
        "from kraken_ops.spot import User, Market, Trade, Funding, Earn",
        "from kraken_ops.futures import User, Market, Trade, Funding",
        "import kraken_ops.exceptions",
    ],
)
def test_sync_sdk_imports_neither_aiohttp_nor_websockets(code: str) -> None:
    loaded = _modules_after(code)
    assert "aiohttp" not in loaded and "websockets" not in loaded


def test_sync_request_path_does_not_import_aiohttp() -> None:
    code = "from kraken_ops.spot import User\nUser(key='k', secret='c2VjcmV0')._prepare(__import__('kraken_ops._core.call', fromlist=['Call']).Call('POST', '/0/private/Balance', auth=True))"
    loaded = _modules_after(code)
    assert "aiohttp" not in loaded and "asyncio" not in loaded


def test_async_twins_are_importable_without_loading_aiohttp_until_a_request() -> None:
    loaded = _modules_after("from kraken_ops.spot import AsyncUser\nAsyncUser()")
    assert "aiohttp" not in loaded
