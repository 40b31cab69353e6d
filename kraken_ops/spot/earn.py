"""Spot Earn: :class:`Earn` (sync) and :class:`AsyncEarn` (async).

Strategies, allocations and their status (``/0/private/Earn/...``). Every endpoint
is defined once in :class:`_EarnEndpoints`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops._core.otp import per_call_otp
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

Amount = str | int | Decimal | float


@per_call_otp  # every method takes otp= (keys with 2FA; see _core/otp.py)
class _EarnEndpoints:
    """Earn endpoint definitions shared by :class:`Earn` and :class:`AsyncEarn`."""

    _call: Any

    def _earn(self, method: str, data: dict[str, Any] | None = None, extra_params: dict[str, Any] | None = None) -> Any:
        return self._call(Call("POST", f"/0/private/Earn/{method}", data, auth=True, extra_params=extra_params))

    def allocate_earn_funds(self, amount: Amount, strategy_id: str, *, extra_params: dict[str, Any] | None = None) -> bool:
        """Allocate ``amount`` to an earn strategy (asynchronous on Kraken's side; poll the status).

        >>> Earn(key="api-key", secret="secret-key").allocate_earn_funds(
        ...     amount="2000", strategy_id="ESRFUO3-Q62XD-WIOIL7")  # doctest: +SKIP
        True
        """
        return self._earn("Allocate", params(amount=amount, strategy_id=strategy_id), extra_params)

    def deallocate_earn_funds(self, amount: Amount, strategy_id: str, *, extra_params: dict[str, Any] | None = None) -> bool:
        """Deallocate ``amount`` from an earn strategy.

        >>> Earn(key="api-key", secret="secret-key").deallocate_earn_funds(
        ...     amount="2000", strategy_id="ESRFUO3-Q62XD-WIOIL7")  # doctest: +SKIP
        True
        """
        return self._earn("Deallocate", params(amount=amount, strategy_id=strategy_id), extra_params)

    def get_allocation_status(self, strategy_id: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Whether the last allocation to ``strategy_id`` is still pending.

        >>> Earn(key="api-key", secret="secret-key").get_allocation_status(strategy_id="ESRFUO3-Q62XD-WIOIL7")  # doctest: +SKIP
        {'pending': False}
        """
        return self._earn("AllocateStatus", params(strategy_id=strategy_id), extra_params)

    def get_deallocation_status(self, strategy_id: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Whether the last deallocation from ``strategy_id`` is still pending.

        >>> Earn(key="api-key", secret="secret-key").get_deallocation_status(strategy_id="ESRFUO3-Q62XD-WIOIL7")  # doctest: +SKIP
        {'pending': False}
        """
        return self._earn("DeallocateStatus", params(strategy_id=strategy_id), extra_params)

    def list_earn_strategies(
        self,
        asset: str | None = None,
        limit: int | None = None,
        lock_type: list[str] | None = None,
        cursor: bool | str | None = None,
        ascending: bool | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Earn strategies, filtered by asset and lock type (``flex``, ``bonded``, ``timed``, ``instant``).

        >>> Earn(key="api-key", secret="secret-key").list_earn_strategies(asset="DOT")["items"][0]["id"]  # doctest: +SKIP
        'ESMWVX6-JAPVY-23L3CV'
        """
        data = params(asset=asset, limit=limit, lock_type=lock_type, cursor=cursor, ascending=ascending)
        return self._earn("Strategies", data, extra_params)

    def list_earn_allocations(
        self,
        ascending: bool | str | None = None,
        hide_zero_allocations: bool | str | None = None,
        converted_asset: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The user's allocations per strategy, valued in ``converted_asset``.

        >>> Earn(key="api-key", secret="secret-key").list_earn_allocations(converted_asset="USD")["total_allocated"]  # doctest: +SKIP
        '49.2398'
        """
        data = params(ascending=ascending, hide_zero_allocations=hide_zero_allocations, converted_asset=converted_asset)
        return self._earn("Allocations", data, extra_params)


class Earn(_EarnEndpoints, SpotClient):
    """Kraken Spot Earn client (sync); needs ``key`` and ``secret`` (or a profile).

    >>> from kraken_ops.spot import Earn
    >>> with Earn(key="api-key", secret="secret-key") as earn:  # doctest: +SKIP
    ...     earn.list_earn_strategies(asset="DOT")
    """


class AsyncEarn(_EarnEndpoints, SpotAsyncClient):
    """Kraken Spot Earn client (async): every endpoint method returns a coroutine.

    >>> async with AsyncEarn(key="api-key", secret="secret-key") as earn:  # doctest: +SKIP
    ...     await earn.list_earn_allocations()
    """


__all__ = ["Earn", "AsyncEarn"]
