"""Kraken Futures trading: send, edit, cancel and batch orders, fills, order status, dead man's switch.

:class:`Trade` (sync) and :class:`AsyncTrade` (async) share one definition of every
endpoint (:class:`_TradeEndpoints`). Order outcomes that mean failure
(``sendStatus``/``editStatus``/``cancelStatus``/``batchStatus``) raise in the core
(:func:`kraken_ops._core.client.check_futures_envelope`).

Every order sent carries a client order id (``cliOrdId``; a UUID when the caller
gave none). When the answer to ``sendorder``, ``batchorder`` (sends only) or
``cancelorder`` is lost, the client looks the order up -- ``orders/status``, which
knows open orders and those closed in the last seconds, then the order history --
and returns the answer Kraken would have sent, raises
:class:`~kraken_ops.exceptions.KrakenOrderNotPlacedError`, or, when the lookup
fails too, :class:`~kraken_ops.exceptions.KrakenOutcomeUnknownError`
(:mod:`kraken_ops._core.outcome`).
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from typing import Any, Callable

from kraken_ops._core.call import Call, params
from kraken_ops._core.outcome import SECOND_LOOK, Write, new_client_order_id, resolve
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


def _now_iso() -> str:
    """Now as Kraken Futures writes ``serverTime`` (ISO 8601, milliseconds, ``Z``)."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _ids(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


HISTORY_WINDOW = 300.0  # seconds of order history searched for a lost order


def _status_rows(result: Any) -> list[dict[str, Any]]:
    return [row for row in (result or {}).get("orders") or [] if isinstance(row, dict) and isinstance(row.get("order"), dict)]


def _history_orders(result: Any) -> dict[str, tuple[str, str]]:
    """``{cliOrdId: (order_id, event)}`` from order-history elements (placed, rejected, ...)."""
    out: dict[str, tuple[str, str]] = {}
    for element in (result or {}).get("elements") or []:
        for name, body in ((element or {}).get("event") or {}).items():
            order = (body or {}).get("order") or (body or {}).get("newOrder") or {}
            client = order.get("clientId") or order.get("cliOrdId")
            if client and client not in out:
                out[client] = (str(order.get("uid") or order.get("orderId") or ""), name)
    return out


class _TradeEndpoints:
    """Every Futures trading endpoint, defined once for the sync and the async client."""

    _call: Any
    profile: str | None = None

    def _write(self, request: str, check: str, cl_ord_id: str | None = None) -> Write:
        return Write("futures", request, check, cl_ord_id=cl_ord_id, profile=getattr(self, "profile", None), timeout=getattr(self, "TIMEOUT", None))

    def _find_sent(self, write: Write, cause: BaseException, ids: list[str], answer: Callable[[dict[str, dict[str, Any]]], Any]) -> Call:
        """Look up orders by cliOrdId: ``orders/status`` (open, or closed in the last seconds), then the
        order history; ``answer({cliOrdId: {"order_id", "status", "receivedTime"}})`` for those placed.

        When none is found, everything is looked up once more after :data:`SECOND_LOOK`
        seconds; then the orders were not placed.
        """

        def look(second: bool, delay: float) -> Call:
            def finish(found: dict[str, dict[str, Any]]) -> Any:
                if found:
                    return answer(found)
                if not second:
                    return look(True, SECOND_LOOK)
                raise write.not_applied(cause, f"no order has the client order id {', '.join(ids)}, so it was not placed", placed=True)

            def history(found: dict[str, dict[str, Any]], rejected: dict[str, str]) -> Any:
                missing = [i for i in ids if i not in found and i not in rejected]
                if not missing:
                    return settle(found, rejected)

                def seen(result: Any) -> Any:
                    for client, (order_id, event) in _history_orders(result).items():
                        if client in missing:
                            if "Reject" in event:
                                rejected[client] = event
                            else:
                                found[client] = {"order_id": order_id, "status": "placed"}
                    return settle(found, rejected)

                since = int((time.time() - HISTORY_WINDOW) * 1000)
                query = {"since": since, "sort": "desc", "count": 1000}
                return write.lookup(lambda: Call("GET", "/api/history/v2/orders", query=dict(query), auth=True, then=seen), cause)

            def settle(found: dict[str, dict[str, Any]], rejected: dict[str, str]) -> Any:
                if rejected and not found:
                    which = ", ".join(f"{i} ({why})" for i, why in rejected.items())
                    raise write.not_applied(cause, f"Kraken rejected the order with client order id {which}, so it was not placed", placed=True)
                return finish(found)

            def status(result: Any) -> Any:
                found: dict[str, dict[str, Any]] = {}
                rejected: dict[str, str] = {}
                for row in _status_rows(result):
                    order = row["order"]
                    client = order.get("cliOrdId")
                    if client not in ids:
                        continue
                    if str(row.get("status")).upper() == "REJECTED":
                        rejected[client] = str(row.get("updateReason") or row.get("error") or "rejected")
                    else:
                        found[client] = {"order_id": order.get("orderId"), "status": "placed", "receivedTime": order.get("timestamp")}
                return history(found, rejected)

            call = write.lookup(lambda: Call("POST", "/derivatives/api/v3/orders/status", params={"cliOrdIds": list(ids)}, auth=True, then=status), cause, delay=delay)
            return call

        return look(False, 0.0)

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
        if cliOrdId is None and not (extra_params and "cliOrdId" in extra_params):
            body["cliOrdId"] = cliOrdId = new_client_order_id()
        call = Call("POST", "/derivatives/api/v3/sendorder", params=body, auth=True, extra_params=extra_params)
        client_id = str(cliOrdId if cliOrdId is not None else (extra_params or {})["cliOrdId"])
        write = self._write("sendorder", f"kraken-ops futures orders status --cl-ord-id {client_id}", client_id)

        def find(cause: BaseException) -> Call:
            def answer(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
                status = found[client_id]
                write.recovered(cause, f"order {status['order_id']} (client order id {client_id}) was placed")
                send = {"order_id": status["order_id"], "status": "placed", "receivedTime": status.get("receivedTime"), "cliOrdId": client_id, "orderEvents": []}
                return {"result": "success", "sendStatus": send, "serverTime": _now_iso()}

            return self._find_sent(write, cause, [client_id], answer)

        return self._call(resolve(call, write, find))

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
        call = Call("POST", "/derivatives/api/v3/cancelorder", params=body, auth=True, extra_params=extra_params)
        which = {"orderIds": [order_id]} if order_id is not None else {"cliOrdIds": [cliOrdId]}
        check = f"kraken-ops futures orders status {order_id}" if order_id is not None else f"kraken-ops futures orders status --cl-ord-id {cliOrdId}"
        write = self._write("cancelorder", check, None if order_id is not None else cliOrdId)
        name = f"order {order_id}" if order_id is not None else f"the order with client order id {cliOrdId}"

        def find(cause: BaseException) -> Call:
            def judge(result: Any) -> Any:
                rows = [r for r in _status_rows(result) if r["order"].get("orderId") == order_id or (order_id is None and r["order"].get("cliOrdId") == cliOrdId)]
                if not rows:  # closed too long ago for orders/status: the outcome cannot be told
                    raise write.unknown(cause)
                state, order = str(rows[0].get("status")).upper(), rows[0]["order"]
                if state in ("CANCELLED", "FULLY_EXECUTED"):
                    outcome = "cancelled" if state == "CANCELLED" else "filled"
                    write.recovered(cause, f"{name} is {outcome}")
                    cancel = {"status": outcome, "order_id": order.get("orderId"), "receivedTime": order.get("lastUpdateTimestamp"), "orderEvents": []}
                    return {"result": "success", "cancelStatus": cancel, "serverTime": _now_iso()}
                raise write.not_applied(cause, f"{name} is still open ({state}), so it was not cancelled")

            return write.lookup(lambda: Call("POST", "/derivatives/api/v3/orders/status", params=dict(which), auth=True, then=judge), cause)

        return self._call(resolve(call, write, find))

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
        instructions = [
            {**item, "cliOrdId": new_client_order_id()} if isinstance(item, dict) and item.get("order") == "send" and not item.get("cliOrdId") else item
            for item in batchorder_list
        ]
        body = params(json=batch_json({"batchOrder": instructions}), ProcessBefore=processBefore)
        call = Call("POST", "/derivatives/api/v3/batchorder", params=body, auth=True, extra_params=extra_params)
        if not instructions or any(not isinstance(i, dict) or i.get("order") != "send" for i in instructions):
            return self._call(call)  # edits and cancels in the batch: a lost answer is reported as unknown
        ids = [str(i["cliOrdId"]) for i in instructions]
        write = self._write("batchorder", "kraken-ops futures orders status --cl-ord-id " + " --cl-ord-id ".join(ids))

        def find(cause: BaseException) -> Call:
            def answer(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
                statuses = []
                for item, client in zip(instructions, ids):
                    row = {"order_tag": item.get("order_tag"), "cliOrdId": client, "orderEvents": []}
                    if client in found:
                        row.update(status="placed", order_id=found[client]["order_id"], dateTimeReceived=found[client].get("receivedTime"))
                    else:
                        row.update(status="notFound")
                    statuses.append(row)
                write.recovered(cause, f"{len(found)} of the {len(ids)} orders were placed")
                return {"result": "success", "batchStatus": statuses, "serverTime": _now_iso()}

            return self._find_sent(write, cause, ids, answer)

        return self._call(resolve(call, write, find))


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
