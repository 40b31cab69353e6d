"""Kraken Futures: REST clients (sync and async) and the WebSocket client.

Names follow python-kraken-sdk (``from kraken.futures import Trade`` becomes
``from kraken_ops.futures import Trade``). Each endpoint group has an async twin:
``AsyncUser``, ``AsyncMarket``, ``AsyncTrade``, ``AsyncFunding``.

Submodules load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from kraken_ops._core.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
