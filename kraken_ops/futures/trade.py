"""Kraken Futures trading: send, edit, cancel and batch orders, fills, order status, dead man's switch.

:class:`Trade` (sync) and :class:`AsyncTrade` (async) share one definition of every
endpoint (:class:`_TradeEndpoints`). Order outcomes that mean failure
(``sendStatus``/``editStatus``/``cancelStatus``/``batchStatus``) raise in the core
(:func:`kraken_ops._core.client.check_futures_envelope`).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from kraken_ops._core.call import Call, params
from kraken_ops.futures.base import FuturesAsyncClient, FuturesClient

SIDES = ("buy", "sell")
TRIGGER_SIGNALS = ("mark", "index", "last")  # Kraken's values (the reference allows "spot", which Kraken rejects)
# Batch instruction fields Kraken types as numbers: a numeric str goes into the JSON unquoted, text unchanged.
BATCH_NUMBER_FIELDS = frozenset({"size", "limitPrice", "stopPrice", "trailingStopMaxDeviation"})
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def batch_json(value: Any, field: str | None = None) -> str:
    """Compact JSON for a batch order where numbers keep the caller's exact text.

    ``Decimal("1.50")`` becomes ``1.50``, ``"0.10"`` in a numeric field becomes ``0.10``,
    an int stays an int; nothing passes through a float.

    >>> batch_json({"batchOrder": [{"order": "send", "size": Decimal("1.50"), "limitPrice": "27000.0"}]})
    '{"batchOrder":[{"order":"send","size":1.50,"limitPrice":27000.0}]}'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{field or 'value'} must be a finite number, not {value}")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        if field in BATCH_NUMBER_FIELDS and _NUMBER.fullmatch(value):
            return value
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{batch_json(v, str(k))}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(batch_json(v, field) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} in a batch order")


def _ids(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class _TradeEndpoints:
    """Every Futures trading endpoint, defined once for the sync and the async client."""

    _call: Any

    def get_fills(self, lastFillTime: str | None = None, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Your recent fills, optionally those before ``lastFillTime`` (ISO 8601).

        >>> Trade(key="...", secret="...").get_fills()["fills"][0]["fillType"]  # doctest: +SKIP
        'taker'
        """
        return self._call(Call("GET", "/derivatives/api/v3/fills", query=params(lastFillTime=lastFillTime), auth=True, extra_params=extra_params))

    def create_order(
        self,
        orderType: str,
        size: str | int | float | Decimal,
        symbol: str,
        side: str,
        cliOrdId: str | None = None,
        limitPrice: str | int | float | Decimal | None = None,
        reduceOnly: bool | None = None,
        stopPrice: str | int | float | Decimal | None = None,
        triggerSignal: str | None = None,
        trailingStopDeviationUnit: str | None = None,
        trailingStopMaxDeviation: str | int | float | Decimal | None = None,
        processBefore: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send an order (``lmt``, ``post``, ``ioc``, ``mkt``, ``stp``, ``take_profit``, ``trailing_stop``).

        Numbers given as str, int or Decimal reach Kraken unchanged. A rejected order
        (``sendStatus.status`` such as ``insufficientAvailableFunds``) raises.

        >>> Trade(key="...", secret="...").create_order(orderType="lmt", size="1", symbol="PF_ETHUSD", side="buy", limitPrice="1200.5")  # doctest: +SKIP
        {'result': 'success', 'sendStatus': {'order_id': '...', 'status': 'placed', ...}, ...}
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}")
        if triggerSignal is not None and triggerSignal not in TRIGGER_SIGNALS:
            raise ValueError(f"triggerSignal must be one of {TRIGGER_SIGNALS}")
        body = params(
            orderType=orderType,
            symbol=symbol,
            side=side,
            size=size,
            limitPrice=limitPrice,
            stopPrice=stopPrice,
            cliOrdId=cliOrdId,
            triggerSignal=triggerSignal,
            reduceOnly=reduceOnly,
            trailingStopMaxDeviation=trailingStopMaxDeviation,
            trailingStopDeviationUnit=trailingStopDeviationUnit,
            processBefore=processBefore,
        )
        return self._call(Call("POST", "/derivatives/api/v3/sendorder", params=body, auth=True, extra_params=extra_params))

    def edit_order(
        self,
        orderId: str | None = None,
        cliOrdId: str | None = None,
        limitPrice: str | int | float | Decimal | None = None,
        size: str | int | float | Decimal | None = None,
        stopPrice: str | int | float | Decimal | None = None,
        processBefore: str | None = None,
        *,
        trailingStopMaxDeviation: str | int | float | Decimal | None = None,
        trailingStopDeviationUnit: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Edit an open order, named by ``orderId`` or ``cliOrdId``.

        >>> Trade(key="...", secret="...").edit_order(orderId="fc589be9-5095-48f0-b6f1-a2dfad6d9677", size="100")  # doctest: +SKIP
        {'result': 'success', 'editStatus': {'status': 'edited', ...}, ...}
        """
        if orderId is None and cliOrdId is None:
            raise ValueError("Either orderId or cliOrdId must be set!")
        body = params(
            orderId=orderId,
            cliOrdId=cliOrdId if orderId is None else None,
            size=size,
            limitPrice=limitPrice,
            stopPrice=stopPrice,
            trailingStopMaxDeviation=trailingStopMaxDeviation,
            trailingStopDeviationUnit=trailingStopDeviationUnit,
            processBefore=processBefore,
        )
        return self._call(Call("POST", "/derivatives/api/v3/editorder", params=body, auth=True, extra_params=extra_params))

    def cancel_order(
        self,
        order_id: str | None = None,
        cliOrdId: str | None = None,
        processBefore: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Cancel one order, named by ``order_id`` or ``cliOrdId``.

        >>> Trade(key="...", secret="...").cancel_order(order_id="fc589be9-5095-48f0-b6f1-a2dfad6d9677")  # doctest: +SKIP
        {'result': 'success', 'cancelStatus': {'status': 'cancelled', ...}, ...}
        """
        if order_id is None and cliOrdId is None:
            raise ValueError("Either order_id or cliOrdId must be set!")
        body = params(order_id=order_id, cliOrdId=cliOrdId if order_id is None else None, processBefore=processBefore)
        return self._call(Call("POST", "/derivatives/api/v3/cancelorder", params=body, auth=True, extra_params=extra_params))

    def cancel_all_orders(self, symbol: str | None = None, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Cancel all open orders, or those of one contract.

        >>> Trade(key="...", secret="...").cancel_all_orders(symbol="PF_XBTUSD")  # doctest: +SKIP
        {'result': 'success', 'cancelStatus': {'status': 'cancelled', 'cancelledOrders': [...], ...}, ...}
        """
        return self._call(Call("POST", "/derivatives/api/v3/cancelallorders", params=params(symbol=symbol), auth=True, extra_params=extra_params))

    def dead_mans_switch(self, timeout: int | str | None = 0, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Cancel all orders after ``timeout`` seconds unless called again; ``0`` disarms it.

        >>> Trade(key="...", secret="...").dead_mans_switch(timeout=60)  # doctest: +SKIP
        {'result': 'success', 'status': {'currentTime': '...', 'triggerTime': '...'}, ...}
        """
        return self._call(
            Call("POST", "/derivatives/api/v3/cancelallordersafter", params=params(timeout=timeout), auth=True, extra_params=extra_params)
        )

    def get_orders_status(
        self,
        orderIds: str | list[str] | None = None,
        cliOrderIds: str | list[str] | None = None,
        *,
        cliOrdIds: str | list[str] | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Status of several orders; ids are sent as repeated keys (``orderIds=a&orderIds=b``).

        ``cliOrdIds`` is accepted as an alias of ``cliOrderIds`` (python-kraken-sdk's code name).

        >>> Trade(key="...", secret="...").get_orders_status(orderIds=["2c611222-bfe6", "5f204f95-4354"])  # doctest: +SKIP
        {'result': 'success', 'serverTime': '...', 'orders': []}
        """
        client_ids = cliOrderIds if cliOrderIds is not None else cliOrdIds
        body = params(orderIds=_ids(orderIds), cliOrdIds=_ids(client_ids))
        return self._call(Call("POST", "/derivatives/api/v3/orders/status", params=body, auth=True, extra_params=extra_params))

    def create_batch_order(
        self,
        batchorder_list: list[dict[str, Any]],
        processBefore: str | None = None,
        *,
        extra_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send, edit and cancel several orders in one request (form field ``json={"batchOrder": [...]}``).

        Each instruction carries ``order`` (``send``/``edit``/``cancel``) and, for sends, an
        ``order_tag`` that ties it to its entry in ``batchStatus``. An instruction whose
        status means failure raises (the whole answer is on ``exc.response``).

        >>> Trade(key="...", secret="...").create_batch_order(batchorder_list=[
        ...     {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PI_XBTUSD", "side": "buy", "size": 5, "limitPrice": "1.00"},
        ...     {"order": "cancel", "order_id": "e35d61dd-8a30-4d5f-a574-b5593ef0c050"},
        ... ])  # doctest: +SKIP
        {'result': 'success', 'batchStatus': [{'status': 'placed', 'order_tag': '1', ...}, ...], ...}
        """
        body = params(json=batch_json({"batchOrder": list(batchorder_list)}), ProcessBefore=processBefore)
        return self._call(Call("POST", "/derivatives/api/v3/batchorder", params=body, auth=True, extra_params=extra_params))


class Trade(_TradeEndpoints, FuturesClient):
    """Kraken Futures trading client (sync).

    >>> with Trade(key="api-key", secret="secret-key") as trade:  # doctest: +SKIP
    ...     trade.get_fills()
    """


class AsyncTrade(_TradeEndpoints, FuturesAsyncClient):
    """Kraken Futures trading client (async): every endpoint method returns a coroutine.

    >>> async with AsyncTrade(key="api-key", secret="secret-key") as trade:  # doctest: +SKIP
    ...     await trade.get_fills()
    """


__all__ = ["Trade", "AsyncTrade", "batch_json"]
