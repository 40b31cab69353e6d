"""Order outcomes: failure statuses inside a success envelope raise, success statuses do not.

Kraken Futures answers ``result: success`` even when it rejects an order; the verdict is
``sendStatus``/``editStatus``/``cancelStatus``/``batchStatus[].status`` (kraken-protocol.md §3.3).
"""

from __future__ import annotations

import pytest
from futures_recorder import FLAVOURS, futures_wire, invoke, server  # noqa: F401

from kraken_ops import exceptions as exc
from kraken_ops.futures.trade import AsyncTrade, Trade

CLASSES = {"sync": Trade, "async": AsyncTrade}
OID = "614a3d6e-ca87-4b4f-a3c3-0f7b0d1bd5a2"

# Where each outcome key comes from: the method that provokes it and its path.
OUTCOME_CALLS = {
    "sendStatus": ("create_order", {"orderType": "ioc", "size": 1, "symbol": "PF_XBTUSD", "side": "buy", "limitPrice": "1"}, "/derivatives/api/v3/sendorder"),
    "editStatus": ("edit_order", {"orderId": OID, "size": 2}, "/derivatives/api/v3/editorder"),
    "cancelStatus": ("cancel_order", {"order_id": OID}, "/derivatives/api/v3/cancelorder"),
    "batchStatus": ("create_batch_order", {"batchorder_list": [{"order": "cancel", "order_id": OID}]}, "/derivatives/api/v3/batchorder"),
}

# Failure outcomes named by Kraken, and the exception each must raise. Statuses without a
# dedicated class raise KrakenUnknownError (still a KrakenException: never silently "success").
FAILURES = {
    "insufficientAvailableFunds": exc.KrakenInsufficientAvailableFundsError,
    "notFound": exc.KrakenNotFoundError,
    "orderForEditNotFound": exc.KrakenOrderForEditNotFoundError,
    "requiredArgumentMissing": exc.KrakenRequiredArgumentMissingError,
    "invalidPrice": exc.KrakenInvalidPriceError,
    "invalidSize": exc.KrakenInvalidOrderError,
    "marketSuspended": exc.KrakenUnavailableError,
    "marketInactive": exc.KrakenUnavailableError,
    "marketIsPostOnly": exc.KrakenMarketInOnlyPostModeError,
    "tooManySmallOrders": exc.KrakenUnknownError,
    "wouldCauseLiquidation": exc.KrakenUnknownError,
    "clientOrderIdAlreadyExist": exc.KrakenUnknownError,
    "clientOrderIdTooBig": exc.KrakenUnknownError,
    "maxPositionViolation": exc.KrakenUnknownError,
    "outsidePriceCollar": exc.KrakenUnknownError,
    "wouldIncreasePriceDislocation": exc.KrakenUnknownError,
    "orderForEditNotAStop": exc.KrakenUnknownError,
    "postWouldExecute": exc.KrakenUnknownError,
    "iocWouldNotExecute": exc.KrakenUnknownError,
    "selfFill": exc.KrakenUnknownError,
    "wouldNotReducePosition": exc.KrakenUnknownError,
    "tooManyOrders": exc.KrakenUnknownError,
    "wouldProcessAfterSpecifiedTime": exc.KrakenUnknownError,
}
SUCCESSES = ["placed", "partiallyFilled", "filled", "cancelled", "edited", "noOrdersToCancel"]


def outcome_body(key: str, status: str) -> dict:
    entry = {"status": status, "order_id": OID, "receivedTime": "2023-04-04T17:18:11.628Z", "orderEvents": []}
    value = [{"order_tag": "1", **entry}] if key == "batchStatus" else entry
    return {"result": "success", "serverTime": "2023-04-04T17:18:11.628Z", key: value}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("key", sorted(OUTCOME_CALLS))
@pytest.mark.parametrize(("status", "expected"), sorted(FAILURES.items()), ids=sorted(FAILURES))
def test_failure_outcome_raises_the_mapped_exception(flavour, key, status, expected, server):
    method, kwargs, path = OUTCOME_CALLS[key]
    server.respond(outcome_body(key, status), path=path)
    with pytest.raises(exc.KrakenException) as info:
        invoke(CLASSES[flavour], server, method, **kwargs)
    assert type(info.value) is expected
    assert info.value.kraken_error == status
    assert info.value.response == outcome_body(key, status)  # the whole answer travels with the error


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("key", sorted(OUTCOME_CALLS))
@pytest.mark.parametrize("status", SUCCESSES)
def test_success_outcome_returns_the_answer(flavour, key, status, server):
    method, kwargs, path = OUTCOME_CALLS[key]
    server.respond(outcome_body(key, status), path=path)
    assert invoke(CLASSES[flavour], server, method, **kwargs) == outcome_body(key, status)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_one_failed_instruction_in_a_batch_raises(flavour, server):
    body = {
        "result": "success",
        "batchStatus": [
            {"status": "placed", "order_tag": "1", "order_id": OID, "orderEvents": []},
            {"status": "insufficientAvailableFunds", "order_tag": "2", "orderEvents": []},
        ],
    }
    server.respond(body, path="/derivatives/api/v3/batchorder")
    with pytest.raises(exc.KrakenInsufficientAvailableFundsError) as info:
        invoke(CLASSES[flavour], server, "create_batch_order", batchorder_list=[{"order": "cancel", "order_id": OID}])
    assert info.value.response["batchStatus"][0]["status"] == "placed"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("apiLimitExceeded", exc.KrakenApiLimitExceededError),
        ("authenticationError", exc.KrakenAuthenticationError),
        ("nonceDuplicate", exc.KrakenInvalidNonceError),
        ("invalidArgument", exc.KrakenInvalidArgumentsError),
    ],
)
def test_error_envelope_raises_the_mapped_exception(flavour, error, expected, server):
    server.respond({"result": "error", "serverTime": "2023-04-04T17:18:11.628Z", "error": error})
    with pytest.raises(expected):
        invoke(CLASSES[flavour], server, "get_fills")
