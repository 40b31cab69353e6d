"""Spot account data: :class:`User` (sync) and :class:`AsyncUser` (async).

Every endpoint is defined once in :class:`_UserEndpoints`; the sync client runs
``self._call(...)`` at once, the async client returns a coroutine. All endpoints
here are private: signed ``POST /0/private/<Method>`` with a form body.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops._core.otp import per_call_otp
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

# Names people use for an asset that Kraken lists under another name.
_ASSET_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}


def find_balance(balances: dict[str, Any], currency: str) -> tuple[str, Any] | None:
    """Find ``currency`` in a BalanceEx result by Kraken's asset name or its altname.

    ``EUR`` finds ``ZEUR``, ``XBT`` (or ``BTC``) finds ``XXBT``, ``ZEUR`` finds ``ZEUR``.

    >>> find_balance({"ZEUR": {"balance": "1"}}, "EUR")
    ('ZEUR', {'balance': '1'})
    """
    wanted = currency.upper()
    candidates = [wanted]
    alias = _ASSET_ALIASES.get(wanted)
    if alias:
        candidates.append(alias)
    for name in list(candidates):
        candidates += [f"X{name}", f"Z{name}"]
        if len(name) == 4 and name[0] in "XZ":
            candidates.append(name[1:])  # "ZEUR" also finds a plain "EUR" key
    by_upper = {key.upper(): key for key in balances}
    for name in candidates:
        key = by_upper.get(name)
        if key is not None:
            return key, balances[key]
    return None


def balance_summary(balances: dict[str, Any], currency: str) -> dict[str, Any]:
    """``{"currency", "balance", "available_balance"}`` for ``currency`` from a BalanceEx result.

    Amounts are :class:`~decimal.Decimal` (exact). The available balance follows
    Kraken's definition: ``balance + credit - credit_used - hold_trade``. An asset
    the account does not hold gives zeros.

    >>> balance_summary({"ZEUR": {"balance": "10.5", "hold_trade": "0.5"}}, "EUR")
    {'currency': 'ZEUR', 'balance': Decimal('10.5'), 'available_balance': Decimal('10.0')}
    """
    found = find_balance(balances, currency)
    if found is None:
        return {"currency": currency, "balance": Decimal(0), "available_balance": Decimal(0)}
    name, data = found
    if not isinstance(data, dict):  # a plain Balance result: "ZEUR": "10.5"
        amount = Decimal(str(data))
        return {"currency": name, "balance": amount, "available_balance": amount}

    def amount(field: str) -> Decimal:
        value = data.get(field)
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    balance = amount("balance")
    available = balance + amount("credit") - amount("credit_used") - amount("hold_trade")
    return {"currency": name, "balance": balance, "available_balance": available}


@per_call_otp  # every method takes otp= (keys with 2FA; see _core/otp.py)
class _UserEndpoints:
    """User endpoint definitions shared by :class:`User` and :class:`AsyncUser`."""

    _call: Any

    def _private(self, method: str, data: dict[str, Any] | None = None, extra_params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self._call(Call("POST", f"/0/private/{method}", data, auth=True, extra_params=extra_params, **kw))

    # --- balances ------------------------------------------------------------------
    def get_account_balance(self, *, rebase_multiplier: str | None = None, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Balances of every asset the account holds (``/0/private/Balance``).

        ``rebase_multiplier`` (xStocks; a kraken-ops addition): ``rebased`` shows amounts in
        terms of the underlying equity (Kraken's default), ``base`` in SPV tokens.

        >>> User(key="api-key", secret="secret-key").get_account_balance()  # doctest: +SKIP
        {'ZUSD': '241983.1415', 'KFEE': '8020.22', 'DOT': '32011.21197000', ...}
        """
        return self._private("Balance", params(rebase_multiplier=rebase_multiplier), extra_params)

    get_account_balances = get_account_balance  # the name the reference's examples use

    def get_balances(self, *, rebase_multiplier: str | None = None, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Balances with the amount held by open orders (``/0/private/BalanceEx``).

        ``rebase_multiplier``: ``rebased`` or ``base`` (xStocks), as for :meth:`get_account_balance`.

        >>> User(key="api-key", secret="secret-key").get_balances()["ZEUR"]  # doctest: +SKIP
        {'balance': '500.0000', 'hold_trade': '0.0000'}
        """
        return self._private("BalanceEx", params(rebase_multiplier=rebase_multiplier), extra_params)

    def get_balance(
        self, currency: str, *, rebase_multiplier: str | None = None, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Balance and available balance of one currency (``EUR``/``ZEUR``, ``XBT``/``XXBT``).

        Built from BalanceEx; amounts are exact Decimals.

        >>> User(key="api-key", secret="secret-key").get_balance(currency="EUR")  # doctest: +SKIP
        {'currency': 'ZEUR', 'balance': Decimal('6011.2119'), 'available_balance': Decimal('4999.0619')}
        """
        return self._call(
            Call(
                "POST",
                "/0/private/BalanceEx",
                params(rebase_multiplier=rebase_multiplier),
                auth=True,
                extra_params=extra_params,
                then=lambda result: balance_summary(result, currency),
            )
        )

    def get_trade_balance(
        self, asset: str | None = "ZUSD", *, rebase_multiplier: str | None = None, extra_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Collateral summary (equivalent balance, margin, equity ...) in ``asset``.

        ``rebase_multiplier``: ``rebased`` or ``base`` (xStocks), as for :meth:`get_account_balance`.

        >>> User(key="api-key", secret="secret-key").get_trade_balance()["eb"]  # doctest: +SKIP
        '983691.5512'
        """
        return self._private("TradeBalance", params(asset=asset, rebase_multiplier=rebase_multiplier), extra_params)

    def get_credit_lines(self, *, rebase_multiplier: str | None = None, extra_params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Credit lines of VIP accounts (``/0/private/CreditLines``; a kraken-ops addition beyond
        python-kraken-sdk). Kraken answers ``None`` for an account without a credit line.

        ``rebase_multiplier``: ``rebased`` or ``base`` (xStocks), as for :meth:`get_account_balance`.

        >>> User(key="api-key", secret="secret-key").get_credit_lines()  # doctest: +SKIP
        {'asset_details': {'ZUSD': {'balance': '1000.5000', 'credit_limit': '50000.0000', ...}}, 'limits_monitor': {...}}
        """
        return self._private("CreditLines", params(rebase_multiplier=rebase_multiplier), extra_params)  # type: ignore[no-any-return]

    # --- orders --------------------------------------------------------------------
    def get_open_orders(
        self,
        userref: int | None = None,
        *,
        trades: bool | None = False,
        cl_ord_id: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Open orders, optionally filtered by ``userref`` or ``cl_ord_id``.

        >>> User(key="api-key", secret="secret-key").get_open_orders()["open"]  # doctest: +SKIP
        {'OCUG7Z-4EM5R-7ZCJ47': {'status': 'open', ...}}
        """
        return self._private("OpenOrders", params(trades=trades, userref=userref, cl_ord_id=cl_ord_id), extra_params)

    def get_closed_orders(
        self,
        userref: int | None = None,
        start: int | None = None,
        end: int | None = None,
        ofs: int | None = None,
        closetime: str | None = "both",
        *,
        trades: bool | None = False,
        cl_ord_id: str | None = None,
        consolidate_taker: bool | None = None,
        without_count: bool | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The 50 latest closed (filled or cancelled) orders; page with ``ofs``.

        >>> User(key="api-key", secret="secret-key").get_closed_orders(closetime="close")  # doctest: +SKIP
        {'closed': {'OBGFYP-XVQNL-P4GMWF': {...}}, 'count': 1}
        """
        return self._private(
            "ClosedOrders",
            params(
                trades=trades,
                userref=userref,
                cl_ord_id=cl_ord_id,
                start=start,
                end=end,
                ofs=ofs,
                closetime=closetime,
                consolidate_taker=consolidate_taker,
                without_count=without_count,
            ),
            extra_params,
        )

    def get_orders_info(
        self,
        txid: list[str] | str,
        userref: int | None = None,
        *,
        trades: bool | None = False,
        consolidate_taker: bool | None = True,
        cl_ord_id: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Details of up to 50 orders by txid (a list or a comma-separated string).

        >>> User(key="api-key", secret="secret-key").get_orders_info(txid="OG5IL4-6AR7I-ZAPZEZ")  # doctest: +SKIP
        {'OG5IL4-6AR7I-ZAPZEZ': {'status': 'open', ...}}
        """
        return self._private(
            "QueryOrders",
            params(txid=txid, trades=trades, userref=userref, cl_ord_id=cl_ord_id, consolidate_taker=consolidate_taker),
            extra_params,
        )

    def get_order_amends(self, order_id: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The amend history of one order (the first entry holds the original values).

        >>> User(key="api-key", secret="secret-key").get_order_amends(order_id="OVM3PT-56ACO-53SM2T")  # doctest: +SKIP
        {'amends': [...], 'count': 3}
        """
        return self._private("OrderAmends", params(order_id=order_id), extra_params)

    # --- trades, positions, ledgers ------------------------------------------------
    def get_trades_history(
        self,
        type_: str | None = "all",
        start: int | None = None,
        end: int | None = None,
        ofs: int | None = None,
        *,
        trades: bool | None = False,
        consolidate_taker: bool = True,
        ledgers: bool = False,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The 50 latest trades; page with ``ofs``.

        >>> User(key="api-key", secret="secret-key").get_trades_history()["count"]  # doctest: +SKIP
        630
        """
        return self._private(
            "TradesHistory",
            params(
                type=type_,
                trades=trades,
                start=start,
                end=end,
                ofs=ofs,
                consolidate_taker=consolidate_taker,
                ledgers=ledgers,
            ),
            extra_params,
        )

    def get_trades_info(
        self,
        txid: str | list[str],
        *,
        trades: bool | None = False,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Details of up to 20 trades by txid.

        >>> User(key="api-key", secret="secret-key").get_trades_info(txid="TNGMNU-XQSRA-LKCWOK")  # doctest: +SKIP
        {'TNGMNU-XQSRA-LKCWOK': {'pair': 'XETHZUSD', ...}}
        """
        return self._private("QueryTrades", params(txid=txid, trades=trades), extra_params)

    def get_open_positions(
        self,
        txid: str | list[str] | None = None,
        consolidation: str | None = "market",
        *,
        docalcs: bool | None = False,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Open margin positions, optionally with profit/loss (``docalcs=True``).

        >>> User(key="api-key", secret="secret-key").get_open_positions(docalcs=True)  # doctest: +SKIP
        {'TF5GVO-T7ZZ2-6NBKBI': {'posstatus': 'open', ...}}
        """
        return self._private("OpenPositions", params(txid=txid, docalcs=docalcs, consolidation=consolidation), extra_params)

    def get_ledgers_info(
        self,
        asset: str | list[str] | None = "all",
        aclass: str | None = "currency",
        type_: str | None = "all",
        start: int | None = None,
        end: int | None = None,
        ofs: int | None = None,
        *,
        without_count: bool | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Ledger entries, 50 at a time; filter by asset(s), class, type and time.

        >>> User(key="api-key", secret="secret-key").get_ledgers_info(asset=["KFEE", "EUR"])["count"]  # doctest: +SKIP
        519
        """
        return self._private(
            "Ledgers",
            params(asset=asset, aclass=aclass, type=type_, start=start, end=end, ofs=ofs, without_count=without_count),
            extra_params,
        )

    def get_ledgers(
        self,
        id_: str | list[str],
        *,
        trades: bool | None = False,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Specific ledger entries by id (up to 20).

        >>> User(key="api-key", secret="secret-key").get_ledgers(id_="LKLSX7-VUXD4-HDLK2P")  # doctest: +SKIP
        {'LKLSX7-VUXD4-HDLK2P': {'asset': 'KFEE', ...}}
        """
        return self._private("QueryLedgers", params(id=id_, trades=trades), extra_params)

    def get_trade_volume(
        self,
        pair: str | list[str] | list[dict[str, str]] | None = None,
        *,
        fee_info: bool | None = True,
        fee_schedule: bool | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """30-day trading volume and, for the given pairs, the fee tiers.

        ``fee_schedule=True`` asks for the full fee schedule per pair (``schedules``),
        Kraken's replacement for AssetPairs' ``fees``; ``pair`` may be a list of
        ``{"asset": ..., "aclass": ...}`` objects for non-forex asset classes (sent as JSON).

        >>> User(key="api-key", secret="secret-key").get_trade_volume(pair="DOTUSD")["fees"]  # doctest: +SKIP
        {'DOTUSD': {'fee': '0.2200', ...}}
        """
        objects = isinstance(pair, list) and bool(pair) and isinstance(pair[0], dict)
        data = params(pair=pair)
        if fee_info is not None:
            data["fee-info"] = fee_info
        if fee_schedule is not None:
            data["fee_schedule"] = fee_schedule
        return self._private("TradeVolume", data, extra_params, do_json=objects)

    # --- exports -------------------------------------------------------------------
    def request_export_report(
        self,
        report: str,
        description: str,
        format_: str | None = "CSV",
        fields: str | list[str] | None = "all",
        starttm: int | None = None,
        endtm: int | None = None,
        *,
        timeout: int | None = 10,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Ask Kraken to build a ``trades`` or ``ledgers`` report; returns its id.

        >>> User(key="api-key", secret="secret-key").request_export_report(
        ...     report="ledgers", description="myLedgers1", format_="CSV")  # doctest: +SKIP
        {'id': 'GEHI'}
        """
        return self._private(
            "AddExport",
            params(report=report, description=description, format=format_, fields=fields, starttm=starttm, endtm=endtm),
            extra_params,
            timeout=timeout,
        )

    def get_export_report_status(self, report: str, *, extra_params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Status of the reports of one kind (``trades`` or ``ledgers``).

        >>> User(key="api-key", secret="secret-key").get_export_report_status(report="ledgers")[0]["status"]  # doctest: +SKIP
        'Queued'
        """
        return self._private("ExportStatus", params(report=report), extra_params)

    def retrieve_export(self, id_: str, timeout: int = 10, *, extra_params: dict[str, Any] | None = None) -> Any:
        """Download a finished report: returns the *streaming* transport response.

        Sync: a ``requests.Response`` opened with ``stream=True`` (iterate with
        ``iter_content``); async: an ``aiohttp.ClientResponse`` (read ``content``
        in chunks, then ``release()``). The zip is never loaded whole.

        >>> data = User(key="api-key", secret="secret-key").retrieve_export(id_="GEHI")  # doctest: +SKIP
        >>> with open("report.zip", "wb") as f:  # doctest: +SKIP
        ...     for chunk in data.iter_content(chunk_size=65536):
        ...         f.write(chunk)
        """
        return self._private("RetrieveExport", params(id=id_), extra_params, timeout=timeout, return_raw=True)

    def delete_export_report(
        self,
        id_: str,
        type_: str | None = "delete",
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Delete a finished report or cancel a queued one (``type_="cancel"``).

        >>> User(key="api-key", secret="secret-key").delete_export_report(id_="GEHI", type_="delete")  # doctest: +SKIP
        {'delete': True}
        """
        return self._private("RemoveExport", params(id=id_, type=type_), extra_params)

    # --- accounts --------------------------------------------------------------------
    def create_subaccount(self, username: str, email: str, *, extra_params: dict[str, Any] | None = None) -> Any:
        """Create a trading subaccount (institutional clients only).

        >>> User(key="api-key", secret="secret-key").create_subaccount(username="user", email="user@domain.com")  # doctest: +SKIP
        True
        """
        return self._private("CreateSubaccount", params(username=username, email=email), extra_params)

    def account_transfer(
        self,
        asset: str,
        amount: str | int | Decimal | float,
        from_: str,
        to_: str,
        *,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move funds between master and subaccounts (IIBANs; institutional clients only).

        >>> User(key="api-key", secret="secret-key").account_transfer(
        ...     asset="XBT", amount="1.0", from_="ABCD 1234 EFGH 5678", to_="IJKL 0987 MNOP 6543")  # doctest: +SKIP
        {'transfer_id': 'TOH3AS2-LPCWR8-JDQGEU', 'status': 'complete'}
        """
        data = params(asset=asset, asset_class=asset_class, amount=amount)
        data["from"] = from_
        data["to"] = to_
        return self._private("AccountTransfer", data, extra_params)

    def get_websockets_token(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A WebSocket v2 auth token (an addition to the reference, ``GetWebSocketsToken``).

        >>> User(key="api-key", secret="secret-key").get_websockets_token()  # doctest: +SKIP
        {'token': '1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw', 'expires': 900}
        """
        return self._private("GetWebSocketsToken", extra_params=extra_params)


class User(_UserEndpoints, SpotClient):
    """Kraken Spot account client (sync); needs ``key`` and ``secret`` (or a profile).

    >>> from kraken_ops.spot import User
    >>> with User(key="api-key", secret="secret-key") as user:  # doctest: +SKIP
    ...     user.get_balance(currency="EUR")
    """


class AsyncUser(_UserEndpoints, SpotAsyncClient):
    """Kraken Spot account client (async): every endpoint method returns a coroutine.

    >>> async with AsyncUser(key="api-key", secret="secret-key") as user:  # doctest: +SKIP
    ...     await user.get_balances()
    """


__all__ = ["User", "AsyncUser", "balance_summary", "find_balance"]
