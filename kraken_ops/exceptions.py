"""Every exception of the reference SDK, under one base class, plus kraken-ops' own.

Kraken's error strings map to classes through :data:`SPOT_ERRORS` and
:data:`FUTURES_ERRORS`: exact match first, then the longest registered prefix
(so ``EGeneral:Invalid arguments:Invalid strategy ID`` is a
:class:`KrakenEarnStrategyNotFoundError`, not a generic invalid-arguments error).
"""

from __future__ import annotations

from typing import Any


class KrakenException(Exception):
    """Base class of every error raised by kraken-ops.

    ``kraken_error`` holds Kraken's own error string (``EOrder:Insufficient funds``,
    ``insufficientAvailableFunds``) when the error came from Kraken, and ``response``
    the parsed response body where there was one.
    """

    default_message = "Kraken request failed."

    def __init__(self, message: str | None = None, *, kraken_error: str | None = None, response: Any = None) -> None:
        self.kraken_error = kraken_error
        self.response = response
        super().__init__(message or (kraken_error and f"{kraken_error}") or self.default_message)


KrakenError = KrakenException  # short alias


def _mk(name: str, doc: str, base: type[KrakenException] = KrakenException) -> type[KrakenException]:
    cls = type(name, (base,), {"__doc__": doc, "default_message": doc, "__module__": __name__})
    return cls


# --- classes named in the reference documentation -------------------------------------------
KrakenApiLimitExceededError = _mk("KrakenApiLimitExceededError", "API rate limit exceeded. Please check your rate limits.")
KrakenAuthenticationError = _mk("KrakenAuthenticationError", "Credentials are invalid.")
KrakenAuthenticationFailedError = _mk("KrakenAuthenticationFailedError", "Authentication failed.")
KrakenBadRequestError = _mk("KrakenBadRequestError", "The request was malformed.")
KrakenCannotOpenPositionError = _mk("KrakenCannotOpenPositionError", "The user/tier is ineligible for margin trading.")
KrakenCostMinimumNotMetError = _mk("KrakenCostMinimumNotMetError", "The order does not meet the cost minimum (costmin) of the pair.")
KrakenDeadlineElapsedError = _mk("KrakenDeadlineElapsedError", "The request timed out according to the deadline.")
KrakenInsufficientAvailableFundsError = _mk("KrakenInsufficientAvailableFundsError", "Insufficient available funds.")
KrakenInsufficientFundsError = _mk("KrakenInsufficientFundsError", "The account does not have enough funds.")
KrakenInsufficientMarginError = _mk("KrakenInsufficientMarginError", "Insufficient margin to open the position.")
KrakenInvalidAPIKeyError = _mk("KrakenInvalidAPIKeyError", "The API key is invalid.")
KrakenInvalidAccountError = _mk("KrakenInvalidAccountError", "The account is invalid.")
KrakenInvalidAmountError = _mk("KrakenInvalidAmountError", "The amount is invalid.")
KrakenInvalidArgumentsError = _mk("KrakenInvalidArgumentsError", "The request payload is malformed, incorrect or ambiguous.")
KrakenInvalidArgumentsIndexUnavailableError = _mk(
    "KrakenInvalidArgumentsIndexUnavailableError", "Index pricing is unavailable for stop/profit orders on this pair.", KrakenInvalidArgumentsError
)
KrakenInvalidArgumentsIndexUnavailable = KrakenInvalidArgumentsIndexUnavailableError
KrakenInvalidNonceError = _mk("KrakenInvalidNonceError", "The nonce is invalid (not increasing for this API key).")
KrakenInvalidOrderError = _mk("KrakenInvalidOrderError", "The order is invalid.")
KrakenInvalidPriceError = _mk("KrakenInvalidPriceError", "The price is invalid.")
KrakenInvalidReferenceIdError = _mk("KrakenInvalidReferenceIdError", "The reference id is invalid.")
KrakenInvalidSignatureError = _mk("KrakenInvalidSignatureError", "The signature is invalid.")
KrakenInvalidStakingMethodError = _mk("KrakenInvalidStakingMethodError", "The staking method is invalid.")
KrakenInvalidUnitError = _mk("KrakenInvalidUnitError", "The unit is invalid.")
KrakenMarginAllowedExceededError = _mk("KrakenMarginAllowedExceededError", "The margin allowance is exceeded.")
KrakenMarginLevelToLowError = _mk("KrakenMarginLevelToLowError", "The margin level is too low.")
KrakenMarginPositionSizeExceededError = _mk("KrakenMarginPositionSizeExceededError", "The margin position size is exceeded.")
KrakenMarketInOnlyCancelModeError = _mk("KrakenMarketInOnlyCancelModeError", "The market is in cancel-only mode.")
KrakenMarketInOnlyPostModeError = _mk("KrakenMarketInOnlyPostModeError", "The market is in post-only mode.")
KrakenMaxFeeExceededError = _mk("KrakenMaxFeeExceededError", "The processing fee exceeds max_fee.")
KrakenNotFoundError = _mk("KrakenNotFoundError", "The requested resource was not found.")
KrakenOrderForEditNotFoundError = _mk("KrakenOrderForEditNotFoundError", "The order to edit was not found.")
KrakenOrderForEditNotFound = KrakenOrderForEditNotFoundError
KrakenOrderLimitsExceededError = _mk("KrakenOrderLimitsExceededError", "The open order limit is exceeded.")
KrakenOrderMinimumNotMetError = _mk("KrakenOrderMinimumNotMetError", "The order volume is below the pair's minimum (ordermin).")
KrakenPermissionDeniedError = _mk("KrakenPermissionDeniedError", "The API key lacks the permission for this request.")
KrakenPositionLimitExceededError = _mk("KrakenPositionLimitExceededError", "The position limit is exceeded.")
KrakenRateLimitExceededError = _mk("KrakenRateLimitExceededError", "The trading rate limit is exceeded.")
KrakenRequiredArgumentMissingError = _mk("KrakenRequiredArgumentMissingError", "A required argument is missing.")
KrakenServiceUnavailableError = _mk("KrakenServiceUnavailableError", "The service is unavailable.")
KrakenTemporaryLockoutError = _mk("KrakenTemporaryLockoutError", "The account is temporarily locked out.")
KrakenTickSizeInvalidCheckError = _mk("KrakenTickSizeInvalidCheckError", "The price does not match the pair's tick size.")
KrakenToManyAddressesError = _mk("KrakenToManyAddressesError", "Too many deposit addresses were requested.")
KrakenUnavailableError = _mk("KrakenUnavailableError", "The service is unavailable.")
KrakenUnknownAssetError = _mk("KrakenUnknownAssetError", "The asset is unknown.")
KrakenUnknownAssetPairError = _mk("KrakenUnknownAssetPairError", "The asset pair is unknown.")
KrakenUnknownMethodError = _mk("KrakenUnknownMethodError", "The endpoint is unknown.")
KrakenUnknownOrderError = _mk("KrakenUnknownOrderError", "The order is unknown.")
KrakenUnknownPositionError = _mk("KrakenUnknownPositionError", "The position is unknown.")
KrakenUnknownReferenceIdError = _mk("KrakenUnknownReferenceIdError", "The reference id is unknown.")
KrakenUnknownWithdrawKeyError = _mk("KrakenUnknownWithdrawKeyError", "The withdrawal key is unknown.")
KrakenAuctionNotOwnedByUserError = _mk("KrakenAuctionNotOwnedByUserError", "The auction is owned by someone else.")
KrakenInvalidArgumentsStartTimeError = _mk("KrakenInvalidArgumentsStartTimeError", "start_time must be < expire_time.", KrakenInvalidArgumentsError)
KrakenInvalidArgumentsExpireTimeError = _mk("KrakenInvalidArgumentsExpireTimeError", "expire_time is above the maximum.", KrakenInvalidArgumentsError)
KrakenInvalidArgumentBelowMinError = _mk("KrakenInvalidArgumentBelowMinError", "The price is below the minimum.", KrakenInvalidArgumentsError)
KrakenInvalidArgumentOfferNotFoundError = _mk("KrakenInvalidArgumentOfferNotFoundError", "The offer was not found.", KrakenInvalidArgumentsError)
KrakenEarnMinimumAllocationError = _mk("KrakenEarnMinimumAllocationError", "The (de)allocation amount is below the minimum.")
KrakenEarnAllocationInProgressError = _mk("KrakenEarnAllocationInProgressError", "Another (de)allocation for the strategy is in progress.")
KrakenEarnTemporaryUnavailableError = _mk("KrakenEarnTemporaryUnavailableError", "Earn is temporarily unavailable.")
KrakenEarnTierVerificationError = _mk("KrakenEarnTierVerificationError", "The user's tier is not high enough.")
KrakenEarnStrategyNotFoundError = _mk("KrakenEarnStrategyNotFoundError", "The earn strategy was not found.", KrakenInvalidArgumentsError)
KrakenEarnInsufficientFundsError = _mk("KrakenEarnInsufficientFundsError", "Insufficient funds for the (de)allocation.")
KrakenEarnAllocationExceededError = _mk("KrakenEarnAllocationExceededError", "The allocation exceeds the user limit for the strategy.")
KrakenEarnDeallocationExceededError = _mk("KrakenEarnDeallocationExceededError", "The allocation exceeds the total strategy limit.")
MaxReconnectError = _mk("MaxReconnectError", "The WebSocket client gave up reconnecting.")

# --- kraken-ops' own ------------------------------------------------------------------------
KrakenNetworkError = _mk("KrakenNetworkError", "The network request failed.")
KrakenTimeoutError = _mk("KrakenTimeoutError", "The request timed out.", KrakenNetworkError)
KrakenConfigError = _mk("KrakenConfigError", "The client is misconfigured.")
KrakenAuthRequiredError = _mk("KrakenAuthRequiredError", "This endpoint needs an API key and secret.", KrakenConfigError)
KrakenUnknownError = _mk("KrakenUnknownError", "Kraken returned an error kraken-ops does not classify.")
KrakenThrottledError = _mk("KrakenThrottledError", "Too many concurrent requests (EService:Throttled).", KrakenApiLimitExceededError)
KrakenReduceOnlyError = _mk(
    "KrakenReduceOnlyError", "A reduce-only order has no position to reduce (EOrder:Reduce only:...).", KrakenInvalidOrderError
)
KrakenInvalidNonceWindowError = KrakenInvalidNonceError


class KrakenNonceOvertakenError(KrakenInvalidNonceError):  # type: ignore[misc,valid-type]
    """Kraken refused the nonce again with a fresh one: another program uses the key with larger nonces.

    Retrying does not help (Kraken cannot lower a key's nonce): give kraken-ops an API
    key of its own, or stop the other program.
    """

    default_message = (
        "Kraken refused the nonce twice, although kraken-ops sends one request of this key at a time: "
        "another program has used this API key with larger nonces"
    )
    retryable = False
    hint = "give kraken-ops an API key of its own (Kraken cannot lower a key's nonce), or stop the program that uses this key with larger nonces"
KrakenWebSocketError = _mk("KrakenWebSocketError", "The WebSocket request failed.")


class KrakenOutcomeNotAppliedError(KrakenNetworkError):  # type: ignore[misc,valid-type]
    """The answer to a write was lost, and a lookup showed that Kraken did not carry it out.

    Sending it again is safe. ``outcome`` is ``"not_applied"`` (``"not_placed"`` for a
    new order), ``cl_ord_id`` the client order id where there is one, ``request`` the
    endpoint, ``check`` a command that shows the state.
    """

    default_message = "The answer was lost, and the request was not carried out."
    outcome = "not_applied"

    def __init__(self, message: str | None = None, *, request: str = "", cl_ord_id: str | None = None, check: str | None = None, response: Any = None) -> None:
        super().__init__(message, response=response)
        self.request = request
        self.cl_ord_id = cl_ord_id
        self.check = check


class KrakenOrderNotPlacedError(KrakenOutcomeNotAppliedError):
    """The answer to a new order was lost, and a lookup by its client order id showed it was not placed."""

    default_message = "The answer was lost, and the order was not placed."
    outcome = "not_placed"


class KrakenOutcomeUnknownError(KrakenException):
    """A write may or may not have been carried out: its answer was lost and it could not be looked up.

    Never send it again blindly: check first with the command in ``check`` (the order's
    ``cl_ord_id``, where there is one, finds it). ``outcome`` is ``"unknown"``,
    ``request`` the endpoint; ``__cause__`` is the failure that lost the answer.
    Deliberately *not* a :class:`KrakenNetworkError`, so that code that retries
    network errors does not retry this one.
    """

    default_message = "The answer was lost: the request may or may not have been carried out."
    outcome = "unknown"
    retryable = False

    def __init__(self, message: str | None = None, *, request: str = "", cl_ord_id: str | None = None, check: str | None = None, response: Any = None) -> None:
        super().__init__(message, response=response)
        self.request = request
        self.cl_ord_id = cl_ord_id
        self.check = check


KrakenOrderOutcomeUnknown = KrakenOutcomeUnknownError


class KrakenUnexpectedResponseError(KrakenException):
    """Kraken (or a proxy in front of it) answered with something that is not its JSON envelope.

    ``status`` is the HTTP status and ``body_start`` the first 200 characters of the body.
    """

    default_message = "Unexpected response from Kraken."

    def __init__(self, status: int, body_start: str, *, url: str = "") -> None:
        self.status = status
        self.body_start = body_start
        where = f" from {url}" if url else ""
        super().__init__(f"unexpected HTTP {status} response{where}: {body_start!r}")


# --- error string tables (data, not if-ladders) ---------------------------------------------
SPOT_ERRORS: dict[str, type[KrakenException]] = {
    "EGeneral:Invalid arguments": KrakenInvalidArgumentsError,
    "EGeneral:Invalid arguments:Index unavailable": KrakenInvalidArgumentsIndexUnavailableError,
    "EGeneral:Invalid arguments:Invalid strategy ID": KrakenEarnStrategyNotFoundError,
    "EGeneral:Permission denied": KrakenPermissionDeniedError,
    "EGeneral:Unknown method": KrakenUnknownMethodError,
    "EGeneral:Temporary lockout": KrakenTemporaryLockoutError,
    "EGeneral:Invalid User:auction owned by someone else": KrakenAuctionNotOwnedByUserError,
    "EFunding:Max fee exceeded": KrakenMaxFeeExceededError,
    "EService:Unavailable": KrakenServiceUnavailableError,
    "EService:Busy": KrakenServiceUnavailableError,
    "EService:Throttled": KrakenThrottledError,
    "EService:Market in cancel_only mode": KrakenMarketInOnlyCancelModeError,
    "EService:Market in post_only mode": KrakenMarketInOnlyPostModeError,
    "EService:Deadline elapsed": KrakenDeadlineElapsedError,
    "EAuth:Failed": KrakenAuthenticationFailedError,
    "EAPI:Invalid key": KrakenInvalidAPIKeyError,
    "EAPI:Invalid signature": KrakenInvalidSignatureError,
    "EAPI:Invalid nonce": KrakenInvalidNonceError,
    "EAPI:Invalid arguments:start_time must be < expire_time": KrakenInvalidArgumentsStartTimeError,
    "EAPI:Invalid arguments:expire_time above max": KrakenInvalidArgumentsExpireTimeError,
    "EAPI:Invalid arguments:price below min": KrakenInvalidArgumentBelowMinError,
    "EAPI:Invalid arguments:offer not found": KrakenInvalidArgumentOfferNotFoundError,
    "EAPI:Rate limit exceeded": KrakenApiLimitExceededError,
    "EAPI:Bad request": KrakenBadRequestError,
    "EOrder:Invalid order": KrakenInvalidOrderError,
    "EOrder:Invalid price": KrakenInvalidPriceError,
    "EOrder:Cannot open position": KrakenCannotOpenPositionError,
    "EOrder:Margin allowance exceeded": KrakenMarginAllowedExceededError,
    "EOrder:Margin level too low": KrakenMarginLevelToLowError,
    "EOrder:Margin position size exceeded": KrakenMarginPositionSizeExceededError,
    "EOrder:Insufficient margin": KrakenInsufficientMarginError,
    "EOrder:Insufficient funds": KrakenInsufficientFundsError,
    "EOrder:Order minimum not met": KrakenOrderMinimumNotMetError,
    "EOrder:Cost minimum not met": KrakenCostMinimumNotMetError,
    "EOrder:Tick size check failed": KrakenTickSizeInvalidCheckError,
    "EOrder:Orders limit exceeded": KrakenOrderLimitsExceededError,
    "EOrder:Rate limit exceeded": KrakenRateLimitExceededError,
    "EOrder:Positions limit exceeded": KrakenPositionLimitExceededError,
    "EOrder:Unknown order": KrakenUnknownOrderError,
    "EOrder:Unknown position": KrakenUnknownPositionError,
    "EOrder:Reduce only": KrakenReduceOnlyError,
    "EFunding:Invalid reference id": KrakenInvalidReferenceIdError,
    "EFunding:Unknown reference id": KrakenUnknownReferenceIdError,
    "EFunding:Unknown withdraw key": KrakenUnknownWithdrawKeyError,
    "EFunding:Invalid amount": KrakenInvalidAmountError,
    "EFunding:Invalid staking method": KrakenInvalidStakingMethodError,
    "EFunding:Too many addresses": KrakenToManyAddressesError,
    "EFunding:Unknown asset": KrakenUnknownAssetError,
    "EFunding:Insufficient funds": KrakenInsufficientFundsError,
    "EQuery:Unknown asset": KrakenUnknownAssetError,
    "EQuery:Unknown asset pair": KrakenUnknownAssetPairError,
    "EQuery:Invalid asset pair": KrakenUnknownAssetPairError,
    "EQuery:Unknown order": KrakenUnknownOrderError,
    "EEarnings:Below min:(De)allocation operation amount less than minimum": KrakenEarnMinimumAllocationError,
    "EEarnings:Busy:Another (de)allocation for the same strategy is in progress": KrakenEarnAllocationInProgressError,
    "EEarnings:Busy": KrakenEarnTemporaryUnavailableError,
    "EEarnings:Permission denied:The user's tier is not high enough": KrakenEarnTierVerificationError,
    "EEarnings:Insufficient funds:Insufficient funds to complete the (de)allocation request": KrakenEarnInsufficientFundsError,
    "EEarnings:Above max:The allocation exceeds user limit for the strategy": KrakenEarnAllocationExceededError,
    "EEarnings:Above max:The allocation exceeds the total strategy limit": KrakenEarnDeallocationExceededError,
}

FUTURES_ERRORS: dict[str, type[KrakenException]] = {
    "authenticationError": KrakenAuthenticationError,
    "insufficientAvailableFunds": KrakenInsufficientAvailableFundsError,
    "insufficientFunds": KrakenInsufficientFundsError,
    "requiredArgumentMissing": KrakenRequiredArgumentMissingError,
    "apiLimitExceeded": KrakenApiLimitExceededError,
    "invalidUnit": KrakenInvalidUnitError,
    "Unavailable": KrakenUnavailableError,
    "marketUnavailable": KrakenUnavailableError,
    "invalidAccount": KrakenInvalidAccountError,
    "invalidAmount": KrakenInvalidAmountError,
    "invalidArgument": KrakenInvalidArgumentsError,
    "notFound": KrakenNotFoundError,
    "orderForEditNotFound": KrakenOrderForEditNotFoundError,
    "nonceBelowThreshold": KrakenInvalidNonceError,
    "nonceDuplicate": KrakenInvalidNonceError,
    "Json Parse Error": KrakenBadRequestError,
    "Bad Request": KrakenBadRequestError,
    "accountInactive": KrakenInvalidAccountError,
    "unknownError": KrakenUnknownError,
    "Server Error": KrakenServiceUnavailableError,
}

# Futures order outcomes (sendStatus/editStatus/cancelStatus/batchStatus ``status``) that mean success.
FUTURES_OK_STATUSES = frozenset(
    {"placed", "partiallyFilled", "filled", "cancelled", "edited", "noOrdersToCancel", "attempted", "untouched", "success", "entered_book", "ok"}
)
# Failure outcomes with a more precise class than the generic invalid-order error.
FUTURES_STATUS_ERRORS: dict[str, type[KrakenException]] = {
    "insufficientAvailableFunds": KrakenInsufficientAvailableFundsError,
    "notFound": KrakenNotFoundError,
    "orderForEditNotFound": KrakenOrderForEditNotFoundError,
    "requiredArgumentMissing": KrakenRequiredArgumentMissingError,
    "invalidPrice": KrakenInvalidPriceError,
    "invalidSize": KrakenInvalidOrderError,
    "marketSuspended": KrakenUnavailableError,
    "marketInactive": KrakenUnavailableError,
    "marketIsPostOnly": KrakenMarketInOnlyPostModeError,
}

_SPOT_BY_LEN = sorted(SPOT_ERRORS, key=len, reverse=True)


def spot_error_class(error: str) -> type[KrakenException]:
    """Class for one Spot error string: exact match, then longest registered prefix."""
    exact = SPOT_ERRORS.get(error)
    if exact is not None:
        return exact
    for key in _SPOT_BY_LEN:
        if error.startswith(key) and (len(error) == len(key) or error[len(key)] in ": "):
            return SPOT_ERRORS[key]
    return KrakenUnknownError


def futures_error_class(error: str) -> type[KrakenException]:
    """Class for one Futures error string or order status (exact match)."""
    return FUTURES_ERRORS.get(error) or FUTURES_STATUS_ERRORS.get(error) or KrakenUnknownError


def raise_spot_errors(errors: list[str], response: Any = None) -> None:
    """Raise the exception for a Spot ``error`` list; warnings (``W...``) alone do not raise."""
    real = [e for e in errors if not str(e).startswith("W")]
    if not real:
        return
    first = str(real[0])
    cls = spot_error_class(first)
    message = "; ".join(str(e) for e in real)
    raise cls(message, kraken_error=first, response=response)


__all__ = [name for name, obj in globals().items() if isinstance(obj, type) and issubclass(obj, BaseException)] + [
    "SPOT_ERRORS",
    "FUTURES_ERRORS",
    "spot_error_class",
    "futures_error_class",
    "raise_spot_errors",
]
