"""Spot funding: :class:`Funding` (sync) and :class:`AsyncFunding` (async).

Deposits, withdrawals and wallet transfers. Every endpoint is defined once in
:class:`_FundingEndpoints`; all of them are private (signed form POSTs).

Unlike python-kraken-sdk, :meth:`withdraw_addresses` calls ``WithdrawAddresses``
(the reference posts to ``WithdrawMethods``) and ``aclass`` is sent as ``aclass``
(the reference sends it as ``network``); see ``docs/sdk-differences.md``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops._core.otp import per_call_otp
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

Amount = str | int | Decimal | float


@per_call_otp  # every method takes otp= (keys with 2FA; see _core/otp.py)
class _FundingEndpoints:
    """Funding endpoint definitions shared by :class:`Funding` and :class:`AsyncFunding`."""

    _call: Any

    def _private(self, method: str, data: dict[str, Any] | None = None, extra_params: dict[str, Any] | None = None) -> Any:
        return self._call(Call("POST", f"/0/private/{method}", data, auth=True, extra_params=extra_params))

    # --- deposits --------------------------------------------------------------------
    def get_deposit_methods(
        self,
        asset: str,
        *,
        aclass: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Deposit methods available for ``asset``.

        >>> Funding(key="api-key", secret="secret-key").get_deposit_methods(asset="XLM")  # doctest: +SKIP
        [{'method': 'Stellar XLM', 'limit': False, 'gen-address': True}, ...]
        """
        return self._private("DepositMethods", params(asset=asset, aclass=aclass), extra_params)

    def get_deposit_address(
        self,
        asset: str,
        method: str,
        *,
        new: bool | None = False,
        amount: Amount | None = None,
        aclass: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Deposit addresses of ``asset`` for ``method``; ``new=True`` creates one.

        >>> Funding(key="api-key", secret="secret-key").get_deposit_address(asset="XLM", method="Stellar XLM")  # doctest: +SKIP
        [{'address': 'GA5XIGA5C7QTPWXQHY6MCJRMTRZDOSHR6EFIBNDQTCQHG262N4GGKTM', 'expiretm': '0', 'new': True, ...}]
        """
        return self._private("DepositAddresses", params(asset=asset, aclass=aclass, method=method, new=new, amount=amount), extra_params)

    def get_recent_deposits_status(
        self,
        asset: str | None = None,
        method: str | None = None,
        start: str | None = None,
        end: str | None = None,
        cursor: bool | str = False,
        *,
        aclass: str | None = None,
        limit: int | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Recent deposits (90 days); ``cursor=True`` or a cursor string pages the result.

        >>> Funding(key="api-key", secret="secret-key").get_recent_deposits_status(asset="ZEUR")  # doctest: +SKIP
        [{'method': 'Bank Frick (SEPA)', 'asset': 'ZEUR', 'amount': '1000.0000', 'status': 'Success', ...}]
        """
        data = params(asset=asset, aclass=aclass, method=method, start=start, end=end, cursor=cursor, limit=limit)
        return self._private("DepositStatus", data, extra_params)

    # --- withdrawals -------------------------------------------------------------------
    def withdraw_methods(
        self,
        asset: str | None = None,
        aclass: str | None = None,
        network: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Withdrawal methods available to the user.

        >>> Funding(key="api-key", secret="secret-key").withdraw_methods(asset="XBT")  # doctest: +SKIP
        [{'asset': 'XXBT', 'method': 'Bitcoin', 'network': 'Bitcoin', 'minimum': '0.0004'}]
        """
        return self._private("WithdrawMethods", params(asset=asset, aclass=aclass, network=network), extra_params)

    def withdraw_addresses(
        self,
        asset: str | None = None,
        aclass: str | None = None,
        method: str | None = None,
        key: str | None = None,
        verified: bool | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Withdrawal addresses set up in the account (``WithdrawAddresses``).

        >>> Funding(key="api-key", secret="secret-key").withdraw_addresses(asset="XBT", verified=True)  # doctest: +SKIP
        [{'address': 'bc1q...', 'asset': 'XBT', 'method': 'Bitcoin', 'key': 'btc-wallet-1', 'verified': True}]
        """
        data = params(asset=asset, aclass=aclass, method=method, key=key, verified=verified)
        return self._private("WithdrawAddresses", data, extra_params)

    def get_withdrawal_info(
        self,
        asset: str,
        key: str,
        amount: Amount,
        *,
        aclass: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Fee and limit of a possible withdrawal to the withdrawal key ``key``.

        >>> Funding(key="api-key", secret="secret-key").get_withdrawal_info(
        ...     asset="DOT", key="MyPolkadotWallet", amount="4")  # doctest: +SKIP
        {'method': 'Polkadot', 'limit': '4.49880000', 'amount': '3.95000000', 'fee': '0.05000000'}
        """
        return self._private("WithdrawInfo", params(asset=asset, aclass=aclass, key=key, amount=amount), extra_params)

    def withdraw_funds(
        self,
        asset: str,
        key: str,
        amount: Amount,
        max_fee: str | None = None,
        *,
        address: str | None = None,
        aclass: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Withdraw to the withdrawal key ``key``; fails if the fee would exceed ``max_fee``.

        >>> Funding(key="api-key", secret="secret-key").withdraw_funds(
        ...     asset="DOT", key="MyPolkadotWallet", amount="4")  # doctest: +SKIP
        {'refid': 'I7KGS6-UFMTTQ-AGBSO6T'}
        """
        data = params(asset=asset, aclass=aclass, key=key, amount=amount, address=address, max_fee=max_fee)
        return self._private("Withdraw", data, extra_params)

    def get_recent_withdraw_status(
        self,
        asset: str | None = None,
        method: str | None = None,
        start: str | None = None,
        end: str | None = None,
        cursor: str | bool | None = None,
        *,
        aclass: str | None = None,
        limit: int | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Recent withdrawals (90 days, up to 500); ``cursor`` pages the result.

        >>> Funding(key="api-key", secret="secret-key").get_recent_withdraw_status(asset="DOT")  # doctest: +SKIP
        [{'method': 'Polkadot', 'asset': 'DOT', 'amount': '94.39581164', 'status': 'Success', ...}]
        """
        data = params(asset=asset, aclass=aclass, method=method, start=start, end=end, cursor=cursor, limit=limit)
        return self._private("WithdrawStatus", data, extra_params)

    def cancel_withdraw(self, asset: str, refid: str, *, extra_params: dict[str, Any] | None = None) -> Any:
        """Cancel a withdrawal that Kraken has not started processing.

        >>> Funding(key="api-key", secret="secret-key").cancel_withdraw(asset="DOT", refid="I7KGS6-UFMTTQ-AGBSO6T")  # doctest: +SKIP
        True
        """
        return self._private("WithdrawCancel", params(asset=asset, refid=refid), extra_params)

    def wallet_transfer(
        self,
        asset: str,
        from_: str,
        to_: str,
        amount: Amount,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move funds between the Spot and Futures wallets.

        >>> Funding(key="api-key", secret="secret-key").wallet_transfer(
        ...     asset="XBT", from_="Spot Wallet", to_="Futures Wallet", amount="0.01")  # doctest: +SKIP
        {'refid': 'ANS1EE5-SKACR4-PENGVP'}
        """
        data = params(asset=asset)
        data["from"] = from_
        data["to"] = to_
        data.update(params(amount=amount))
        return self._private("WalletTransfer", data, extra_params)


class Funding(_FundingEndpoints, SpotClient):
    """Kraken Spot funding client (sync); needs ``key`` and ``secret`` (or a profile).

    >>> from kraken_ops.spot import Funding
    >>> with Funding(key="api-key", secret="secret-key") as funding:  # doctest: +SKIP
    ...     funding.get_deposit_methods(asset="XLM")
    """


class AsyncFunding(_FundingEndpoints, SpotAsyncClient):
    """Kraken Spot funding client (async): every endpoint method returns a coroutine.

    >>> async with AsyncFunding(key="api-key", secret="secret-key") as funding:  # doctest: +SKIP
    ...     await funding.get_recent_withdraw_status()
    """


__all__ = ["Funding", "AsyncFunding"]
