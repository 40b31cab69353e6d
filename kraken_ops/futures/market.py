"""Kraken Futures market data: instruments, tickers, order book, charts, public history, preferences.

:class:`Market` (sync) and :class:`AsyncMarket` (async) share one definition of every
endpoint (:class:`_MarketEndpoints`); each method builds a :class:`~kraken_ops._core.call.Call`
and hands it to ``self._call``, which the sync client executes at once and the async client
returns as a coroutine.
"""

from __future__ import annotations

import functools
import inspect
import json
from typing import Any, Callable, TypeVar
from urllib.parse import quote

from kraken_ops._core.call import Call, params
from kraken_ops.futures.base import FuturesAsyncClient, FuturesClient

F = TypeVar("F", bound=Callable[..., Any])

TICK_TYPES = ("spot", "mark", "trade")
RESOLUTIONS = ("1m", "5m", "15m", "30m", "1h", "4h", "12h", "1d", "1w")


def segment(value: Any) -> str:
    """One URL path segment, percent-encoded (a symbol never changes the path's shape)."""
    return quote(str(value), safe="")


def _cache_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return json.dumps([args, sorted(kwargs.items())], default=str, sort_keys=True)


async def _ready(value: Any) -> Any:
    return value


def cached(fn: F) -> F:
    """Cache an endpoint's answer per client and arguments, as the reference does.

    Works for the sync client (the value is stored when it arrives) and the async client
    (the coroutine stores it when awaited; a hit returns an already-resolved coroutine).
    ``method.cache_clear()`` empties the cache, e.g. ``Market().get_tick_types.cache_clear()``.
    """
    store: dict[tuple[int, str], Any] = {}

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = (id(self), _cache_key(args, kwargs))
        if key in store:
            value = store[key][1]
            return _ready(value) if _is_async(self) else value
        result = fn(self, *args, **kwargs)
        if inspect.isawaitable(result):

            async def remember() -> Any:
                value = await result
                store[key] = (self, value)  # keep the client referenced so its id stays unique
                return value

            return remember()
        store[key] = (self, result)
        return result

    wrapper.cache_clear = store.clear  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _is_async(client: Any) -> bool:
    from kraken_ops._core.client import AsyncExecutor

    return isinstance(client, AsyncExecutor)


class _MarketEndpoints:
    """Every Futures market endpoint, defined once for the sync and the async client."""

    _call: Any

    # --- charts ---------------------------------------------------------------------------
    def get_ohlc(
        self,
        tick_type: str,
        symbol: str,
        resolution: str | int,
        from_: int | str | None = None,
        to: int | str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Candles (open, high, low, close, volume) of one contract and resolution.

        ``tick_type`` is one of ``spot``, ``mark``, ``trade``; ``resolution`` one of
        ``1m 5m 15m 30m 1h 4h 12h 1d 1w``; ``from_`` and ``to`` are epoch seconds.

        >>> Market().get_ohlc(tick_type="trade", symbol="PI_XBTUSD", resolution="1h")  # doctest: +SKIP
        {'candles': [{'time': 1680624000000, 'open': '28050.0', ...}], 'more_candles': True}
        """
        if tick_type not in TICK_TYPES:
            raise ValueError(f"tick_type must be one of {TICK_TYPES}")
        if str(resolution) not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}")
        return self._call(
            Call(
                "GET",
                f"/api/charts/v1/{segment(tick_type)}/{segment(symbol)}/{segment(resolution)}",
                query=params(**{"from": from_, "to": to}),
                extra_params=extra_params,
            )
        )

    @cached
    def get_tick_types(self, *, extra_params: dict[str, Any] | None = None) -> list[str]:
        """The chart tick types (cached; ``get_tick_types.cache_clear()`` empties the cache).

        >>> Market().get_tick_types()  # doctest: +SKIP
        ['mark', 'spot', 'trade']
        """
        return self._call(Call("GET", "/api/charts/v1/", extra_params=extra_params))

    @cached
    def get_tradeable_products(self, tick_type: str, *, extra_params: dict[str, Any] | None = None) -> list[str]:
        """The symbols that have charts of one tick type (cached).

        >>> Market().get_tradeable_products(tick_type="trade")  # doctest: +SKIP
        ['PI_XBTUSD', 'PF_XBTUSD', ...]
        """
        return self._call(Call("GET", f"/api/charts/v1/{segment(tick_type)}", extra_params=extra_params))

    @cached
    def get_resolutions(self, tick_type: str, tradeable: str, *, extra_params: dict[str, Any] | None = None) -> list[str]:
        """The chart resolutions available for one symbol and tick type (cached).

        >>> Market().get_resolutions(tick_type="mark", tradeable="PI_XBTUSD")  # doctest: +SKIP
        ['1h', '12h', '1w', '15m', '1d', '5m', '30m', '4h', '1m']
        """
        return self._call(Call("GET", f"/api/charts/v1/{segment(tick_type)}/{segment(tradeable)}", extra_params=extra_params))

    # --- fees -------------------------------------------------------------------------------
    @cached
    def get_fee_schedules(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The fee schedules and their volume tiers (cached; deprecated by Kraken from 2026-06-22).

        >>> Market().get_fee_schedules()["feeSchedules"][0]["name"]  # doctest: +SKIP
        'KF USD Multi-Collateral Fees'
        """
        return self._call(Call("GET", "/derivatives/api/v3/feeschedules", extra_params=extra_params))

    def get_fee_schedules_vol(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Your 30-day volume per fee schedule (private).

        >>> Market(key="...", secret="...").get_fee_schedules_vol()  # doctest: +SKIP
        {'volumesByFeeSchedule': {'5b755fea-c5b0-4307-a66e-b392cd5bd931': 0, ...}}
        """
        return self._call(Call("GET", "/derivatives/api/v3/feeschedules/volumes", auth=True, extra_params=extra_params))

    # --- market data ------------------------------------------------------------------------
    def get_orderbook(self, symbol: str | None = None, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The order book of one contract (Kraken answers an error without ``symbol``).

        >>> Market().get_orderbook(symbol="PI_XBTUSD")["orderBook"]["bids"][0]  # doctest: +SKIP
        [27909, 3000]
        """
        return self._call(Call("GET", "/derivatives/api/v3/orderbook", query=params(symbol=symbol), extra_params=extra_params))

    def get_tickers(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The tickers of every contract and index.

        >>> Market().get_tickers()["tickers"][0]["symbol"]  # doctest: +SKIP
        'pf_compusd'
        """
        return self._call(Call("GET", "/derivatives/api/v3/tickers", extra_params=extra_params))

    def get_ticker(self, symbol: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ticker of one contract or index (``tickers/{symbol}``; a kraken-ops addition
        beyond python-kraken-sdk).

        >>> Market().get_ticker(symbol="PF_XBTUSD")["ticker"]["markPrice"]  # doctest: +SKIP
        Decimal('27922.5')
        """
        return self._call(Call("GET", f"/derivatives/api/v3/tickers/{segment(symbol)}", extra_params=extra_params))

    def get_trading_instruments(
        self, contractType: str | list[str] | None = None, *, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The contracts this account may trade, with the margin levels that apply to it
        (``trading/instruments``, private; a kraken-ops addition beyond python-kraken-sdk).

        ``contractType`` is one or several of ``futures_inverse``, ``futures_vanilla``,
        ``flexible_futures``, ``options``, ``all`` (sent as repeated query keys); by default
        Kraken returns every futures type.

        >>> Market(key="...", secret="...").get_trading_instruments(contractType="flexible_futures")["instruments"][0]["symbol"]  # doctest: +SKIP
        'PF_XBTUSD'
        """
        types = [contractType] if isinstance(contractType, str) else contractType
        return self._call(
            Call("GET", "/derivatives/api/v3/trading/instruments", query=params(contractType=types or None), auth=True, extra_params=extra_params)
        )

    def get_instruments(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Contract specifications: tick size, contract size, margin levels, ...

        >>> Market().get_instruments()["instruments"][0]["symbol"]  # doctest: +SKIP
        'pi_xbtusd'
        """
        return self._call(Call("GET", "/derivatives/api/v3/instruments", extra_params=extra_params))

    def get_instruments_status(self, instrument: str | None = None, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Dislocation and volatility status of one instrument, or of all without ``instrument``.

        >>> Market().get_instruments_status(instrument="PI_XBTUSD")["experiencingDislocation"]  # doctest: +SKIP
        False
        """
        path = f"/derivatives/api/v3/instruments/{segment(instrument)}/status" if instrument else "/derivatives/api/v3/instruments/status"
        return self._call(Call("GET", path, extra_params=extra_params))

    def get_trade_history(
        self, symbol: str | None = None, lastTime: str | None = None, *, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The last 100 trades of a contract, optionally before ``lastTime`` (ISO 8601).

        >>> Market().get_trade_history(symbol="PI_XBTUSD")["history"][0]["side"]  # doctest: +SKIP
        'sell'
        """
        return self._call(
            Call("GET", "/derivatives/api/v3/history", query=params(symbol=symbol, lastTime=lastTime), extra_params=extra_params)
        )

    def get_historical_funding_rates(self, symbol: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The funding rate history of a perpetual contract.

        >>> Market().get_historical_funding_rates(symbol="PI_XBTUSD")["rates"][0]["timestamp"]  # doctest: +SKIP
        '2018-08-31T16:00:00.000Z'
        """
        return self._call(Call("GET", "/derivatives/api/v4/historicalfundingrates", query={"symbol": symbol}, extra_params=extra_params))

    # --- preferences (private) --------------------------------------------------------------
    def get_leverage_preference(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Your maximum-leverage setting per multi-collateral contract.

        >>> Market(key="...", secret="...").get_leverage_preference()  # doctest: +SKIP
        {'leveragePreferences': [{'symbol': 'PF_XBTUSD', 'maxLeverage': 5.0}]}
        """
        return self._call(Call("GET", "/derivatives/api/v3/leveragepreferences", auth=True, extra_params=extra_params))

    def set_leverage_preference(
        self, symbol: str, maxLeverage: str | int | float | None = None, *, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Set the maximum leverage of a contract (isolated margin); without ``maxLeverage``, cross margin.

        >>> Market(key="...", secret="...").set_leverage_preference(symbol="PF_XBTUSD", maxLeverage=2)  # doctest: +SKIP
        {'result': 'success', 'serverTime': '2023-04-04T05:59:49.576Z'}
        """
        return self._call(
            Call(
                "PUT",
                "/derivatives/api/v3/leveragepreferences",
                query=params(symbol=symbol, maxLeverage=maxLeverage),
                auth=True,
                extra_params=extra_params,
            )
        )

    def get_pnl_preference(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The currency each contract realises profit and loss in.

        >>> Market(key="...", secret="...").get_pnl_preference()  # doctest: +SKIP
        {'result': 'success', 'serverTime': '2023-04-04T15:21:29.413Z', 'preferences': []}
        """
        return self._call(Call("GET", "/derivatives/api/v3/pnlpreferences", auth=True, extra_params=extra_params))

    def set_pnl_preference(self, symbol: str, pnlPreference: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set the currency a contract realises profit and loss in.

        >>> Market(key="...", secret="...").set_pnl_preference(symbol="PF_XBTUSD", pnlPreference="USD")  # doctest: +SKIP
        {'result': 'success', 'serverTime': '2023-04-04T15:24:18.406Z'}
        """
        return self._call(
            Call(
                "PUT",
                "/derivatives/api/v3/pnlpreferences",
                query={"symbol": symbol, "pnlPreference": pnlPreference},
                auth=True,
                extra_params=extra_params,
            )
        )

    # --- public history -------------------------------------------------------------------
    def _public_events(
        self,
        kind: str,
        tradeable: str,
        before: int | str | None,
        continuation_token: str | None,
        since: int | str | None,
        sort: str | None,
        count: int | str | None,
        extra_params: dict[str, Any] | None,
    ) -> Any:
        query = params(since=since, before=before, sort=sort, continuation_token=continuation_token, count=count)
        return self._call(Call("GET", f"/api/history/v2/market/{segment(tradeable)}/{kind}", query=query, extra_params=extra_params))

    def get_public_execution_events(
        self,
        tradeable: str,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Public trades of a contract, pageable with ``continuation_token`` (sent, unlike the reference).

        ``since``/``before`` are epoch milliseconds, ``sort`` is ``asc`` or ``desc``.

        >>> page = Market().get_public_execution_events(tradeable="PI_XBTUSD", since=1680874000000, sort="asc")  # doctest: +SKIP
        >>> Market().get_public_execution_events(tradeable="PI_XBTUSD", continuation_token=page["continuationToken"])  # doctest: +SKIP
        {'elements': [...], 'len': 1000, 'continuationToken': '...'}
        """
        return self._public_events("executions", tradeable, before, continuation_token, since, sort, count, extra_params)

    def get_public_order_events(
        self,
        tradeable: str,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Public order events (placed, cancelled, ...) of a contract, pageable.

        >>> Market().get_public_order_events(tradeable="PI_XBTUSD", sort="asc", since=1680875000000)  # doctest: +SKIP
        {'elements': [{'uid': '...', 'event': {'OrderPlaced': {...}}}, ...], 'len': 1000, ...}
        """
        return self._public_events("orders", tradeable, before, continuation_token, since, sort, count, extra_params)

    def get_public_mark_price_events(
        self,
        tradeable: str,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Mark price changes of a contract, pageable.

        >>> Market().get_public_mark_price_events(tradeable="PI_XBTUSD", count=10)  # doctest: +SKIP
        {'elements': [{'uid': '', 'event': {'MarkPriceChanged': {'price': '27900.67795901584'}}}, ...], ...}
        """
        return self._public_events("price", tradeable, before, continuation_token, since, sort, count, extra_params)


class Market(_MarketEndpoints, FuturesClient):
    """Kraken Futures market client (sync).

    >>> from kraken_ops.futures import Market
    >>> with Market() as market:  # doctest: +SKIP
    ...     market.get_tickers()
    """


class AsyncMarket(_MarketEndpoints, FuturesAsyncClient):
    """Kraken Futures market client (async): every endpoint method returns a coroutine.

    >>> async with AsyncMarket() as market:  # doctest: +SKIP
    ...     await market.get_tickers()
    """


__all__ = ["Market", "AsyncMarket"]
