"""Kraken error strings map to classes: exact match, then longest prefix."""

from __future__ import annotations

import pytest

from kraken_ops import exceptions as exc
from kraken_ops.exceptions import SPOT_ERRORS, futures_error_class, raise_spot_errors, spot_error_class


@pytest.mark.parametrize(("error", "cls"), sorted(SPOT_ERRORS.items()))
def test_every_registered_spot_string_maps_exactly(error: str, cls: type) -> None:
    assert spot_error_class(error) is cls


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        # the reference SDK's first-substring match gets these three wrong
        ("EGeneral:Invalid arguments:Invalid strategy ID", exc.KrakenEarnStrategyNotFoundError),
        ("EGeneral:Invalid arguments:Index unavailable", exc.KrakenInvalidArgumentsIndexUnavailableError),
        ("EEarnings:Busy:Another (de)allocation for the same strategy is in progress", exc.KrakenEarnAllocationInProgressError),
        # prefix cases: a registered string followed by a detail
        ("EGeneral:Invalid arguments:volume", exc.KrakenInvalidArgumentsError),
        ("EService:Throttled: 1688669448", exc.KrakenThrottledError),
        ("EOrder:Insufficient funds:extra detail", exc.KrakenInsufficientFundsError),
        ("EOrder:Reduce only:No position exists", exc.KrakenReduceOnlyError),
        ("EOrder:Reduce only:Position is closed", exc.KrakenReduceOnlyError),
        ("EEarnings:Busy:something else", exc.KrakenEarnTemporaryUnavailableError),
        # a prefix must end at a separator, not inside a word
        ("EAPI:Invalid keyboard", exc.KrakenUnknownError),
        ("ESomething:Never heard of it", exc.KrakenUnknownError),
    ],
)
def test_prefix_and_unknown_cases(error: str, cls: type) -> None:
    assert spot_error_class(error) is cls


def test_subclasses_share_one_base() -> None:
    assert issubclass(exc.KrakenEarnStrategyNotFoundError, exc.KrakenInvalidArgumentsError)
    for name in dir(exc):
        obj = getattr(exc, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == exc.__name__:
            assert issubclass(obj, exc.KrakenException), name


def test_warnings_alone_do_not_raise_but_errors_do() -> None:
    raise_spot_errors(["WGeneral:Deprecated"])
    with pytest.raises(exc.KrakenInsufficientFundsError) as info:
        raise_spot_errors(["WGeneral:Deprecated", "EOrder:Insufficient funds"])
    assert info.value.kraken_error == "EOrder:Insufficient funds"


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ("authenticationError", exc.KrakenAuthenticationError),
        ("apiLimitExceeded", exc.KrakenApiLimitExceededError),
        ("insufficientAvailableFunds", exc.KrakenInsufficientAvailableFundsError),
        ("orderForEditNotFound", exc.KrakenOrderForEditNotFoundError),
        ("nonceDuplicate", exc.KrakenInvalidNonceError),
        ("authenticationErrorX", exc.KrakenUnknownError),
    ],
)
def test_futures_strings_match_exactly(error: str, cls: type) -> None:
    assert futures_error_class(error) is cls


def test_reference_aliases_exist() -> None:
    assert exc.KrakenOrderForEditNotFound is exc.KrakenOrderForEditNotFoundError
    assert exc.KrakenInvalidArgumentsIndexUnavailable is exc.KrakenInvalidArgumentsIndexUnavailableError
