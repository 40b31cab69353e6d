"""Spot trading: :class:`Trade` (sync) and :class:`AsyncTrade` (async).

Every endpoint is defined once in :class:`_TradeEndpoints`. Methods that need two
requests (``truncate``, ``create_order(truncate=True)``, ``edit_order(truncate=True)``)
first read AssetPairs and continue with a chained :class:`Call` returned from
``Call.then``, so they too are written once for both clients.

Prices and volumes go on the wire as given: ``str``, ``int`` and ``Decimal``
unchanged, never through a float. Truncation rounds *down* with Decimal.

Every new order carries a client order id (``cl_ord_id``; a UUID when the caller
gave neither one nor a ``userref``). When the answer to an order, a cancel or an
amend is lost (timeout, dropped connection, 5xx), the request is not sent again:
the client looks it up (by ``cl_ord_id``, by txid) and returns Kraken's answer as
if it had arrived, raises :class:`~kraken_ops.exceptions.KrakenOrderNotPlacedError`
(not carried out: sending it again is safe), or, when the lookup fails too,
:class:`~kraken_ops.exceptions.KrakenOutcomeUnknownError` (see :mod:`kraken_ops._core.outcome`).
"""

from __future__ import annotations

import time
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Callable

from kraken_ops._core.call import Call, params
from kraken_ops._core.otp import per_call_otp
from kraken_ops._core.outcome import SECOND_LOOK, Write, new_client_order_id, resolve
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


Reader = Callable[[Callable[[], Call]], Call]


def _direct(make: Callable[[], Call]) -> Call:
    return make()


def _matching(orders: Any, cl_ord_id: str, *, strict: bool = False) -> dict[str, Any]:
    """The orders of an OpenOrders/ClosedOrders answer that carry ``cl_ord_id``.

    After a read filtered by the id, an order without the field is taken as matching
    (``strict=False``); after an unfiltered read, only an equal field matches.
    """
    if not isinstance(orders, dict):
        return {}
    missing = object() if strict else cl_ord_id
    return {txid: o for txid, o in orders.items() if isinstance(o, dict) and o.get("cl_ord_id", missing) == cl_ord_id}


def find_by_cl_ord_id(cl_ord_id: str, then: Callable[[dict[str, Any]], Any], read: Reader = _direct) -> Call:
    """OpenOrders, then ClosedOrders, filtered by ``cl_ord_id``; ``then({txid: order})`` (``{}``: none).

    Open first: an order only ever moves from open to closed, so an order that closes
    between the two reads is still found.
    """

    def closed(result: Any) -> Any:
        return then(_matching((result or {}).get("closed"), cl_ord_id))

    def opened(result: Any) -> Any:
        found = _matching((result or {}).get("open"), cl_ord_id)
        if found:
            return then(found)
        return read(lambda: Call("POST", "/0/private/ClosedOrders", {"cl_ord_id": cl_ord_id}, auth=True, then=closed))

    return read(lambda: Call("POST", "/0/private/OpenOrders", {"cl_ord_id": cl_ord_id}, auth=True, then=opened))


def order_answer(txid: str, order: dict[str, Any]) -> dict[str, Any]:
    """AddOrder's answer for an order found by lookup (``descr`` and ``txid`` as Kraken sends them)."""
    descr = order.get("descr") or {}
    out: dict[str, Any] = {"order": descr.get("order", "")}
    if descr.get("close"):
        out["close"] = descr["close"]
    return {"descr": out, "txid": [txid]}


def _same_values(amend: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether an OrderAmends entry carries every requested value (compared as numbers)."""
    for key, value in wanted.items():
        have = amend.get(key)
        try:
            if have is None or Decimal(str(have)) != _as_decimal(value):
                return False
        except (InvalidOperation, ValueError):
            return False
    return True


def _seconds_until(deadline: str | None) -> float:
    """Seconds from now until an RFC 3339 ``deadline`` (0 when there is none or it cannot be read)."""
    if not deadline:
        return 0.0
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(deadline).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, min(moment - time.time(), 60.0))


@per_call_otp  # every method takes otp= (keys with 2FA; see _core/otp.py)
class _TradeEndpoints:
    """Trade endpoint definitions shared by :class:`Trade` and :class:`AsyncTrade`."""

    _call: Any
    profile: str | None = None

    def _write(self, request: str, check: str, cl_ord_id: str | None = None) -> Write:
        return Write("spot", request, check, cl_ord_id=cl_ord_id, profile=getattr(self, "profile", None), timeout=getattr(self, "TIMEOUT", None))

    def _placed_or_not(self, write: Write, cause: BaseException, cl_ord_ids: list[str], answer: Callable[[dict[str, Any]], Any], deadline: str | None) -> Call:
        """Look up orders by client order id: ``answer({txid: order})`` when any was placed, else not placed.

        One OpenOrders read (filtered by the id when there is one), then a ClosedOrders
        read per id not found open. When none is found, everything is looked up once
        more after :data:`SECOND_LOOK` seconds (or after the ``deadline``, when there is
        one: Kraken refuses an order after it), for a request still queued at Kraken.
        """

        def look(second: bool, delay: float) -> Call:
            pause = [delay]

            def read(make: Callable[[], Call]) -> Call:
                wait, pause[0] = pause[0], 0.0
                return write.lookup(make, cause, delay=wait)

            def finish(found: dict[str, Any]) -> Any:
                if found:
                    return answer(found)
                if not second:
                    return look(True, max(SECOND_LOOK, _seconds_until(deadline) + 2.0 if deadline else 0.0))
                ids = ", ".join(cl_ord_ids)
                raise write.not_applied(cause, f"no order has the client order id {ids}, so it was not placed", placed=True)

            def closed(missing: list[str], found: dict[str, Any]) -> Any:
                if not missing:
                    return finish(found)
                wanted = missing[0]
                return read(
                    lambda: Call(
                        "POST",
                        "/0/private/ClosedOrders",
                        {"cl_ord_id": wanted},
                        auth=True,
                        then=lambda result: closed(missing[1:], {**found, **_matching((result or {}).get("closed"), wanted)}),
                    )
                )

            def opened(result: Any) -> Any:
                orders = (result or {}).get("open")
                found: dict[str, Any] = {}
                for wanted in cl_ord_ids:
                    found.update(_matching(orders, wanted, strict=len(cl_ord_ids) > 1))
                ids = {o.get("cl_ord_id", cl_ord_ids[0]) for o in found.values()}
                return closed([i for i in cl_ord_ids if i not in ids], found)

            query = {"cl_ord_id": cl_ord_ids[0]} if len(cl_ord_ids) == 1 else {}
            return read(lambda: Call("POST", "/0/private/OpenOrders", query, auth=True, then=opened))

        return look(False, 0.0)

    def find_order(self, cl_ord_id: str, *, extra_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The order with client order id ``cl_ord_id``, open or closed, as ``{txid: order}`` (``{}``: none).

        Reads OpenOrders, then ClosedOrders, with Kraken's ``cl_ord_id`` filter
        (a kraken-ops addition; the reference has no such method).

        >>> Trade(key="api-key", secret="secret-key").find_order("my-order-1")  # doctest: +SKIP
        {'OQCLML-BW3P3-BUCMWZ': {'status': 'open', 'cl_ord_id': 'my-order-1', ...}}
        """
        return self._call(find_by_cl_ord_id(cl_ord_id, lambda found: found))

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
        if cl_ord_id is None and userref is None and not validate and not (extra_params and ("cl_ord_id" in extra_params or "userref" in extra_params)):
            cl_ord_id = new_client_order_id()
        order_id = cl_ord_id if cl_ord_id is not None else (extra_params or {}).get("cl_ord_id")

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
            call = Call("POST", "/0/private/AddOrder", data, auth=True, extra_params=extra_params)
            if validate or order_id is None:  # a dry run places nothing; a userref alone cannot be looked up
                return call
            write = self._write("AddOrder", f"kraken-ops orders show --cl-ord-id {order_id}", str(order_id))

            def placed(found: dict[str, Any]) -> dict[str, Any]:
                txid, order = next(iter(found.items()))
                return order_answer(txid, order)

            def find(cause: BaseException) -> Call:
                def answer(found: dict[str, Any]) -> dict[str, Any]:
                    result = placed(found)
                    write.recovered(cause, f"order {result['txid'][0]} (client order id {order_id}) was placed")
                    return result

                return self._placed_or_not(write, cause, [str(order_id)], answer, deadline)

            return resolve(call, write, find)

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
        if not validate:  # every new order gets a client order id, so that a lost answer can be looked up
            orders = [o if not isinstance(o, dict) or "cl_ord_id" in o or "userref" in o else {**o, "cl_ord_id": new_client_order_id()} for o in orders]
        data = params(orders=orders, pair=pair, deadline=deadline, asset_class=asset_class, validate=validate)
        call = Call("POST", "/0/private/AddOrderBatch", data, auth=True, extra_params=extra_params, do_json=True)
        ids = [str(o["cl_ord_id"]) for o in orders if isinstance(o, dict) and o.get("cl_ord_id") is not None]
        if validate or not ids or len(ids) != len(orders):  # a dry run; or orders known only by userref
            return self._call(call)
        write = self._write("AddOrderBatch", "kraken-ops orders list")

        def find(cause: BaseException) -> Call:
            def answer(found: dict[str, Any]) -> dict[str, Any]:
                by_id = {o.get("cl_ord_id"): (txid, o) for txid, o in found.items()}
                results = []
                for wanted in ids:
                    if wanted in by_id:
                        txid, order = by_id[wanted]
                        results.append({"txid": txid, "descr": order_answer(txid, order)["descr"]})
                    else:
                        results.append({"error": f"not placed: no order has the client order id {wanted}"})
                write.recovered(cause, f"{len(found)} of the {len(ids)} orders were placed")
                return {"orders": results}

            return self._placed_or_not(write, cause, ids, answer, deadline)

        return self._call(resolve(call, write, find))

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
        call = Call("POST", "/0/private/AmendOrder", data, auth=True, extra_params=extra_params)
        wanted = {k: v for k, v in (("order_qty", order_qty), ("display_qty", display_qty), ("limit_price", limit_price), ("trigger_price", trigger_price)) if v is not None}
        write = self._write("AmendOrder", f"kraken-ops orders amends {txid}" if txid else f"kraken-ops orders show --cl-ord-id {cl_ord_id}", cl_ord_id)

        def find(cause: BaseException) -> Call:
            def amends(order_id: str) -> Call:
                def judge(result: Any) -> Any:
                    history = [a for a in (result or {}).get("amends") or [] if isinstance(a, dict)]
                    latest = max(history, key=lambda a: int(a.get("timestamp") or 0), default=None)
                    if latest is not None and latest.get("amend_type") != "original" and _same_values(latest, wanted):
                        write.recovered(cause, f"order {order_id} was amended ({latest.get('amend_id')})")
                        return {"amend_id": latest.get("amend_id")}
                    raise write.not_applied(cause, f"order {order_id} does not have the amended values, so it was not amended")

                return write.lookup(lambda: Call("POST", "/0/private/OrderAmends", {"order_id": order_id}, auth=True, then=judge), cause)

            if txid is not None:
                return amends(str(txid))

            def by_client_id(found: dict[str, Any]) -> Any:
                if not found:
                    raise write.unknown(cause)
                return amends(next(iter(found)))

            return find_by_cl_ord_id(str(cl_ord_id), by_client_id, lambda make: write.lookup(make, cause))

        return self._call(resolve(call, write, find) if wanted else call)

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
        call = Call("POST", "/0/private/CancelOrder", params(txid=txid, cl_ord_id=cl_ord_id), auth=True, extra_params=extra_params)
        if txid is not None and (isinstance(txid, int) or str(txid).isdigit()):  # a userref: which orders is unknown
            return self._call(call)
        name = f"order {txid}" if txid is not None else f"the order with client order id {cl_ord_id}"
        write = self._write("CancelOrder", f"kraken-ops orders show {txid}" if txid is not None else f"kraken-ops orders show --cl-ord-id {cl_ord_id}", cl_ord_id)

        def judge(found: dict[str, Any], cause: BaseException) -> Any:
            if not found:
                raise write.unknown(cause)
            status = next(iter(found.values())).get("status")
            if status == "canceled":
                write.recovered(cause, f"{name} was cancelled")
                return {"count": 1}
            if status in ("open", "pending"):
                raise write.not_applied(cause, f"{name} is still open, so it was not cancelled")
            raise write.not_applied(cause, f"{name} is {status}, so there was nothing to cancel")

        def find(cause: BaseException) -> Call:
            if txid is not None:
                return write.lookup(lambda: Call("POST", "/0/private/QueryOrders", {"txid": str(txid)}, auth=True, then=lambda r: judge(r or {}, cause)), cause)
            return find_by_cl_ord_id(str(cl_ord_id), lambda found: judge(found, cause), lambda make: write.lookup(make, cause))

        return self._call(resolve(call, write, find))

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
        call = Call("POST", "/0/private/CancelOrderBatch", data, auth=True, extra_params=extra_params, do_json=True)
        txids = [str(o) for o in orders or []]
        if cl_ord_ids or not txids or any(t.isdigit() for t in txids):  # looked up by txid only
            return self._call(call)
        write = self._write("CancelOrderBatch", "kraken-ops orders show " + " ".join(txids))

        def find(cause: BaseException) -> Call:
            def judge(result: Any) -> Any:
                statuses = [(o or {}).get("status") for o in (result or {}).values()]
                cancelled = statuses.count("canceled")
                if cancelled == 0 and all(s in ("open", "pending") for s in statuses):
                    raise write.not_applied(cause, "every order is still open, so none was cancelled")
                write.recovered(cause, f"{cancelled} of the {len(txids)} orders are cancelled")
                return {"count": cancelled}

            return write.lookup(lambda: Call("POST", "/0/private/QueryOrders", {"txid": ",".join(txids)}, auth=True, then=judge), cause)

        return self._call(resolve(call, write, find))


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
