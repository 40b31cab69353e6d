"""Kraken Futures account endpoints: wallets, positions, orders, subaccounts, account history.

:class:`User` (sync) and :class:`AsyncUser` (async) share one definition of every
endpoint (:class:`_UserEndpoints`).
"""

from __future__ import annotations

from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops.futures.base import FuturesAsyncClient, FuturesClient
from kraken_ops.futures.market import segment


class _UserEndpoints:
    """Every Futures account endpoint, defined once for the sync and the async client."""

    _call: Any

    def get_wallets(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Balances and margin of every account (cash, margin accounts, ``flex``).

        >>> User(key="...", secret="...").get_wallets()["accounts"]["cash"]["type"]  # doctest: +SKIP
        'cashAccount'
        """
        return self._call(Call("GET", "/derivatives/api/v3/accounts", auth=True, extra_params=extra_params))

    def get_subaccounts(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The subaccounts of this master account.

        >>> User(key="...", secret="...").get_subaccounts()  # doctest: +SKIP
        {'result': 'success', 'masterAccountUid': '...', 'subaccounts': [], ...}
        """
        return self._call(Call("GET", "/derivatives/api/v3/subaccounts", auth=True, extra_params=extra_params))

    def get_unwind_queue(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The percentile of your open positions in the unwind queue.

        >>> User(key="...", secret="...").get_unwind_queue()["queue"]  # doctest: +SKIP
        [{'symbol': 'PF_UNIUSD', 'percentile': 20}]
        """
        return self._call(Call("GET", "/derivatives/api/v3/unwindqueue", auth=True, extra_params=extra_params))

    def get_assignment_programs(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The account's current assignment-program preferences (``assignmentprogram/current``;
        a kraken-ops addition beyond python-kraken-sdk).

        >>> User(key="...", secret="...").get_assignment_programs()  # doctest: +SKIP
        {'result': 'success', 'participants': [], 'serverTime': '...'}
        """
        return self._call(Call("GET", "/derivatives/api/v3/assignmentprogram/current", auth=True, extra_params=extra_params))

    def get_notifications(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Kraken's current notifications (maintenance, post-only markets, ...).

        >>> User(key="...", secret="...").get_notifications()["notifications"][0]["priority"]  # doctest: +SKIP
        'high'
        """
        return self._call(Call("GET", "/derivatives/api/v3/notifications", auth=True, extra_params=extra_params))

    def get_open_positions(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Your open positions.

        >>> User(key="...", secret="...").get_open_positions()["openPositions"][0]["side"]  # doctest: +SKIP
        'short'
        """
        return self._call(Call("GET", "/derivatives/api/v3/openpositions", auth=True, extra_params=extra_params))

    def get_open_orders(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Your open orders.

        >>> User(key="...", secret="...").get_open_orders()["openOrders"][0]["status"]  # doctest: +SKIP
        'untouched'
        """
        return self._call(Call("GET", "/derivatives/api/v3/openorders", auth=True, extra_params=extra_params))

    def check_trading_enabled_on_subaccount(
        self, subaccountId: str | None = None, *, subaccountUid: str | None = None, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Whether trading is enabled on a subaccount (institutional accounts only).

        ``subaccountUid`` is python-kraken-sdk 3.5.1's name for ``subaccountId``; either works.

        >>> User(key="...", secret="...").check_trading_enabled_on_subaccount(subaccountId="778387bh61b-f990")  # doctest: +SKIP
        {'tradingEnabled': False}
        """
        uid = _subaccount(subaccountId, subaccountUid)
        return self._call(Call("GET", f"/derivatives/api/v3/subaccount/{segment(uid)}/trading-enabled", auth=True, extra_params=extra_params))

    def set_trading_on_subaccount(
        self,
        subaccountId: str | None = None,
        *,
        trading_enabled: bool,
        subaccountUid: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Enable or disable trading on a subaccount (institutional accounts only).

        ``subaccountUid`` is python-kraken-sdk 3.5.1's name for ``subaccountId``; either works.

        >>> User(key="...", secret="...").set_trading_on_subaccount(subaccountId="778387bh61b-f990", trading_enabled=True)  # doctest: +SKIP
        {'tradingEnabled': True}
        """
        return self._call(
            Call(
                "PUT",
                f"/derivatives/api/v3/subaccount/{segment(_subaccount(subaccountId, subaccountUid))}/trading-enabled",
                query={"tradingEnabled": bool(trading_enabled)},
                auth=True,
                extra_params=extra_params,
            )
        )

    # --- account history ------------------------------------------------------------------
    def get_account_log(
        self,
        before: str | int | None = None,
        count: str | int | None = None,
        from_: str | int | None = None,
        info: str | None = None,
        since: str | int | None = None,
        sort: str | None = None,
        to: str | int | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The account log (balance and position changes), filtered by time or id range.

        ``count`` is at most 500; ``from_``/``to`` are log ids; ``since``/``before`` timestamps.

        >>> User(key="...", secret="...").get_account_log(before="2023-04-04T16:10:46.260Z", count=1)  # doctest: +SKIP
        {'accountUid': '...', 'logs': [{'asset': 'eth', 'info': 'admin transfer', ...}]}
        """
        query = params(before=before, count=count, info=info, since=since, sort=sort, to=to, **{"from": from_})
        return self._call(Call("GET", "/api/history/v2/account-log", query=query, auth=True, extra_params=extra_params))

    def get_account_log_csv(self, *, extra_params: dict[str, Any] | None = None) -> Any:
        """The recent account log as CSV, streamed: the transport response is returned unread.

        Sync: a ``requests.Response`` (``iter_content``); async: an ``aiohttp.ClientResponse``
        (``content.iter_chunked``; call ``release()`` when done).

        >>> response = User(key="...", secret="...").get_account_log_csv()  # doctest: +SKIP
        >>> with open("account_log.csv", "wb") as file:  # doctest: +SKIP
        ...     for chunk in response.iter_content(chunk_size=65536):
        ...         file.write(chunk)
        """
        return self._call(Call("GET", "/api/history/v2/accountlogcsv", auth=True, return_raw=True, extra_params=extra_params))

    def _events(
        self,
        kind: str,
        before: int | str | None,
        continuation_token: str | None,
        since: int | str | None,
        sort: str | None,
        tradeable: str | None,
        count: int | str | None,
        extra_params: dict[str, Any] | None,
    ) -> Any:
        query = params(since=since, before=before, sort=sort, tradeable=tradeable, continuation_token=continuation_token, count=count)
        return self._call(Call("GET", f"/api/history/v2/{kind}", query=query, auth=True, extra_params=extra_params))

    def get_execution_events(
        self,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        tradeable: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Your executions, pageable with the returned ``continuationToken``.

        >>> User(key="...", secret="...").get_execution_events(tradeable="PF_SOLUSD", since=1668989233000, sort="asc")  # doctest: +SKIP
        {'accountUid': '...', 'continuationToken': 'alp81a', 'elements': [...], 'len': 0, ...}
        """
        return self._events("executions", before, continuation_token, since, sort, tradeable, count, extra_params)

    def get_order_events(
        self,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        tradeable: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Your order events (placed, edited, cancelled, ...), pageable.

        >>> User(key="...", secret="...").get_order_events(tradeable="PF_SOLUSD", sort="asc")  # doctest: +SKIP
        {'accountUid': '...', 'continuationToken': 'simb178', 'elements': [...], 'len': 10, ...}
        """
        return self._events("orders", before, continuation_token, since, sort, tradeable, count, extra_params)

    def get_trigger_events(
        self,
        before: int | str | None = None,
        continuation_token: str | None = None,
        since: int | str | None = None,
        sort: str | None = None,
        tradeable: str | None = None,
        *,
        count: int | str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Your trigger (stop, take-profit, trailing) events, pageable.

        >>> User(key="...", secret="...").get_trigger_events(tradeable="PF_SOLUSD", count=10)  # doctest: +SKIP
        {'accountUid': '...', 'continuationToken': 'c3RyaW5n', 'elements': [...], 'len': 10, ...}
        """
        return self._events("triggers", before, continuation_token, since, sort, tradeable, count, extra_params)


class User(_UserEndpoints, FuturesClient):
    """Kraken Futures account client (sync).

    >>> with User(key="api-key", secret="secret-key") as user:  # doctest: +SKIP
    ...     user.get_wallets()
    """


class AsyncUser(_UserEndpoints, FuturesAsyncClient):
    """Kraken Futures account client (async): every endpoint method returns a coroutine.

    >>> async with AsyncUser(key="api-key", secret="secret-key") as user:  # doctest: +SKIP
    ...     await user.get_wallets()
    """


__all__ = ["User", "AsyncUser"]


def _subaccount(subaccount_id: str | None, subaccount_uid: str | None) -> str:
    """The subaccount named by either spelling (the reference docs' or python-kraken-sdk 3.5.1's)."""
    if (subaccount_id is None) == (subaccount_uid is None):
        raise ValueError("give the subaccount as subaccountId (or its alias subaccountUid), exactly once")
    return subaccount_id if subaccount_id is not None else subaccount_uid  # type: ignore[return-value]
