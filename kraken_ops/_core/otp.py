"""One-time passwords for Spot API keys that require two-factor authentication (2FA).

Kraken lets a Spot API key require an ``otp`` on every private call: a static
password, or a code from an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second
steps, 6 digits). The ``otp`` is a parameter of the signed body, like the nonce.
Kraken Futures API keys have no 2FA.

A client takes ``otp=`` once (``User(key, secret, otp=...)``) or per call
(``user.get_account_balance(otp="...")``). Either is a string (a static password, or
a code typed by hand) or a callable that returns the current code, such as
:class:`TOTP`, which computes codes from the key's seed::

    >>> from kraken_ops.spot import User, TOTP                      # doctest: +SKIP
    >>> user = User(key, secret, otp=TOTP("JBSWY3DPEHPK3PXP"))       # doctest: +SKIP

Per-call ``otp=`` travels through the one-definition ``Call`` machinery: the class
decorator :func:`per_call_otp` gives every endpoint method of a mixin a keyword-only
``otp`` parameter that sets a context variable for the duration of the method; the
executor's ``_call`` stamps it on the :class:`~kraken_ops._core.call.Call` it is handed
(and follow-up calls of the chain inherit it), so no endpoint method is edited.

No function here logs an otp or puts one in an exception message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import functools
import hashlib
import hmac
import inspect
import struct
import time
from typing import Any, Callable, Iterator, Union

OtpSource = Union[str, Callable[[], str]]

DIGITS = 6
PERIOD = 30
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


# --- RFC 4226 / RFC 6238 -------------------------------------------------------------------


def decode_seed(seed: str) -> bytes:
    """The key bytes of a base32 TOTP seed as authenticator apps show it.

    Spaces and hyphens are ignored, case does not matter and ``=`` padding may be left
    out. Raises :class:`ValueError` (without the seed in the message) if it is not base32.

    >>> decode_seed("gezd gnbv gy3t qojq")
    b'1234567890'
    """
    text = "".join(str(seed).split()).replace("-", "").upper().rstrip("=")
    if not text:
        raise ValueError("the TOTP seed is empty")
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise ValueError("the TOTP seed is not base32 (letters A-Z and digits 2-7, as Kraken shows it under 'setup key')") from None


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The HOTP value of ``key`` at ``counter`` (RFC 4226 §5.3), ``digits`` long with leading zeros.

    >>> hotp(b"12345678901234567890", 0)
    '755224'
    """
    mac = hmac.new(key, struct.pack(">Q", counter), ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp(key: bytes, at: float, *, period: int = PERIOD, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The TOTP code of ``key`` at Unix time ``at`` (RFC 6238 §4, T0 = 0).

    >>> totp(b"12345678901234567890", 59, digits=8)
    '94287082'
    """
    return hotp(key, int(at // period), digits, algorithm)


class TOTP:
    """A callable that returns the current TOTP code of a base32 seed (for ``otp=``).

    ``clock`` (default :func:`time.time`) is injectable for tests. The seed is kept
    private; ``repr`` never shows it.

    >>> TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", clock=lambda: 59)()
    '287082'
    """

    __slots__ = ("_key", "period", "digits", "algorithm", "clock")

    def __init__(
        self, seed: str, *, period: int = PERIOD, digits: int = DIGITS, algorithm: str = "sha1", clock: Callable[[], float] = time.time
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown TOTP algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
        self._key = decode_seed(seed)
        self.period = period
        self.digits = digits
        self.algorithm = algorithm
        self.clock = clock

    def at(self, when: float) -> str:
        """The code at Unix time ``when``."""
        return totp(self._key, when, period=self.period, digits=self.digits, algorithm=self.algorithm)

    def now(self) -> str:
        """The current code."""
        return self.at(self.clock())

    __call__ = now

    def __repr__(self) -> str:
        return f"TOTP(<seed hidden>, period={self.period}, digits={self.digits}, algorithm={self.algorithm!r})"


# --- values given as otp= -------------------------------------------------------------------


def check_source(value: Any, where: str = "otp") -> OtpSource | None:
    """Return ``value`` if it can be an otp (``None``, a string or a callable), else raise TypeError.

    An ``int`` is refused: a code such as ``012345`` would lose its leading zero.
    """
    if value is None or isinstance(value, str) or callable(value):
        return value
    raise TypeError(f"{where} must be a string (a password or a code such as '012345') or a callable returning one, not {type(value).__name__}")


def current(value: OtpSource | None) -> str | None:
    """The otp to send now: the string itself, or what the callable returns (``None``/empty: send none)."""
    if value is None:
        return None
    text = value() if callable(value) else value
    check_source(text, "the otp callable's result")
    return text or None


# --- per-call otp= through the Call machinery ----------------------------------------------------

_CALL_OTP: contextvars.ContextVar[OtpSource | None] = contextvars.ContextVar("kraken_ops_call_otp", default=None)


def call_otp() -> OtpSource | None:
    """The ``otp=`` of the endpoint method running in this context (or None)."""
    return _CALL_OTP.get()


def _with_otp(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)
    if "otp" in signature.parameters:
        return method

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, otp: OtpSource | None = None, **kwargs: Any) -> Any:
        if otp is None:
            return method(self, *args, **kwargs)
        token = _CALL_OTP.set(check_source(otp))
        try:
            return method(self, *args, **kwargs)
        finally:
            _CALL_OTP.reset(token)

    params = list(signature.parameters.values())
    extra = inspect.Parameter("otp", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="OtpSource | None")
    at = next((i for i, p in enumerate(params) if p.kind is inspect.Parameter.VAR_KEYWORD), len(params))
    wrapper.__signature__ = signature.replace(parameters=[*params[:at], extra, *params[at:]])  # type: ignore[attr-defined]
    return wrapper


def per_call_otp(cls: type) -> type:
    """Class decorator: every public method of an endpoint mixin takes a keyword-only ``otp=``.

    The otp applies to the private requests the method sends (the whole chain of a
    multi-step method) and takes precedence over the client's ``otp=``.
    """
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        setattr(cls, name, _with_otp(value))
    return cls


# --- asking once per command -------------------------------------------------------------

_PROMPTED: contextvars.ContextVar[dict[Any, str] | None] = contextvars.ContextVar("kraken_ops_prompted_otp", default=None)


@contextlib.contextmanager
def prompt_scope() -> Iterator[dict[Any, str]]:
    """Within the block, an otp typed at a prompt is remembered (one question per command)."""
    memo: dict[Any, str] = {}
    token = _PROMPTED.set(memo)
    try:
        yield memo
    finally:
        memo.clear()
        _PROMPTED.reset(token)


def prompted() -> dict[Any, str] | None:
    """The memo of the enclosing :func:`prompt_scope` (None outside one)."""
    return _PROMPTED.get()


__all__ = ["TOTP", "OtpSource", "decode_seed", "hotp", "totp", "check_source", "current", "call_otp", "per_call_otp", "prompt_scope", "prompted"]
