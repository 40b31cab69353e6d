"""Spot trading: :class:`Trade` (sync) and :class:`AsyncTrade` (async).

Every endpoint is defined once in :class:`_TradeEndpoints`. Methods that need two
requests (``truncate``, ``create_order(truncate=True)``, ``edit_order(truncate=True)``)
first read AssetPairs and continue with a chained :class:`Call` returned from
``Call.then``, so they too are written once for both clients.

Prices and volumes go on the wire as given: ``str``, ``int`` and ``Decimal``
unchanged, never through a float. Truncation rounds *down* with Decimal.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Callable

from kraken_ops._core.call import Call, params
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

# Order types that take a trigger (``trigger=index|last``), per Kraken's AddOrder.
TRIGGER_ORDERTYPES = frozenset(
    {"stop-loss", "stop-loss-limit", "take-profit", "take-profit-limit", "trailing-stop", "trailing-stop-limit"}
)
_AMOUNT_FIELDS = {"price": "pair_decimals", "volume": "lot_decimals"}


def _as_decimal(amount: Decimal | float | int | str) -> Decimal:
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, float):
        return Decimal(repr(amount))  # what the caller typed, not the binary expansion
    try:
        return Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {amount!r}") from None


def pair_info(asset_pairs: dict[str, Any], pair: str) -> dict[str, Any]:
    """The AssetPairs entry for ``pair`` (matched by key, altname or wsname).

    >>> pair_info({"XXBTZUSD": {"altname": "XBTUSD", "wsname": "XBT/USD"}}, "XBT/USD")["altname"]
    'XBTUSD'
    """
    if not isinstance(asset_pairs, dict) or not asset_pairs:
        raise ValueError(f"Kraken returned no asset pair information for {pair!r}")
    for key, info in asset_pairs.items():
        if pair in (key, info.get("altname"), info.get("wsname")):
            return info
    if len(asset_pairs) == 1:
        return next(iter(asset_pairs.values()))
    raise ValueError(f"no asset pair information for {pair!r}")


def truncate_amount(amount: Decimal | float | int | str, amount_type: str, info: dict[str, Any]) -> str:
    """Cut ``amount`` down to the pair's precision: price → ``pair_decimals``, volume → ``lot_decimals``.

    Rounds toward zero with Decimal (never a float). A volume below the pair's
    ``ordermin`` raises ``ValueError``.

    >>> truncate_amount("0.123456789", "volume", {"lot_decimals": 8, "ordermin": "0.0001"})
    '0.12345678'
    >>> truncate_amount(21123, "price", {"pair_decimals": 1})
    '21123.0'
    """
    field = _AMOUNT_FIELDS.get(amount_type)
    if field is None:
        raise ValueError(f"amount_type must be 'price' or 'volume', not {amount_type!r}")
    value = _as_decimal(amount)
    decimals = int(info[field])
    result = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
    if amount_type == "volume" and info.get("ordermin") not in (None, "") and result < Decimal(str(info["ordermin"])):
        raise ValueError(f"volume {result} is below the pair's minimum order size {info['ordermin']}")
    return format(result, "f")


def _is_relative(value: Any) -> bool:
    """Kraken's relative prices (``+50``, ``-1%``, ``#2%``) are never truncated."""
    return isinstance(value, str) and (value.strip()[:1] in ("+", "-", "#") or value.strip().endswith("%"))


def _maybe_truncate(value: Any, amount_type: str, info: dict[str, Any]) -> Any:
    if value is None or _is_relative(value):
        return value
    return truncate_amount(value, amount_type, info)


class _TradeEndpoints:
    """Trade endpoint definitions shared by :class:`Trade` and :class:`AsyncTrade`."""

    _call: Any

    def _private(self, method: str, data: dict[str, Any] | None = None, extra_params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self._call(Call("POST", f"/0/private/{method}", data, auth=True, extra_params=extra_params, **kw))

    def _with_pair_info(self, pair: str, asset_class: str | None, build: Callable[[dict[str, Any]], Any]) -> Any:
        """Read AssetPairs for ``pair``, then continue with ``build(info)`` (a value or a Call)."""
        return self._call(
            Call(
                "GET",
                "/0/public/AssetPairs",
                params(pair=pair, aclass_base=asset_class or "currency"),
                then=lambda result: build(pair_info(result, pair)),
            )
        )

    def _send_order(
        self, build: Callable[[Any, Any], Call], pair: str, asset_class: str | None, price: Any, volume: Any, truncate: bool
    ) -> Any:
        """Send ``build(price, volume)``; with ``truncate``, first round both to the pair's precision."""
        if not truncate:
            return self._call(build(price, volume))
        return self._with_pair_info(
            pair, asset_class, lambda info: build(_maybe_truncate(price, "price", info), _maybe_truncate(volume, "volume", info))
        )

    def truncate(
        self,
        amount: Decimal | float | str,
        amount_type: str,
        pair: str,
        asset_class: str = "currency",
    ) -> str:
        """``amount`` as a string with the pair's allowed decimals (rounded down).

        ``amount_type`` is ``"price"`` (pair_decimals) or ``"volume"`` (lot_decimals);
        ``asset_class="tokenized_asset"`` for xStocks.

        >>> Trade().truncate(amount="0.123456789", amount_type="volume", pair="XBTUSD")  # doctest: +SKIP
        '0.12345678'
        """
        if amount_type not in _AMOUNT_FIELDS:
            raise ValueError(f"amount_type must be 'price' or 'volume', not {amount_type!r}")
        return self._with_pair_info(pair, asset_class, lambda info: truncate_amount(amount, amount_type, info))

    truncate.cache_clear = truncate.clear_cache = lambda: None  # type: ignore[attr-defined]  # nothing is cached

    def create_order(
        self,
        ordertype: str,
        side: str,
        pair: str,
        volume: str | int | Decimal | float,
        price: str | int | Decimal | float | None = None,
        price2: str | int | Decimal | float | None = None,
        trigger: str | None = None,
        leverage: str | int | None = None,
        stptype: str | None = "cancel-newest",
        oflags: str | list[str] | None = None,
        timeinforce: str | None = None,
        displayvol: str | int | Decimal | float | None = None,
        starttm: str | int | None = "0",
        expiretm: str | int | None = None,
        close_ordertype: str | None = None,
        close_price: str | int | Decimal | float | None = None,
        close_price2: str | int | Decimal | float | None = None,
        deadline: str | None = None,
        userref: int | None = None,
        *,
        truncate: bool = False,
        reduce_only: bool | None = False,
        validate: bool = False,
        cl_ord_id: str | None = None,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Place an order (``/0/private/AddOrder``).

        ``userref`` and ``cl_ord_id`` are mutually exclusive. ``truncate=True`` first
        reads the pair's precision and cuts ``price`` and ``volume`` down to it.
        ``asset_class="tokenized_asset"`` for xStocks.

        >>> Trade(key="api-key", secret="secret-key").create_order(
        ...     ordertype="limit", side="buy", pair="XBTUSD", volume="0.0001", price="23000.5")  # doctest: +SKIP
        {'txid': ['OUF4EM-FRGI2-MQMWZD'], 'descr': {'order': 'buy 0.00010000 XBTUSD @ limit 23000.5'}}
        """
        if trigger is not None and ordertype not in TRIGGER_ORDERTYPES:
            raise ValueError(f"trigger cannot be used with ordertype {ordertype!r}")
        if userref is not None and cl_ord_id is not None:
            raise ValueError("give either userref or cl_ord_id, not both")

        def build(price_: Any, volume_: Any) -> Call:
            data = params(
                type=side,
                volume=volume_,
                pair=pair,
                ordertype=ordertype,
                price=price_,
                price2=price2,
                trigger=trigger,
                leverage=leverage,
                stptype=stptype,
                oflags=oflags,
                timeinforce=timeinforce,
                displayvol=displayvol,
                starttm=starttm,
                expiretm=expiretm,
                deadline=deadline,
                userref=userref,
                cl_ord_id=cl_ord_id,
                asset_class=asset_class,
                reduce_only=reduce_only,
                validate=validate,
            )
            data.update(params(**{"close[ordertype]": close_ordertype, "close[price]": close_price, "close[price2]": close_price2}))
            return Call("POST", "/0/private/AddOrder", data, auth=True, extra_params=extra_params)

        return self._send_order(build, pair, asset_class, price, volume, truncate)

    def create_order_batch(
        self,
        orders: list[dict[str, Any]],
        pair: str,
        deadline: str | None = None,
        *,
        validate: bool = False,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Place 2..15 orders on one pair in one request (JSON body, ``AddOrderBatch``).

        >>> Trade(key="api-key", secret="secret-key").create_order_batch(pair="BTC/USD", orders=[
        ...     {"ordertype": "limit", "type": "buy", "volume": "1", "price": "25000"},
        ...     {"ordertype": "limit", "type": "sell", "volume": "2", "price": "1000000"}])  # doctest: +SKIP
        {'orders': [{'txid': 'O5TLGX-DKKTU-WKRAZ5', ...}, {'txid': 'OBFYFP-XVQNL-P4GMWF', ...}]}
        """
        data = params(orders=orders, pair=pair, deadline=deadline, asset_class=asset_class, validate=validate)
        return self._private("AddOrderBatch", data, extra_params, do_json=True)

    def edit_order(
        self,
        txid: str,
        pair: str,
        volume: str | int | Decimal | float | None = None,
        price: str | int | Decimal | float | None = None,
        price2: str | int | Decimal | float | None = None,
        oflags: str | list[str] | None = None,
        deadline: str | None = None,
        cancel_response: bool | None = None,
        userref: int | None = None,
        *,
        truncate: bool = False,
        validate: bool = False,
        displayvol: str | int | Decimal | float | None = None,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Replace an open order with edited values (``EditOrder``; see also :meth:`amend_order`).

        >>> Trade(key="api-key", secret="secret-key").edit_order(
        ...     txid="OBGFYP-XVQNL-P4GMWF", pair="XBTUSD", volume="0.75", price="1250000")  # doctest: +SKIP
        {'status': 'ok', 'txid': 'OFVXHJ-KPQ3B-VS7ELA', 'originaltxid': 'OBGFYP-XVQNL-P4GMWF', ...}
        """

        def build(price_: Any, volume_: Any) -> Call:
            data = params(
                txid=txid,
                pair=pair,
                volume=volume_,
                displayvol=displayvol,
                price=price_,
                price2=price2,
                oflags=oflags,
                deadline=deadline,
                cancel_response=cancel_response,
                userref=userref,
                asset_class=asset_class,
                validate=validate,
            )
            return Call("POST", "/0/private/EditOrder", data, auth=True, extra_params=extra_params)

        return self._send_order(build, pair, asset_class, price, volume, truncate)

    def amend_order(
        self,
        *,
        txid: str | None = None,
        cl_ord_id: str | None = None,
        order_qty: str | int | Decimal | float | None = None,
        display_qty: str | int | Decimal | float | None = None,
        limit_price: str | int | Decimal | float | None = None,
        trigger_price: str | int | Decimal | float | None = None,
        pair: str | None = None,
        post_only: bool | None = None,
        deadline: str | None = None,
        asset_class: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Amend an open order in place, keeping its id and queue priority (``AmendOrder``).

        Identify the order by ``txid`` or ``cl_ord_id``; ``pair`` is needed for xStocks
        (and ``asset_class="tokenized_asset"`` may accompany it).

        >>> Trade(key="api-key", secret="secret-key").amend_order(
        ...     txid="OVM3PT-56ACO-53SM2T", limit_price="105636.9")  # doctest: +SKIP
        {'amend_id': 'TEZA4R-DSDGT-IJBOJK'}
        """
        if txid is not None and cl_ord_id is not None:
            raise ValueError("give either txid or cl_ord_id, not both")
        data = params(
            txid=txid,
            cl_ord_id=cl_ord_id,
            order_qty=order_qty,
            display_qty=display_qty,
            limit_price=limit_price,
            trigger_price=trigger_price,
            pair=pair,
            post_only=post_only,
            deadline=deadline,
            asset_class=asset_class,
        )
        return self._private("AmendOrder", data, extra_params)

    def cancel_order(
        self,
        txid: str | int | None = None,
        *,
        cl_ord_id: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Cancel one order by ``txid`` (or userref) or by ``cl_ord_id``.

        >>> Trade(key="api-key", secret="secret-key").cancel_order(txid="OAUHYR-YCVK6-P22G6P")  # doctest: +SKIP
        {'count': 1}
        """
        if txid is not None and cl_ord_id is not None:
            raise ValueError("give either txid or cl_ord_id, not both")
        if txid is None and cl_ord_id is None and not extra_params:
            raise ValueError("give txid (or a userref) or cl_ord_id")
        return self._private("CancelOrder", params(txid=txid, cl_ord_id=cl_ord_id), extra_params)

    def cancel_all_orders(self, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Cancel every open order.

        >>> Trade(key="api-key", secret="secret-key").cancel_all_orders()  # doctest: +SKIP
        {'count': 2}
        """
        return self._private("CancelAll", extra_params=extra_params)

    def cancel_all_orders_after_x(self, timeout: int = 0, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Dead man's switch: cancel everything after ``timeout`` seconds (0 disables it).

        >>> Trade(key="api-key", secret="secret-key").cancel_all_orders_after_x(timeout=60)  # doctest: +SKIP
        {'currentTime': '2023-04-06T06:51:56Z', 'triggerTime': '2023-04-06T06:52:56Z'}
        """
        return self._private("CancelAllOrdersAfter", params(timeout=timeout), extra_params)

    def cancel_order_batch(
        self,
        orders: list[str | int] | None = None,
        *,
        cl_ord_ids: list[str] | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Cancel up to 50 orders by txid/userref and/or ``cl_ord_ids`` (JSON body).

        >>> Trade(key="api-key", secret="secret-key").cancel_order_batch(
        ...     orders=["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"])  # doctest: +SKIP
        {'count': 2}
        """
        data = params(
            orders=[str(o) if isinstance(o, int) else o for o in orders] if orders is not None else None,
            cl_ord_ids=list(cl_ord_ids) if cl_ord_ids is not None else None,
        )
        return self._private("CancelOrderBatch", data, extra_params, do_json=True)


class Trade(_TradeEndpoints, SpotClient):
    """Kraken Spot trading client (sync); needs ``key`` and ``secret`` (or a profile).

    >>> from kraken_ops.spot import Trade
    >>> with Trade(key="api-key", secret="secret-key") as trade:  # doctest: +SKIP
    ...     trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="20000", validate=True)
    """


class AsyncTrade(_TradeEndpoints, SpotAsyncClient):
    """Kraken Spot trading client (async): every endpoint method returns a coroutine.

    >>> async with AsyncTrade(key="api-key", secret="secret-key") as trade:  # doctest: +SKIP
    ...     await trade.cancel_order(cl_ord_id="my-order-1")
    """


__all__ = ["Trade", "AsyncTrade", "truncate_amount", "pair_info", "TRIGGER_ORDERTYPES"]
