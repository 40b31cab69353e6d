"""From an exception to one line on stderr, a JSON envelope and an exit code.

Everything is a table: :data:`CATEGORIES` gives each error category its exit
code, whether retrying can help and a hint; :data:`CLASSIFICATION` maps
exception classes to categories (looked up along the exception's MRO, so a
subclass inherits its parent's category unless it is listed itself).

Exit codes (documented in ``docs/scripting.md``): every category has its own, so a
script can branch on ``$?`` without parsing the envelope::

    0   success
    1   api          Kraken rejected the request (any other Kraken error)
    2   usage        bad option, refused confirmation, --yes needed without a terminal
    3   config       configuration or profile error
    4   network      network error or timeout
    5   partial      some profiles of a multi-profile command failed
    6   auth         invalid key or signature
    7   permission   the key lacks the permission
    8   rate_limit   a Kraken rate limit (retry later)
    9   nonce        invalid nonce
    10  validation   invalid arguments, unknown pair, order minimum, tick size ...
    11  websocket    WebSocket failure (connection, gave up reconnecting)
    12  io           a local file could not be read or written
    13  parse        the server did not answer with Kraken's JSON, or input JSON is malformed
    14  outcome      the answer to an order (or a transfer) was lost and its outcome is unknown
    70  internal     a bug in kraken-ops
    130 interrupted  Ctrl-C

With ``-o json`` (or when stdout is not a terminal) a failing command also
prints one JSON error envelope on stdout::

    {"error": "permission", "message": "...", "kraken_error": "EGeneral:Permission denied",
     "retryable": false, "profile": "bot1"}

When the answer to a write was lost, the envelope also says what became of it:
``"outcome"`` (``"not_placed"``/``"not_applied"``: sending it again is safe;
``"unknown"``: check first), ``"cl_ord_id"`` and ``"check"`` (the command that shows it).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from kraken_ops import exceptions as kx

T = TypeVar("T")

EXIT_OK = 0
EXIT_KRAKEN = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_NETWORK = 4
EXIT_PARTIAL = 5
EXIT_AUTH = 6
EXIT_PERMISSION = 7
EXIT_RATE_LIMIT = 8
EXIT_NONCE = 9
EXIT_VALIDATION = 10
EXIT_WEBSOCKET = 11
EXIT_IO = 12
EXIT_PARSE = 13
EXIT_OUTCOME = 14
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI itself raises; ``category`` selects the exit code."""

    category = "usage"

    def __init__(self, message: str, *, hint: str | None = None, category: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        if category:
            self.category = category


class UsageProblem(CliError):
    """Wrong combination of options, refused confirmation, missing ``--yes``."""

    category = "usage"


class ConfigProblem(CliError):
    """Profile or configuration problem (unknown profile, read-only profile)."""

    category = "config"


class PartialFailure(CliError):
    """Some profiles of a multi-profile command failed (already reported)."""

    category = "partial"


@dataclass(frozen=True)
class Category:
    """One row of the category table."""

    exit_code: int
    retryable: bool
    hint: str | None = None


CATEGORIES: dict[str, Category] = {
    "auth": Category(EXIT_AUTH, False, "check the profile's API key and secret: kraken-ops profile show NAME"),
    "permission": Category(EXIT_PERMISSION, False, "the API key lacks the permission this command needs; enable it in Kraken's API key settings"),
    "rate_limit": Category(EXIT_RATE_LIMIT, True, "wait a moment and retry; give busy bots their own key or a higher tier"),
    "nonce": Category(
        EXIT_NONCE, True, "another program used this key at the same time; give each bot its own key or set the profile's nonce_window"
    ),
    "validation": Category(EXIT_VALIDATION, False, None),
    "api": Category(EXIT_KRAKEN, False, None),
    "parse": Category(EXIT_PARSE, True, "the server did not answer with Kraken's JSON; check the profile's URL or retry later"),
    "outcome": Category(EXIT_OUTCOME, False, None),
    "network": Category(EXIT_NETWORK, True, "check the network and the profile's URL, or raise --timeout"),
    "websocket": Category(EXIT_WEBSOCKET, True, None),
    "config": Category(EXIT_CONFIG, False, None),
    "io": Category(EXIT_IO, False, None),
    "usage": Category(EXIT_USAGE, False, None),
    "partial": Category(EXIT_PARTIAL, False, None),
    "interrupted": Category(EXIT_INTERRUPTED, False, None),
    "internal": Category(EXIT_INTERNAL, False, "this is a bug in kraken-ops; run again with -v and report the traceback"),
}

CLASSIFICATION: dict[type[BaseException], str] = {
    kx.KrakenInvalidAPIKeyError: "auth",
    kx.KrakenInvalidSignatureError: "auth",
    kx.KrakenAuthenticationError: "auth",
    kx.KrakenAuthenticationFailedError: "auth",
    kx.KrakenPermissionDeniedError: "permission",
    kx.KrakenEarnTierVerificationError: "permission",
    kx.KrakenApiLimitExceededError: "rate_limit",
    kx.KrakenRateLimitExceededError: "rate_limit",
    kx.KrakenTemporaryLockoutError: "rate_limit",
    kx.KrakenInvalidNonceError: "nonce",
    kx.KrakenInvalidArgumentsError: "validation",
    kx.KrakenRequiredArgumentMissingError: "validation",
    kx.KrakenBadRequestError: "validation",
    kx.KrakenInvalidOrderError: "validation",
    kx.KrakenInvalidPriceError: "validation",
    kx.KrakenInvalidAmountError: "validation",
    kx.KrakenInvalidUnitError: "validation",
    kx.KrakenOrderMinimumNotMetError: "validation",
    kx.KrakenCostMinimumNotMetError: "validation",
    kx.KrakenTickSizeInvalidCheckError: "validation",
    kx.KrakenUnknownAssetPairError: "validation",
    kx.KrakenUnknownAssetError: "validation",
    kx.KrakenUnknownMethodError: "validation",
    kx.KrakenEarnMinimumAllocationError: "validation",
    kx.KrakenUnexpectedResponseError: "parse",
    kx.KrakenOutcomeUnknownError: "outcome",
    kx.KrakenNetworkError: "network",
    kx.KrakenWebSocketError: "websocket",
    kx.MaxReconnectError: "websocket",
    kx.KrakenConfigError: "config",
    kx.KrakenException: "api",
    UsageProblem: "usage",
    ConfigProblem: "config",
    PartialFailure: "partial",
    KeyboardInterrupt: "interrupted",
    OSError: "io",
    ValueError: "parse",  # malformed JSON input (orders batch) and friends
}

# Hints for single Kraken errors (more precise than the category's hint).
HINTS: dict[type[BaseException], str] = {
    kx.KrakenInsufficientFundsError: "check the balance with: kraken-ops balances",
    kx.KrakenOrderMinimumNotMetError: "see the pair's ordermin with: kraken-ops market pairs PAIR",
    kx.KrakenCostMinimumNotMetError: "see the pair's costmin with: kraken-ops market pairs PAIR",
    kx.KrakenTickSizeInvalidCheckError: "round the price with --truncate, or see the pair's tick_size: kraken-ops market pairs PAIR",
    kx.KrakenAuthRequiredError: "choose a profile with --profile NAME (kraken-ops profile list), or set KRAKEN_OPS_API_KEY and KRAKEN_OPS_SECRET_KEY",
    kx.KrakenServiceUnavailableError: "Kraken is busy or in maintenance; check: kraken-ops market status",
    kx.KrakenInvalidSignatureError: (
        "check the profile's API secret and, if the spot key requires 2FA, its otp (kraken-ops profile add NAME --otp ...): "
        "kraken-ops profile show NAME"
    ),
}


def category_of(exc: BaseException) -> str:
    """The error category of ``exc`` (nearest class of its MRO in :data:`CLASSIFICATION`)."""
    explicit = getattr(exc, "category", None)
    if isinstance(exc, CliError) and explicit:
        return explicit
    for cls in type(exc).__mro__:
        name = CLASSIFICATION.get(cls)
        if name is not None:
            return name
    if type(exc).__name__ == "ProfileError":  # kraken_ops.profiles.ProfileError, without importing it
        return "config"
    return "internal"


@dataclass
class ErrorInfo:
    """Everything the CLI says about one failure."""

    category: str
    message: str
    kraken_error: str | None
    hint: str | None
    profile: str | None = None
    show_profile: bool = False  # prefix the line with [profile] (multi-profile commands)
    retryable_override: bool | None = None  # the exception knows better than its category
    extra: dict[str, Any] | None = None  # outcome, cl_ord_id, check (a write whose answer was lost)

    @property
    def exit_code(self) -> int:
        return CATEGORIES[self.category].exit_code

    @property
    def retryable(self) -> bool:
        if self.retryable_override is not None:
            return self.retryable_override
        return CATEGORIES[self.category].retryable

    def line(self) -> str:
        """``error: <what> (<Kraken error string>)``, prefixed with the profile when known."""
        where = f"[{self.profile}] " if self.profile and self.show_profile else ""
        tail = f" ({self.kraken_error})" if self.kraken_error and self.kraken_error not in self.message else ""
        return f"error: {where}{self.message}{tail}"

    def envelope(self) -> dict[str, Any]:
        """The JSON error envelope (stable keys; see docs/scripting.md)."""
        envelope = {
            "error": self.category,
            "message": self.message,
            "kraken_error": self.kraken_error,
            "retryable": self.retryable,
            "profile": self.profile,
        }
        envelope.update(self.extra or {})
        return envelope


def _message(exc: BaseException) -> str:
    if isinstance(exc, kx.KrakenException) and exc.kraken_error:
        text = str(type(exc).default_message or exc)
    else:
        text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and not isinstance(exc, kx.KrakenException) and exc.filename:
        text = f"{exc.strerror or exc}: {exc.filename}"
    return lower_first(text.strip()).rstrip(".")


PROPER_NOUNS = frozenset({"Kraken", "Python", "Linux"})


def lower_first(text: str) -> str:
    """``text`` with its first letter lowered when the first word is an ordinary capitalised word.

    Messages read ``error: the API key ...``, so a leading ``The`` becomes ``the``; but an
    acronym, a name or an identifier keeps its capitals (``API rate limit exceeded``,
    ``KRAKEN_OPS_SECRET_KEY is not set``, ``EOrder:...``, ``XBTUSD``).

    >>> lower_first("The order is unknown."), lower_first("API rate limit exceeded"), lower_first("KRAKEN_OPS_SECRET_KEY is not set")
    ('the order is unknown.', 'API rate limit exceeded', 'KRAKEN_OPS_SECRET_KEY is not set')
    """
    first = re.match(r"[^\s':,.]*", text).group(0)  # type: ignore[union-attr]
    if first in PROPER_NOUNS:
        return text
    if len(first) >= 1 and first[0].isupper() and (len(first) == 1 or first[1:].isalpha() and first[1:].islower()):
        return text[:1].lower() + text[1:]
    return text


def describe(exc: BaseException, profile: str | None = None) -> ErrorInfo:
    """Classify ``exc`` into an :class:`ErrorInfo`."""
    category = category_of(exc)
    hint = getattr(exc, "hint", None)
    if hint is None:
        for cls in type(exc).__mro__:
            if cls in HINTS:
                hint = HINTS[cls]
                break
    if hint is None:
        hint = CATEGORIES[category].hint
    if hint is None and category == "validation" and isinstance(exc, kx.KrakenUnknownAssetPairError):
        hint = closest_pair_hint()
    kraken_error = getattr(exc, "kraken_error", None) if isinstance(exc, kx.KrakenException) else None
    retryable = getattr(exc, "retryable", None) if isinstance(exc, kx.KrakenException) else None
    extra = None
    outcome = getattr(exc, "outcome", None)
    if isinstance(outcome, str):
        extra = {"outcome": outcome, "cl_ord_id": getattr(exc, "cl_ord_id", None), "check": getattr(exc, "check", None)}
        if hint is None and extra["check"] and outcome == "unknown":
            hint = f"check with: {extra['check']}"
    return ErrorInfo(category, _message(exc), kraken_error, hint, profile, retryable_override=retryable if isinstance(retryable, bool) else None, extra=extra)


# --- "unknown pair": suggest the closest known pair, named as the interface in use names it ---
# REST names a pair XBTUSD (altname) or XXBTZUSD (its key); WebSocket v2 names it BTC/USD. The
# wsname of REST's AssetPairs (XBT/USD) is neither, so a hint never suggests it.
_pair_context: dict[str, Any] = {}
WS_V2_ASSETS = {"XBT": "BTC", "XDG": "DOGE"}  # REST altnames that WebSocket v2 spells differently


def ws_v2_name(wsname: str) -> str:
    """The WebSocket v2 symbol of a pair from REST's ``wsname``.

    >>> ws_v2_name("XBT/USD"), ws_v2_name("XDG/EUR"), ws_v2_name("AAPLx/USD")
    ('BTC/USD', 'DOGE/EUR', 'AAPLx/USD')
    """
    return "/".join(WS_V2_ASSETS.get(part, part) for part in str(wsname).split("/"))


def note_pair(pair: str | None, lookup: Callable[[], Any] | None, *, interface: str = "rest") -> None:
    """Remember the pair a command asked for, how to list known pairs, and the interface
    (``rest`` or ``ws``) whose names the hint should use."""
    _pair_context["pair"] = pair
    _pair_context["lookup"] = lookup
    _pair_context["interface"] = interface


def pair_names(known: Any, interface: str) -> dict[str, str]:
    """Every name of every known pair (upper case) -> the name to suggest on ``interface``.

    REST suggests ``XBTUSD (XXBTZUSD)``: the altname, and Kraken's key when it differs;
    WebSocket v2 suggests ``BTC/USD``.
    """
    names: dict[str, str] = {}
    for key, info in (known or {}).items():
        info = info or {}
        altname = str(info.get("altname") or key)
        wsname = info.get("wsname")
        v2 = ws_v2_name(wsname) if wsname else None
        if interface == "ws":
            display = v2 or altname
        else:
            display = altname if altname == key else f"{altname} ({key})"
        aliases = {key, altname, wsname, v2, v2.replace("/", "") if v2 else None}
        for alias in aliases:
            if alias:
                names[str(alias).upper()] = display
    return names


def closest_pair_hint() -> str | None:
    """``did you mean XBTUSD (XXBTZUSD)?`` on REST, ``did you mean BTC/USD?`` on WebSocket v2."""
    pair, lookup = _pair_context.get("pair"), _pair_context.get("lookup")
    interface = _pair_context.get("interface", "rest")
    if not pair or lookup is None:
        return None
    try:
        known = lookup()
    except Exception:
        return None
    return pair_hint(str(pair), known, interface)


def pair_hint(pair: str, known: Any, interface: str = "rest") -> str | None:
    """The hint for an unknown ``pair`` among ``known`` (AssetPairs' result), or None."""
    import difflib

    names = pair_names(known, interface)
    wanted = pair.upper()
    if wanted in names:  # a real pair in the other interface's spelling (XBTUSD on WebSocket v2)
        match = wanted
    else:
        found = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.5)
        if not found:
            return None
        match = found[0]
    where = "WebSocket v2 names pairs like BTC/USD; " if interface == "ws" else ""
    return f"did you mean {names[match]}? ({where}list pairs with: kraken-ops market pairs)"


# --- reporting ---------------------------------------------------------------------------------
def report(
    exc: BaseException, options: Any, *, profile: str | None = None, envelope: bool | None = None, show_profile: bool = False
) -> ErrorInfo:
    """Print the one-line error (and hint) on stderr, the envelope on stdout in JSON mode."""
    info = describe(exc, profile)
    info.show_profile = show_profile
    err = sys.stderr
    if getattr(options, "verbose", False) and info.category not in ("usage", "partial", "interrupted"):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=err)
    if info.category != "partial":
        print(info.line(), file=err)
        if info.hint:
            print(f"hint: {info.hint}", file=err)
    if envelope is None:
        envelope = not isinstance(exc, PartialFailure) and info.category != "interrupted" and json_mode(options)
    if envelope:
        from kraken_ops.cli.output import dumps

        try:
            sys.stdout.write(dumps(info.envelope(), indent=None) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            pass
    return info


def json_mode(options: Any) -> bool:
    """Whether stdout gets JSON (explicit ``-o json``/``ndjson``, or not a terminal and no format)."""
    fmt = getattr(options, "output", None)
    if fmt:
        return fmt in ("json", "ndjson")
    try:
        return not sys.stdout.isatty()
    except (ValueError, AttributeError):
        return True


def silence_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so that the final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def show_notices() -> None:
    """Print the SDK's notices (:mod:`kraken_ops._core.notice`: rate-limit waits, repaired
    files, recovered answers) on the current stderr, as they are (idempotent)."""
    import logging

    logger = logging.getLogger("kraken_ops.notice")
    if any(getattr(h, "_kraken_ops_notice", False) for h in logger.handlers):
        return

    class Handler(logging.Handler):
        _kraken_ops_notice = True

        def emit(self, record: logging.LogRecord) -> None:
            try:
                sys.stderr.write(record.getMessage() + "\n")
                sys.stderr.flush()
            except (ValueError, OSError):
                pass

    logger.addHandler(Handler(logging.WARNING))
    logger.propagate = False


def guarded(options: Any, fn: Callable[[], T]) -> T:
    """Run a command body; turn failures into a reported error and an exit code."""
    import typer

    show_notices()
    try:
        return fn()
    except typer.Exit:
        raise
    except BrokenPipeError:
        silence_stdout()
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if _is_click_exception(exc):
            raise
        profile = getattr(exc, "profile", None)
        if profile is None and options is not None and len(getattr(options, "profiles", []) or []) == 1:
            profile = options.profiles[0]
        info = report(exc, options, profile=profile)
        raise typer.Exit(info.exit_code) from None


def _is_click_exception(exc: BaseException) -> bool:
    from typer._click import exceptions as click_exceptions

    kinds = tuple(getattr(click_exceptions, n) for n in ("ClickException", "Abort", "Exit") if hasattr(click_exceptions, n))
    return isinstance(exc, kinds)
