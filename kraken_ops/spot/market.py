"""Spot market data: :class:`Market` (sync) and :class:`AsyncMarket` (async).

Every endpoint is defined once in :class:`_MarketEndpoints` as a method that
returns ``self._call(Call(...))``; the sync client runs it at once, the async one
returns a coroutine. Public endpoints are ``GET /0/public/<Method>`` with the
parameters in the query string.
"""

from __future__ import annotations

from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops.spot.base import SpotAsyncClient, SpotClient


def _no_cache() -> None:
    """Compatibility no-op: python-kraken-sdk caches these calls, kraken-ops never does."""


class _MarketEndpoints:
    """Market endpoint definitions shared by :class:`Market` and :class:`AsyncMarket`."""

    _call: Any

    def get_system_status(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Kraken's system status: ``online``, ``maintenance``, ``cancel_only`` or ``post_only``.

        >>> Market().get_system_status()  # doctest: +SKIP
        {'status': 'online', 'timestamp': '2023-04-05T17:12:31Z'}
        """
        return self._call(Call("GET", "/0/public/SystemStatus", extra_params=extra_params))

    def get_server_time(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Kraken's server time (an addition to the reference, ``/0/public/Time``).

        >>> Market().get_server_time()  # doctest: +SKIP
        {'unixtime': 1688669448, 'rfc1123': 'Thu, 06 Jul 23 18:50:48 +0000'}
        """
        return self._call(Call("GET", "/0/public/Time", extra_params=extra_params))

    def get_assets(
        self,
        assets: str | list[str] | None = None,
        aclass: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Information about one, several (list or comma-separated) or all assets.

        >>> Market().get_assets(assets=["DOT", "XBT"])  # doctest: +SKIP
        {'DOT': {'aclass': 'currency', 'altname': 'DOT', 'decimals': 10, ...}, 'XXBT': {...}}
        """
        return self._call(Call("GET", "/0/public/Assets", params(asset=assets, aclass=aclass), extra_params=extra_params))

    get_assets.cache_clear = _no_cache  # type: ignore[attr-defined]

    def get_asset_pairs(
        self,
        pair: str | list[str] | None = None,
        info: str | None = None,
        aclass_base: str | None = None,
        *,
        country_code: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Tradable pairs with their precision, minimums and fees; all pairs if ``pair`` is omitted.

        ``info`` is one of ``info``, ``leverage``, ``fees``, ``margin``; ``aclass_base``
        is ``currency`` or ``tokenized_asset`` (xStocks).

        >>> Market().get_asset_pairs(pair="XBTUSD")["XXBTZUSD"]["pair_decimals"]  # doctest: +SKIP
        1
        """
        return self._call(
            Call(
                "GET",
                "/0/public/AssetPairs",
                params(pair=pair, info=info, aclass_base=aclass_base, country_code=country_code),
                extra_params=extra_params,
            )
        )

    get_asset_pairs.cache_clear = _no_cache  # type: ignore[attr-defined]

    def get_ticker(
        self,
        pair: str | list[str] | None = None,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Ticker of one or more pairs, or of every pair when ``pair`` is omitted.

        >>> Market().get_ticker(pair="XBTUSD")["XXBTZUSD"]["c"]  # doctest: +SKIP
        ['27947.90000', '0.00842808']
        """
        return self._call(Call("GET", "/0/public/Ticker", params(pair=pair, asset_class=asset_class), extra_params=extra_params))

    def get_ohlc(
        self,
        pair: str,
        interval: int | str = 1,
        since: int | str | None = None,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """OHLC candles (up to 720) of ``pair``; ``interval`` in minutes.

        >>> Market().get_ohlc(pair="XBTUSD", interval=5)["last"]  # doctest: +SKIP
        1680671100
        """
        return self._call(
            Call(
                "GET",
                "/0/public/OHLC",
                params(pair=pair, interval=interval, since=since, asset_class=asset_class),
                extra_params=extra_params,
            )
        )

    get_ohlcv = get_ohlc  # the name the reference's API index uses

    def get_order_book(
        self,
        pair: str,
        count: int | None = 100,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The order book of ``pair`` with ``count`` (1..500) levels a side.

        >>> Market().get_order_book(pair="XBTUSD", count=2)["XXBTZUSD"]["asks"][0]  # doctest: +SKIP
        ['28000.00000', '1.091', 1680714417]
        """
        return self._call(
            Call("GET", "/0/public/Depth", params(pair=pair, count=count, asset_class=asset_class), extra_params=extra_params)
        )

    def get_grouped_order_book(
        self,
        pair: str,
        depth: int | None = None,
        grouping: int | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The order book of ``pair`` with ``grouping`` ticks folded into each level
        (``/0/public/GroupedBook``; a kraken-ops addition beyond python-kraken-sdk).

        ``depth`` (levels a side) is one of 10, 25, 100, 250, 1000 (Kraken's default 10);
        ``grouping`` one of 1, 5, 10, 25, 50, 100, 250, 500, 1000 (default 1). Bids are
        rounded down to their group, asks up.

        >>> Market().get_grouped_order_book(pair="BTC/USD", depth=10, grouping=1000)["bids"][0]  # doctest: +SKIP
        {'price': '90400.00000', 'qty': '19.83057746'}
        """
        return self._call(
            Call("GET", "/0/public/GroupedBook", params(pair=pair, depth=depth, grouping=grouping), extra_params=extra_params)
        )

    def get_level3_order_book(
        self,
        pair: str,
        depth: int | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Every resting order of ``pair`` (Level 3): id, price, quantity and time, best first
        (``/0/private/Level3``; needs a key; a kraken-ops addition beyond python-kraken-sdk).

        ``depth`` is the number of price levels a side: 10, 25, 100, 250, 1000, or 0 for the
        whole book. Kraken wants this request as a signed JSON body.

        >>> Market(key="api-key", secret="secret-key").get_level3_order_book(pair="BTC/USD", depth=10)["bids"][0]  # doctest: +SKIP
        {'price': '90509.00000', 'qty': '0.04902300', 'order_id': 'ONLALL-67PF5-3CAQCL', 'timestamp': 1765628335242269554}
        """
        return self._call(
            Call("POST", "/0/private/Level3", params(pair=pair, depth=depth), auth=True, do_json=True, extra_params=extra_params)
        )

    def get_recent_trades(
        self,
        pair: str,
        since: str | int | None = None,
        count: int | None = None,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The latest public trades of ``pair`` (up to 1000).

        >>> Market().get_recent_trades(pair="XBTUSD", count=1)["XXBTZUSD"][0][0]  # doctest: +SKIP
        '27980.90000'
        """
        return self._call(
            Call(
                "GET",
                "/0/public/Trades",
                params(pair=pair, since=since, count=count, asset_class=asset_class),
                extra_params=extra_params,
            )
        )

    def get_recent_spreads(
        self,
        pair: str,
        since: str | int | None = None,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The latest best bid/ask spreads of ``pair``.

        >>> Market().get_recent_spreads(pair="XBTUSD")["XXBTZUSD"][0]  # doctest: +SKIP
        [1680714601, '28015.00000', '28019.40000']
        """
        return self._call(
            Call("GET", "/0/public/Spread", params(pair=pair, since=since, asset_class=asset_class), extra_params=extra_params)
        )


class Market(_MarketEndpoints, SpotClient):
    """Kraken Spot market data client (sync). Keys are optional.

    >>> from kraken_ops.spot import Market
    >>> with Market() as market:  # doctest: +SKIP
    ...     market.get_ticker(pair="XBTUSD")
    """


class AsyncMarket(_MarketEndpoints, SpotAsyncClient):
    """Kraken Spot market data client (async): every endpoint method returns a coroutine.

    >>> async with AsyncMarket() as market:  # doctest: +SKIP
    ...     await market.get_ticker(pair="XBTUSD")
    """


__all__ = ["Market", "AsyncMarket"]
