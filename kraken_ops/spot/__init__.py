"""Kraken Spot: REST clients (sync and async) and WebSocket clients.

Names follow python-kraken-sdk (``from kraken.spot import User`` becomes
``from kraken_ops.spot import User``). Each endpoint group has an async twin with
the same methods returning coroutines: ``AsyncUser``, ``AsyncMarket``,
``AsyncTrade``, ``AsyncFunding``, ``AsyncEarn``.

Submodules load on first use, so ``import kraken_ops.spot`` imports neither
aiohttp nor websockets.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SpotClient": "base",
    "SpotAsyncClient": "base",
    "Market": "market",
    "AsyncMarket": "market",
    "User": "user",
    "AsyncUser": "user",
    "Trade": "trade",
    "AsyncTrade": "trade",
    "Funding": "funding",
    "AsyncFunding": "funding",
    "Earn": "earn",
    "AsyncEarn": "earn",
    "SpotWSClient": "websocket",
    "SpotOrderBookClient": "orderbook",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kraken_ops.spot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kraken_ops.spot.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
