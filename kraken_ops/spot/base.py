"""Spot base clients: :class:`SpotClient` (sync) and :class:`SpotAsyncClient` (async).

A key with two-factor authentication takes ``otp=`` (a password, a code, or a callable
such as :class:`TOTP`) per client or per call; see :mod:`kraken_ops._core.otp`.
"""

from __future__ import annotations

from typing import Any

from kraken_ops._core.call import Call
from kraken_ops._core.client import AsyncExecutor, SpotProtocol, SyncExecutor
from kraken_ops._core.otp import TOTP, per_call_otp


@per_call_otp  # every method takes otp= (keys with 2FA; see _core/otp.py)
class _SpotRequest:
    """The ``request()`` escape hatch, shared by the sync and async clients."""

    _call: Any

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        timeout: int = 10,
        *,
        auth: bool = True,
        do_json: bool = False,
        return_raw: bool = False,
        query_str: str | None = None,
        extra_params: str | dict[str, Any] | None = None,
    ) -> Any:
        """Send any Spot request and return Kraken's ``result``.

        >>> SpotClient().request("GET", "/0/public/Time", auth=False)  # doctest: +SKIP
        {'unixtime': 1688669448, 'rfc1123': 'Thu, 06 Jul 23 18:50:48 +0000'}
        """
        return self._call(
            Call(
                method.upper(),
                uri,
                params=params,
                timeout=timeout,
                auth=auth,
                do_json=do_json,
                return_raw=return_raw,
                query_str=query_str,
                extra_params=extra_params,
            )
        )


class SpotClient(_SpotRequest, SpotProtocol, SyncExecutor):
    """Synchronous base client for Kraken Spot (``requests``)."""


class SpotAsyncClient(_SpotRequest, SpotProtocol, AsyncExecutor):
    """Asynchronous base client for Kraken Spot (``aiohttp``); every method returns a coroutine."""


__all__ = ["SpotClient", "SpotAsyncClient", "TOTP"]
