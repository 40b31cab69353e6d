"""After the answer to a write is lost: find out what Kraken did, never guess.

A request that places, changes or cancels an order, or moves money, is never sent
twice blindly: a timeout or a dropped connection after sending leaves it
*ambiguous* -- Kraken may have carried it out. What happens then:

* Orders carry a client order id (the SDK adds one when the caller gave none), so
  the endpoint gives its :class:`~kraken_ops._core.call.Call` an ``on_error`` built by
  :func:`resolve`: on an ambiguous failure it sends *lookups* (reads, retried with
  backoff since they change nothing) and reports the truth: the normal answer of the
  endpoint when the order was placed, :class:`~kraken_ops.exceptions.KrakenOrderNotPlacedError`
  when it was not (sending it again is safe).
* When the lookups fail too, or for writes that cannot be looked up reliably
  (withdrawals, transfers, cancel-all), the result is
  :class:`~kraken_ops.exceptions.KrakenOutcomeUnknownError`: not retryable, with the
  client order id where there is one and the command that checks (:data:`CHECKS`).

A failure *before* anything was sent (connection refused, DNS, a connect timeout)
is not ambiguous: the request did not reach Kraken and the usual retryable
network error stands.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from kraken_ops._core.call import Call, and_then

#: Lookups are reads: each is tried this many times before the outcome is unknown.
LOOKUP_ATTEMPTS = 6
#: Pauses between the attempts of one lookup (seconds).
LOOKUP_BACKOFF = (0.2, 0.5, 1.0, 2.0, 3.0)
#: An order not found at the first look is looked for once more after this pause,
#: so that a request still queued at Kraken when the answer was lost shows up.
SECOND_LOOK = 1.0
#: Lookups get at least this timeout (seconds), twice the client's when that is longer.
LOOKUP_MIN_TIMEOUT = 5.0
#: Kraken errors after which a write may have been carried out (besides lost answers and 5xx).
AMBIGUOUS_ERRORS = frozenset({"EGeneral:Internal error", "EDatabase:Internal error"})

# Writes that move money, per market and endpoint, with the command that shows their
# effect. A lost answer to one of them that has no lookup is reported as unknown.
CHECKS: dict[tuple[str, str], str] = {
    ("spot", "AddOrder"): "kraken-ops orders list",
    ("spot", "AddOrderBatch"): "kraken-ops orders list",
    ("spot", "EditOrder"): "kraken-ops orders list",
    ("spot", "AmendOrder"): "kraken-ops orders amends TXID",
    ("spot", "CancelOrder"): "kraken-ops orders list",
    ("spot", "CancelOrderBatch"): "kraken-ops orders list",
    ("spot", "CancelAll"): "kraken-ops orders list",
    ("spot", "CancelAllOrdersAfter"): "kraken-ops orders cancel-after SECONDS (setting the timer again is safe)",
    ("spot", "Withdraw"): "kraken-ops funding withdrawals --asset ASSET",
    ("spot", "WithdrawCancel"): "kraken-ops funding withdrawals --asset ASSET",
    ("spot", "WalletTransfer"): "kraken-ops ledgers list --type transfer",
    ("spot", "AccountTransfer"): "kraken-ops ledgers list --type transfer",
    ("spot", "Allocate"): "kraken-ops earn status STRATEGY_ID",
    ("spot", "Deallocate"): "kraken-ops earn status STRATEGY_ID",
    ("futures", "sendorder"): "kraken-ops futures orders list",
    ("futures", "editorder"): "kraken-ops futures orders list",
    ("futures", "cancelorder"): "kraken-ops futures orders list",
    ("futures", "cancelallorders"): "kraken-ops futures orders list",
    ("futures", "batchorder"): "kraken-ops futures orders list",
    ("futures", "cancelallordersafter"): "kraken-ops futures orders dead-man-switch SECONDS (setting the timer again is safe)",
    ("futures", "transfer"): "kraken-ops futures account-log",
    ("futures", "subaccount"): "kraken-ops futures account-log",
    ("futures", "withdrawal"): "kraken-ops futures account-log",
}


def new_client_order_id() -> str:
    """A client order id for an order the caller gave none (a UUID, which Kraken accepts on both markets)."""
    return str(uuid.uuid4())


def endpoint_of(path: str) -> str:
    """``/0/private/AddOrder`` -> ``AddOrder``; ``/derivatives/api/v3/transfer/subaccount`` -> ``subaccount``."""
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def may_have_been_applied(exc: BaseException) -> bool:
    """Whether Kraken may have carried out a request that failed with ``exc``."""
    from kraken_ops import exceptions as kx

    if isinstance(exc, (kx.KrakenOutcomeNotAppliedError, kx.KrakenOutcomeUnknownError)):
        return False
    if isinstance(exc, kx.KrakenNetworkError):
        return bool(getattr(exc, "maybe_sent", True))
    if isinstance(exc, kx.KrakenUnexpectedResponseError):
        return not 400 <= exc.status < 500
    if isinstance(exc, kx.KrakenException):
        return exc.kraken_error in AMBIGUOUS_ERRORS
    return False


def _is_dry_run(call: Call) -> bool:
    value = (call.params or {}).get("validate")
    if isinstance(call.extra_params, dict) and "validate" in call.extra_params:
        value = call.extra_params["validate"]
    return value is True or str(value).lower() == "true"


def unresolved(market: str, call: Call, exc: BaseException, profile: str | None = None) -> BaseException:
    """The error to raise for a failed call without a lookup: ``exc``, or unknown for an ambiguous write."""
    if not call.auth or _is_dry_run(call) or not may_have_been_applied(exc):
        return exc
    check = CHECKS.get((market, endpoint_of(call.path)))
    if check is None:
        return exc
    return Write(market, endpoint_of(call.path), check, profile=profile).unknown(exc)


def _lookup_may_succeed_later(exc: BaseException) -> bool:
    from kraken_ops import exceptions as kx

    retry = (
        kx.KrakenNetworkError,
        kx.KrakenUnexpectedResponseError,
        kx.KrakenApiLimitExceededError,
        kx.KrakenRateLimitExceededError,
        kx.KrakenInvalidNonceError,
        kx.KrakenServiceUnavailableError,
        kx.KrakenUnavailableError,
    )
    return isinstance(exc, retry)


@dataclass
class Write:
    """One write whose outcome may have to be found out: what it was and how to check it."""

    market: str
    request: str  # the endpoint, e.g. "AddOrder"
    check: str  # the command that shows the effect
    cl_ord_id: str | None = None
    profile: str | None = None
    timeout: float | None = None  # the client's timeout

    def _command(self) -> str:
        return self.check + (f" --profile {self.profile}" if self.profile and self.check.startswith("kraken-ops") and "(" not in self.check else "")

    def unknown(self, cause: BaseException) -> Exception:
        from kraken_ops.exceptions import KrakenOutcomeUnknownError

        which = f" (client order id {self.cl_ord_id})" if self.cl_ord_id else ""
        error = KrakenOutcomeUnknownError(
            f"the answer to {self.request}{which} was lost ({_reason(cause)}) and the outcome could not be checked: "
            f"Kraken may or may not have carried it out; do not send it again before checking",
            request=self.request,
            cl_ord_id=self.cl_ord_id,
            check=self._command(),
        )
        error.hint = f"check with: {self._command()}"  # type: ignore[attr-defined]
        error.__cause__ = cause
        return error

    def not_applied(self, cause: BaseException | None, what: str, *, placed: bool = False) -> Exception:
        from kraken_ops.exceptions import KrakenOrderNotPlacedError, KrakenOutcomeNotAppliedError

        cls = KrakenOrderNotPlacedError if placed else KrakenOutcomeNotAppliedError
        lost = f"the answer to {self.request} was lost ({_reason(cause)}); " if cause is not None else ""
        error = cls(f"{lost}{what}: sending it again is safe", request=self.request, cl_ord_id=self.cl_ord_id, check=self._command())
        error.__cause__ = cause
        return error

    def recovered(self, cause: BaseException, what: str) -> None:
        """Tell the user that a lost answer was recovered by a lookup."""
        from kraken_ops._core.notice import notify

        notify(f"the answer to {self.request} was lost ({_reason(cause)}); a lookup found that {what}")

    def lookup(self, make: Callable[[], Call], cause: BaseException, *, delay: float = 0.0, attempt: int = 0) -> Call:
        """The read ``make()`` returns, retried with backoff; when every attempt fails, the outcome is unknown."""
        call = make()
        call.delay = delay if attempt == 0 else LOOKUP_BACKOFF[min(attempt - 1, len(LOOKUP_BACKOFF) - 1)]
        if self.timeout:  # the exchange may just be slow: give the lookup more time than the write had
            call.timeout = max(2 * self.timeout, LOOKUP_MIN_TIMEOUT)

        def failed(exc: BaseException) -> Any:
            if attempt + 1 < LOOKUP_ATTEMPTS and _lookup_may_succeed_later(exc):
                return self.lookup(make, cause, attempt=attempt + 1)
            raise self.unknown(cause)  # __cause__: the lost answer; __context__: the failed lookup

        call.on_error = failed
        return call


def resolve(call: Call, write: Write, find: Callable[[BaseException], Any]) -> Call:
    """``call`` with an ``on_error`` that resolves an ambiguous failure with ``find(exc)``.

    ``find`` returns the lookup chain (see :meth:`Write.lookup`) whose final value is
    the endpoint's normal answer, or raises :meth:`Write.not_applied`. The call's own
    ``then`` is applied to a recovered answer as to a received one.
    """
    then = call.then

    def on_error(exc: BaseException) -> Any:
        if not may_have_been_applied(exc):
            raise exc
        try:
            chain = find(exc)
        except Exception as problem:  # the lookup cannot even be built (no id to look for)
            raise write.unknown(exc) from problem
        return and_then(chain, then) if then is not None else chain

    call.on_error = on_error
    return call


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    from kraken_ops import exceptions as kx

    if isinstance(exc, kx.KrakenTimeoutError):
        return "timeout"
    if isinstance(exc, kx.KrakenNetworkError):
        return "connection dropped"
    if isinstance(exc, kx.KrakenUnexpectedResponseError):
        return f"HTTP {exc.status}"
    if isinstance(exc, kx.KrakenException) and exc.kraken_error:
        return exc.kraken_error
    text = str(exc)
    return text.rsplit(": ", 1)[-1] if ": " in text else type(exc).__name__


__all__ = ["Write", "resolve", "unresolved", "may_have_been_applied", "new_client_order_id", "CHECKS", "endpoint_of"]
