"""Kraken Spot: REST clients (sync and async) and WebSocket clients.

Names follow python-kraken-sdk (``from kraken.spot import User`` becomes
``from kraken_ops.spot import User``). Each endpoint group has an async twin with
the same methods returning coroutines: ``AsyncUser``, ``AsyncMarket``,
``AsyncTrade``, ``AsyncFunding``, ``AsyncEarn``.

Submodules load on first use, so ``import kraken_ops.spot`` imports neither
aiohttp nor websockets.
"""

from __future__ import annotations

from kraken_ops._core.lazy import lazy_exports

_EXPORTS = {
    "SpotClient": "base",
    "SpotAsyncClient": "base",
    "TOTP": "base",
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
    "Level3Book": "level3",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
