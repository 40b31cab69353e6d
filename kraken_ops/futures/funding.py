"""Kraken Futures funding: funding rates, wallet and subaccount transfers, withdrawal to Spot.

:class:`Funding` (sync) and :class:`AsyncFunding` (async) share one definition of every
endpoint (:class:`_FundingEndpoints`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops.futures.base import FuturesAsyncClient, FuturesClient

Amount = str | int | float | Decimal


class _FundingEndpoints:
    """Every Futures funding endpoint, defined once for the sync and the async client."""

    _call: Any
    sandbox: bool

    def get_historical_funding_rates(self, symbol: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The funding rate history of a perpetual contract.

        >>> Funding().get_historical_funding_rates(symbol="PI_XBTUSD")["rates"][0]["relativeFundingRate"]  # doctest: +SKIP
        Decimal('0.0005')
        """
        return self._call(Call("GET", "/derivatives/api/v4/historicalfundingrates", query={"symbol": symbol}, extra_params=extra_params))

    def get_transfers(self, lastTransferTime: str | None = None, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Recent transfers in and out of the Futures wallets, newest first (``transfers``,
        private; ``lastTransferTime`` (ISO 8601) pages back; a kraken-ops addition beyond
        python-kraken-sdk).

        >>> Funding(key="...", secret="...").get_transfers()["transfers"][0]["asset"]  # doctest: +SKIP
        'usd'
        """
        query = params(lastTransferTime=lastTransferTime)
        return self._call(Call("GET", "/derivatives/api/v3/transfers", query=query, auth=True, extra_params=extra_params))

    def initiate_wallet_transfer(
        self, amount: Amount, fromAccount: str, toAccount: str, unit: str, *, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move funds between your own Futures wallets (cash and margin accounts).

        >>> Funding(key="...", secret="...").initiate_wallet_transfer(amount="100", fromAccount="cash", toAccount="flex", unit="USDT")  # doctest: +SKIP
        {'result': 'success', 'serverTime': '2023-04-07T15:23:45.196Z'}
        """
        body = {"fromAccount": fromAccount, "toAccount": toAccount, "unit": unit, "amount": amount}
        return self._call(Call("POST", "/derivatives/api/v3/transfer", params=body, auth=True, extra_params=extra_params))

    def initiate_subaccount_transfer(
        self,
        amount: Amount,
        fromAccount: str,
        fromUser: str,
        toAccount: str,
        toUser: str,
        unit: str,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move funds between the master account and a subaccount (or two subaccounts).

        >>> Funding(key="...", secret="...").initiate_subaccount_transfer(
        ...     amount="2", fromAccount="cash", fromUser="Subaccount1", toAccount="cash", toUser="Subaccount2", unit="XBT")  # doctest: +SKIP
        {'result': 'success', 'serverTime': '...'}
        """
        body = {"fromUser": fromUser, "toUser": toUser, "fromAccount": fromAccount, "toAccount": toAccount, "unit": unit, "amount": amount}
        return self._call(Call("POST", "/derivatives/api/v3/transfer/subaccount", params=body, auth=True, extra_params=extra_params))

    def initiate_withdrawal_to_spot_wallet(
        self, amount: Amount, currency: str, sourceWallet: str | None = None, *, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move funds from a Futures wallet (default ``cash``) to the Spot wallet; not in the sandbox.

        >>> Funding(key="...", secret="...").initiate_withdrawal_to_spot_wallet(amount="100", currency="USDT", sourceWallet="cash")  # doctest: +SKIP
        {'result': 'success', 'serverTime': '...'}
        """
        if getattr(self, "sandbox", False):
            raise ValueError("This function is not available in sandbox mode.")
        body = params(currency=currency, amount=amount, sourceWallet=sourceWallet)
        return self._call(Call("POST", "/derivatives/api/v3/withdrawal", params=body, auth=True, extra_params=extra_params))


class Funding(_FundingEndpoints, FuturesClient):
    """Kraken Futures funding client (sync).

    >>> with Funding(key="api-key", secret="secret-key") as funding:  # doctest: +SKIP
    ...     funding.get_historical_funding_rates(symbol="PI_XBTUSD")
    """


class AsyncFunding(_FundingEndpoints, FuturesAsyncClient):
    """Kraken Futures funding client (async): every endpoint method returns a coroutine.

    >>> async with AsyncFunding() as funding:  # doctest: +SKIP
    ...     await funding.get_historical_funding_rates(symbol="PI_XBTUSD")
    """


__all__ = ["Funding", "AsyncFunding"]
