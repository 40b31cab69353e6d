"""Futures base clients: :class:`FuturesClient` (sync) and :class:`FuturesAsyncClient` (async)."""

from __future__ import annotations

from typing import Any

from kraken_ops._core.call import Call
from kraken_ops._core.client import AsyncExecutor, FuturesProtocol, SyncExecutor


class _FuturesRequest:
    """The ``request()`` escape hatch, shared by the sync and async clients."""

    _call: Any

    def request(
        self,
        method: str,
        uri: str,
        post_params: dict[str, Any] | None = None,
        query_params: dict[str, Any] | None = None,
        timeout: int = 10,
        *,
        auth: bool = True,
        return_raw: bool = False,
        extra_params: str | dict[str, Any] | None = None,
    ) -> Any:
        """Send any Futures request and return the parsed response.

        >>> FuturesClient().request("GET", "/derivatives/api/v3/tickers", auth=False)  # doctest: +SKIP
        {'result': 'success', 'tickers': [...], 'serverTime': '...'}
        """
        return self._call(
            Call(
                method.upper(),
                uri,
                params=post_params,
                query=query_params,
                timeout=timeout,
                auth=auth,
                return_raw=return_raw,
                extra_params=extra_params,
            )
        )


class FuturesClient(_FuturesRequest, FuturesProtocol, SyncExecutor):
    """Synchronous base client for Kraken Futures (``requests``)."""


class FuturesAsyncClient(_FuturesRequest, FuturesProtocol, AsyncExecutor):
    """Asynchronous base client for Kraken Futures (``aiohttp``); every method returns a coroutine."""
