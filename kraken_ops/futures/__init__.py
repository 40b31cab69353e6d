"""Kraken Futures: REST clients (sync and async) and the WebSocket client.

Names follow python-kraken-sdk (``from kraken.futures import Trade`` becomes
``from kraken_ops.futures import Trade``). Each endpoint group has an async twin:
``AsyncUser``, ``AsyncMarket``, ``AsyncTrade``, ``AsyncFunding``.

Submodules load on first use, so importing this package is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FuturesClient": "base",
    "FuturesAsyncClient": "base",
    "Market": "market",
    "AsyncMarket": "market",
    "User": "user",
    "AsyncUser": "user",
    "Trade": "trade",
    "AsyncTrade": "trade",
    "Funding": "funding",
    "AsyncFunding": "funding",
    "FuturesWSClient": "websocket",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kraken_ops.futures' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kraken_ops.futures.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
